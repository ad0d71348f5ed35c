"""The approval rules, the live-model record and the batch starts as logic on in-memory fakes
(tests/support/fakes.py): what becomes live, what is recorded and told, what is started. The same
flows through the handler and moto are in test_model_package_state_change.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from mlops_loop import approvals, live, scheduling
from mlops_loop.models.model_package import ModelPackageStateChangeEvent
from mlops_loop.models.parsing import parse_event
from mlops_loop.settings import ModelPackageStateChangeSettings

from tests.support.fakes import (
    FakeArtifactStore,
    FakeNotifier,
    FakeParameterStore,
    FakeRegistry,
    FakeWorkflows,
)
from tests.support.helpers import ACCOUNT, GROUP, REGION, load_event

PARAMETER = "/mlops-loop/dev/live-model"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlops-loop-dev-notifications"
BATCH = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:mlops-loop-dev-batch-inference"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def arn(version: int) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/{version}"


def summary(version: int) -> dict[str, Any]:
    return {
        "ModelPackageArn": arn(version),
        "ModelPackageVersion": version,
        "CreationTime": T0 + timedelta(days=version),
    }


def cfg(**changes: Any) -> ModelPackageStateChangeSettings:
    values: dict[str, Any] = {
        "environment_name": "dev",
        "model_package_group": GROUP,
        "notification_topic_arn": TOPIC,
        "live_model_parameter_name": PARAMETER,
        "state_table_name": "mlops-loop-dev-state",
    }
    return ModelPackageStateChangeSettings(**(values | changes))


def event(status: str, version: int) -> ModelPackageStateChangeEvent:
    raw = load_event("model_package_approved.json")
    raw["detail"] |= {
        "ModelApprovalStatus": status,
        "ModelPackageVersion": version,
        "ModelPackageArn": arn(version),
    }
    raw["resources"] = [arn(version)]
    return parse_event(raw, ModelPackageStateChangeEvent)


class World:
    """The registry's Approved versions, the live-model parameter, the topic, the state machine."""

    def __init__(self, approved: list[int], live_version: int | None) -> None:
        self.models = FakeRegistry(pages=[[summary(v) for v in approved]], groups={GROUP})
        self.parameters = FakeParameterStore()
        if live_version is not None:
            live.record(PARAMETER, arn(live_version), GROUP, live_version, "seed", parameters=self.parameters)
        self.notifier = FakeNotifier()
        self.workflows = FakeWorkflows()
        self.artifacts = FakeArtifactStore()
        self.ports = approvals.ApprovalPorts(
            models=self.models,
            parameters=self.parameters,
            notifier=self.notifier,
            workflows=self.workflows,
            artifacts=self.artifacts,
        )

    def live_version(self) -> int | None:
        recorded = live.read(PARAMETER, self.parameters)
        return recorded.version if recorded else None

    def subjects(self) -> list[str]:
        return [note.subject for _, note in self.notifier.published]


def test_approving_the_newest_version_records_it_live_and_tells_people() -> None:
    # Given v1 live, and v2 just approved (so the registry's newest Approved)
    world = World(approved=[1, 2], live_version=1)
    # When
    result = approvals.handle(event("Approved", 2), cfg(), world.ports)
    # Then v2 is recorded live, and one mail says so
    assert result.action == "recorded_live_and_notified"
    assert world.live_version() == 2
    [(topic, note)] = world.notifier.published
    assert topic == TOPIC
    assert "v2" in note.subject
    assert json.loads(world.parameters.values[PARAMETER])["reason"] == "approved v2"


def test_approving_an_older_version_leaves_the_newer_one_live() -> None:
    world = World(approved=[1, 3], live_version=3)
    result = approvals.handle(event("Approved", 1), cfg(), world.ports)
    assert result.action == "notified"
    assert world.live_version() == 3


def test_rejecting_the_live_version_rolls_back_to_the_previous_approved() -> None:
    # Given v2 live; v2 rejected, so only v1 is still Approved
    world = World(approved=[1], live_version=2)
    result = approvals.handle(event("Rejected", 2), cfg(), world.ports)
    assert result.action == "recorded_live_and_notified"
    assert world.live_version() == 1


def test_rejecting_the_only_version_records_that_nothing_is_live() -> None:
    world = World(approved=[], live_version=1)
    approvals.handle(event("Rejected", 1), cfg(), world.ports)
    assert world.live_version() is None
    assert json.loads(world.parameters.values[PARAMETER])["modelPackageArn"] is None


def test_a_repeated_approval_of_the_live_version_is_ignored() -> None:
    world = World(approved=[1, 2], live_version=2)
    result = approvals.handle(event("Approved", 2), cfg(), world.ports)
    assert (result.action, result.reason) == ("ignored", "already live")
    assert world.notifier.published == []


def test_run_on_approval_starts_the_batch_run_named_after_the_version_once() -> None:
    world = World(approved=[1, 2], live_version=1)
    settings = cfg(
        run_on_approval=True,
        batch_inference_state_machine_arn=BATCH,
        batch_input_s3_uri="s3://b/batch-input/",
    )
    result = approvals.handle(event("Approved", 2), settings, world.ports)
    assert (
        result.batch_execution_arn
        == f"{BATCH.replace(':stateMachine:', ':execution:')}:approval-v2-20261124T153000Z"
    )
    assert world.workflows.started == [result.batch_execution_arn]
    given = json.loads(world.workflows.executions[result.batch_execution_arn]["input"])
    assert given == {
        "batchInputS3Uri": "s3://b/batch-input/",
        "runId": "approval-v2-20261124T153000Z",
        "trigger": "approval",
    }


