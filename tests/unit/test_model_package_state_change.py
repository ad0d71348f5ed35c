"""ModelPackageStateChange: approvals make a version live (SSM), people are told, others ignored."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import boto3
import numpy as np
import pytest
from dataquality.model_metrics import binary_classification_report
from mlops_loop import notifications
from mlops_loop.errors import InvalidEvent, ModelPackageNotFound

from functions.model_package_state_change import app
from tests.support.caches import reset_caches
from tests.support.helpers import (
    ACCOUNT,
    BUCKET,
    GROUP,
    LIVE_PARAMETER,
    REGION,
    emf_metrics,
    load_event,
    logged,
)
from tests.support.registry_seed import create_group, put_evaluation, register, set_status
from tests.support.retraining import TABLE, create_state_table


def live_value() -> Any:  # the recorded JSON object, or None
    ssm = boto3.client("ssm", region_name=REGION)
    try:
        return json.loads(ssm.get_parameter(Name=LIVE_PARAMETER)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


@pytest.fixture(autouse=True)
def state_table(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The stack's state table, where each handled event leaves its idempotency record."""
    create_state_table()
    monkeypatch.setenv("STATE_TABLE_NAME", TABLE)
    reset_caches()
    return TABLE


def event_for(name: str, version: int) -> dict:
    """The sample event for another version: another event, so another EventBridge `id`."""
    event = load_event(name)
    event["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{version}"))
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/{version}"
    event["detail"]["ModelPackageVersion"] = version
    event["detail"]["ModelPackageArn"] = arn
    event["resources"] = [arn]
    return event


@pytest.fixture
def registry(function_env, lambda_context):
    """v1 approved and recorded live (auc 0.95), v2 and v3 waiting for approval (v3: auc 0.97)."""
    create_group()
    v1 = register(run="r1", quality_uri=put_evaluation("r1", 0.95, 0.90))
    register(run="r2")
    v3 = register(
        run="r3",
        status="PendingManualApproval",
        quality_uri=put_evaluation("r3", 0.97, 0.93),
        metadata={"reason": "drift", "episodeId": "scheduled-20261124T020000Z"},
    )
    set_status(v1, "Approved")
    boto3.client("sagemaker", region_name=REGION).update_model_package(
        ModelPackageArn=v1.replace("/1", "/2"), ModelApprovalStatus="Rejected"
    )
    app.lambda_handler(event_for("model_package_approved", 1), lambda_context)
    return {"v1": v1, "v3": v3}


def test_approved_version_becomes_live_and_people_are_told(registry, topic, lambda_context):
    # Given v1 is live; When v3 is approved
    topic.messages()
    set_status(registry["v3"], "Approved")
    out = app.lambda_handler(load_event("model_package_approved"), lambda_context)

    # Then the SSM parameter records v3 and one message says so
    assert out["action"] == "recorded_live_and_notified"
    live = live_value()
    assert live["modelPackageArn"] == registry["v3"]
    assert live["modelPackageVersion"] == 3
    [message] = topic.messages()
    assert message["Subject"] == f"[dev] Approved, now live: {GROUP} v3"
    assert f"Previously live: {GROUP} v1" in message["Message"]
    assert "The next scheduled batch-inference run uses it." in message["Message"]
    # and the parameter's history is the audit log of what went live when
    history = boto3.client("ssm", region_name=REGION).get_parameter_history(Name=LIVE_PARAMETER)["Parameters"]
    assert [json.loads(h["Value"])["modelPackageVersion"] for h in history] == [1, 3]


def test_a_second_event_of_the_same_approval_writes_and_sends_nothing_more(registry, topic, lambda_context):
    # Given v3's approval was handled (v3 is live)
    set_status(registry["v3"], "Approved")
    app.lambda_handler(load_event("model_package_approved"), lambda_context)
    topic.messages()

    # When SageMaker sends another event (another id) for the same approval
    again = load_event("model_package_approved") | {"id": "3f0b8c52-6d1e-4a7b-9c2f-8e5d1a0b7c64"}
    out = app.lambda_handler(again, lambda_context)

    # Then it is recognised as already live: nothing recorded, nobody told
    assert out == {
        "action": "ignored",
        "reason": "already live",
        "messageId": None,
        "batchExecutionArn": None,
    }
    assert topic.messages() == []


