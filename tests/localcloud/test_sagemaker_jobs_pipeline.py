"""SageMaker Pipeline executions run locally: steps in dependency order, jobs through the runner."""

from __future__ import annotations

import fnmatch
import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from test_sagemaker_jobs_processing import _import_real_dataquality

from localcloud.sagemaker_jobs import JobRunner
from tests.support.sagemaker_jobs import (
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


def test_a_repeated_client_request_token_returns_the_first_execution_and_starts_nothing(aws: None) -> None:
    # Given: a pipeline that ends at once (one Fail step), started with a token
    sm = boto3.client("sagemaker", region_name=REGION)
    stop = {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stop"}}
    definition = json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": [stop]})
    sm.create_pipeline(PipelineName="retrain", PipelineDefinition=definition, RoleArn=ROLE)
    emitted: list[dict[str, Any]] = []
    token = "retraining-episode-1-" + "0" * 24

    def start(request_token: str) -> str:
        arn: str = sm.start_pipeline_execution(
            PipelineName="retrain", PipelineExecutionDisplayName="episode-1", ClientRequestToken=request_token
        )["PipelineExecutionArn"]
        return arn

    with JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05) as runner:
        first = start(token)
        assert runner.wait_idle(60)

        # When: the same request is sent again (a redelivery, a retry), after the run ended
        again = start(token)
        assert runner.wait_idle(60)
        # and with another token
        other = start("retraining-episode-2-" + "0" * 24)
        assert runner.wait_idle(60)

    # Then: the repeat answered with the first execution and started nothing; another token starts a run
    assert again == first
    assert other != first
    executions = sm.list_pipeline_executions(PipelineName="retrain")["PipelineExecutionSummaries"]
    assert sorted(e["PipelineExecutionArn"] for e in executions) == sorted([first, other])
    assert _pipeline_statuses(emitted, first) == [("Executing", None), ("Failed", "Executing")]
    described = sm.describe_pipeline_execution(PipelineExecutionArn=first)
    assert described["PipelineExecutionStatus"] == "Failed"


# ---------------------------------------------------------------------------------------- Lambda steps
@pytest.fixture
def functions(aws: None, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Callable[[Any], Any]], str]:
    """`add(name, handler) -> ARN`: a Lambda function in moto whose invocations run `handler(event)`
    here (moto would need Docker; the local cloud runs the real handlers at the same patch point).
    A raised exception is a function error, as Lambda reports it (errorType, errorMessage)."""
    from moto.awslambda.models import LambdaFunction

    handlers: dict[str, Callable[[Any], Any]] = {}

    def invoke(self: Any, event: Any = None) -> tuple[str, bool, str]:
        try:
            return json.dumps(handlers[self.function_name](event)), False, ""
        except Exception as exc:  # noqa: BLE001 - reported as the function's error
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName="lambda-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam = boto3.client("lambda", region_name=REGION)

    def add(name: str, handler: Callable[[Any], Any]) -> str:
        handlers[name] = handler
        arn: str = lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
        return arn

    return add