def test_a_live_record_that_is_not_our_json_reads_as_none() -> None:
    # the template's placeholder value, or anything else a person wrote there
    parameters = FakeParameterStore({PARAMETER: "none"})
    assert live.read(PARAMETER, parameters) is None
    assert live.read("/no/such/parameter", parameters) is None


def test_a_batch_start_that_meets_the_running_execution_of_its_name_is_a_duplicate() -> None:
    # Given a run of that name and input, started a minute ago and still running
    workflows = FakeWorkflows()
    first = scheduling.start_batch_run(
        BATCH, "scheduled-20261124T020000Z", "s3://b/in/", "schedule", workflows
    )
    workflows.executions[first.execution_arn or ""]["startDate"] -= timedelta(minutes=1)
    # When the tick is delivered again, and again after the run ended
    again = scheduling.start_batch_run(
        BATCH, "scheduled-20261124T020000Z", "s3://b/in/", "schedule", workflows
    )
    workflows.executions[first.execution_arn or ""]["status"] = "SUCCEEDED"
    after = scheduling.start_batch_run(
        BATCH, "scheduled-20261124T020000Z", "s3://b/in/", "schedule", workflows
    )
    # Then one run was started; both later deliveries are duplicates
    assert (first.started, first.reason) == (True, "started")
    assert (again.started, again.reason, again.execution_arn) == (False, "duplicate", first.execution_arn)
    assert (after.started, after.reason) == (False, "duplicate")
    assert workflows.started == [first.execution_arn]


@pytest.mark.parametrize("trigger", ["", "cron"])
def test_a_batch_start_with_a_trigger_of_no_known_kind_starts_nothing(trigger: str) -> None:
    workflows = FakeWorkflows()
    with pytest.raises(msgspec.ValidationError, match="trigger"):
        scheduling.start_batch_run(BATCH, "scheduled-20261124T020000Z", "s3://b/in/", trigger, workflows)
    assert workflows.started == []


BUCKET = "mlops-loop-dev-artifacts"


def quality_uri(version: int) -> str:
    return f"s3://{BUCKET}/retraining/r{version}/evaluation/model-quality/statistics.json"


def package(version: int, status: str) -> dict[str, Any]:
    """DescribeModelPackage's answer, with the version's model-quality statistics registered."""
    return {
        "ModelPackageArn": arn(version),
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": version,
        "CreationTime": T0 + timedelta(days=version),
        "ModelApprovalStatus": status,
        "InferenceSpecification": {"Containers": [{"Image": "xgboost:1", "ModelDataUrl": "s3://m"}]},
        "ModelMetrics": {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": quality_uri(version)}}
        },
        "CustomerMetadataProperties": {"reason": "drift", "episodeId": "e1"},
    }


def statistics(auc: float) -> dict[str, Any]:
    return {
        "version": 0.0,
        "binary_classification_metrics": {"auc": {"value": auc, "standard_deviation": 0.0}},
    }


def asking_world(candidate_auc: float, live_auc: float) -> World:
    """v1 live and Approved, v2 PendingManualApproval; both versions' statistics in the store."""
    world = World(approved=[1], live_version=1)
    world.models.packages = {arn(1): package(1, "Approved"), arn(2): package(2, "PendingManualApproval")}
    world.artifacts.put_json(quality_uri(1), statistics(live_auc))
    world.artifacts.put_json(quality_uri(2), statistics(candidate_auc))
    return world


def test_a_version_awaiting_approval_is_mailed_with_its_metrics_against_the_live_versions() -> None:
    # Given v1 live (AUC 0.81) and v2 registered awaiting approval (AUC 0.93)
    world = asking_world(candidate_auc=0.93, live_auc=0.81)
    # When its PendingManualApproval event is handled
    result = approvals.handle(event("PendingManualApproval", 2), cfg(), world.ports)
    # Then the approvers are asked, with both versions' metrics read through the artifact store
    assert result.action == "asked_approval"
    [(_, note)] = world.notifier.published
    assert note.subject == f"[dev] Approval needed: {GROUP} v2"
    assert "auc: 0.9300 (live v1: 0.8100, +0.1200)" in note.message
    assert "It was trained because: drift (episode e1)." in note.message
    assert world.live_version() == 1  # asking changes nothing live


def test_unreadable_candidate_metrics_still_ask_for_approval_without_them() -> None:
    # Given the candidate's statistics refused (AccessDenied)
    world = asking_world(candidate_auc=0.93, live_auc=0.81)
    world.artifacts.refused.add(quality_uri(2))
    # When, Then the mail goes out, saying no metrics are registered with this version
    result = approvals.handle(event("PendingManualApproval", 2), cfg(), world.ports)
    assert result.action == "asked_approval"
    [(_, note)] = world.notifier.published
    assert "Metrics: none registered with this version" in note.message


def test_live_metrics_over_1_mb_are_not_read_and_the_candidates_are_shown_alone() -> None:
    # Given the live version's statistics object is larger than the 1 MB the mail reads
    world = asking_world(candidate_auc=0.93, live_auc=0.81)
    world.artifacts.objects[quality_uri(1)] = b" " * 1_000_001
    # When, Then the candidate's AUC is shown without a comparison
    approvals.handle(event("PendingManualApproval", 2), cfg(), world.ports)
    [(_, note)] = world.notifier.published
    assert "auc: 0.9300\n" in note.message and "live v1: 0.8100" not in note.message
