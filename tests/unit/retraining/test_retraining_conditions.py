"""One retraining per drift condition, not per run: the rule (conditions.hold_for) and StartRetraining
with a moto registry (docs/retraining.md, "One retraining per drift condition")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from mlops_loop.retraining.conditions import Candidate, hold_for

from functions.start_retraining import app
from tests.support.helpers import ACCOUNT, GROUP, REGION, FakeLambdaContext, emf_metrics, load_event
from tests.support.registry_seed import create_group, register
from tests.support.retraining import Retraining

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
V1 = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/1"
WEEK = timedelta(days=7)


def candidate(version: int, status: str, *, base: str = V1, episode: str = "run-1", reason: str = "drift",
              created: datetime = T0, decided: datetime | None = None) -> Candidate:  # fmt: skip
    return Candidate(
        arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/{version}",
        version=version,
        status=status,
        created=created,
        decided=decided or created,
        reason=reason,
        episode_id=episode,
        base_arn=base,
    )


def hold(
    candidates: list[Candidate], *, now: datetime, episode: str = "run-9", data: datetime | None = None
) -> Any:
    return hold_for(
        base_arn=V1,
        episode_id=episode,
        candidates=candidates,
        now=now,
        cooldown=WEEK,
        newest_training_data=data,
    )


# -- the rule --------------------------------------------------------------------------------------
def test_no_candidate_of_the_live_version_lets_the_drift_retrain() -> None:
    assert hold([], now=T0) is None


def test_a_candidate_awaiting_approval_holds_every_later_drifting_run() -> None:
    # Given v2, trained for the drift first seen in run-1, awaits approval
    v2 = candidate(2, "PendingManualApproval", episode="run-1")

    # When run-9 drifts, days later
    found = hold([v2], now=T0 + timedelta(days=3))

    # Then it starts nothing, and says since when and for which version
    assert found is not None and found.kind == "awaiting_approval" and found.candidate == v2
    assert found.detail == "drift persists since run-1; v2 awaits approval since 2026-11-20 02:00 UTC"


def test_a_stale_candidate_of_the_live_version_holds_a_drift_too() -> None:
    # Trained on the same data for the same live version: a second one would be the same candidate
    assert hold([candidate(2, "PendingManualApproval", reason="stale")], now=T0) is not None


def test_the_episode_of_the_candidate_itself_is_left_to_the_starter() -> None:
    # Its redelivery is a `duplicate` of its episode, not "drift persists"
    assert hold([candidate(2, "PendingManualApproval", episode="run-1")], now=T0, episode="run-1") is None


def test_candidates_of_another_live_version_or_made_by_hand_do_not_hold() -> None:
    # After an approval the new live version's runs decide: v2's drift is about v2, not about v1
    other_base = candidate(3, "PendingManualApproval", base=V1.replace("/1", "/2"))
    by_hand = candidate(4, "PendingManualApproval", reason="manual")
    assert hold([other_base, by_hand], now=T0) is None


def test_a_rejected_candidate_holds_until_the_cool_down_has_passed() -> None:
    # Given v2 was rejected a day after it was registered, and no training data came since
    v2 = candidate(2, "Rejected", created=T0, decided=T0 + timedelta(days=1))

    # Then drifting runs within the cool-down start nothing, saying until when
    found = hold([v2], now=T0 + timedelta(days=7), data=T0 - timedelta(days=30))
    assert found is not None and found.kind == "rejected"
    assert found.retry_after == T0 + timedelta(days=8)
    assert "was rejected at 2026-11-21 02:00 UTC" in found.detail
    assert "retraining waits for new data or 2026-11-28 02:00 UTC" in found.detail
    # and the first drifting run after it retrains
    assert hold([v2], now=T0 + timedelta(days=8), data=T0 - timedelta(days=30)) is None


def test_new_training_data_after_the_rejected_candidate_lets_the_drift_retrain() -> None:
    v2 = candidate(2, "Rejected", created=T0, decided=T0 + timedelta(days=1))
    assert hold([v2], now=T0 + timedelta(days=2), data=T0 + timedelta(hours=5)) is None
    # data from before the rejected version was registered is what it was trained on
    assert hold([v2], now=T0 + timedelta(days=2), data=T0 - timedelta(hours=5)) is not None


def test_data_of_the_candidates_own_second_counts_as_new() -> None:
    # S3's LastModified has whole seconds; the registry's CreationTime has fractions
    v2 = candidate(
        2, "Rejected", created=T0 + timedelta(microseconds=700_000), decided=T0 + timedelta(days=1)
    )
    assert hold([v2], now=T0 + timedelta(days=2), data=T0) is None


def test_the_newest_candidate_decides_a_rejected_older_one_is_history() -> None:
    # v2 rejected, then v3 (after new data) awaits approval: v3 holds
    v2 = candidate(2, "Rejected", created=T0, decided=T0 + timedelta(days=1))
    v3 = candidate(3, "PendingManualApproval", created=T0 + timedelta(days=4), episode="run-5")
    found = hold([v2, v3], now=T0 + timedelta(days=5))
    assert found is not None and found.candidate == v3


def test_a_zero_cool_down_retrains_at_once_after_a_rejection() -> None:
    v2 = candidate(2, "Rejected", created=T0, decided=T0 + timedelta(days=1))
    assert hold_for(base_arn=V1, episode_id="run-9", candidates=[v2], now=T0 + timedelta(days=1),
                    cooldown=timedelta(0), newest_training_data=None) is None  # fmt: skip


# -- StartRetraining with a registry ---------------------------------------------------------------
def drift_event(episode: str, at: datetime, base: str = V1, version: int = 1) -> dict[str, Any]:
    event = load_event("drift_detected")
    event["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, episode))
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"].update(driftEpisodeId=episode, modelPackageArn=base, modelPackageVersion=version)
    return event


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return app.lambda_handler(event, FakeLambdaContext())


def set_status(arn: str, status: str) -> None:
    """moto's UpdateModelPackage replaces CustomerMetadataProperties with the call's (AWS keeps them
    when the call has none, and so does the local cloud's patch): pass them again."""
    sm = boto3.client("sagemaker", region_name=REGION)
    metadata = sm.describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties") or {}
    sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus=status, CustomerMetadataProperties=metadata
    )


