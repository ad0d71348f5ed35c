"""check_freshness: a live model older than MAX_MODEL_AGE_DAYS is retrained (reason `stale`), once a day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.check_freshness import app
from tests.support.caches import reset_caches
from tests.support.helpers import GROUP, LIVE_PARAMETER, REGION, FakeLambdaContext, load_event
from tests.support.registry_seed import create_group, register
from tests.support.retraining import Retraining, pipeline_executions


def tick(at: datetime) -> dict[str, Any]:
    event = load_event("schedule_freshness")
    event["scheduledTime"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return app.lambda_handler(event, FakeLambdaContext())


@pytest.fixture
def policy(retraining: Retraining, monkeypatch: pytest.MonkeyPatch) -> Retraining:
    monkeypatch.setenv("MAX_MODEL_AGE_DAYS", "30")
    reset_caches()
    create_group()
    return retraining


def in_days(days: int) -> datetime:
    """06:00 UTC, `days` days from now (a fixed hour keeps a test's ticks on one calendar day)."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=6, minute=0, second=0, microsecond=0)


def test_a_stale_live_model_starts_retraining_with_reason_stale(policy: Retraining) -> None:
    # Given: v1 approved now, checked 31 days later
    v1 = register(status="Approved")

    # When
    result = invoke(tick(in_days(31)))

    # Then
    assert result["action"] == "retraining"
    assert result["liveModelPackageArn"] == v1
    assert result["start"]["started"] is True
    [execution] = policy.executions()
    day = in_days(31).strftime("%Y%m%d")
    assert execution["name"] == f"retrain-stale-v1-{day}"
    sfn = boto3.client("stepfunctions", region_name=REGION)
    given = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert given["reason"] == "stale"
    assert given["baseModelPackageArn"] == v1
    assert given["episodeId"] == f"stale-v1-{day}"


@pytest.mark.parametrize(
    ("source", "resource", "detail"),
    [
        ("aws.scheduler", "arn:aws:scheduler:us-east-1:123456789012:schedule/default/freshness", "{}"),
        ("aws.events", "arn:aws:events:us-east-1:123456789012:rule/freshness", {}),
    ],
    ids=["scheduler", "classic-rule"],
)
def test_the_default_scheduled_event_envelope_measures_the_age_at_its_time(
    policy: Retraining, source: str, resource: str, detail: Any
) -> None:
    # Given: v1 approved now; a schedule without the template's Input sends AWS's default envelope
    register(status="Approved")
    event = load_event("schedule_default_envelope")
    event.update(source=source, resources=[resource], detail=detail)
    event["time"] = in_days(31).strftime("%Y-%m-%dT%H:%M:%SZ")

    # When
    result = invoke(event)

    # Then: the age is measured at the envelope's time, and the day of the episode is that day
    assert result["action"] == "retraining"
    assert 30 < result["ageDays"] < 32  # in_days(31) is 06:00 UTC of that day
    [execution] = policy.executions()
    assert execution["name"] == f"retrain-stale-v1-{in_days(31):%Y%m%d}"


def test_with_a_pipeline_target_the_stale_run_gets_the_stacks_quality_gate(
    policy: Retraining, pipeline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: a SageMaker Pipeline target and a stack gate of 0.85 (the pipeline's own default is 0.9)
    monkeypatch.setenv("QUALITY_GATE_MIN_AUC", "0.85")
    reset_caches()
    v1 = register(status="Approved")

    # When
    result = invoke(tick(in_days(31)))

    # Then: StartPipelineExecution was given the stack's gate, not left to the pipeline's default
    assert (result["start"]["started"], result["start"]["target"]) == (True, "pipeline")
    [execution] = pipeline_executions()
    given = {p["Name"]: p["Value"] for p in execution.pipeline_parameters}
    assert given["QualityGateMinAuc"] == "0.85"
    assert (given["Reason"], given["BaseModelPackageArn"]) == ("stale", v1)
    # and the run's parallelism is the stack's RetrainingPipelineMaxParallelSteps (default 2)
    assert execution.parallelism_configuration == {"MaxParallelExecutionSteps": 2}
    assert policy.executions() == []


def test_a_repeated_tick_on_the_same_day_starts_nothing_more(policy: Retraining) -> None:
    register(status="Approved")
    first = invoke(tick(in_days(31)))
    policy.release_lock(GROUP)  # even after the first run ended
    second = invoke(tick(in_days(31) + timedelta(minutes=5)))

    assert first["start"]["started"] is True
    assert second["start"]["outcome"] == "duplicate"
    assert len(policy.executions()) == 1


def test_a_fresh_live_model_starts_nothing(policy: Retraining) -> None:
    register(status="Approved")
    result = invoke(tick(in_days(29)))
    assert result["action"] == "fresh"
    assert policy.executions() == []


def test_the_policy_is_off_by_default(policy: Retraining, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_MODEL_AGE_DAYS", "0")
    reset_caches()
    register(status="Approved")
    result = invoke(tick(in_days(400)))
    assert result["action"] == "off"
    assert policy.executions() == []


def test_a_newer_version_awaiting_approval_is_not_doubled(policy: Retraining) -> None:
    register(status="Approved", run="r1")
    register(status="PendingManualApproval", run="r2")
    result = invoke(tick(in_days(31)))
    assert result["action"] == "awaiting_approval"
    assert policy.executions() == []


def test_no_approved_version_starts_nothing(policy: Retraining) -> None:
    result = invoke(tick(in_days(31)))
    assert result["action"] == "no_live_model"
    assert policy.executions() == []


def test_the_recorded_live_version_is_the_one_measured(policy: Retraining) -> None:
    # Given: two approved versions, the live record names v1 (v2 was approved later but rolled back)
    v1 = register(status="Approved", run="r1")
    register(status="Approved", run="r2")
    value = {
        "modelPackageArn": v1,
        "modelPackageGroupName": GROUP,
        "modelPackageVersion": 1,
        "recordedAt": "x",
    }
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=LIVE_PARAMETER, Value=json.dumps(value), Type="String"
    )

    result = invoke(tick(in_days(31)))

    assert result["liveModelPackageArn"] == v1
    assert result["liveVersion"] == 1
    assert policy.executions()[0]["name"].startswith("retrain-stale-v1-")