def test_approving_an_older_version_does_not_make_it_live(registry, topic, lambda_context):
    # Given v3 is approved and live; When the rejected v2 is approved afterwards
    set_status(registry["v3"], "Approved")
    app.lambda_handler(load_event("model_package_approved"), lambda_context)
    topic.messages()
    set_status(registry["v1"].replace("/1", "/2"), "Approved")
    out = app.lambda_handler(event_for("model_package_approved", 2), lambda_context)

    # Then v3 stays live (batch runs use the newest approved version) and the message says why
    assert out["action"] == "notified"
    assert live_value()["modelPackageVersion"] == 3
    [message] = topic.messages()
    assert message["Subject"] == f"[dev] Approved (not live): {GROUP} v2"
    assert f"{GROUP} v3 stays live" in message["Message"]


def test_rejecting_the_live_version_rolls_back_to_the_previous_approved(registry, topic, lambda_context):
    set_status(registry["v3"], "Approved")
    app.lambda_handler(load_event("model_package_approved"), lambda_context)
    topic.messages()

    set_status(registry["v3"], "Rejected", "Recall on malignant cases dropped")
    out = app.lambda_handler(load_event("model_package_rejected"), lambda_context)

    assert out["action"] == "recorded_live_and_notified"
    assert live_value()["modelPackageVersion"] == 1
    [message] = topic.messages()
    assert message["Subject"] == f"[dev] Rejected: {GROUP} v3"
    assert f"Live version is now: {GROUP} v1 (rolled back)." in message["Message"]
    assert "Reason given: Recall on malignant cases dropped" in message["Message"]


def test_pending_version_asks_approvers_with_metrics_against_the_live_version(
    registry, topic, lambda_context
):
    topic.messages()
    out = app.lambda_handler(event_for("model_package_pending_approval", 3), lambda_context)

    assert out["action"] == "asked_approval"
    [message] = topic.messages()
    body = message["Message"]
    assert message["Subject"] == f"[dev] Approval needed: {GROUP} v3"
    assert "auc: 0.9700 (live v1: 0.9500, +0.0200)" in body
    assert "accuracy: 0.9300 (live v1: 0.9000, +0.0300)" in body
    assert "It was trained because: drift (episode scheduled-20261124T020000Z)." in body
    assert f"--model-package-arn {registry['v3']} --model-approval-status Approved --region us-east-1" in body
    assert live_value()["modelPackageVersion"] == 1  # asking changes nothing


def put_model_quality_report(run: str, seed: int, signal: float) -> tuple[str, dict[str, float]]:
    """evaluation.json as EvaluateModel writes it (version, dataset, confusion matrix, curves, metrics)."""
    rng = np.random.default_rng(seed)
    labels = np.array([0, 1] * 20)
    scores = np.clip(labels * signal + rng.random(labels.size) * (1 - signal), 0, 1)
    report = binary_classification_report(labels, scores)
    key = f"retraining/{run}/evaluation/evaluation.json"
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key=key, Body=json.dumps(report).encode()
    )
    values = {name: m["value"] for name, m in report["binary_classification_metrics"].items() if "value" in m}
    return f"s3://{BUCKET}/{key}", values


def test_approval_request_shows_the_deciding_metrics_auc_first_new_vs_live(
    function_env, topic, lambda_context
):
    # Given: v1 live and v2 awaiting approval, each with a full evaluation.json from EvaluateModel
    create_group()
    live_uri, live = put_model_quality_report("r1", seed=1, signal=0.2)
    new_uri, new = put_model_quality_report("r2", seed=2, signal=0.5)
    register(run="r1", quality_uri=live_uri)
    app.lambda_handler(event_for("model_package_approved", 1), lambda_context)
    register(run="r2", status="PendingManualApproval", quality_uri=new_uri)
    topic.messages()

    # When the approvers are asked
    app.lambda_handler(event_for("model_package_pending_approval", 2), lambda_context)

    # Then: AUC, accuracy, precision, recall and F1 of both versions with the difference, AUC first
    [message] = topic.messages()
    body = message["Message"]
    rows = [line[4:] for line in body.splitlines() if line.startswith("  - ")]
    assert [row.split(":")[0] for row in rows] == ["auc", "accuracy", "precision", "recall", "f1"]
    assert new["auc"] != live["auc"]
    for row, name in zip(rows, ["auc", "accuracy", "precision", "recall", "f1"], strict=True):
        diff = new[name] - live[name]
        assert row == f"{name}: {new[name]:.4f} (live v1: {live[name]:.4f}, {diff:+.4f})"
    # And none of the report's bookkeeping: no version, item count or confusion-matrix cells
    assert "  - version:" not in body
    assert "item_count" not in body
    assert "confusion_matrix" not in body