def uploaded_before(bucket: str, key: str, ago: timedelta) -> None:
    """Date an object back (moto's record of it: S3 has no API to set LastModified)."""
    from moto.s3.models import s3_backends

    s3_backends[ACCOUNT]["aws"].buckets[bucket].keys[key].last_modified = (
        datetime.now(UTC).replace(tzinfo=None) - ago
    )


def candidate_of(base: str, episode: str, status: str = "PendingManualApproval") -> str:
    """A version registered by the retraining of `episode`, as RegisterModelPackage records it."""
    return register(
        run=f"retrain-{episode}",
        status=status,
        metadata={"reason": "drift", "episodeId": episode, "baseModelPackageArn": base},
    )


@pytest.fixture
def registry(retraining: Retraining, genuine_drift_events: None) -> str:
    create_group()
    return register(run="seed-v1", status="Approved")


def test_while_the_candidate_awaits_approval_a_drifting_run_starts_nothing_and_says_so(
    retraining: Retraining, registry: str, topic, capsys
) -> None:
    # Given v2, trained for the drift of run-1, awaits approval
    v2 = candidate_of(registry, "run-1")
    topic.messages()
    now = datetime.now(UTC)

    # When the next scheduled run drifts too
    result = invoke(drift_event("run-2", now + timedelta(days=1)))

    # Then nothing starts, the result names the candidate, and people are told why, once
    assert (result["started"], result["outcome"], result["suppressedBy"]) == (False, "suppressed", v2)
    assert result["detail"].startswith("drift persists since run-1; v2 awaits approval since ")
    assert retraining.executions() == []
    [mail] = topic.messages()
    assert mail["Subject"] == f"[dev] Drift persists: {GROUP} v2 awaits approval"
    assert result["detail"] in mail["Message"]
    assert "Batch run run-2 of breast-cancer-classifier v1 found drift" in mail["Message"]
    assert result["messageId"] == mail["MessageId"]
    assert "RetrainingSuppressed" in [m["name"] for m in emf_metrics(capsys.readouterr().out)]


