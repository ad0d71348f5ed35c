"""SageMaker Pipeline executions run locally: steps in dependency order, jobs through the runner."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws
from sklearn.metrics import roc_auc_score
from test_sagemaker_jobs_processing import _import_real_dataquality
from test_sagemaker_jobs_support import (
    ANALYZER_IMAGE,
    BUCKET,
    REGION,
    ROLE,
    XGBOOST_IMAGE,
    assert_documented_shape,
    csv_bytes,
    labelled_csv,
    separable,
    statuses,
    training_request,
)

from localcloud.sagemaker_jobs import JobRunner

PIPELINE = "SageMaker Model Building Pipeline Execution Status Change"
PACKAGE = "SageMaker Model Package State Change"
GROUP = "churn"

_import_real_dataquality()


class GlobFaults:
    def __init__(self, pattern: str, reason: str) -> None:
        self.pattern, self.reason = pattern, reason

    def job_failure_for(self, job_name: str) -> str | None:
        return self.reason if fnmatch.fnmatchcase(job_name, self.pattern) else None


def _training_arguments() -> dict[str, Any]:
    request = training_request("unused")
    del request["TrainingJobName"]
    request["HyperParameters"]["num_round"] = {"Get": "Parameters.NumRound"}
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = {"Get": "Parameters.TrainUri"}
    request["OutputDataConfig"]["S3OutputPath"] = {
        "Std:Join": {
            "On": "/",
            "Values": [f"s3://{BUCKET}/pipeline", {"Get": "Execution.PipelineExecutionId"}],
        }
    }
    return request


def _definition(extra_steps: list[dict[str, Any]] | None = None) -> str:
    """What the SageMaker SDK writes for train -> baseline -> gate on AUC -> model, score, register."""
    output_root = {
        "Std:Join": {
            "On": "/",
            "Values": [f"s3://{BUCKET}/pipeline", {"Get": "Execution.PipelineExecutionId"}],
        }
    }
    steps: list[dict[str, Any]] = [
        {"Name": "Train", "Type": "Training", "Arguments": _training_arguments()},
        {
            "Name": "Baseline",
            "Type": "Processing",
            "Arguments": {
                "AppSpecification": {"ImageUri": ANALYZER_IMAGE},
                "RoleArn": ROLE,
                "ProcessingResources": {
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": "ml.m5.xlarge",
                        "VolumeSizeInGB": 20,
                    }
                },
                "ProcessingInputs": [
                    {
                        "InputName": "baseline_dataset_input",
                        "S3Input": {
                            "S3Uri": f"s3://{BUCKET}/baseline-data/",
                            "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                            "S3DataType": "S3Prefix",
                            "S3InputMode": "File",
                        },
                    }
                ],
                "ProcessingOutputConfig": {
                    "Outputs": [
                        {
                            "OutputName": "baseline",
                            "S3Output": {
                                "S3Uri": {"Std:Join": {"On": "/", "Values": [output_root, "baseline"]}},
                                "LocalPath": "/opt/ml/processing/output",
                                "S3UploadMode": "EndOfJob",
                            },
                        }
                    ]
                },
                "Environment": {
                    "dataset_format": json.dumps({"csv": {"header": True}}),
                    "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                    "output_path": "/opt/ml/processing/output",
                    "publish_cloudwatch_metrics": "Disabled",
                },
            },
            "PropertyFiles": [
                {"PropertyFileName": "BaselineStats", "OutputName": "baseline", "FilePath": "statistics.json"}
            ],
        },
        {
            "Name": "CheckAuc",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [
                    {
                        "Type": "GreaterThanOrEqualTo",
                        "LeftValue": {"Get": "Steps.Train.FinalMetricDataList['validation:auc'].Value"},
                        "RightValue": {"Get": "Parameters.MinAuc"},
                    }
                ],
                "IfSteps": [
                    {
                        "Name": "CreateModel",
                        "Type": "Model",
                        "Arguments": {
                            "ExecutionRoleArn": ROLE,
                            "PrimaryContainer": {
                                "Image": XGBOOST_IMAGE,
                                "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"},
                            },
                        },
                    },
                    {
                        "Name": "Score",
                        "Type": "Transform",
                        "Arguments": {
                            "ModelName": {"Get": "Steps.CreateModel.ModelName"},
                            "TransformInput": {
                                "DataSource": {
                                    "S3DataSource": {
                                        "S3DataType": "S3Prefix",
                                        "S3Uri": f"s3://{BUCKET}/batch/in/",
                                    }
                                },
                                "ContentType": "text/csv",
                                "SplitType": "Line",
                            },
                            "TransformOutput": {
                                "S3OutputPath": {"Std:Join": {"On": "/", "Values": [output_root, "scores"]}},
                                "AssembleWith": "Line",
                            },
                            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
                        },
                    },
                    {
                        "Name": "Register",
                        "Type": "RegisterModel",
                        "DependsOn": ["Score"],
                        "Arguments": {
                            "ModelPackageGroupName": GROUP,
                            "ModelApprovalStatus": {"Get": "Parameters.ModelApprovalStatus"},
                            "InferenceSpecification": {
                                "Containers": [
                                    {
                                        "Image": XGBOOST_IMAGE,
                                        "ModelDataUrl": {
                                            "Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"
                                        },
                                    }
                                ],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"],
                            },
                            "CustomerMetadataProperties": {
                                "baselineRows": {
                                    "Std:Join": {
                                        "On": "",
                                        "Values": [
                                            {
                                                "Std:JsonGet": {
                                                    "PropertyFile": {
                                                        "Get": "Steps.Baseline.PropertyFiles.BaselineStats"
                                                    },
                                                    "Path": "dataset.item_count",
                                                }
                                            }
                                        ],
                                    }
                                },
                                "executionId": {"Get": "Execution.PipelineExecutionId"},
                            },
                        },
                    },
                ],
                "ElseSteps": [
                    {
                        "Name": "TooWeak",
                        "Type": "Fail",
                        "Arguments": {
                            "ErrorMessage": {
                                "Std:Join": {
                                    "On": " ",
                                    "Values": ["validation AUC below", {"Get": "Parameters.MinAuc"}],
                                }
                            }
                        },
                    }
                ],
            },
        },
    ]
    steps.extend(extra_steps or [])
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Metadata": {},
            "Parameters": [
                {"Name": "TrainUri", "Type": "String", "DefaultValue": f"s3://{BUCKET}/data/train/"},
                {"Name": "NumRound", "Type": "Integer", "DefaultValue": 30},
                {"Name": "MinAuc", "Type": "Float", "DefaultValue": 0.9},
                {"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
            ],
            "Steps": steps,
        }
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def world(aws: None) -> dict[str, Any]:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    x_train, y_train = separable(300, seed=1)
    x_valid, y_valid = separable(100, seed=2)
    x_test, y_test = separable(200, seed=3)
    s3.put_object(Bucket=BUCKET, Key="data/train/train.csv", Body=labelled_csv(x_train, y_train))
    s3.put_object(Bucket=BUCKET, Key="data/validation/validation.csv", Body=labelled_csv(x_valid, y_valid))
    s3.put_object(Bucket=BUCKET, Key="batch/in/batch.csv", Body=csv_bytes(x_test))
    s3.put_object(Bucket=BUCKET, Key="baseline-data/train.csv", Body=b"f1,f2,f3,f4\n" + csv_bytes(x_train))
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    return {"s3": s3, "sm": sm, "y_test": y_test}


def _start(sm: Any, definition: str, **parameters: str) -> str:
    sm.create_pipeline(PipelineName="retrain", PipelineDefinition=definition, RoleArn=ROLE)
    arn: str = sm.start_pipeline_execution(
        PipelineName="retrain",
        PipelineExecutionDisplayName="drift-episode-1",
        PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()],
    )["PipelineExecutionArn"]
    return arn


def _pipeline_statuses(emitted: list[dict[str, Any]], arn: str) -> list[tuple[str, str | None]]:
    return [
        (e["detail"]["currentPipelineExecutionStatus"], e["detail"].get("previousPipelineExecutionStatus"))
        for e in emitted
        if e["detail-type"] == PIPELINE and e["detail"]["pipelineExecutionArn"] == arn
    ]


def test_a_pipeline_trains_gates_scores_and_registers(world: dict[str, Any], aws: None) -> None:
    sm, s3 = world["sm"], world["s3"]
    emitted: list[dict[str, Any]] = []
    with JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05) as runner:
        # When the retraining pipeline is started
        arn = _start(sm, _definition())
        assert (
            sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] == "Executing"
        )
        assert runner.wait_idle(120)

        # Then it succeeded, having run every step of the taken branch
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
        assert "FailureReason" not in described
        execution_id = arn.rsplit("/", 1)[-1]
        training = sm.list_training_jobs()["TrainingJobSummaries"]
        assert [t["TrainingJobName"].startswith(f"pipelines-{execution_id}-Train-") for t in training] == [
            True
        ]

    # And the model it trained scored the batch well, under the execution's folder
    scores = s3.get_object(Bucket=BUCKET, Key=f"pipeline/{execution_id}/scores/batch.csv.out")["Body"].read()
    probabilities = np.array([float(v) for v in scores.decode().split()])
    assert roc_auc_score(world["y_test"], probabilities) > 0.9

    # And a version awaits approval, carrying values resolved from the baseline's property file
    packages = sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert [p["ModelApprovalStatus"] for p in packages] == ["PendingManualApproval"]
    package = sm.describe_model_package(ModelPackageName=packages[0]["ModelPackageArn"])
    assert package["CustomerMetadataProperties"] == {"baselineRows": "300", "executionId": execution_id}
    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert model_url.startswith(f"s3://{BUCKET}/pipeline/{execution_id}/pipelines-{execution_id}-Train-")

    # And the events tell the story in the documented shapes
    assert _pipeline_statuses(emitted, arn) == [("Executing", None), ("Succeeded", "Executing")]
    assert [e["detail"]["ModelApprovalStatus"] for e in emitted if e["detail-type"] == PACKAGE] == [
        "PendingManualApproval"
    ]
    last = emitted[-1]
    assert last["detail-type"] == PIPELINE and last["resources"] == [described["PipelineArn"], arn]
    assert last["detail"]["pipelineExecutionDisplayName"] == "drift-episode-1"
    for event in emitted:
        assert_documented_shape(event)


def test_a_failed_gate_fails_the_execution_without_registering(world: dict[str, Any], aws: None) -> None:
    sm = world["sm"]
    emitted: list[dict[str, Any]] = []
    with JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05) as runner:
        # When the gate asks for more than the model reaches
        arn = _start(sm, _definition(), MinAuc="0.9999")
        assert runner.wait_idle(120)
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)

    # Then the Fail step ended it, nothing was scored or registered
    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"] == "Step TooWeak (Fail): validation AUC below 0.9999"
    assert sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []
    assert sm.list_transform_jobs()["TransformJobSummaries"] == []
    assert _pipeline_statuses(emitted, arn) == [("Executing", None), ("Failed", "Executing")]
    for event in emitted:
        assert_documented_shape(event)


def test_a_failed_job_fails_the_execution_and_names_the_step(world: dict[str, Any], aws: None) -> None:
    sm = world["sm"]
    emitted: list[dict[str, Any]] = []
    faults = GlobFaults("pipelines-*-Train-*", "AlgorithmError: injected")
    with JobRunner(emit=emitted.append, faults=faults, region=REGION, poll_interval=0.05) as runner:
        arn = _start(sm, _definition())
        assert runner.wait_idle(120)
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)

    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"].startswith("Step Train (Training): job pipelines-")
    assert described["FailureReason"].endswith("Failed: AlgorithmError: injected")
    job = sm.list_training_jobs()["TrainingJobSummaries"][0]["TrainingJobName"]
    assert statuses(
        emitted, "SageMaker Training Job State Change", "TrainingJobName", "TrainingJobStatus", job
    ) == [
        "InProgress",
        "Failed",
    ]
    assert sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []
    assert _pipeline_statuses(emitted, arn)[-1] == ("Failed", "Executing")


def test_unsupported_steps_and_bad_parameters_fail_truthfully(world: dict[str, Any], aws: None) -> None:
    sm = world["sm"]
    emitted: list[dict[str, Any]] = []
    tuning = {"Name": "Tune", "Type": "Tuning", "Arguments": {}}
    with JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05) as runner:
        sm.create_pipeline(PipelineName="tuned", PipelineDefinition=_definition([tuning]), RoleArn=ROLE)
        tuned = sm.start_pipeline_execution(PipelineName="tuned")["PipelineExecutionArn"]
        sm.create_pipeline(PipelineName="typo", PipelineDefinition=_definition(), RoleArn=ROLE)
        typo = sm.start_pipeline_execution(
            PipelineName="typo", PipelineParameters=[{"Name": "NumRounds", "Value": "3"}]
        )["PipelineExecutionArn"]
        assert runner.wait_idle(120)
        reasons = {arn: sm.describe_pipeline_execution(PipelineExecutionArn=arn) for arn in (tuned, typo)}

    assert reasons[tuned]["PipelineExecutionStatus"] == "Failed"
    assert (
        reasons[tuned]["FailureReason"]
        == "Step Tune (Tuning): the local pipeline runner does not run Tuning steps"
    )
    assert reasons[typo]["PipelineExecutionStatus"] == "Failed"
    assert reasons[typo]["FailureReason"] == "Parameter NumRounds is not declared by the pipeline"
    for arn in (tuned, typo):
        assert _pipeline_statuses(emitted, arn) == [("Executing", None), ("Failed", "Executing")]