def test_pending_event_for_a_version_not_in_the_registry_is_a_named_error(registry, topic, lambda_context):
    # Given a PendingManualApproval event for a version the registry does not hold (v9)
    topic.messages()
    event = event_for("model_package_pending_approval", 9)

    # When it is handled, Then the error names the missing package, and nobody is asked
    with pytest.raises(ModelPackageNotFound, match=f"model-package/{GROUP}/9 does not exist"):
        app.lambda_handler(event, lambda_context)
    assert topic.messages() == []
    assert live_value()["modelPackageVersion"] == 1


def test_run_on_approval_starts_a_batch_run(registry, topic, monkeypatch, lambda_context):
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name="mlops-loop-dev-batch-inference",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )["stateMachineArn"]
    monkeypatch.setenv("RUN_ON_APPROVAL", "true")
    monkeypatch.setenv("BATCH_INFERENCE_STATE_MACHINE_ARN", machine)
    from mlops_loop import settings

    settings.reset()
    set_status(registry["v3"], "Approved")

    out = app.lambda_handler(load_event("model_package_approved"), lambda_context)

    [execution] = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert execution["name"] == "approval-v3-20261124T153000Z"  # the approval event's time
    assert out["batchExecutionArn"] == execution["executionArn"]
    assert (
        json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])["trigger"]
        == "approval"
    )


@pytest.mark.parametrize(
    "name", ["model_package_approved", "model_package_rejected", "model_package_pending_approval"]
)
def test_events_of_another_group_are_ignored(registry, topic, lambda_context, name, caplog):
    topic.messages()
    before = live_value()
    event = load_event(name)
    event["detail"]["ModelPackageGroupName"] = "churn-model"
    event["detail"]["ModelPackageArn"] = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn-model/3"

    out = app.lambda_handler(event, lambda_context)

    assert out["action"] == "ignored"
    assert topic.messages() == []
    assert live_value() == before
    assert any(r.getMessage() == "Event of another model package group ignored" for r in caplog.records)


def test_same_group_name_in_another_account_is_ignored_when_the_group_is_an_arn(
    registry, topic, monkeypatch, lambda_context
):
    monkeypatch.setenv(
        "MODEL_PACKAGE_GROUP", f"arn:aws:sagemaker:{REGION}:111122223333:model-package-group/{GROUP}"
    )
    from mlops_loop import settings

    settings.reset()
    assert app.lambda_handler(load_event("model_package_approved"), lambda_context)["action"] == "ignored"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e["detail"].pop("ModelApprovalStatus"), "detail.ModelApprovalStatus"),
        (lambda e: e["detail"].update(ModelApprovalStatus="Maybe"), "detail.ModelApprovalStatus"),
        (lambda e: e["detail"].update(ModelPackageArn="not-an-arn"), "detail.ModelPackageArn"),
        (lambda e: e["detail"].update(ModelPackageVersion="three"), "detail.ModelPackageVersion"),
        (lambda e: e.update(source="aws.states"), "source"),
        (lambda e: e.pop("detail-type"), "detail-type"),
    ],
)
def test_malformed_event_is_a_clear_error_that_writes_nothing(registry, topic, lambda_context, mutate, field):
    topic.messages()
    before = live_value()
    event = load_event("model_package_approved")
    mutate(event)
    set_status(registry["v3"], "Approved")

    with pytest.raises(InvalidEvent, match=field):
        app.lambda_handler(event, lambda_context)

    assert topic.messages() == []
    assert live_value() == before


def test_a_model_without_classification_metrics_shows_its_own_metrics_not_the_bookkeeping():
    # Given a regression model's evaluation.json (Model Monitor's regression_metrics shape)
    doc = {
        "version": 0.0,
        "dataset": {"item_count": 500},
        "regression_metrics": {"mae": {"value": 1.5}, "rmse": {"value": 2.25}, "r2": {"value": 0.81}},
    }
    candidate = notifications.flatten_metrics(doc)

    # When compared with a live version
    text = notifications.compare_metrics(candidate, {"mae": 2.0}, 4)

    # Then its metrics are listed, and neither the report version nor the dataset size
    assert [line[4:].split(":")[0] for line in text.splitlines()[1:]] == ["mae", "rmse", "r2"]
    assert "mae: 1.5000 (live v4: 2.0000, -0.5000)" in text


