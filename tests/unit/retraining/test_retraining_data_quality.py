"""RetrainOnDataQualityFailure (issue 13, item 9): StartRetraining with the batch machine's FAILED
status-change events. Off (the default) nothing starts and no record is taken; on, only a run whose
own record says DataQualityFailure starts a retraining, with its lineage."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from mlops_loop import registry
from mlops_loop.retraining import data_quality

from functions.start_retraining import app
from tests.support.helpers import ACCOUNT, GROUP, REGION, FakeLambdaContext, load_event
from tests.support.retraining import BATCH_STATE_MACHINE, TABLE, Retraining

RUN = "scheduled-20261125T020000Z"
RUN_ARN = BATCH_STATE_MACHINE.replace(":stateMachine:", ":execution:") + f":{RUN}"


def failed_event() -> dict[str, Any]:
    event = load_event("sfn_execution_data_quality_failure")
    event["detail"]["stateMachineArn"] = BATCH_STATE_MACHINE
    event["detail"]["executionArn"] = RUN_ARN
    event["detail"]["name"] = RUN
    event["resources"] = [RUN_ARN]
    return event


class RecordedRuns:
    """DescribeExecution of the batch runs: what Step Functions recorded for each."""

    def __init__(self, error: str, cause: dict[str, Any]) -> None:
        self.answer = {
            "executionArn": RUN_ARN,
            "status": "FAILED",
            "error": error,
            "cause": json.dumps(cause),
        }

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if executionArn != RUN_ARN:  # the retraining run the starter looks at: moto's
            return boto3.client("stepfunctions", region_name=REGION).describe_execution(
                executionArn=executionArn
            )
        return self.answer

    def __getattr__(self, name: str) -> Any:
        # Every other call (the starter's StartExecution) goes to moto's Step Functions.
        return getattr(boto3.client("stepfunctions", region_name=REGION), name)


def cause(version: int = 3) -> dict[str, Any]:
    return {"step": "MonitorBatch", "error": "DataQualityFailure", "modelPackageGroupName": GROUP,
            "modelPackageVersion": version}  # fmt: skip


@pytest.fixture
def opted_in(retraining: Retraining, monkeypatch: pytest.MonkeyPatch) -> Retraining:
    monkeypatch.setenv("RETRAIN_ON_DATA_QUALITY_FAILURE", "true")
    return retraining


def records(table: str = TABLE) -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]


def test_off_by_default_a_data_quality_failure_starts_nothing_and_takes_no_record(
    retraining: Retraining,
) -> None:
    result = app.lambda_handler(failed_event(), FakeLambdaContext())

    assert (result["started"], result["outcome"]) == (False, "ignored")
    assert "RetrainOnDataQualityFailure is off" in result["detail"]
    assert retraining.executions() == []
    assert records() == []


def test_opted_in_a_data_quality_failure_starts_one_retraining_from_the_failing_version(
    opted_in: Retraining, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        data_quality.aws, "stepfunctions", lambda region=None: RecordedRuns("DataQualityFailure", cause())
    )

    result = app.lambda_handler(failed_event(), FakeLambdaContext())

    assert (result["started"], result["outcome"]) == (True, "started"), result
    [execution] = opted_in.executions()
    given = json.loads(
        boto3.client("stepfunctions", region_name=REGION).describe_execution(
            executionArn=execution["executionArn"]
        )["input"]
    )
    assert given["reason"] == "data_quality_failure"
    assert given["episodeId"] == RUN
    assert given["sourceExecutionArn"] == RUN_ARN
    assert given["baseModelPackageArn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/3"


@pytest.mark.parametrize(
    ("error", "named"),
    [
        ("RunBatchTransformFailed", cause()),
        ("DataQualityFailure", {**cause(), "modelPackageGroupName": "other"}),
    ],
)
def test_opted_in_other_failures_and_other_groups_start_nothing(
    opted_in: Retraining, monkeypatch: pytest.MonkeyPatch, error: str, named: dict[str, Any]
) -> None:
    monkeypatch.setattr(data_quality.aws, "stepfunctions", lambda region=None: RecordedRuns(error, named))

    result = app.lambda_handler(failed_event(), FakeLambdaContext())

    assert (result["started"], result["outcome"]) == (False, "ignored"), result
    assert opted_in.executions() == []


def test_opted_in_another_state_machines_failure_is_ignored_before_any_call(opted_in: Retraining) -> None:
    event = failed_event()
    event["detail"]["stateMachineArn"] = BATCH_STATE_MACHINE + "-other"

    result = app.lambda_handler(event, FakeLambdaContext())

    assert (result["started"], result["outcome"]) == (False, "ignored")
    assert records() == []


def test_the_base_version_is_in_the_groups_account_and_region_for_a_cross_account_group() -> None:
    group = registry.GroupRef.parse(f"arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/{GROUP}")

    arn = data_quality.package_arn(group, 7, RUN_ARN)

    assert arn == f"arn:aws:sagemaker:eu-west-1:111122223333:model-package/{GROUP}/7"
