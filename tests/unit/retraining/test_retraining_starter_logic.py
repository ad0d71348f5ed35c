"""The retraining starter's rules on in-memory fakes (the state table and the workflows): at most one
run per episode, one run in flight per group, a stale lock taken over, a lost race starting nothing;
and the freshness policy that calls it. The same on moto, through the handlers and with threads, is
test_retraining_start.py and test_retraining_freshness.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mlops_loop.models.retraining import FreshnessResult
from mlops_loop.retraining import names
from mlops_loop.retraining.freshness import check_freshness
from mlops_loop.retraining.starter import (
    LOCK_TTL_SECONDS,
    START_GRACE_SECONDS,
    RetrainingRequest,
    RetrainingStarter,
)

from tests.support.fakes import FakeParameterStore, FakeRegistry, FakeStateTable, FakeWorkflows

GROUP = "breast-cancer-classifier"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:mlops-loop-dev-retraining"
NOW = 1_800_000_000
LOCK = names.lock_key(GROUP)


def request(episode: str) -> RetrainingRequest:
    return RetrainingRequest(
        reason="drift", episode_id=episode, group=GROUP, training_data_s3_uri="s3://b/training-data/"
    )


def execution(episode: str) -> str:
    return MACHINE.replace(":stateMachine:", ":execution:") + f":retrain-{episode}"


class Loop:
    def __init__(self, *, pipeline: bool = False, now: int = NOW) -> None:
        self.table = FakeStateTable()
        self.workflows = FakeWorkflows()
        self.now = now
        self.starter = RetrainingStarter(
            table_name="mlops-loop-dev-state",
            state_machine_arn=None if pipeline else MACHINE,
            pipeline_name="mlops-loop-dev-retraining-pipeline" if pipeline else "",
            quality_gate_min_auc=0.8 if pipeline else None,
            clock=lambda: self.now,
            table=self.table,
            workflows=self.workflows,
        )


def test_an_episode_takes_the_lock_starts_its_run_and_is_spent() -> None:
    loop = Loop()
    result = loop.starter.start(request("e1"))
    assert (result.started, result.outcome, result.execution_arn) == (True, "started", execution("e1"))
    lock = loop.table.get(LOCK)
    assert lock is not None
    assert (lock["holder"], lock["executionArn"], lock["acquiredAt"]) == ("retrain-e1", execution("e1"), NOW)
    assert lock["expiration"] == NOW + LOCK_TTL_SECONDS
    marker = loop.table.get(names.episode_key(GROUP, "e1"))
    assert marker is not None and marker["executionArn"] == execution("e1")
    # a later delivery of the episode starts nothing, even after the run released the lock
    loop.table.items.pop(LOCK)
    again = loop.starter.start(request("e1"))
    assert (again.started, again.outcome, again.execution_arn) == (False, "duplicate", execution("e1"))
    assert loop.workflows.started == [execution("e1")]


def test_a_run_in_flight_blocks_another_episode_and_an_ended_one_is_taken_over() -> None:
    loop = Loop()
    loop.starter.start(request("e1"))
    loop.now += START_GRACE_SECONDS + 1
    blocked = loop.starter.start(request("e2"))
    assert (blocked.outcome, blocked.lock_holder) == ("in_flight", "retrain-e1")
    # the first run ended without releasing its lock (ABORTED, TIMED_OUT): the next episode takes over
    loop.workflows.executions[execution("e1")]["status"] = "ABORTED"
    taken = loop.starter.start(request("e2"))
    assert (taken.started, taken.outcome) == (True, "started")
    assert loop.table.get(LOCK)["holder"] == "retrain-e2"  # type: ignore[index]


def test_a_lock_being_taken_by_a_starter_within_its_grace_blocks_another_episode() -> None:
    loop = Loop()
    loop.table.put({"id": LOCK, "holder": "retrain-e0", "acquiredAt": NOW - 10, "expiration": NOW + 100})
    result = loop.starter.start(request("e1"))
    assert (result.outcome, result.lock_holder) == ("in_flight", "retrain-e0")
    assert loop.workflows.started == []


def test_a_starter_that_died_before_recording_its_run_loses_the_lock_after_the_grace() -> None:
    loop = Loop()
    loop.table.put(
        {
            "id": LOCK,
            "holder": "retrain-e0",
            "acquiredAt": NOW - START_GRACE_SECONDS - 1,
            "expiration": NOW + 100,
        }
    )
    result = loop.starter.start(request("e1"))
    assert (result.started, result.outcome) == (True, "started")


def test_an_expired_lock_is_taken_without_asking_about_its_run() -> None:
    loop = Loop()
    loop.table.put(
        {"id": LOCK, "holder": "retrain-e0", "acquiredAt": 1, "expiration": NOW - 1, "executionArn": "arn:x"}
    )
    assert loop.starter.start(request("e1")).outcome == "started"


def replace_lock_on_write(table: FakeStateTable, at_write: int) -> Callable[[], None]:
    """A concurrent starter that takes the lock just before our `at_write`-th conditional write."""
    writes = 0

    def race() -> None:
        nonlocal writes
        writes += 1
        if writes == at_write:
            table.items[LOCK] = {
                "id": LOCK,
                "holder": "retrain-other",
                "acquiredAt": NOW,
                "expiration": NOW + 100,
            }

    return race


def test_a_takeover_that_loses_the_race_starts_nothing() -> None:
    # Given a stale lock whose run ended, and another starter taking it over at the same moment
    loop = Loop()
    loop.table.put(
        {
            "id": LOCK,
            "holder": "retrain-e0",
            "acquiredAt": 1,
            "expiration": NOW + 100,
            "executionArn": execution("e0"),
        }
    )
    loop.workflows.executions[execution("e0")] = {"status": "SUCCEEDED", "input": "{}", "startDate": None}
    loop.table.before_write = replace_lock_on_write(loop.table, at_write=2)  # 1: our put, 2: our takeover
    # When
    result = loop.starter.start(request("e1"))
    # Then the other one holds the lock and nothing was started here
    assert (result.started, result.outcome, result.detail) == (
        False,
        "in_flight",
        "another request took the lock first",
    )
    assert loop.table.get(LOCK)["holder"] == "retrain-other"  # type: ignore[index]
    assert loop.workflows.started == []


def test_a_failed_start_gives_the_lock_back_and_spends_nothing() -> None:
    loop = Loop()

    def refuse(*_: object) -> None:
        raise RuntimeError("StateMachineDoesNotExist")

    loop.workflows.start_execution = refuse  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        loop.starter.start(request("e1"))
    assert loop.table.items == {}


def test_a_closed_run_of_the_name_without_a_marker_already_ran_and_releases_the_lock() -> None:
    loop = Loop()
    loop.workflows.executions[execution("e1")] = {"status": "SUCCEEDED", "input": "{}", "startDate": None}
    result = loop.starter.start(request("e1"))
    assert (result.started, result.outcome) == (False, "already_ran")
    assert loop.table.get(LOCK) is None
    assert loop.table.get(names.episode_key(GROUP, "e1")) is not None


def test_a_pipeline_run_in_flight_blocks_a_new_episode_and_its_token_is_the_episodes() -> None:
    loop = Loop(pipeline=True)
    first = loop.starter.start(request("e1"))
    [(arn, run)] = loop.workflows.pipeline_runs.items()
    assert first.execution_arn == arn
    assert run["start"].client_request_token == names.client_request_token(GROUP, "e1")
    assert {"Name": "QualityGateMinAuc", "Value": "0.8"} in run["start"].parameters
    loop.now += START_GRACE_SECONDS + 1
    assert loop.starter.start(request("e2")).outcome == "in_flight"
    run["status"] = "Succeeded"
    assert loop.starter.start(request("e2")).outcome == "started"


def _package(version: int, created: datetime) -> dict[str, Any]:
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/{version}"
    return {
        "ModelPackageArn": arn,
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": version,
        "CreationTime": created,
    }


def freshness(models: FakeRegistry, loop: Loop, now: datetime) -> FreshnessResult:
    return check_freshness(
        group=GROUP,
        live_parameter_name="/mlops-loop/dev/live-model",
        max_age_days=30,
        now=now,
        training_data_s3_uri="s3://b/training-data/",
        starter_factory=lambda: loop.starter,
        models=models,
        parameters=FakeParameterStore(),
    )


def test_a_stale_live_version_starts_one_retraining_unless_a_newer_one_awaits_approval() -> None:
    # Given the newest Approved version is 40 days old (nothing recorded live: the registry decides)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    v1 = _package(1, now - timedelta(days=40))
    models = FakeRegistry(pages=[[v1]], groups={GROUP}, packages={v1["ModelPackageArn"]: v1})
    loop = Loop()
    # When a newer version waits for approval, Then nothing starts
    models.pending = _package(2, now - timedelta(days=1))
    assert freshness(models, loop, now).action == "awaiting_approval"
    assert loop.workflows.started == []
    # When only an older one waits, Then the stale run starts, as the episode of the version and day
    models.pending = _package(0, now - timedelta(days=50))
    result = freshness(models, loop, now)
    assert (result.action, result.age_days) == ("retraining", 40.0)
    assert result.start is not None and result.start.execution_name == "retrain-stale-v1-20261201"
    assert loop.workflows.started == [execution("stale-v1-20261201")]
