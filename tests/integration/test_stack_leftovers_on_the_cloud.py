"""What a run leaves for `sam delete` to miss, found on the local cloud as tools/stack_leftovers
finds it in AWS: the run's SageMaker model and jobs carry the stack's cost tags and `mlops:stack`,
the retained bucket and the stack's key are named, and nothing is removed while the stack lives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.state_machines import Stack, deployed
from tools import stack_leftovers

pytestmark = pytest.mark.integration

COST_TAGS = {"Project", "Owner", "CostCenter", "Environment", "mlops:stack"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(tmp_path_factory.mktemp("leftovers"), CostCenterTag="cc-4711") as seeded:
        yield seeded


def _clients(stack: Stack) -> stack_leftovers.Clients:
    cloud = stack.cloud
    return stack_leftovers.Clients(
        cloudformation=cloud.client("cloudformation"),
        s3=cloud.client("s3"),
        kms=cloud.client("kms"),
        sagemaker=cloud.client("sagemaker"),
        ssm=cloud.client("ssm"),
        tagging=cloud.client("resourcegroupstaggingapi"),
        account=cloud.account,
    )


def test_a_runs_model_and_jobs_are_tagged_and_listed_with_the_retained_bucket_and_key(stack: Stack) -> None:
    run = stack.run_batch("leftovers-1", stack.put_batch("leftovers-1", stack.data.batch_clean))
    assert run.status == "SUCCEEDED", run.cause
    name = stack.cloud.stack.name
    clients = _clients(stack)

    leftovers = stack_leftovers.find(name, clients)

    kinds = {item.kind for item in leftovers}
    assert {"bucket", "kms-key", "model", "transform-job"} <= kinds, leftovers
    sagemaker = stack.cloud.client("sagemaker")
    for item in leftovers:
        if item.kind in ("model", "transform-job"):
            described = (
                sagemaker.describe_model(ModelName=item.identifier)
                if item.kind == "model"
                else sagemaker.describe_transform_job(TransformJobName=item.identifier)
            )
            arn = described.get("ModelArn") or described["TransformJobArn"]
            tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
            assert set(tags) >= COST_TAGS, (item, tags)
            assert (tags["mlops:stack"], tags["CostCenter"]) == (name, "cc-4711")
            assert tags["Project"] == "sagemaker-mlops-loop"  # the template's default
    # The seeded v1 was not registered by this stack's retraining: not a leftover of it
    assert not any(item.kind == "model-package" for item in leftovers)
    # and while the stack lives, nothing is removed
    with pytest.raises(stack_leftovers.LeftoversError, match="still exists"):
        stack_leftovers.delete(name, leftovers, clients, including_protected=False)
    assert stack.keys("batch-inference/")
