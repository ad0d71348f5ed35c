"""Every flow and every fault of the local cloud, on the real template: what a user would check.

One stack for the module (the demo's parameters, v1 seeded by `python -m sample.seed`). Faults:
a named SageMaker job fails (transform, training) -> the workflow fails, people are told once,
nothing half-done is left; an API throttles N times -> retried, the run succeeds; an event
delivered twice -> one run; a schedule tick delivered twice -> one execution. Every event the
local cloud emitted here has the documented shape of its events/ sample.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_event_shapes import shape_problems

from story import demo

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.integration


class Flows:
    """The module's cloud, seeded with v1, and the story's helpers to drive it."""

    def __init__(self, cloud: Any, story: demo.Story) -> None:
        self.cloud = cloud
        self.story = story
        self.bucket = story.record.bucket
        self.group = story.record.group
        self.batch_machine = cloud.stack.outputs["BatchInferenceStateMachineArn"]
        self.retraining_machine = cloud.stack.outputs["RetrainingStateMachineArn"]

    def notes_after(self, count: int) -> list[str]:
        return [m.subject or "" for m in self.cloud.outbox.messages[count:]]

    def wait_notes(self, count: int, expected: int, timeout: float = 120.0) -> list[str]:
        """The notifications sent after the first `count`, once the cloud is quiescent: every run,
        job and event they follow from has ended, so the list is exact (a second, unexpected message
        would be in it), not a guess after a sleep."""
        self.cloud.wait_quiescent(timeout)
        notes = self.notes_after(count)
        assert len(notes) >= expected, notes
        return notes

    def keys(self, prefix: str) -> list[str]:
        s3 = self.cloud.client("s3")
        listed = s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]

    def drift_run(self, episode: str) -> None:
        """A batch run named `episode` on the sample's drifted batch, run to its end: its drift event
        (the only kind StartRetraining accepts: put by a batch run of the stack) is delivered before
        the run ends, and its drift mail sent. The batch is removed afterwards."""
        key = f"batch-input/flows-drift/{episode}/batch-drift.csv"
        s3 = self.cloud.client("s3")
        s3.copy_object(
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": "sample-data/batch-drift.csv"},
        )
        arn = self.cloud.start_execution(
            self.batch_machine,
            {
                "runId": episode,
                "batchInputS3Uri": f"s3://{self.bucket}/batch-input/flows-drift/{episode}/",
                "trigger": "manual",
            },
            name=episode,
        )
        described = self.cloud.wait_for_execution(arn, timeout=120)
        s3.delete_object(Bucket=self.bucket, Key=key)  # the scheduled runs read all of batch-input/
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"])["monitoring"]["verdict"] == "drift"

    def retrainings(self, episode: str) -> list[dict[str, Any]]:
        return [
            e for e in self.cloud.executions(self.retraining_machine) if e["name"] == f"retrain-{episode}"
        ]

    def lock_items(self) -> list[dict[str, Any]]:
        table = self.cloud.client("dynamodb").scan(TableName=self.cloud.stack.outputs["StateTableName"])
        return [i for i in table["Items"] if i["id"]["S"].startswith("retraining-lock#")]


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flows]:
    out = tmp_path_factory.mktemp("flows")
    with demo.demo_cloud(TEMPLATE, out, now=START) as (cloud, _endpoint, seed):
        story = demo.Story(cloud, demo.Timeline(quiet=True), seed, step_timeout=180)
        story.v1_approved()
        yield Flows(cloud, story)


@pytest.fixture(autouse=True)
def _settled(flows: Flows) -> Iterator[None]:
    yield
    flows.cloud.faults.clear()
    flows.story.settle("after a test")


# -- a named job fails ---------------------------------------------------------------------------
@dataclass
class FailedFlow:
    name: str
    described: dict[str, Any]
    notes: list[str]


@pytest.fixture(scope="module")
def failed_transform(flows: Flows) -> FailedFlow:
    cloud, run_id = flows.cloud, "manual-transform-fault"
    # Given the transform job of this run will fail
    cloud.faults.fail_job(f"bt-v1-{run_id}", "ClientError: injected: the instance ran out of memory")
    before = len(cloud.outbox)
    # When the run is started by hand
    arn = cloud.start_execution(
        flows.batch_machine,
        {"runId": run_id, "batchInputS3Uri": f"s3://{flows.bucket}/batch-input/", "trigger": "manual"},
        name=run_id,
    )
    described = cloud.wait_for_execution(arn, timeout=120)
    notes = flows.wait_notes(before, 1)
    cloud.faults.clear()
    return FailedFlow(run_id, described, notes)


@pytest.fixture(scope="module")
def failed_training(flows: Flows) -> FailedFlow:
    cloud, episode = flows.cloud, "fault-training"
    # Given the training job of this episode will fail
    cloud.faults.fail_job(f"*retrain-{episode}*", "AlgorithmError: injected: XGBoost ran out of memory")
    before = len(cloud.outbox)
    # When a batch run finds drift (episode = the run's name)
    flows.drift_run(episode)
    [execution] = flows.retrainings(episode)
    described = cloud.wait_for_execution(execution["executionArn"], timeout=120)
    notes = [n for n in flows.wait_notes(before, 2) if "Drift detected" not in n]  # the run's drift mail
    cloud.faults.clear()
    return FailedFlow(episode, described, notes)


def test_a_failed_transform_job_fails_the_run_tells_people_once_and_leaves_nothing_half_done(
    flows: Flows, failed_transform: FailedFlow
) -> None:
    cloud, run_id = flows.cloud, failed_transform.name
    # Then the run failed and its transform job is Failed
    assert failed_transform.described["status"] == "FAILED"
    job = cloud.client("sagemaker").describe_transform_job(TransformJobName=f"bt-v1-{run_id}")
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"] == "ClientError: injected: the instance ran out of memory"
    # and people were told once, naming the run
    notes = failed_transform.notes
    assert len(notes) == 1 and "Workflow failed" in notes[0] and run_id in notes[0]
    # and nothing half-done: the checks that ran before the transform left their listing and
    # monitoring files, but no predictions, no drift event, no retraining
    written = flows.keys(f"batch-inference/{flows.group}/v1/{run_id}/")
    assert written and all(
        k.split(f"/{run_id}/", 1)[1].split("/")[0] in ("batch", "monitoring") for k in written
    )
    assert not [e for e in cloud.router.emitted if e["detail"].get("driftEpisodeId") == run_id]
    assert flows.retrainings(run_id) == []


def test_a_failed_training_job_fails_the_retraining_tells_people_once_and_registers_nothing(
    flows: Flows, failed_training: FailedFlow
) -> None:
    cloud, episode = flows.cloud, failed_training.name
    sagemaker = cloud.client("sagemaker")
    # Then the retraining failed and its training job is Failed
    assert failed_training.described["status"] == "FAILED"
    jobs = sagemaker.list_training_jobs(NameContains=episode)["TrainingJobSummaries"]
    assert [j["TrainingJobStatus"] for j in jobs] == ["Failed"]
    # and people were told once
    notes = failed_training.notes
    assert len(notes) == 1 and "Workflow failed" in notes[0] and episode in notes[0]
    # and nothing half-done: no candidate model, no new version (v1 only), the lock released
    assert not [m for m in sagemaker.list_models()["Models"] if episode in m["ModelName"]]
    packages = sagemaker.list_model_packages(ModelPackageGroupName=flows.group)["ModelPackageSummaryList"]
    assert [p["ModelPackageVersion"] for p in packages] == [1]
    assert flows.lock_items() == []


def test_the_failed_run_names_the_step_and_the_jobs_reason(failed_transform: FailedFlow) -> None:
    cause = failed_transform.described.get("cause") or ""
    assert "RunBatchTransform" in cause and "ran out of memory" in cause


def test_the_failed_retraining_names_the_step_and_the_jobs_reason(failed_training: FailedFlow) -> None:
    cause = failed_training.described.get("cause") or ""
    assert "TrainModel" in cause and "ran out of memory" in cause


# -- throttling ------------------------------------------------------------------------------
def test_a_throttled_registry_api_is_retried_and_the_scheduled_run_succeeds(flows: Flows) -> None:
    cloud = flows.cloud
    # Given the registry's ListModelPackages throttles three times
    cloud.faults.throttle("sagemaker", "ListModelPackages", times=3)
    # When the next tick comes
    run = flows.story.scheduled_run("throttled registry", expect_verdict="clean", expect_version=1)
    # Then the throttled calls were retried and the run succeeded with v1
    assert cloud.faults.throttled_count("sagemaker", "ListModelPackages") == 3
    assert run.status == "SUCCEEDED"
    assert flows.keys(f"batch-inference/{flows.group}/v1/{run.execution_name}/predictions/")


def test_a_throttled_tick_delivery_is_retried_and_starts_one_run(flows: Flows) -> None:
    cloud = flows.cloud
    tick = demo.next_tick(cloud)
    # (the other schedules due before the tick, e.g. the model-quality sweep, fire first)
    cloud.clock.advance_to(tick - timedelta(seconds=1))
    # Given Lambda's Invoke throttles twice when the scheduler delivers the tick
    cloud.faults.throttle("lambda", "Invoke", times=2)
    # When the tick comes
    fired = cloud.clock.advance_to(tick)
    # Then the scheduler tried three times, delivered, and one run started and succeeded
    assert [(f.attempts, f.error, f.dead_lettered) for f in fired] == [(3, None, False)]
    name = f"scheduled-{tick:%Y%m%dT%H%M%SZ}"
    described = cloud.wait_for_execution(demo.execution_arn(flows.batch_machine, name), timeout=120)
    assert described["status"] == "SUCCEEDED"
    assert [e["name"] for e in cloud.executions(flows.batch_machine)].count(name) == 1


# -- duplicates ------------------------------------------------------------------------------
def test_a_schedule_tick_delivered_twice_starts_one_execution(flows: Flows) -> None:
    cloud = flows.cloud
    tick = demo.next_tick(cloud)
    cloud.clock.advance_to(tick - timedelta(seconds=1))  # the other schedules due before it
    # Given a tick
    [firing] = cloud.clock.advance_to(tick)
    name = f"scheduled-{tick:%Y%m%dT%H%M%SZ}"
    cloud.wait_for_execution(demo.execution_arn(flows.batch_machine, name), timeout=120)
    # When the scheduler delivers the same tick again (at-least-once delivery)
    again = cloud.invoke("StartBatchInferenceFunction", json.loads(firing.input))
    # Then the function saw the duplicate and started nothing
    assert again.ok, again
    assert again.payload["started"] is False and again.payload["reason"] == "duplicate"
    assert [e["name"] for e in cloud.executions(flows.batch_machine)].count(name) == 1


def test_a_drift_event_delivered_twice_starts_one_retraining(flows: Flows) -> None:
    cloud, episode = flows.cloud, "dup-drift-episode"
    # Given EventBridge delivers the drift event twice
    cloud.faults.duplicate_events(detail_type="Data Drift Detected", copies=2)
    # When a batch run finds drift
    flows.drift_run(episode)
    # Then the function ran twice and one retraining ran, to the end
    function = cloud.function_name("StartRetrainingFunction")
    deliveries = [d for d in cloud.router.deliveries if d.target_arn.endswith(f":{function}")]
    assert len([d for d in deliveries if d.ok]) >= 2
    [execution] = flows.retrainings(episode)
    assert cloud.wait_for_execution(execution["executionArn"], timeout=180)["status"] == "SUCCEEDED"
    assert (
        len(cloud.client("sagemaker").list_training_jobs(NameContains=episode)["TrainingJobSummaries"]) == 1
    )
    flows.story.settle("after the duplicate drift")
    assert len(flows.retrainings(episode)) == 1


# -- event shapes ----------------------------------------------------------------------------
def test_every_event_emitted_in_these_flows_has_the_documented_shape(flows: Flows) -> None:
    emitted = flows.cloud.router.emitted
    kinds = {
        (e["detail-type"], e["detail"].get("status") or e["detail"].get("TransformJobStatus"))
        for e in emitted
    }
    # the failures emitted their events too
    assert ("Step Functions Execution Status Change", "FAILED") in kinds
    assert ("SageMaker Transform Job State Change", "Failed") in kinds
    bad: dict[str, str] = {}
    for event in emitted:
        problems = shape_problems(event)
        if problems:
            bad.setdefault("; ".join(problems), f"{event['detail-type']} {event['id']}")
    assert not bad, "\n".join(f"{where}: {problems}" for problems, where in bad.items())
