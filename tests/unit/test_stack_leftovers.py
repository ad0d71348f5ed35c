"""tools/stack_leftovers: what `sam delete` leaves, listed, and removed only when asked."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.support.helpers import ACCOUNT, REGION
from tools import stack_leftovers
from tools.stack_leftovers import Clients, LeftoversError

STACK = "mlops-loop-dev"
BUCKET = f"{STACK}-artifacts-{ACCOUNT}"
GROUP = "churn-model"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"


class _SageMakerWithDeletePackage:
    """moto's SageMaker lacks DeleteModelPackage (moto 5.x): this one call removes the version from
    moto's registry by ARN, as AWS's DeleteModelPackage does; everything else is moto's client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def delete_model_package(self, ModelPackageName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        from moto.sagemaker.models import sagemaker_backends

        del sagemaker_backends[ACCOUNT][REGION].model_packages[ModelPackageName]
        return {}


def _clients() -> Clients:
    return Clients(
        cloudformation=boto3.client("cloudformation", region_name=REGION),
        s3=boto3.client("s3", region_name=REGION),
        kms=boto3.client("kms", region_name=REGION),
        sagemaker=_SageMakerWithDeletePackage(boto3.client("sagemaker", region_name=REGION)),
        ssm=boto3.client("ssm", region_name=REGION),
        tagging=boto3.client("resourcegroupstaggingapi", region_name=REGION),
        account=ACCOUNT,
    )


def _package(sagemaker: Any, status: str, made_by: str | None) -> str:
    metadata = {"retrainingExecutionArn": made_by} if made_by else {}
    return str(
        sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": "img", "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            CustomerMetadataProperties=metadata,
        )["ModelPackageArn"]
    )


@pytest.fixture
def left(aws_mock: None) -> dict[str, Any]:
    """What a deleted dev stack left: its bucket (versioned, under its key), a key you brought for
    another purpose, runs' models, a retraining's versions, and another stack's things."""
    s3, kms, sagemaker = boto3.client("s3"), boto3.client("kms"), boto3.client("sagemaker")
    key = kms.create_key(Description=f"{STACK}: artifacts bucket, topic, queue, table and log groups")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["KeyMetadata"]["Arn"],
                    }
                }
            ]
        },
    )
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=BUCKET, Key="batch-inference/report.html", Body=body)
    s3.delete_object(Bucket=BUCKET, Key="batch-inference/report.html")  # a delete marker too
    other_key = kms.create_key(Description="team key")["KeyMetadata"]["Arn"]
    for name, stack in (("model-v1-a", STACK), ("model-v2-b", STACK), ("model-prod", "mlops-loop-prod")):
        sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": "img"},
            Tags=[{"Key": "mlops:stack", "Value": stack}],
        )
    sagemaker.create_model(ModelName="untagged", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    ours = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{STACK}-retraining:retrain-"
    theirs = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:mlops-loop-prod-retraining:retrain-x"
    packages = {
        "seeded": _package(sagemaker, "Approved", None),
        "approved": _package(sagemaker, "Approved", ours + "a"),
        "rejected": _package(sagemaker, "Rejected", ours + "b"),
        "pending": _package(sagemaker, "PendingManualApproval", ours + "c"),
        "prods": _package(sagemaker, "Rejected", theirs),
    }
    return {"key": key["KeyMetadata"]["Arn"], "other_key": other_key, "packages": packages}


def _kinds(leftovers: list[stack_leftovers.Leftover]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for item in leftovers:
        found.setdefault(item.kind, set()).add(item.identifier)
    return found


def test_lists_only_this_stacks_leftovers_and_marks_live_or_pending_versions(left: dict[str, Any]) -> None:
    leftovers = stack_leftovers.find(STACK, _clients(), group=GROUP)

    packages = left["packages"]
    assert _kinds(leftovers) == {
        "bucket": {BUCKET},
        "kms-key": {left["key"]},  # not the team's key, not the other stack's models
        "model": {"model-v1-a", "model-v2-b"},
        "model-package": {packages["approved"], packages["rejected"], packages["pending"]},
    }
    protected = {item.identifier for item in leftovers if item.protected}
    assert protected == {packages["approved"], packages["pending"]}


def test_delete_removes_what_may_go_and_keeps_approved_and_pending_versions(left: dict[str, Any]) -> None:
    clients = _clients()
    leftovers = stack_leftovers.find(STACK, clients, group=GROUP)

    done, failed = stack_leftovers.delete(STACK, leftovers, clients, including_protected=False)

    assert failed == []
    s3 = boto3.client("s3")
    assert BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    kms = boto3.client("kms")
    assert kms.describe_key(KeyId=left["key"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=left["other_key"])["KeyMetadata"]["KeyState"] == "Enabled"
    sagemaker = boto3.client("sagemaker")
    assert {m["ModelName"] for m in sagemaker.list_models()["Models"]} == {"model-prod", "untagged"}
    remaining = {
        p["ModelPackageArn"]
        for p in sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    }
    packages = left["packages"]
    assert remaining == {packages["seeded"], packages["approved"], packages["pending"], packages["prods"]}
    assert any(line.startswith("scheduled for deletion in 30 days") for line in done)

    # The second flag removes this stack's approved and pending versions too, nothing else
    again = stack_leftovers.find(STACK, clients, group=GROUP)
    stack_leftovers.delete(STACK, again, clients, including_protected=True)
    remaining = {
        p["ModelPackageArn"]
        for p in sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    }
    assert remaining == {packages["seeded"], packages["prods"]}


def test_delete_refuses_while_the_stack_exists(left: dict[str, Any]) -> None:
    boto3.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
    )
    clients = _clients()
    leftovers = stack_leftovers.find(STACK, clients, group=GROUP)

    with pytest.raises(LeftoversError, match="still exists: run `sam delete` first"):
        stack_leftovers.delete(STACK, leftovers, clients, including_protected=False)
    assert BUCKET in {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def test_the_history_of_the_live_model_is_saved_before_sam_delete(aws_mock: None, tmp_path: Any) -> None:
    ssm = boto3.client("ssm")
    name = f"/{STACK}/live-model-package"
    ssm.put_parameter(Name=name, Value="none", Type="String")
    ssm.put_parameter(Name=name, Value='{"version": 1}', Type="String", Overwrite=True)

    count = stack_leftovers.save_history(STACK, ssm, str(tmp_path / "history.json"))

    saved = json.loads((tmp_path / "history.json").read_text())
    assert count == 2
    assert [item["value"] for item in saved["history"]] == ["none", '{"version": 1}']


def test_nothing_left_and_nothing_asked_is_a_clean_exit(
    aws_mock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stack_leftovers.main(["--stack-name", STACK]) == 0
    assert "nothing of mlops-loop-dev found" in capsys.readouterr().out
