"""Local SageMaker job runner: training and transform really run; states and events are AWS's."""

from __future__ import annotations

from typing import Any

import boto3
import numpy as np
import pytest
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from localcloud.sagemaker_jobs import JobRunner
from tests.support.sagemaker_jobs import (
    BUCKET,
    REGION,
    ROLE,
    XGBOOST_IMAGE,
    assert_documented_shape,
    csv_bytes,
    labelled_csv,
    read_model_file,
    separable,
    statuses,
    training_request,
    transform_request,
)

TRAINING = "SageMaker Training Job State Change"
TRANSFORM = "SageMaker Transform Job State Change"
PACKAGE = "SageMaker Model Package State Change"


class NamedFaults:
    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        self.asked: list[str] = []

    def job_failure_for(self, job_name: str) -> str | None:
        self.asked.append(job_name)
        return self.failures.get(job_name)


@pytest.fixture
def sm(aws: None) -> Any:
    return boto3.client("sagemaker", region_name=REGION)


@pytest.fixture
def s3(aws: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def data(s3: Any) -> dict[str, Any]:
    x_train, y_train = separable(300, seed=1)
    x_valid, y_valid = separable(100, seed=2)
    x_test, y_test = separable(200, seed=3)
    s3.put_object(Bucket=BUCKET, Key="data/train/part-0.csv", Body=labelled_csv(x_train[:150], y_train[:150]))
    s3.put_object(Bucket=BUCKET, Key="data/train/part-1.csv", Body=labelled_csv(x_train[150:], y_train[150:]))
    s3.put_object(Bucket=BUCKET, Key="data/validation/validation.csv", Body=labelled_csv(x_valid, y_valid))
    s3.put_object(Bucket=BUCKET, Key="batch/in/batch.csv", Body=csv_bytes(x_test))
    return {"x_test": x_test, "y_test": y_test}


def _train(sm: Any, runner: JobRunner, name: str = "train-1") -> dict[str, Any]:
    sm.create_training_job(**training_request(name))
    assert runner.wait_idle(60)
    described: dict[str, Any] = sm.describe_training_job(TrainingJobName=name)
    return described


def _read(s3: Any, key: str) -> str:
    return str(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode())


def test_training_starts_in_progress_and_completes_with_a_real_model(
    sm: Any, s3: Any, runner: JobRunner, data: dict[str, Any], emitted: list[dict[str, Any]]
) -> None:
    # Given a runner that has not started working (jobs queue until start)
    runner.stop()

    # When a training job is created
    sm.create_training_job(**training_request("train-1"))

    # Then it is InProgress, with no artifacts yet, until the runner works
    described = sm.describe_training_job(TrainingJobName="train-1")
    assert described["TrainingJobStatus"] == "InProgress"
    assert "ModelArtifacts" not in described and "TrainingEndTime" not in described
    runner.start()
    assert runner.wait_idle(60)

    described = sm.describe_training_job(TrainingJobName="train-1")
    assert described["TrainingJobStatus"] == "Completed"
    assert described["SecondaryStatus"] == "Completed"
    assert described["TrainingEndTime"] >= described["TrainingStartTime"] >= described["CreationTime"]
    artifact = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == f"s3://{BUCKET}/models/train-1/output/model.tar.gz"
    metrics = {m["MetricName"]: m["Value"] for m in described["FinalMetricDataList"]}
    assert set(metrics) == {"train:auc", "validation:auc"}
    assert metrics["validation:auc"] > 0.9
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == [
        "Starting",
        "Training",
        "Completed",
    ]

    # And the archive holds a booster that scores the held-out set well
    booster = xgb.Booster()
    booster.load_model(bytearray(read_model_file(s3, artifact)))
    assert booster.num_boosted_rounds() == 40
    auc = roc_auc_score(data["y_test"], booster.predict(xgb.DMatrix(data["x_test"])))
    assert auc > 0.9

    # And the events say InProgress then Completed, in the documented shape
    assert statuses(emitted, TRAINING, "TrainingJobName", "TrainingJobStatus", "train-1") == [
        "InProgress",
        "Completed",
    ]
    for event in emitted:
        assert_documented_shape(event)
    completed = emitted[-1]["detail"]
    assert completed["ModelArtifacts"]["S3ModelArtifacts"] == artifact
    assert emitted[-1]["resources"] == [described["TrainingJobArn"]]


def test_train_then_transform_gives_sensible_probabilities(
    sm: Any, s3: Any, runner: JobRunner, data: dict[str, Any], emitted: list[dict[str, Any]]
) -> None:
    # Given a trained model registered as a SageMaker Model with its data URL
    artifact = _train(sm, runner)["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(
        ModelName="m1",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": artifact},
    )

    # When a batch transform scores the batch
    sm.create_transform_job(
        **transform_request("score-1", "m1", f"s3://{BUCKET}/batch/in/", f"s3://{BUCKET}/batch/out")
    )
    assert sm.describe_transform_job(TransformJobName="score-1")["TransformJobStatus"] == "InProgress"
    assert runner.wait_idle(60)

    # Then one probability per input line lands in <output>/<input name>.out
    described = sm.describe_transform_job(TransformJobName="score-1")
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    lines = _read(s3, "batch/out/batch.csv.out").splitlines()
    scores = np.array([float(line) for line in lines])
    assert len(scores) == len(data["y_test"])
    assert ((scores >= 0) & (scores <= 1)).all()
    assert roc_auc_score(data["y_test"], scores) > 0.9
    assert statuses(emitted, TRANSFORM, "TransformJobName", "TransformJobStatus", "score-1") == [
        "InProgress",
        "Completed",
    ]
    for event in emitted:
        assert_documented_shape(event)


def test_transform_resolves_a_model_package_and_honours_simple_joins(
    sm: Any, s3: Any, runner: JobRunner, data: dict[str, Any]
) -> None:
    # Given a model that names a registered model package (as the batch-inference workflow creates)
    artifact = _train(sm, runner)["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model_package_group(ModelPackageGroupName="churn")
    package_arn = sm.create_model_package(
        ModelPackageGroupName="churn",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": artifact}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    sm.create_model(
        ModelName="churn-v1", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": package_arn}
    )
    # And a batch whose first column is a record id
    ids = np.arange(1000, 1000 + len(data["y_test"]))
    s3.put_object(
        Bucket=BUCKET, Key="batch/ids/batch.csv", Body=csv_bytes(np.column_stack([ids, data["x_test"]]))
    )

    # When the transform drops the id from the features and joins it back to the output
    sm.create_transform_job(
        **transform_request(
            "score-ids",
            "churn-v1",
            f"s3://{BUCKET}/batch/ids/",
            f"s3://{BUCKET}/batch/ids-out/",
            DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
        )
    )
    assert runner.wait_idle(60)

    # Then every output line is "<id>,<probability>" for the right record
    described = sm.describe_transform_job(TransformJobName="score-ids")
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    rows = [line.split(",") for line in _read(s3, "batch/ids-out/batch.csv.out").splitlines()]
    assert [float(r[0]) for r in rows] == [float(i) for i in ids]
    assert roc_auc_score(data["y_test"], [float(r[1]) for r in rows]) > 0.9

    # And a batch with a quoted field is refused, not split at the comma inside the quotes
    s3.put_object(Bucket=BUCKET, Key="batch/quoted/batch.csv", Body=b'"a,1",1.0,2.0\n')
    sm.create_transform_job(
        **transform_request(
            "score-quoted",
            "churn-v1",
            f"s3://{BUCKET}/batch/quoted/",
            f"s3://{BUCKET}/batch/quoted-out/",
            DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
        )
    )
    assert runner.wait_idle(60)
    quoted = sm.describe_transform_job(TransformJobName="score-quoted")
    assert quoted["TransformJobStatus"] == "Failed"
    assert quoted["FailureReason"] == (
        "ClientError: local job runner filters and joins unquoted CSV only; "
        f"s3://{BUCKET}/batch/quoted/batch.csv has a quoted field"
    )


def test_a_fault_fails_the_named_job_with_its_reason(
    aws: None, sm: Any, s3: Any, data: dict[str, Any], emitted: list[dict[str, Any]]
) -> None:
    # Given a fault that fails one named job
    faults = NamedFaults({"train-doomed": "ClientError: injected failure"})
    with JobRunner(emit=emitted.append, faults=faults, region=REGION, poll_interval=0.05) as runner:
        # When that job and another run
        sm.create_training_job(**training_request("train-doomed"))
        sm.create_training_job(**training_request("train-fine"))
        assert runner.wait_idle(60)

    # Then the named one Failed with the reason, wrote no model, and the other completed
    doomed = sm.describe_training_job(TrainingJobName="train-doomed")
    assert doomed["TrainingJobStatus"] == "Failed"
    assert doomed["FailureReason"] == "ClientError: injected failure"
    assert "ModelArtifacts" not in doomed
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="models/train-doomed/")
    assert sm.describe_training_job(TrainingJobName="train-fine")["TrainingJobStatus"] == "Completed"
    assert faults.asked == ["train-doomed", "train-fine"]
    # And the events go InProgress -> Failed, the Failed one carrying the reason
    assert statuses(emitted, TRAINING, "TrainingJobName", "TrainingJobStatus", "train-doomed") == [
        "InProgress",
        "Failed",
    ]
    failed = next(e for e in emitted if e["detail"].get("TrainingJobStatus") == "Failed")
    assert failed["detail"]["FailureReason"] == "ClientError: injected failure"
    for event in emitted:
        assert_documented_shape(event)


def test_bad_inputs_fail_with_a_clear_reason(
    sm: Any, s3: Any, runner: JobRunner, data: dict[str, Any]
) -> None:
    # Given training data with a header row, and a job that names an image the runner cannot run
    s3.put_object(Bucket=BUCKET, Key="data/header/train.csv", Body=b"label,f1,f2\n1,0.5,0.1\n0,0.1,0.2\n")
    header = training_request("train-header", validation=False)
    header["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://{BUCKET}/data/header/"
    sm.create_training_job(**header)
    custom = training_request("train-custom")
    custom["AlgorithmSpecification"]["TrainingImage"] = (
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/my-trainer:1"
    )
    sm.create_training_job(**custom)
    empty = training_request("train-empty", validation=False)
    empty["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://{BUCKET}/nothing-here/"
    sm.create_training_job(**empty)
    sm.create_model(
        ModelName="no-such-artifact",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/missing.tar.gz"},
    )
    sm.create_transform_job(
        **transform_request(
            "score-missing", "no-such-artifact", f"s3://{BUCKET}/batch/in/", f"s3://{BUCKET}/out/"
        )
    )
    sm.create_transform_job(
        **transform_request(
            "score-nomodel", "never-created", f"s3://{BUCKET}/batch/in/", f"s3://{BUCKET}/out/"
        )
    )
    assert runner.wait_idle(60)

    # Then each Failed and says why
    reasons = {
        name: sm.describe_training_job(TrainingJobName=name)
        for name in ("train-header", "train-custom", "train-empty")
    }
    assert all(d["TrainingJobStatus"] == "Failed" for d in reasons.values())
    assert "header row" in reasons["train-header"]["FailureReason"]
    assert reasons["train-custom"]["FailureReason"] == (
        "ClientError: local job runner cannot run image "
        "'111122223333.dkr.ecr.us-east-1.amazonaws.com/my-trainer:1'"
    )
    assert "no objects found under s3://artifacts/nothing-here/" in reasons["train-empty"]["FailureReason"]
    missing = sm.describe_transform_job(TransformJobName="score-missing")
    assert missing["TransformJobStatus"] == "Failed"
    assert missing["FailureReason"] == f"ClientError: object not found: s3://{BUCKET}/missing.tar.gz"
    no_model = sm.describe_transform_job(TransformJobName="score-nomodel")
    assert no_model["TransformJobStatus"] == "Failed"
    assert no_model["FailureReason"].startswith("ClientError: cannot describe model 'never-created'")


def test_a_job_name_cannot_be_reused(sm: Any, runner: JobRunner, data: dict[str, Any]) -> None:
    sm.create_training_job(**training_request("train-once"))
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.create_training_job(**training_request("train-once"))
    assert runner.wait_idle(60)


def test_model_package_create_and_approval_emit_state_change_events(
    sm: Any, runner: JobRunner, emitted: list[dict[str, Any]]
) -> None:
    # Given a group
    sm.create_model_package_group(ModelPackageGroupName="churn")

    # When a version is registered awaiting approval and then approved
    arn = sm.create_model_package(
        ModelPackageGroupName="churn",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/m/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties={"reason": "drift"},
    )["ModelPackageArn"]
    sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="looks good"
    )
    # And a metadata-only update leaves the approval as it was (UpdateModelPackage changes what it names)
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"reviewer": "ana"})
    assert runner.wait_idle(10)

    # Then three events, in order, each in the documented shape
    packages = [e for e in emitted if e["detail-type"] == PACKAGE]
    assert [e["detail"]["ModelApprovalStatus"] for e in packages] == [
        "PendingManualApproval",
        "Approved",
        "Approved",
    ]
    assert [e["detail"].get("UpdatedModelPackageFields") for e in packages] == [
        None,
        ["ModelApprovalStatus", "ApprovalDescription"],
        ["CustomerMetadataProperties"],
    ]
    for event in packages:
        assert_documented_shape(event)
        assert event["resources"] == [arn]
        assert event["detail"]["ModelPackageGroupName"] == "churn"
        assert event["detail"]["ModelPackageVersion"] == 1
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["CustomerMetadataProperties"] == {"reason": "drift", "reviewer": "ana"}


def test_uninstall_gives_moto_back(aws: None, sm: Any, emitted: list[dict[str, Any]]) -> None:
    # Given a runner installed and then removed
    with JobRunner(emit=emitted.append, region=REGION):
        pass

    # When a job is created, moto's own behaviour is back (Completed at once, no events)
    sm.create_training_job(**training_request("after"))
    assert sm.describe_training_job(TrainingJobName="after")["TrainingJobStatus"] == "Completed"
    assert emitted == []


def test_other_regions_are_left_to_moto(aws: None, runner: JobRunner, emitted: list[dict[str, Any]]) -> None:
    west = boto3.client("sagemaker", region_name="us-west-2")
    west.create_training_job(**training_request("west"))
    assert west.describe_training_job(TrainingJobName="west")["TrainingJobStatus"] == "Completed"
    assert runner.wait_idle(5)
    assert emitted == []