# -- one mail per event: a redelivery (same EventBridge `id`) tells nobody again -----------------------
def table_items() -> list[dict[str, Any]]:
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=TABLE)["Items"]
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


@pytest.mark.parametrize(
    ("name", "status", "subject"),
    [
        ("model_package_approved", "Approved", f"[dev] Approved, now live: {GROUP} v3"),
        ("model_package_rejected", "Rejected", f"[dev] Rejected: {GROUP} v3"),
        ("model_package_pending_approval", "PendingManualApproval", f"[dev] Approval needed: {GROUP} v3"),
    ],
)
def test_a_redelivered_event_sends_one_mail_and_returns_the_first_result(  # noqa: PLR0917
    registry, topic, lambda_context, capsys, caplog, name, status, subject
):
    # Given v3's state changed and its event was handled once
    set_status(registry["v3"], status)
    topic.messages()
    capsys.readouterr()
    first = app.lambda_handler(event_for(name, 3), lambda_context)

    # When EventBridge delivers the same event (same id) again
    second = app.lambda_handler(event_for(name, 3), lambda_context)

    # Then one mail was sent, the redelivery got the first delivery's result and was counted
    assert [m["Subject"] for m in topic.messages()] == [subject]
    assert second == first
    assert first["messageId"] is not None
    counted = [m["name"] for m in emf_metrics(capsys.readouterr().out)]
    assert (counted.count("NotificationsSent"), counted.count("DuplicateEventsSkipped")) == (1, 1)
    assert len(logged(caplog, "Duplicate delivery of an event: the first delivery's result is returned, "
                              "nothing is done again")) == 1  # fmt: skip


def test_the_record_is_keyed_by_the_event_id_in_the_state_table_and_expires_after_a_day(
    registry, lambda_context
):
    # When an event is handled
    before = int(time.time())
    event = load_event("model_package_rejected")
    app.lambda_handler(event, lambda_context)

    # Then its record sits in the state table under the handler's name and the id's hash, with the
    # table's TTL attribute a day ahead (the retraining lock shares the table, under its own keys)
    digest = hashlib.md5(json.dumps(event["id"]).encode(), usedforsecurity=False).hexdigest()
    records = [i for i in table_items() if i["id"] == f"model-package-state-change#{digest}"]
    assert len(records) == 1
    assert records[0]["status"] == "COMPLETED"
    assert before + 86400 <= int(records[0]["expiration"]) <= int(time.time()) + 86400


def test_a_delivery_that_failed_leaves_no_record_so_the_retry_does_the_work(registry, topic, lambda_context):
    # Given a PendingManualApproval event that arrived before its version could be read (v4)
    topic.messages()
    event = event_for("model_package_pending_approval", 4)
    with pytest.raises(ModelPackageNotFound):
        app.lambda_handler(event, lambda_context)

    # When the version exists and Lambda retries the same event
    register(run="r4", status="PendingManualApproval")
    out = app.lambda_handler(event, lambda_context)

    # Then the retry asked the approvers: the failure did not count as "told"
    assert out["action"] == "asked_approval"
    assert [m["Subject"] for m in topic.messages()] == [f"[dev] Approval needed: {GROUP} v4"]


def test_events_of_another_group_and_malformed_ones_leave_no_record(registry, lambda_context):
    # Given the records the fixture's approval left
    before = table_items()
    other = load_event("model_package_approved")
    other["detail"]["ModelPackageGroupName"] = "churn-model"
    other["detail"]["ModelPackageArn"] = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn-model/3"
    malformed = load_event("model_package_approved")
    malformed.pop("detail")

    # When another group's event and a malformed one (both with a known id) arrive
    assert app.lambda_handler(other, lambda_context)["action"] == "ignored"
    with pytest.raises(InvalidEvent):
        app.lambda_handler(malformed, lambda_context)

    # Then nothing was recorded for them: their answers are their own, never a cached one
    assert table_items() == before
