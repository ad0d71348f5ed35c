"""NotifyFailure: one actionable SNS message per failed/timed-out/aborted workflow or pipeline."""

from __future__ import annotations

import pytest
from mlops_loop.errors import InvalidEvent

from functions.notify_failure import app
from tests.support.caches import reset_caches
from tests.support.helpers import GROUP, load_event
from tests.support.retraining import TABLE, create_state_table

CONSOLE = "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/"


@pytest.fixture(autouse=True)
def state_table(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The stack's state table, where each handled event leaves its idempotency record."""
    create_state_table()
    monkeypatch.setenv("STATE_TABLE_NAME", TABLE)
    reset_caches()
    return TABLE


def test_a_redelivered_failure_event_sends_one_mail_and_returns_the_first_result(topic, lambda_context):
    # Given a failed execution's event handled once
    event = load_event("sfn_execution_failed")
    first = app.lambda_handler(event, lambda_context)
    # When EventBridge (or Lambda's async retry) delivers the same event again
    second = app.lambda_handler(load_event("sfn_execution_failed"), lambda_context)
    # Then one mail, and the redelivery gets the first result; another event is told on its own
    assert len(topic.messages()) == 1
    assert second == first
    app.lambda_handler(load_event("sfn_execution_timed_out"), lambda_context)
    assert len(topic.messages()) == 1


def test_every_sample_event_has_its_own_id() -> None:
    names = [
        "sfn_execution_failed",
        "sfn_execution_timed_out",
        "sfn_execution_aborted",
        "sfn_execution_succeeded",
        "sfn_execution_data_quality_failure",
        "pipeline_execution_failed",
    ]
    ids = [load_event(name)["id"] for name in names]
    assert len(set(ids)) == len(ids)


def test_failed_execution_names_the_error_the_execution_and_what_to_do(function_env, topic, lambda_context):
    event = load_event("sfn_execution_failed")

    out = app.lambda_handler(event, lambda_context)

    assert out["action"] == "notified"
    [message] = topic.messages()
    body = message["Message"]
    assert (
        message["Subject"]
        == "[dev] Workflow failed: mlops-loop-dev-batch-inference scheduled-20261124T020000Z"
    )
    assert len(message["Subject"]) < 100
    assert "Error: NoApprovedModel" in body
    assert "Run: scheduled-20261124T020000Z" in body
    assert f"Model group: {GROUP}" in body
    assert CONSOLE + event["detail"]["executionArn"] in body
    assert "Next: Approve a model package version in the registry" in body


def test_data_quality_failure_points_at_the_report_and_never_retrains(function_env, topic, lambda_context):
    app.lambda_handler(load_event("sfn_execution_data_quality_failure"), lambda_context)

    [message] = topic.messages()
    body = message["Message"]
    assert message["Subject"] == "[dev] Data-quality failure in batch scheduled-20261125T020000Z"
    assert "No retraining was started" in body
    report = (
        "s3://mlops-loop-dev-artifacts-123456789012/batch-inference/breast-cancer-classifier/v3/"
        "scheduled-20261125T020000Z/monitoring/report.html"
    )
    assert report in body
    assert "https://us-east-1.console.aws.amazon.com/s3/object/mlops-loop-dev-artifacts-123456789012?" in body
    assert "mean_radius (data_type_check)" in body


@pytest.mark.parametrize(
    ("name", "subject", "hint"),
    [
        (
            "sfn_execution_timed_out",
            "[dev] Workflow timed out: mlops-loop-dev-batch-inference",
            "ran too long",
        ),
        (
            "sfn_execution_aborted",
            "[dev] Workflow was aborted: mlops-loop-dev-batch-inference",
            "StopExecution",
        ),
    ],
)
def test_timed_out_and_aborted_executions_are_told(function_env, topic, lambda_context, name, subject, hint):  # noqa: PLR0917
    app.lambda_handler(load_event(name), lambda_context)
    [message] = topic.messages()
    assert message["Subject"].startswith(subject)
    assert hint in message["Message"]


def test_succeeded_execution_is_ignored(function_env, topic, lambda_context):
    assert app.lambda_handler(load_event("sfn_execution_succeeded"), lambda_context)["action"] == "ignored"
    assert topic.messages() == []


def test_failed_pipeline_execution_is_told(function_env, topic, lambda_context):
    event = load_event("pipeline_execution_failed")

    out = app.lambda_handler(event, lambda_context)

    assert out["action"] == "notified"
    [message] = topic.messages()
    assert message["Subject"] == "[dev] Retraining pipeline failed: mlops-loop-retraining"
    assert event["detail"]["pipelineExecutionArn"] in message["Message"]
    assert "list-pipeline-execution-steps" in message["Message"]


@pytest.mark.parametrize("status", ["Executing", "Succeeded", "Stopping"])
def test_other_pipeline_statuses_are_ignored(function_env, topic, lambda_context, status):
    event = load_event("pipeline_execution_failed")
    event["detail"]["currentPipelineExecutionStatus"] = status
    assert app.lambda_handler(event, lambda_context)["action"] == "ignored"
    assert topic.messages() == []


@pytest.mark.parametrize(
    ("name", "mutate", "field"),
    [
        ("sfn_execution_failed", lambda e: e["detail"].update(status="EXPLODED"), "detail.status"),
        ("sfn_execution_failed", lambda e: e["detail"].pop("executionArn"), "detail.executionArn"),
        ("sfn_execution_failed", lambda e: e.update({"detail-type": "Something Else"}), "detail-type"),
        ("pipeline_execution_failed", lambda e: e["detail"].pop("pipelineArn"), "pipelineArn"),
        ("pipeline_execution_failed", lambda e: e.pop("region"), "region"),
    ],
)
def test_malformed_event_is_a_clear_error_that_sends_nothing(  # noqa: PLR0917
    function_env, topic, lambda_context, name, mutate, field
):
    event = load_event(name)
    mutate(event)
    with pytest.raises(InvalidEvent, match=field):
        app.lambda_handler(event, lambda_context)
    assert topic.messages() == []
