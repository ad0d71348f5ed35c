"""StartBatchInference: one execution per schedule tick, named from the scheduled time."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from mlops_loop.errors import InvalidEvent

from functions.start_batch_inference import app
from tests.support.helpers import ACCOUNT, REGION, emf_metrics, load_event

PASS_DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture
def state_machine(function_env, monkeypatch) -> str:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="mlops-loop-dev-batch-inference",
        definition=PASS_DEFINITION,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )["stateMachineArn"]
    monkeypatch.setenv("BATCH_INFERENCE_STATE_MACHINE_ARN", arn)
    from mlops_loop import settings

    settings.reset()
    return arn


def executions(arn: str) -> list[dict]:
    return boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=arn)[
        "executions"
    ]


def test_tick_starts_one_execution_named_from_the_scheduled_time(
    state_machine, function_env, lambda_context, capsys
):
    # When the schedule fires
    out = app.lambda_handler(load_event("schedule_batch_inference"), lambda_context)

    # Then one execution runs, named scheduled-<UTC time>, with the documented input
    assert out["started"] is True
    assert out["executionName"] == "scheduled-20261124T020000Z"
    [execution] = executions(state_machine)
    assert execution["name"] == "scheduled-20261124T020000Z"
    described = boto3.client("stepfunctions", region_name=REGION).describe_execution(
        executionArn=execution["executionArn"]
    )
    assert json.loads(described["input"]) == {
        "runId": "scheduled-20261124T020000Z",
        "batchInputS3Uri": function_env["BATCH_INPUT_S3_URI"],
        "trigger": "schedule",
    }
    assert [m["name"] for m in emf_metrics(capsys.readouterr().out)] == ["BatchRunsStarted"]


def test_scheduled_time_in_another_zone_is_named_in_utc(state_machine, lambda_context):
    event = load_event("schedule_batch_inference") | {"scheduledTime": "2026-11-24T03:00:00+01:00"}
    assert app.lambda_handler(event, lambda_context)["executionName"] == "scheduled-20261124T020000Z"


def test_duplicate_tick_after_the_run_ended_starts_nothing(state_machine, lambda_context, caplog):
    # Given the tick's run already happened (and ended)
    app.lambda_handler(load_event("schedule_batch_inference"), lambda_context)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.stop_execution(executionArn=executions(state_machine)[0]["executionArn"])

    # When the same tick is delivered again
    out = app.lambda_handler(load_event("schedule_batch_inference"), lambda_context)

    # Then nothing else starts, and the duplicate is logged
    assert out == {"started": False, "reason": "duplicate", "executionName": "scheduled-20261124T020000Z",
                   "executionArn": None}  # fmt: skip
    assert len(executions(state_machine)) == 1
    assert any(r.getMessage().startswith("Duplicate start ignored") for r in caplog.records)


def test_duplicate_tick_while_the_run_is_in_progress_starts_nothing(state_machine, lambda_context):
    # Given the tick's run started a while ago and is still RUNNING (StartExecution is idempotent then)
    first = app.lambda_handler(load_event("schedule_batch_inference"), lambda_context)
    from moto.stepfunctions.models import stepfunctions_backends

    machine = stepfunctions_backends[ACCOUNT][REGION].describe_state_machine(state_machine)
    [running] = [e for e in machine.executions if e.execution_arn == first["executionArn"]]
    running.start_date = running.start_date - timedelta(minutes=5)

    # When the same tick is delivered again
    out = app.lambda_handler(load_event("schedule_batch_inference"), lambda_context)

    # Then AWS hands back the running execution and we report a duplicate
    assert out["started"] is False
    assert out["reason"] == "duplicate"
    assert out["executionArn"] == first["executionArn"]
    assert len(executions(state_machine)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scheduledTime": None}, "scheduledTime"),
        ({"scheduledTime": "2026-11-24T02:00:00"}, "scheduledTime"),
        ({"scheduledTime": "yesterday"}, "scheduledTime"),
        ({"scheduleArn": "arn:aws:events:us-east-1:123456789012:rule/x"}, "scheduleArn"),
        ({"executionId": ""}, "executionId"),
    ],
)
def test_malformed_tick_is_a_clear_error_and_starts_nothing(state_machine, lambda_context, change, field):
    event = load_event("schedule_batch_inference") | change
    event = {k: v for k, v in event.items() if v is not None}
    with pytest.raises(InvalidEvent, match=field):
        app.lambda_handler(event, lambda_context)
    assert executions(state_machine) == []


# -- AWS's default `Scheduled Event` envelope (a schedule without Input, or a classic rule) ----------
def classic_rule_tick() -> dict:
    """What a classic EventBridge rule with a schedule expression sends: source aws.events, detail {}."""
    event = load_event("schedule_default_envelope")
    event["source"] = "aws.events"
    event["resources"] = [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/mlops-loop-dev-batch-inference"]
    event["detail"] = {}
    return event


@pytest.mark.parametrize(
    "event", [load_event("schedule_default_envelope"), classic_rule_tick()], ids=["scheduler", "classic-rule"]
)
def test_default_scheduled_event_envelope_starts_the_run_of_its_time(
    state_machine, lambda_context, event, capsys
):
    # Given a schedule without the template's Input: AWS sends its `Scheduled Event` envelope
    # When it fires
    out = app.lambda_handler(event, lambda_context)

    # Then the run is named from the envelope's `time`, as the template's Input would name it
    assert out["started"] is True
    assert out["executionName"] == "scheduled-20261124T020000Z"
    assert [e["name"] for e in executions(state_machine)] == ["scheduled-20261124T020000Z"]
    assert [m["name"] for m in emf_metrics(capsys.readouterr().out)] == ["BatchRunsStarted"]


def test_the_envelope_and_the_templates_input_of_one_tick_start_one_run(state_machine, lambda_context):
    # Given the tick was delivered with the template's Input, and its run ended
    app.lambda_handler(load_event("schedule_batch_inference"), lambda_context)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.stop_execution(executionArn=executions(state_machine)[0]["executionArn"])

    # When the same tick arrives as AWS's default envelope
    out = app.lambda_handler(load_event("schedule_default_envelope"), lambda_context)

    # Then it names the same run, which exists: nothing else starts
    assert (out["started"], out["reason"]) == (False, "duplicate")
    assert out["executionName"] == "scheduled-20261124T020000Z"
    assert len(executions(state_machine)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"detail-type": "Data Drift Detected"}, "detail-type"),
        ({"source": "mlops.monitoring"}, "source"),
        ({"time": "2026-11-24T02:00:00"}, "time"),
        ({"resources": []}, "resources"),
        ({"resources": ["arn:aws:sns:us-east-1:123456789012:topic"]}, "resources"),
    ],
)
def test_malformed_envelope_is_a_clear_error_and_starts_nothing(state_machine, lambda_context, change, field):
    event = load_event("schedule_default_envelope") | change
    with pytest.raises(InvalidEvent, match=f"ScheduledEvent: {field}"):
        app.lambda_handler(event, lambda_context)
    assert executions(state_machine) == []