def test_a_redelivered_suppressed_drift_mails_once(retraining: Retraining, registry: str, topic) -> None:
    candidate_of(registry, "run-1")
    topic.messages()
    event = drift_event("run-2", datetime.now(UTC) + timedelta(days=1))
    first = invoke(event)
    again = invoke(event)
    assert again == first
    assert len(topic.messages()) == 1


def test_after_a_rejection_the_drift_waits_for_new_data(
    retraining: Retraining, registry: str, bucket, topic
) -> None:
    # Given v2 was rejected, and the training data is older than v2 (uploaded an hour before)
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key="training-data/part1.csv", Body=b"label,a\n1,2\n"
    )
    uploaded_before(bucket, "training-data/part1.csv", timedelta(hours=1))
    v2 = candidate_of(registry, "run-1")
    set_status(v2, "Rejected")
    soon = datetime.now(UTC) + timedelta(days=1)

    # When the next run drifts: nothing changed, nothing starts
    held = invoke(drift_event("run-2", soon))
    assert (held["outcome"], held["suppressedBy"]) == ("suppressed", v2)
    assert "was rejected at" in held["detail"]
    assert [m["Subject"] for m in topic.messages()] == [f"[dev] Drift persists: {GROUP} v1, v2 was rejected"]

    # When newly labelled data arrives and the next run drifts: it retrains
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key="training-data/part2.csv", Body=b"label,a\n0,3\n"
    )
    started = invoke(drift_event("run-3", soon + timedelta(days=1)))
    assert (started["started"], started["outcome"]) == (True, "started")
    assert [e["name"] for e in retraining.executions()] == ["retrain-run-3"]


def test_after_a_rejection_the_drift_retrains_once_the_cool_down_has_passed(
    retraining: Retraining, registry: str
) -> None:
    v2 = candidate_of(registry, "run-1")
    set_status(v2, "Rejected")
    now = datetime.now(UTC)

    assert invoke(drift_event("run-2", now + timedelta(days=6)))["outcome"] == "suppressed"
    assert invoke(drift_event("run-3", now + timedelta(days=7, minutes=1)))["outcome"] == "started"


def test_after_an_approval_the_new_live_versions_runs_decide(retraining: Retraining, registry: str) -> None:
    # Given v2 (trained for v1's drift) was approved and is live
    v2 = candidate_of(registry, "run-1")
    set_status(v2, "Approved")

    # When a run of v2 drifts: v2 has no candidate yet, so it retrains
    result = invoke(drift_event("run-2", datetime.now(UTC), base=v2, version=2))
    assert (result["started"], result["outcome"]) == (True, "started")


def test_a_second_episode_while_a_run_is_in_flight_is_told(
    retraining: Retraining, registry: str, topic
) -> None:
    # Given run-1's retraining is in flight (moto keeps it RUNNING)
    invoke(drift_event("run-1", datetime.now(UTC)))
    topic.messages()

    # When run-2 drifts
    result = invoke(drift_event("run-2", datetime.now(UTC)))

    # Then nothing more starts, and people read that the running one covers it
    assert result["outcome"] == "in_flight"
    [mail] = topic.messages()
    assert mail["Subject"] == f"[dev] Retraining already running: {GROUP}"
    assert "retrain-run-1 is already running for this group" in mail["Message"]
