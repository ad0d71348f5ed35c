"""Drift -> retraining on the real template in the local cloud: only the stack's own batch runs start
training (a drift event is checked against the run that put it), and one retraining per drift
condition (docs/retraining.md).

One stack for the module (samconfig's parameters, the sample group, v1 seeded Approved with the
newly labelled part 2 under training-data/). Batch runs are real executions of the batch-inference
state machine on the sample's drifted batch; their drift events are routed by the stack's rule to
StartRetrainingFunction before PutEvents returns, so once a batch run has ended, what StartRetraining
decided is settled: the tests read it, they never sleep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.stack import local_parameters
from sample.data import SampleData, breast_cancer, to_csv
from sample.seed import seed

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
GROUP = "breast-cancer-classifier"
RUN_TIMEOUT = 180.0
FORGED_LOG = "Drift event not put by this stack's batch runs: nothing started"


@dataclass
class Stack:
    cloud: Any
    bucket: str
    data: SampleData
    v1_arn: str

    def drift_run(self, run_id: str) -> dict[str, Any]:
        """A batch run on the sample's drifted batch (under the batch input prefix), run to its end."""
        key = f"batch-input/drift-rules/{run_id}/batch.csv"
        self.cloud.client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=to_csv(self.data.batch_drift).encode()
        )
        arn = self.cloud.start_execution(
            "BatchInferenceStateMachine",
            {
                "runId": run_id,
                "batchInputS3Uri": f"s3://{self.bucket}/batch-input/drift-rules/{run_id}/",
                "trigger": "manual",
            },
            name=run_id,
        )
        described = self.cloud.wait_for_execution(arn, timeout=RUN_TIMEOUT)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"])["monitoring"]["verdict"] == "drift"
        return described

    def drift_event_of(self, run_id: str) -> dict[str, Any]:
        [event] = [
            e
            for e in self.cloud.router.emitted
            if e["detail-type"] == "Data Drift Detected" and e["detail"]["driftEpisodeId"] == run_id
        ]
        return dict(event)

    def retrainings(self) -> list[dict[str, Any]]:
        return list(self.cloud.executions("RetrainingStateMachine"))

    def start_retraining_deliveries(self, event_id: str) -> list[Any]:
        function = self.cloud.function_name("StartRetrainingFunction")
        return [
            d
            for d in self.cloud.router.deliveries
            if d.event_id == event_id and d.target_arn.endswith(function)
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    params = local_parameters(REPO / "samconfig.toml")
    params.update({"ModelPackageGroup": GROUP, "RunOnApproval": "false"})
    data = breast_cancer()
    output = tmp_path_factory.mktemp("drift-rules")
    with LocalCloud.start(REPO / "template.yaml", parameters=params, output_dir=output) as cloud:
        bucket = cloud.stack.outputs["ArtifactsBucketName"]
        seeded = seed(
            bucket=bucket, group=GROUP, region=cloud.region, endpoint_url=None, image_uri=None,
            with_part2=True, data=data,
        )  # fmt: skip
        yield Stack(cloud, bucket, data, str(seeded["registered"]))


# -- 6. only the stack's own runs start training ----------------------------------------------------
def test_a_forged_drift_event_on_the_bus_starts_nothing(stack: Stack) -> None:
    # Given someone who may put events on the default bus sends a drift-shaped event, naming a batch
    # run of this stack that never ran
    detail = json.loads((REPO / "events" / "drift_detected.json").read_text())["detail"]
    detail["modelPackageArn"] = stack.v1_arn
    before = len(stack.retrainings())

    # When it is put on the bus
    answer = stack.cloud.client("events").put_events(
        Entries=[
            {"Source": "mlops.monitoring", "DetailType": "Data Drift Detected", "Detail": json.dumps(detail)}
        ]
    )

    # Then StartRetraining ran (routed before put_events returned), refused it, and started nothing
    [delivery] = stack.start_retraining_deliveries(answer["Entries"][0]["EventId"])
    assert delivery.ok and delivery.function_error is None
    assert len(stack.retrainings()) == before


def test_a_drift_runs_own_event_starts_its_retraining(stack: Stack) -> None:
    # When a batch run of this stack finds drift (its event is checked against its history)
    run = stack.drift_run("rules-copy")

    # Then its retraining started, for its episode, and ran (registering a candidate)
    [retraining] = [e for e in stack.retrainings() if e["name"] == "retrain-rules-copy"]
    ended = stack.cloud.wait_for_execution(retraining["executionArn"], timeout=RUN_TIMEOUT)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["input"])["sourceExecutionArn"] == run["executionArn"]


