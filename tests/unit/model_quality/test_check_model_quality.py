"""CheckModelQuality on moto: labels land for a scored run, the check acts once per label set."""

from __future__ import annotations

import json
from typing import Any

import boto3
import numpy as np
import pytest
from dataquality import model_metrics
from dataquality import model_quality as mq
from mlops_loop.model_quality import flow
from mlops_loop.model_quality.settings import CheckModelQualitySettings
from mlops_loop.ports import EventNotPublished
from mlops_loop.settings import settings

from functions.check_model_quality import app
from tests.support.caches import reset_caches
from tests.support.fakes import FakeEventBus
from tests.support.helpers import GROUP, REGION, FakeLambdaContext, Topic, load_event
from tests.support.retraining import Retraining

RUN = "scheduled-20261124T020000Z"
ROWS = 300


def _put(bucket: str, key: str, body: str | bytes) -> None:
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body
    )


def _read(bucket: str, key: str) -> Any:
    return boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def _scored_run(bucket: str, *, flip: bool, rows: int = ROWS) -> str:
    """v1 registered Approved with its model-quality baseline; a batch run it scored; labels (by row
    order) that follow the model's rule, or the opposite rule (`flip`). Returns the marker's key."""
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 2, rows)
    features = rng.normal(size=(rows, 2)).round(3)
    scores = np.clip(truth * 0.7 + rng.random(rows) * 0.3, 0, 1)
    base = model_metrics.statistics(mq.BINARY_CLASSIFICATION, truth, scores)
    _put(bucket, "v1/mq/statistics.json", json.dumps(base.to_dict()))
    _put(bucket, "v1/mq/constraints.json", json.dumps(mq.suggest_model_quality_constraints(base).to_dict()))
    _put(
        bucket,
        "v1/dq/statistics.json",
        json.dumps({"version": 0.0, "features": [{"name": "f1"}, {"name": "f2"}]}),
    )
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    source = {"ContentType": "application/json"}
    arn = sm.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "xgboost:1", "ModelDataUrl": f"s3://{bucket}/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={
            "ModelQuality": {
                "Statistics": source | {"S3Uri": f"s3://{bucket}/v1/mq/statistics.json"},
                "Constraints": source | {"S3Uri": f"s3://{bucket}/v1/mq/constraints.json"},
            }
        },
    )["ModelPackageArn"]
    run = f"batch-inference/{GROUP}/v1/{RUN}"
    _put(
        bucket,
        f"{run}/monitoring/verdict.json",
        json.dumps(
            {
                "runId": RUN,
                "modelPackageVersion": 1,
                "modelPackageArn": arn,
                "batchInputS3Uri": f"s3://{bucket}/batch-input/",
                "baselineStatisticsS3Uri": f"s3://{bucket}/v1/dq/statistics.json",
            }
        ),
    )
    _put(bucket, "batch-input/batch.csv", "".join(f"{a},{b}\n" for a, b in features))
    _put(bucket, f"{run}/predictions/batch.csv.out", "".join(f"{s}\n" for s in scores))
    labels = 1 - truth if flip else truth
    folder = f"ground-truth/{GROUP}/v1/{RUN}"
    _put(bucket, f"{folder}/labels.csv", "label\n" + "".join(f"{y}\n" for y in labels))
    _put(bucket, f"{folder}/_SUCCESS", b"")
    return f"{folder}/_SUCCESS"


def _event(bucket: str, key: str, event_id: str = "e-1") -> dict[str, Any]:
    event = load_event("check_model_quality_labels")
    event["id"] = event_id
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"]["key"] = key
    return event


def _executions(retraining: Retraining) -> list[str]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return [
        e["name"] for e in sfn.list_executions(stateMachineArn=retraining.state_machine_arn)["executions"]
    ]


