"""tools/smoke_run.py on moto: a CloudFormation stack with the workload stack's outputs, a batch in
S3, and a state machine executed by moto's interpreter standing in for the batch-inference machine
(a Pass state answering the real machine's output shape, or a Fail state with its error and
FailureCause), so each exit code is reached through the calls the command makes in AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import msgspec
import pytest
from mlops_loop.models.batch import BatchInferenceInput
from moto import mock_aws

from tools import smoke_run
from tools.smoke_run import FAILED, NOTHING_TO_SCORE, OK, UNREADABLE, SmokeError

REGION = "us-east-1"
STACK = "mlops-loop-dev"
BUCKET = "mlops-loop-dev-artifacts-123456789012"
BATCH = f"s3://{BUCKET}/batch-input/"
RUN = f"s3://{BUCKET}/batch-inference/breast-cancer-classifier/v1/smoke-20261203T170000Z/"
NOW = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/sfn"


def _output(**changes: Any) -> dict[str, Any]:
    """The batch-inference machine's output, in its shape (ResolveModel's model and run, the
    transform, MonitorBatch's monitoring), as a Pass state's Result."""
    output: dict[str, Any] = {
        "runId": "smoke-20261203T170000Z",
        "trigger": "manual",
        "model": {"modelPackageVersion": 1, "modelPackageGroupName": "breast-cancer-classifier"},
        "run": {
            "runS3Uri": RUN,
            "predictionsS3Uri": RUN + "predictions/",
            "monitoringS3Uri": RUN + "monitoring/",
        },
        "monitoring": {
            "verdict": "clean",
            "statisticsS3Uri": RUN + "monitoring/statistics.json",
            "reportS3Uri": RUN + "monitoring/report.html",
        },
    }
    for path, value in changes.items():
        part, _, key = path.partition("__")
        output[part][key] = value
    return output


def _passing(output: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": output, "End": True}}}


def _failing(error: str, step: str = "ResolveModel") -> dict[str, Any]:
    cause = json.dumps({"step": step, "error": error, "detail": f"{error} at {step}"})
    return {"StartAt": "Failed", "States": {"Failed": {"Type": "Fail", "Error": error, "Cause": cause}}}


class Account:
    """The stack's outputs, its bucket and a stand-in batch machine, on moto."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.cfn = boto3.client("cloudformation", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET)

    def deploy(self, definition: dict[str, Any]) -> str:
        machine = self.sfn.create_state_machine(
            name=f"{STACK}-batch-inference", definition=json.dumps(definition), roleArn=ROLE
        )["stateMachineArn"]
        template = {
            "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {
                "BatchInferenceStateMachineArn": {"Value": machine},
                "BatchInputS3Uri": {"Value": BATCH},
                "ArtifactsBucketName": {"Value": BUCKET},
            },
        }
        self.cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        return str(machine)

    def put(self, uri: str, body: str = "1.0,2.0\n") -> None:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        self.s3.put_object(Bucket=bucket, Key=key, Body=body.encode())

    def run_outputs(self) -> None:
        self.put(RUN + "predictions/batch-clean.csv.out", "0.12\n0.93\n")
        self.put(RUN + "monitoring/statistics.json", "{}")
        self.put(RUN + "monitoring/report.html", "<html></html>")

    def smoke(self) -> smoke_run.SmokeResult:
        return smoke_run.smoke_run(
            STACK, cfn=self.cfn, sfn=self.sfn, s3=self.s3, timeout=30, poll_seconds=0.05, now=NOW, say=print
        )

    def executions(self, machine: str) -> list[dict[str, Any]]:
        return list(self.sfn.list_executions(stateMachineArn=machine)["executions"])


@pytest.fixture
def account() -> Iterator[Account]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield Account()


def test_a_run_that_scores_the_batch_and_writes_its_outputs_passes(account: Account) -> None:
    # Given the current batch and a machine whose run writes predictions, statistics and report
    machine = account.deploy(_passing(_output()))
    account.put(BATCH + "batch-clean.csv")
    account.put(BATCH + "_SUCCESS", "")
    account.run_outputs()

    # When the smoke run runs
    result = account.smoke()

    # Then one manual run was started on the stack's batch, with the machine's input contract
    (execution,) = account.executions(machine)
    assert execution["name"] == "smoke-20261203T170000Z"
    given = msgspec.json.decode(
        account.sfn.describe_execution(executionArn=execution["executionArn"])["input"],
        type=BatchInferenceInput,
    )
    assert (given.run_id, given.batch_input_s3_uri, given.trigger) == (execution["name"], BATCH, "manual")
    # and the outcome names the verdict, the version and what it found under the run's prefix
    assert (result.verdict, result.model_version) == ("clean", 1)
    assert result.predictions == [RUN + "predictions/batch-clean.csv.out"]
    assert result.report_s3_uri == RUN + "monitoring/report.html"


def test_a_drifting_batch_is_a_passing_smoke_run(account: Account) -> None:
    account.deploy(_passing(_output(monitoring__verdict="drift")))
    account.put(BATCH + "batch-drift.csv")
    account.run_outputs()
    assert account.smoke().verdict == "drift"


