"""Both state machines of the real template.yaml on a stack whose registry has no approved version
(the sample's v1 was rejected) and whose quality gate is out of reach (QualityGateMinAuc=0.9999,
above the ~0.999 the retrained model reaches on its held-out split).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.state_machines import ENVIRONMENT, GROUP, Stack, deployed, wait_until

STRICT_GATE = "0.9999"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(
        tmp_path_factory.mktemp("sm-strict"), with_part2=True, QualityGateMinAuc=STRICT_GATE
    ) as running:
        running.cloud.client("sagemaker").update_model_package(
            ModelPackageArn=running.v1_arn, ModelApprovalStatus="Rejected"
        )
        yield running


def failed_notification(stack: Stack, machine: str, name: str) -> list[object]:
    subject = f"[{ENVIRONMENT}] Workflow failed: {stack.cloud.stack.name}-{machine} {name}"
    return [n for n in stack.cloud.outbox.messages if n.subject == subject]


def test_no_approved_model_fails_at_resolve_and_creates_nothing(stack: Stack) -> None:
    run_id = "sm-no-approved"
    assert [p["ModelApprovalStatus"] for p in stack.versions()] == ["Rejected"]
    run = stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_clean))

    assert run.status == "FAILED"
    assert run.error == "NoApprovedModel"
    assert run.path == ["ResolveModel", "BatchInferenceFailed"]
    assert run.task_failures() == [("ResolveModel", "NoApprovedModel")]
    cause = json.loads(run.cause)  # FailureCause: no model version was resolved, so none is named
    assert (cause["step"], cause["error"], cause["runId"]) == ("ResolveModel", "NoApprovedModel", run_id)
    assert "modelPackageGroupName" not in cause
    assert GROUP in json.loads(cause["detail"])["errorMessage"]

    sagemaker = stack.cloud.client("sagemaker")
    assert [
        m["ModelName"] for m in sagemaker.list_models()["Models"] if m["ModelName"] == f"{GROUP}-v1"
    ] == []
    assert [
        j for j in sagemaker.list_transform_jobs()["TransformJobSummaries"] if run_id in j["TransformJobName"]
    ] == []
    assert stack.keys("batch-inference/") == []
    assert stack.drift_events(run_id) == []
    [note] = wait_until(
        lambda: failed_notification(stack, "batch-inference", run_id), what="the failure notification"
    )
    # NotifyFailure read the JSON cause and wrote it as a sentence, with the Lambda's own message.
    sentence = f"ResolveModel failed for an unresolved model version in run {run_id}: NoApprovedModel: "
    assert sentence in note.message
    assert f"model package group {GROUP} has no Approved version" in note.message


def test_gate_fails_registers_nothing_releases_the_lock_and_notifies(stack: Stack) -> None:
    episode = "sm-strict-gate"
    before = [int(p["ModelPackageVersion"]) for p in stack.versions()]
    # No version is approved, so no batch run can find drift: the retraining is started by hand
    run = stack.finished(stack.start_retraining_by_hand(episode))

    assert run.status == "FAILED"
    assert run.error == "QualityGateFailed"
    assert run.path == [
        "ReadInput",
        "PrepareTrainingData",
        "TrainModel",
        "CreateCandidateModel",
        "ScoreTestSet",
        "EvaluateModel",
        "QualityGate",
        "ReleaseLockAfterGateFailure",
        "QualityGateFailed",
    ]
    assert run.task_failures() == []
    cause = json.loads(run.cause)  # FailureCause: the candidate's AUC against the gate
    assert (cause["step"], cause["error"], cause["runId"]) == ("QualityGate", "QualityGateFailed", run.name)
    assert cause["qualityGateMinAuc"] == float(STRICT_GATE)
    assert 0.8 < cause["auc"] < float(STRICT_GATE)
    assert cause["rows"] > 0 and cause["trainingJobName"]
    assert [int(p["ModelPackageVersion"]) for p in stack.versions()] == before
    assert stack.state_item(f"retraining-lock#{GROUP}") is None
    notes = wait_until(
        lambda: failed_notification(stack, "retraining", run.name), what="the failure notification"
    )
    assert len(notes) == 1
    # NotifyFailure wrote the cause's fields as the sentence people read
    assert f"below the quality gate {float(STRICT_GATE):g}: nothing was registered" in notes[0].message