def _lambda_definition(prepare_arn: str, evaluate_arn: str) -> str:
    """Prepare (Lambda) -> Train on its output -> Evaluate (Lambda) -> gate on its AUC -> register."""
    prepared = "Steps.Prepare.OutputParameters"
    training = _training_arguments()
    training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = {"Get": f"{prepared}['trainUri']"}
    training["HyperParameters"]["num_round"] = {"Get": f"{prepared}['rounds']"}
    auc = {"Get": "Steps.Evaluate.OutputParameters['auc']"}
    steps = [
        {
            "Name": "Prepare",
            "Type": "Lambda",
            "FunctionArn": prepare_arn,
            "Arguments": {
                "runId": {"Get": "Execution.PipelineExecutionId"},
                "trainingDataS3Uri": {"Get": "Parameters.TrainUri"},
                "rounds": {"Get": "Parameters.NumRound"},
            },
            "OutputParameters": [
                {"OutputName": "trainUri", "OutputType": "String"},
                {"OutputName": "rounds", "OutputType": "Integer"},
                {"OutputName": "sampled", "OutputType": "Boolean"},
                {"OutputName": "summary", "OutputType": "String"},
            ],
        },
        {"Name": "Train", "Type": "Training", "Arguments": training},
        {
            "Name": "Evaluate",
            "Type": "Lambda",
            "FunctionArn": evaluate_arn,
            "Arguments": {
                "modelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"},
                "validationAuc": {"Get": "Steps.Train.FinalMetricDataList['validation:auc'].Value"},
                "sampled": {"Get": f"{prepared}['sampled']"},
            },
            "OutputParameters": [{"OutputName": "auc", "OutputType": "Float"}],
        },
        {
            "Name": "Gate",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [
                    {
                        "Type": "GreaterThanOrEqualTo",
                        "LeftValue": auc,
                        "RightValue": {"Get": "Parameters.MinAuc"},
                    }
                ],
                "IfSteps": [
                    {
                        "Name": "Register",
                        "Type": "RegisterModel",
                        "Arguments": {
                            "ModelPackageGroupName": GROUP,
                            "ModelApprovalStatus": "PendingManualApproval",
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
                                "auc": {"Std:Join": {"On": "", "Values": [auc]}},
                                "summary": {"Get": f"{prepared}['summary']"},
                            },
                        },
                    }
                ],
                "ElseSteps": [
                    {
                        "Name": "TooWeak",
                        "Type": "Fail",
                        "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": ["AUC", auc]}}},
                    }
                ],
            },
        },
    ]
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [
                {"Name": "TrainUri", "Type": "String", "DefaultValue": f"s3://{BUCKET}/data/train/"},
                {"Name": "NumRound", "Type": "Integer", "DefaultValue": 30},
                {"Name": "MinAuc", "Type": "Float", "DefaultValue": 0.9},
            ],
            "Steps": steps,
        }
    )


def _prepare(calls: list[Any]) -> Callable[[Any], Any]:
    def handler(event: Any) -> Any:
        calls.append(event)
        return {
            "trainUri": event["trainingDataS3Uri"],
            "rounds": event["rounds"],
            "sampled": False,
            "summary": {"rows": 300, "files": ["train.csv"]},
            "undeclared": "dropped",
        }

    return handler


def test_lambda_steps_pass_typed_outputs_to_later_steps(world: dict[str, Any], functions: Any) -> None:
    # Given two functions: one prepares the data, one evaluates the model the pipeline trained
    sm = world["sm"]
    prepared: list[Any] = []
    evaluated: list[Any] = []

    def evaluate(event: Any) -> Any:
        evaluated.append(event)
        return {"auc": str(event["validationAuc"]), "itemCount": 100}

    definition = _lambda_definition(functions("prepare", _prepare(prepared)), functions("evaluate", evaluate))
    emitted: list[dict[str, Any]] = []
    with JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05) as runner:
        # When the pipeline runs
        arn = _start(sm, definition, NumRound="25")
        assert runner.wait_idle(120)
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)

    # Then it succeeded; each function got its resolved Arguments as its event, typed as the values are
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    execution_id = arn.rsplit("/", 1)[-1]
    assert prepared == [
        {"runId": execution_id, "trainingDataS3Uri": f"s3://{BUCKET}/data/train/", "rounds": 25}
    ]
    job = sm.describe_training_job(
        TrainingJobName=sm.list_training_jobs()["TrainingJobSummaries"][0]["TrainingJobName"]
    )
    # And the training job was made from the first function's outputs (Integer -> "25" hyperparameter)
    assert job["HyperParameters"]["num_round"] == "25"
    assert job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/data/train/"
    validation_auc = next(
        m["Value"] for m in job["FinalMetricDataList"] if m["MetricName"] == "validation:auc"
    )
    assert evaluated == [
        {
            "modelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"],
            "validationAuc": validation_auc,
            "sampled": False,
        }
    ]
    # And the Float output ("0.9..." as text from the function) was compared as a number and joined as text;
    # a nested output is kept as its JSON text
    package = sm.describe_model_package(
        ModelPackageName=sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"][0][
            "ModelPackageArn"
        ]
    )
    assert float(package["CustomerMetadataProperties"]["auc"]) == pytest.approx(validation_auc)
    assert json.loads(package["CustomerMetadataProperties"]["summary"]) == {
        "rows": 300,
        "files": ["train.csv"],
    }
    assert _pipeline_statuses(emitted, arn) == [("Executing", None), ("Succeeded", "Executing")]


