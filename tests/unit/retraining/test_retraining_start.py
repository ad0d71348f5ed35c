"""start_retraining: a drift episode starts exactly one retraining run; a run in flight is not doubled."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import boto3
import pytest
from mlops_loop.errors import InvalidEvent
from mlops_loop.retraining import names

from functions.start_retraining import app
from tests.support.caches import reset_caches
from tests.support.helpers import ACCOUNT, GROUP, REGION, FakeLambdaContext, emf_metrics, load_event
from tests.support.retraining import Retraining, pipeline_executions

EPISODE = "scheduled-20261124T020000Z"


@pytest.fixture(autouse=True)
def _drift_events_are_genuine(genuine_drift_events: None) -> None:
    """These tests are about what starts once an event passed the check of its origin
    (test_retraining_provenance.py tests that check)."""


def drift_event(episode: str = EPISODE, delivery: int = 0) -> dict[str, Any]:
    """The drift event of `episode`; another `delivery` is another event (id) with the same detail
    (the batch run's PutEvents retried), while the same one is EventBridge's redelivery (same id)."""
    event = load_event("drift_detected")
    event["detail"]["driftEpisodeId"] = episode
    event["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{episode}/{delivery}"))
    return event


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return app.lambda_handler(event, FakeLambdaContext())


def test_a_drift_event_starts_one_run_named_after_the_episode_with_the_documented_input(
    retraining: Retraining,
) -> None:
    # When
    result = invoke(drift_event())

    # Then
    assert result["started"] is True
    assert result["outcome"] == "started"
    assert result["executionName"] == f"retrain-{EPISODE}"
    [execution] = retraining.executions()
    assert execution["name"] == f"retrain-{EPISODE}"
    sfn = boto3.client("stepfunctions", region_name=REGION)
    given = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    detail = drift_event()["detail"]
    assert given == {
        "runId": f"retrain-{EPISODE}",
        "reason": "drift",
        "episodeId": EPISODE,
        "modelPackageGroupName": GROUP,
        "trainingDataS3Uri": retraining.env["TRAINING_DATA_S3_URI"],
        "sourceExecutionArn": detail["executionArn"],
        "baseModelPackageArn": detail["modelPackageArn"],
    }
    lock = retraining.lock(GROUP)
    assert lock is not None
    assert lock["holder"] == f"retrain-{EPISODE}"
    assert lock["executionArn"] == execution["executionArn"]
    assert int(lock["expiration"]) > int(lock["acquiredAt"])


def test_duplicate_deliveries_of_one_episode_start_one_run(retraining: Retraining) -> None:
    # Given: the first delivery started the run
    first = invoke(drift_event())

    # When: two more events of the same episode arrive (the run's PutEvents retried: other ids)
    second = invoke(drift_event(delivery=1))
    third = invoke(drift_event(delivery=2))

    # Then
    assert first["started"] is True
    assert (second["started"], second["outcome"]) == (False, "duplicate")
    assert (third["started"], third["outcome"]) == (False, "duplicate")
    assert len(retraining.executions()) == 1


def test_a_redelivered_event_gets_the_first_result_and_starts_nothing(retraining: Retraining, capsys) -> None:
    # Given: the event started the run
    first = invoke(drift_event())
    capsys.readouterr()

    # When: EventBridge delivers the same event (same id) again
    again = invoke(drift_event())

    # Then: the first result, nothing started, nothing counted as a start
    assert again == first
    assert len(retraining.executions()) == 1
    counted = [m["name"] for m in emf_metrics(capsys.readouterr().out)]
    assert counted == ["DuplicateEventsSkipped"]


def test_concurrent_deliveries_of_one_episode_start_exactly_one_run(retraining: Retraining) -> None:
    # Given: eight concurrent events of the same episode
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def deliver(delivery: int) -> None:
        try:
            barrier.wait()
            results.append(invoke(drift_event(delivery=delivery)))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]

    # When
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then
    assert errors == []
    assert len(retraining.executions()) == 1
    assert sum(r["started"] for r in results) == 1
    assert {r["outcome"] for r in results if not r["started"]} <= {"duplicate"}


def test_concurrent_different_episodes_start_exactly_one_run(retraining: Retraining) -> None:
    # Given: two drift episodes of the same group arrive at once (several deliveries each)
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(6)

    def deliver(episode: str, delivery: int) -> None:
        barrier.wait()
        results.append(invoke(drift_event(episode, delivery)))

    threads = [threading.Thread(target=deliver, args=(f"episode-{i % 2}", i)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then: one run in flight for the group
    assert len(retraining.executions()) == 1
    assert sum(r["started"] for r in results) == 1


def test_a_run_in_flight_blocks_a_second_episode(retraining: Retraining) -> None:
    # Given: episode A is being retrained (moto keeps the execution RUNNING)
    invoke(drift_event("episode-a"))

    # When: drift is detected again, in a new episode
    result = invoke(drift_event("episode-b"))

    # Then
    assert (result["started"], result["outcome"]) == (False, "in_flight")
    assert result["lockHolder"] == "retrain-episode-a"
    assert [e["name"] for e in retraining.executions()] == ["retrain-episode-a"]


def test_after_the_run_releases_the_lock_the_next_episode_starts(retraining: Retraining) -> None:
    # Given: episode A ran and its state machine released the lock
    invoke(drift_event("episode-a"))
    retraining.release_lock(GROUP)

    # When
    result = invoke(drift_event("episode-b"))

    # Then
    assert result["started"] is True
    assert sorted(e["name"] for e in retraining.executions()) == ["retrain-episode-a", "retrain-episode-b"]
    assert retraining.lock(GROUP)["holder"] == "retrain-episode-b"  # type: ignore[index]


def test_an_ended_run_that_kept_its_lock_is_taken_over(retraining: Retraining) -> None:
    # Given: episode A's run was aborted (no Catch runs then, so the lock stayed)
    a = invoke(drift_event("episode-a"))
    boto3.client("stepfunctions", region_name=REGION).stop_execution(executionArn=a["executionArn"])

    # When
    result = invoke(drift_event("episode-b"))

    # Then
    assert result["started"] is True
    assert retraining.lock(GROUP)["holder"] == "retrain-episode-b"  # type: ignore[index]


def test_a_late_duplicate_after_the_run_ended_starts_nothing(retraining: Retraining) -> None:
    # Given: episode A's run ended and released the lock
    a = invoke(drift_event("episode-a"))
    boto3.client("stepfunctions", region_name=REGION).stop_execution(executionArn=a["executionArn"])
    retraining.release_lock(GROUP)

    # When: a late event of episode A arrives (another id: the same one would get the first result)
    result = invoke(drift_event("episode-a", delivery=1))

    # Then: nothing new, and no lock left behind
    assert (result["started"], result["outcome"]) == (False, "duplicate")
    assert len(retraining.executions()) == 1
    assert retraining.lock(GROUP) is None


def test_a_closed_run_with_the_name_but_no_episode_record_gives_already_ran(retraining: Retraining) -> None:
    # Given: a run named after the episode exists and has ended (e.g. started by hand)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.start_execution(
        stateMachineArn=retraining.state_machine_arn, name="retrain-episode-a", input="{}"
    )["executionArn"]
    sfn.stop_execution(executionArn=arn)

    # When
    result = invoke(drift_event("episode-a"))

    # Then: Step Functions refused the name; the lock is given back
    assert (result["started"], result["outcome"]) == (False, "already_ran")
    assert len(retraining.executions()) == 1
    assert retraining.lock(GROUP) is None


def test_a_failed_start_gives_the_lock_back(retraining: Retraining, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given: the configured state machine does not exist
    monkeypatch.setenv("RETRAINING_STATE_MACHINE_ARN", retraining.state_machine_arn + "-missing")
    reset_caches()

    # When / Then
    with pytest.raises(Exception, match=r"StateMachineDoesNotExist|does not exist"):
        invoke(drift_event())
    assert retraining.lock(GROUP) is None


def test_long_episode_ids_give_valid_unique_names() -> None:
    long_a = "manual-" + "x" * 120 + "-a"
    long_b = "manual-" + "x" * 120 + "-b"
    a, b = names.execution_name(long_a), names.execution_name(long_b)
    assert len(a) <= 80 and len(b) <= 80 and a != b
    assert names.execution_name("a b/c:d") == "retrain-a-b-c-d"
    jobs = names.job_names(GROUP, a)
    assert all(len(v) <= 63 for v in jobs.values())
    assert len(set(jobs.values())) == 3


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["detail"].pop("driftEpisodeId"),
        lambda e: e["detail"].update(driftEpisodeId=""),
        lambda e: e["detail"].update(modelPackageArn="not-an-arn"),
        lambda e: e.update({"detail-type": "Something Else"}),
        lambda e: e.pop("detail"),
    ],
    ids=["no-episode", "empty-episode", "bad-package-arn", "wrong-detail-type", "no-detail"],
)
def test_a_malformed_event_starts_nothing(retraining: Retraining, mutate: Any) -> None:
    event = drift_event()
    mutate(event)
    with pytest.raises(InvalidEvent):
        invoke(event)
    assert retraining.executions() == []
    assert retraining.lock(GROUP) is None


def test_events_of_another_group_or_source_are_ignored(retraining: Retraining) -> None:
    other_group = drift_event()
    other_group["detail"]["modelPackageGroupName"] = "another-group"
    other_group["detail"]["modelPackageArn"] = (
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/another-group/3"
    )
    other_source = drift_event()
    other_source["source"] = "someone.else"

    assert invoke(other_group)["outcome"] == "ignored"
    assert invoke(other_source)["outcome"] == "ignored"
    assert retraining.executions() == []


# --- SageMaker Pipeline target -------------------------------------------------------------------


def test_pipeline_target_starts_the_pipeline_with_the_parameters_and_a_deterministic_token(
    retraining: Retraining, pipeline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: the stack's quality gate differs from the pipeline's own default (0.9)
    monkeypatch.setenv("QUALITY_GATE_MIN_AUC", "0.73")
    monkeypatch.setenv("RETRAINING_PIPELINE_MAX_PARALLEL_STEPS", "3")
    reset_caches()

    # When
    result = invoke(drift_event())

    # Then
    assert (result["started"], result["target"]) == (True, "pipeline")
    [execution] = pipeline_executions()
    detail = drift_event()["detail"]
    assert {p["Name"]: p["Value"] for p in execution.pipeline_parameters} == {
        "RunId": f"retrain-{EPISODE}",
        "Reason": "drift",
        "EpisodeId": EPISODE,
        "ModelPackageGroupName": GROUP,
        "TrainingDataS3Uri": retraining.env["TRAINING_DATA_S3_URI"],
        "SourceExecutionArn": detail["executionArn"],
        "BaseModelPackageArn": detail["modelPackageArn"],
        "QualityGateMinAuc": "0.73",
    }
    assert execution.client_request_token == names.client_request_token(GROUP, EPISODE)
    assert execution.parallelism_configuration == {"MaxParallelExecutionSteps": 3}
    assert 32 <= len(execution.client_request_token) <= 128
    assert execution.pipeline_execution_display_name == f"retrain-{EPISODE}"
    assert result["executionArn"] == execution.arn
    assert retraining.executions() == []  # the state machine was not used


def test_pipeline_target_a_second_delivery_starts_no_second_pipeline_run(
    retraining: Retraining, pipeline: str
) -> None:
    # Given: moto does not dedupe ClientRequestToken (AWS does): the lock and the episode record must
    first = invoke(drift_event())

    # When
    second = invoke(drift_event(delivery=1))

    # Then
    assert first["started"] is True
    assert (second["started"], second["outcome"]) == (False, "duplicate")
    assert len(pipeline_executions()) == 1


def test_pipeline_target_a_running_pipeline_blocks_a_new_episode(
    retraining: Retraining, pipeline: str
) -> None:
    # Given: episode A's pipeline run is still executing
    invoke(drift_event("episode-a"))
    [run] = pipeline_executions()
    run.pipeline_execution_status = "Executing"

    # When
    blocked = invoke(drift_event("episode-b"))
    run.pipeline_execution_status = "Succeeded"
    after = invoke(drift_event("episode-c"))

    # Then: blocked while executing; once it ended, its lock is taken over (a pipeline cannot release it)
    assert (blocked["started"], blocked["outcome"]) == (False, "in_flight")
    assert after["started"] is True
    assert len(pipeline_executions()) == 2