def test_a_copy_of_a_real_drift_event_with_another_detail_starts_nothing(stack: Stack) -> None:
    # Given a real drift run of this stack (the test above)
    genuine = stack.drift_event_of("rules-copy")
    before = len(stack.retrainings())

    # When someone invokes StartRetraining with that run's event, features changed
    forged = json.loads(json.dumps(genuine))
    forged["id"] = "7d3b2a1c-0f9e-4d8c-b7a6-5e4d3c2b1a09"
    forged["detail"]["driftedFeatures"] = ["mean_area"]
    result = stack.cloud.invoke("StartRetrainingFunction", forged)

    # Then it is refused as forged, logged and counted; nothing starts
    assert result.ok, result.error_message
    assert (result.payload["started"], result.payload["outcome"]) == (False, "forged")
    assert FORGED_LOG in result.logs
    assert "ForgedDriftEvents" in result.logs
    assert len(stack.retrainings()) == before


# -- 1. one retraining per drift condition -------------------------------------------------------------
def versions(stack: Stack) -> dict[int, dict[str, Any]]:
    sagemaker = stack.cloud.client("sagemaker")
    summaries = sagemaker.list_model_packages(ModelPackageGroupName=GROUP, MaxResults=100)[
        "ModelPackageSummaryList"
    ]
    return {int(s["ModelPackageVersion"]): s for s in summaries}


def mails_since(stack: Stack, count: int) -> list[str]:
    return [m.subject or "" for m in stack.cloud.outbox.messages[count:]]


def decide(stack: Stack, version: int, status: str) -> None:
    """An approver's decision in the registry (the local cloud emits its state-change event)."""
    arn = versions(stack)[version]["ModelPackageArn"]
    stack.cloud.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)
    assert stack.cloud.wait_jobs_idle(RUN_TIMEOUT)  # its state-change event is routed and handled


def test_while_v2_awaits_approval_the_next_drifting_run_starts_nothing_and_says_so(stack: Stack) -> None:
    # Given v2, trained for the drift of run rules-copy, awaits approval
    assert versions(stack)[2]["ModelApprovalStatus"] == "PendingManualApproval"
    before, mails = len(stack.retrainings()), len(stack.cloud.outbox.messages)

    # When the next run of v1 drifts as well
    stack.drift_run("rules-persist")

    # Then no retraining started, and the mails are the run's drift mail and why nothing started
    # (StartRetraining decides while the run puts its event, before the run's own mail: any order)
    assert len(stack.retrainings()) == before
    assert sorted(mails_since(stack, mails)) == [
        f"[dev] Drift detected: {GROUP} v1",
        f"[dev] Drift persists: {GROUP} v2 awaits approval",
    ]
    [told] = [m.message for m in stack.cloud.outbox.messages[mails:] if "Drift persists" in (m.subject or "")]
    assert "drift persists since rules-copy; v2 awaits approval since " in told


def test_after_v2_is_rejected_the_drift_waits_for_new_training_data(stack: Stack) -> None:
    # Given v2 was rejected (nothing new under training-data/ since it was trained)
    decide(stack, 2, "Rejected")
    before = len(stack.retrainings())

    # When the next run drifts: nothing starts (the cool-down is a week)
    mails = len(stack.cloud.outbox.messages)
    stack.drift_run("rules-rejected")
    assert len(stack.retrainings()) == before
    assert f"[dev] Drift persists: {GROUP} v1, v2 was rejected" in mails_since(stack, mails)

    # When newly labelled data arrives and the next run drifts: it retrains, and registers v3
    s3 = stack.cloud.client("s3")
    source = {"Bucket": stack.bucket, "Key": "training-data/breast-cancer-part2.csv"}
    s3.copy_object(Bucket=stack.bucket, Key="training-data/breast-cancer-part3.csv", CopySource=source)
    stack.drift_run("rules-new-data")
    [run] = [e for e in stack.retrainings() if e["name"] == "retrain-rules-new-data"]
    assert stack.cloud.wait_for_execution(run["executionArn"], timeout=RUN_TIMEOUT)["status"] == "SUCCEEDED"
    assert versions(stack)[3]["ModelApprovalStatus"] == "PendingManualApproval"


def test_after_v3_is_approved_its_own_drifting_run_retrains(stack: Stack) -> None:
    # Given v3 was approved: it is live, and the next runs score with it
    decide(stack, 3, "Approved")

    # When a run of v3 drifts (no candidate was trained from v3 yet)
    stack.drift_run("rules-v3")

    # Then it retrains, from v3
    [run] = [e for e in stack.retrainings() if e["name"] == "retrain-rules-v3"]
    ended = stack.cloud.wait_for_execution(run["executionArn"], timeout=RUN_TIMEOUT)
    assert json.loads(ended["input"])["baseModelPackageArn"] == versions(stack)[3]["ModelPackageArn"]