@pytest.mark.parametrize(
    ("evaluate", "reason"),
    [
        (
            lambda event: (_ for _ in ()).throw(ValueError("no predictions under s3://x/")),
            "failed: ValueError: no predictions under s3://x/",
        ),
        (lambda event: {"itemCount": 3}, "returned no output 'auc' (returned: ['itemCount'])"),
        (lambda event: [0.97], "must return a JSON object, returned '[0.97]'"),
        (lambda event: {"auc": "high"}, "output auc expects a Float, got 'high'"),
    ],
    ids=["function-error", "missing-output", "not-an-object", "mistyped-output"],
)
def test_a_failing_lambda_step_fails_the_execution_and_names_the_step(
    world: dict[str, Any], functions: Any, evaluate: Callable[[Any], Any], reason: str
) -> None:
    sm = world["sm"]
    evaluate_arn = functions("evaluate", evaluate)
    definition = _lambda_definition(functions("prepare", _prepare([])), evaluate_arn)
    emitted: list[dict[str, Any]] = []
    with JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05) as runner:
        arn = _start(sm, definition)
        assert runner.wait_idle(120)
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)

    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"].startswith("Step Evaluate (Lambda): ")
    assert described["FailureReason"].endswith(reason)
    if "failed:" in reason:
        assert f"function {evaluate_arn} failed" in described["FailureReason"]
    # Nothing after the failed step ran
    assert sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []
    assert _pipeline_statuses(emitted, arn) == [("Executing", None), ("Failed", "Executing")]


# ---------------------------------------------------------------- the committed definition, filled
def test_the_committed_definition_is_filled_from_stack_values() -> None:
    from pipelines.local import (
        DEFINITION,
        FUNCTION_PLACEHOLDERS,
        OUTPUT_PLACEHOLDERS,
        PARAMETER_PLACEHOLDERS,
        fill,
    )

    names = (*FUNCTION_PLACEHOLDERS, *OUTPUT_PLACEHOLDERS, *PARAMETER_PLACEHOLDERS, "StackName")
    values = {name: f"value-of-{name}" for name in names}
    text = DEFINITION.read_text()
    filled = json.loads(fill(text, values))

    assert "${" not in json.dumps(filled)
    lambdas = {s["Name"]: s["FunctionArn"] for s in _all_steps(filled["Steps"]) if s["Type"] == "Lambda"}
    assert lambdas == {
        "PrepareTrainingData": "value-of-PrepareTrainingDataFunctionArn",
        "EvaluateModel": "value-of-EvaluateModelFunctionArn",
        "ComputeBaseline": "value-of-ComputeBaselineFunctionArn",
    }
    # Only the placeholders changed
    unbraced = re.sub(r"\$\{([A-Za-z0-9]+)\}", r"value-of-\1", text)
    assert filled == json.loads(unbraced)


def test_an_unfilled_placeholder_is_named() -> None:
    from pipelines.local import DEFINITION, PipelineDefinitionError, fill

    with pytest.raises(
        PipelineDefinitionError, match=r"no value for placeholder\(s\) KmsKeyArn, XGBoostImageUri$"
    ):
        fill(
            DEFINITION.read_text(),
            {
                "PrepareTrainingDataFunctionArn": "a",
                "EvaluateModelFunctionArn": "b",
                "ComputeBaselineFunctionArn": "c",
                "SageMakerExecutionRoleArn": "d",
                **dict.fromkeys(
                    ("StackName", "ProjectTag", "OwnerTag", "CostCenterTag", "EnvironmentName"), "t"
                ),
            },
        )
    with pytest.raises(PipelineDefinitionError, match="not JSON"):
        fill("{", {})


def _all_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for step in steps:
        found.append(step)
        arguments = step.get("Arguments") or {}
        if step["Type"] == "Condition":
            found += _all_steps(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))
    return found