@pytest.mark.parametrize(
    "objects",
    [[], ["_SUCCESS", "folder/", ".hidden.csv"], ["empty.csv"]],
    ids=["no object", "markers and hidden names only", "empty object only"],
)
def test_nothing_to_score_exits_3_and_starts_nothing(account: Account, objects: list[str]) -> None:
    # Given a batch prefix with no data object (by dataquality's rule of the batch)
    machine = account.deploy(_passing(_output()))
    for name in objects:
        account.put(BATCH + name, "" if name.startswith(("_", "empty")) or name.endswith("/") else "1,2\n")

    # When the smoke run runs, it says there is nothing to score, and no run was started
    with pytest.raises(SmokeError) as outcome:
        account.smoke()
    assert outcome.value.code == NOTHING_TO_SCORE
    assert f"no data object under {BATCH}" in outcome.value.message
    assert account.executions(machine) == []


def test_an_object_no_step_can_read_fails_before_anything_starts(account: Account) -> None:
    machine = account.deploy(_passing(_output()))
    account.put(BATCH + "batch-clean.csv")
    account.put(BATCH + "notes.txt", "not data")
    with pytest.raises(SmokeError) as outcome:
        account.smoke()
    assert outcome.value.code == FAILED
    assert "notes.txt" in outcome.value.message and "unknown format" in outcome.value.message
    assert account.executions(machine) == []


def test_no_approved_version_is_nothing_to_score(account: Account) -> None:
    account.deploy(_failing("NoApprovedModel"))
    account.put(BATCH + "batch-clean.csv")
    with pytest.raises(SmokeError) as outcome:
        account.smoke()
    assert outcome.value.code == NOTHING_TO_SCORE
    assert "FAILED: NoApprovedModel: step ResolveModel" in outcome.value.message


def test_a_failed_run_exits_1_naming_its_step_and_error(account: Account) -> None:
    account.deploy(_failing("SageMaker.ResourceLimitExceeded", step="RunBatchTransform"))
    account.put(BATCH + "batch-clean.csv")
    with pytest.raises(SmokeError) as outcome:
        account.smoke()
    assert outcome.value.code == FAILED
    assert "FAILED: SageMaker.ResourceLimitExceeded: step RunBatchTransform" in outcome.value.message


@pytest.mark.parametrize(
    ("output", "missing"),
    [
        (_output(), "no report at"),  # the report was never written (only predictions, statistics)
        (
            _output(monitoring__reportS3Uri=f"s3://{BUCKET}/elsewhere/report.html"),
            "not under the run's prefix",
        ),
        (_output(monitoring__verdict="data_quality_failure"), "verdict data_quality_failure"),
        (_output(run__runS3Uri=""), "names no run prefix"),
    ],
    ids=["report missing", "report elsewhere", "no verdict of a scored batch", "no run prefix"],
)
def test_a_succeeded_run_without_its_outputs_fails(
    account: Account, output: dict[str, Any], missing: str
) -> None:
    account.deploy(_passing(output))
    account.put(BATCH + "batch-clean.csv")
    account.put(RUN + "predictions/batch-clean.csv.out", "0.1\n")
    account.put(RUN + "monitoring/statistics.json", "{}")
    account.put(f"s3://{BUCKET}/elsewhere/report.html", "<html></html>")
    with pytest.raises(SmokeError) as outcome:
        account.smoke()
    assert outcome.value.code == FAILED
    assert "SUCCEEDED, but:" in outcome.value.message and missing in outcome.value.message


def test_a_key_that_only_prefixes_others_is_not_the_file(account: Account) -> None:
    # statistics.json.bak is not statistics.json: a listing by prefix must not pass for it
    account.deploy(_passing(_output()))
    account.put(BATCH + "batch-clean.csv")
    account.run_outputs()
    account.s3.delete_object(Bucket=BUCKET, Key=(RUN + "monitoring/statistics.json").split("/", 3)[3])
    account.put(RUN + "monitoring/statistics.json.bak", "{}")
    with pytest.raises(SmokeError, match="no statistics at"):
        account.smoke()


def test_a_run_still_going_after_the_timeout_fails(account: Account) -> None:
    machine = account.deploy(
        {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    )
    account.put(BATCH + "batch-clean.csv")
    arn = smoke_run.start_run(account.sfn, machine, BATCH, NOW)
    ticks = iter([0.0, 0.0, 5.0])  # the deadline passes at the second look, with no real waiting
    with pytest.raises(SmokeError) as outcome:
        smoke_run.wait_for(account.sfn, arn, 1.0, 0.5, clock=lambda: next(ticks), sleep=lambda _: None)
    assert outcome.value.code == FAILED
    assert "still RUNNING after 1s" in outcome.value.message


def test_an_unknown_stack_is_unreadable(account: Account) -> None:
    with pytest.raises(SmokeError) as outcome:
        account.smoke()
    assert outcome.value.code == UNREADABLE


def test_the_command_exit_codes(account: Account, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--stack-name", STACK, "--region", REGION, "--poll-seconds", "0.05", "--timeout", "30"]
    assert smoke_run.main(args) == UNREADABLE  # no stack yet
    account.deploy(_passing(_output()))
    assert smoke_run.main(args) == NOTHING_TO_SCORE  # no batch yet
    account.put(BATCH + "batch-clean.csv")
    account.run_outputs()
    assert smoke_run.main(args) == OK
    assert f"smoke: {STACK} OK: v1 scored the batch, verdict clean" in capsys.readouterr().out