def _degraded_events(bucket: str) -> Any:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="degraded-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="degraded", EventPattern=json.dumps({"detail-type": ["Model Quality Degraded"]}))
    events.put_targets(Rule="degraded", Targets=[{"Id": "q", "Arn": queue_arn}])
    return lambda: [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_labels_of_a_changed_rule_degrade_mail_put_the_event_add_the_rows_and_retrain_once(
    retraining: Retraining, topic: Topic, bucket: str
):
    # Given a run of the live v1 whose labels follow the opposite rule, and a reader of the event
    key = _scored_run(bucket, flip=True)
    degraded_events = _degraded_events(bucket)
    # When the marker's event arrives
    result = app.lambda_handler(_event(bucket, key), FakeLambdaContext())
    # Then the verdict is degraded, with every row joined by row order
    assert (result["status"], result["verdict"]) == ("checked", "degraded")
    assert result["rows"]["matched"] == ROWS and result["rows"]["joinedBy"] == "row_order"
    # the retraining of this run's episode started, once, through the starter
    assert _executions(retraining) == [f"retrain-{RUN}-model-quality"]
    assert result["actions"]["retraining"]["outcome"] == "started"
    # the labelled rows joined the training data, with the version's feature names
    rows = _read(bucket, f"training-data/ground-truth/{GROUP}/v1/{RUN}.csv").splitlines()
    assert rows[0] == "label,f1,f2" and len(rows) == ROWS + 1
    # the mail says the metrics against the baseline and the row counts
    [mail] = topic.messages()
    assert mail["Subject"] == f"[dev] Model quality degraded: {GROUP} v1"
    assert (
        "auc:" in mail["Message"]
        and "VIOLATED" in mail["Message"]
        and f"Rows: {ROWS} joined" in mail["Message"]
    )
    [event] = degraded_events()
    assert event["source"] == "mlops.monitoring" and event["detail"]["runId"] == RUN
    assert {v["metricName"] for v in event["detail"]["violations"]} >= {"auc"}
    # And another delivery of the same label set (another event) does nothing again
    reset_caches()
    again = app.lambda_handler(_event(bucket, key, "e-2"), FakeLambdaContext())
    assert again["status"] == "already_checked" and again["verdict"] == "degraded"
    assert topic.messages() == [] and _executions(retraining) == [f"retrain-{RUN}-model-quality"]


def test_labels_that_follow_the_models_rule_are_clean_and_tell_nobody(
    retraining: Retraining, topic: Topic, bucket: str
):
    key = _scored_run(bucket, flip=False)
    result = app.lambda_handler(_event(bucket, key), FakeLambdaContext())
    assert result["verdict"] == "clean"
    assert topic.messages() == [] and _executions(retraining) == []


def test_too_few_labels_are_mailed_as_such_and_start_nothing(
    retraining: Retraining, topic: Topic, bucket: str
):
    key = _scored_run(bucket, flip=True, rows=40)
    result = app.lambda_handler(_event(bucket, key), FakeLambdaContext())
    assert result["verdict"] == "too_few_labels"
    [mail] = topic.messages()
    assert mail["Subject"].startswith("[dev] Too few labels") and _executions(retraining) == []


def test_the_sweep_checks_the_marked_label_sets_events_missed(
    retraining: Retraining, topic: Topic, bucket: str
):
    _scored_run(bucket, flip=True)
    swept = app.lambda_handler(load_event("schedule_model_quality_sweep"), FakeLambdaContext())
    assert (swept["checked"], swept["alreadyChecked"], swept["failed"]) == (1, 0, [])
    reset_caches()
    again = app.lambda_handler(load_event("schedule_model_quality_sweep"), FakeLambdaContext())
    assert (again["checked"], again["alreadyChecked"]) == (0, 1)


def test_a_key_outside_the_layout_is_a_named_error(retraining: Retraining, bucket: str):
    from mlops_loop.model_quality.errors import InvalidGroundTruthKey

    with pytest.raises(InvalidGroundTruthKey):
        app.lambda_handler(_event(bucket, f"ground-truth/{RUN}/_SUCCESS"), FakeLambdaContext())


def test_the_sweep_names_a_label_set_it_cannot_check_and_checks_the_others(
    retraining: Retraining, topic: Topic, bucket: str
):
    # Given one good label set and, for another run of v1, labels without a `label` header
    _scored_run(bucket, flip=False)
    _put(bucket, f"ground-truth/{GROUP}/v1/other-run/labels.csv", "y\n1\n")
    _put(bucket, f"ground-truth/{GROUP}/v1/other-run/_SUCCESS", b"")
    _put(
        bucket,
        f"batch-inference/{GROUP}/v1/other-run/monitoring/verdict.json",
        json.dumps(
            {
                "runId": "other-run",
                "modelPackageVersion": 1,
                "modelPackageArn": f"arn:aws:sagemaker:{REGION}:123456789012:model-package/{GROUP}/1",
            }
        ),
    )
    _put(bucket, f"batch-inference/{GROUP}/v1/other-run/predictions/b.csv.out", "0.5\n")
    # and a marked label set of a run that never ran (no monitoring record)
    _put(bucket, f"ground-truth/{GROUP}/v1/aaa-no-such-run/labels.csv", "label\n1\n")
    _put(bucket, f"ground-truth/{GROUP}/v1/aaa-no-such-run/_SUCCESS", b"")
    # When the sweep runs
    swept = app.lambda_handler(load_event("schedule_model_quality_sweep"), FakeLambdaContext())
    # Then each bad set is named by its own error (the first one did not stop the sweep), and the
    # good one was checked all the same
    assert sorted((f["marker"].split("/")[3], f["error"]) for f in swept["failed"]) == [
        ("aaa-no-such-run", "RunNotFound"),
        ("other-run", "InvalidLabels"),
    ]
    assert swept["checked"] == 1


def test_a_refused_event_leaves_no_verdict_mail_or_retraining_and_the_retry_acts(
    retraining: Retraining, topic: Topic, bucket: str
):
    # Given a degraded label set, and a bus whose PutEvents entry fails (FailedEntryCount 1)
    key = _scored_run(bucket, flip=True)
    refusing = FakeEventBus(refuse_with=("ThrottlingException", "Rate exceeded"))
    cfg = settings(CheckModelQualitySettings)
    # When the check acts, Then the refusal is the named error, and nothing after it happened
    with pytest.raises(EventNotPublished, match="ThrottlingException"):
        flow.check_label_set(key, cfg, FakeLambdaContext(), bus=refusing)
    verdicts = boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=bucket, Prefix=f"batch-inference/{GROUP}/v1/{RUN}/model-quality/"
    )
    assert not [o["Key"] for o in verdicts.get("Contents", []) if o["Key"].endswith("verdict.json")]
    assert topic.messages() == [] and _executions(retraining) == []
    # And the retry (Lambda's, or the sweep's) puts the event and acts once
    bus = FakeEventBus()
    result = flow.check_label_set(key, cfg, FakeLambdaContext(), bus=bus)
    assert (result["status"], result["verdict"]) == ("checked", "degraded")
    assert [t for _, t, _ in bus.events] == ["Model Quality Degraded"]
    assert len(topic.messages()) == 1 and _executions(retraining) == [f"retrain-{RUN}-model-quality"]
