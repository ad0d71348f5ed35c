"""The check of one run's label set through the ports (in-memory fakes): the run found from the
labels' folder, outputs under the run's prefix, each verdict, idempotency per label set."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from dataquality import model_metrics
from dataquality import model_quality as mq
from mlops_loop.model_quality import service
from mlops_loop.model_quality.errors import (
    InvalidGroundTruthKey,
    MissingModelQualityBaseline,
    RunMismatch,
    RunNotFound,
)
from mlops_loop.s3uri import S3Uri

from tests.support.fakes import FakeArtifactStore, FakeRegistry

BUCKET = "artifacts"
GROUP = "churn"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/3"
V4 = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/4"
RUN = "scheduled-20261201T020000Z"
RUN_PREFIX = f"s3://{BUCKET}/batch-inference/{GROUP}/v3/{RUN}"
LABELS = f"ground-truth/{GROUP}/v3/{RUN}"
CFG = service.Settings(
    artifacts_bucket=BUCKET,
    output_prefix="batch-inference",
    ground_truth_prefix="ground-truth",
    model_package_group=GROUP,
    min_rows=100,
)
T0 = datetime(2026, 12, 2, tzinfo=UTC)


def _world(*, flip: bool, rows: int = 400, live: str = ARN, baseline: bool = True):
    """A run of v3 with `rows` predictions and labels (by row order); `flip`: the labels follow a
    changed rule (the opposite of what the model learnt), so the metrics fall."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, rows)
    scores = np.clip(truth * 0.7 + rng.random(rows) * 0.3, 0, 1)
    labels = 1 - truth if flip else truth
    store = FakeArtifactStore()
    store.put_json(
        f"{RUN_PREFIX}/monitoring/verdict.json",
        {
            "runId": RUN,
            "modelPackageVersion": 3,
            "modelPackageArn": ARN,
            "batchInputS3Uri": f"s3://{BUCKET}/batch-input/",
        },
    )
    store.objects[f"{RUN_PREFIX}/predictions/batch.csv.out"] = "".join(f"{s}\n" for s in scores).encode()
    store.objects[f"s3://{BUCKET}/{LABELS}/labels.csv"] = (
        "label\n" + "".join(f"{y}\n" for y in labels)
    ).encode()
    base_stats = model_metrics.statistics(mq.BINARY_CLASSIFICATION, truth, scores)
    store.put_json(f"s3://{BUCKET}/v3/mq/statistics.json", base_stats.to_dict())
    store.put_json(
        f"s3://{BUCKET}/v3/mq/constraints.json", mq.suggest_model_quality_constraints(base_stats).to_dict()
    )
    metrics = (
        {
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": f"s3://{BUCKET}/v3/mq/statistics.json",
                },
                "Constraints": {
                    "ContentType": "application/json",
                    "S3Uri": f"s3://{BUCKET}/v3/mq/constraints.json",
                },
            }
        }
        if baseline
        else {}
    )
    registry = FakeRegistry(
        pages=[[{"ModelPackageArn": live, "CreationTime": T0, "ModelPackageVersion": int(live[-1])}]],
        packages={
            ARN: {
                "ModelPackageArn": ARN,
                "ModelPackageGroupName": GROUP,
                "ModelPackageVersion": 3,
                "CreationTime": T0,
                "ModelMetrics": metrics,
            }
        },
    )
    return store, registry


def _lister(store: FakeArtifactStore):
    def listed(prefix: S3Uri) -> list[service.Listed]:
        return [service.Listed(u.key, f"etag-{len(store.objects[str(u)])}", T0) for u in store.keys(prefix)]

    return listed


REF = service.RunRef.from_key(f"{LABELS}/_SUCCESS", "ground-truth")


def test_the_labels_folder_names_the_run_and_its_version():
    assert (REF.group, REF.version, REF.run_id) == (GROUP, 3, RUN)
    with pytest.raises(InvalidGroundTruthKey):
        service.RunRef.from_key(f"ground-truth/{GROUP}/{RUN}/_SUCCESS", "ground-truth")


def test_labels_that_follow_a_changed_rule_degrade_and_the_outputs_lie_under_the_run():
    store, registry = _world(flip=True)
    outcome = service.check(REF, CFG, store, _lister(store), registry)
    assert outcome.verdict == "degraded"
    assert outcome.output.key.startswith(f"batch-inference/{GROUP}/v3/{RUN}/model-quality/")
    violations = json.loads(store.objects[outcome.violations_s3_uri])
    assert {v["metric_name"] for v in violations["violations"]} >= {"auc", "accuracy"}
    stats = mq.parse_model_quality_statistics(json.loads(store.objects[outcome.statistics_s3_uri]))
    assert stats.item_count == 400
    doc = service.record(outcome, store, {"retraining": "started"})
    assert doc["rows"]["matched"] == 400 and doc["rows"]["joinedBy"] == "row_order"
    auc = next(m for m in doc["metrics"] if m["metricName"] == "auc")
    assert auc["violated"] and auc["baseline"] > 0.9 > auc["value"]


def test_the_same_label_set_is_checked_once_and_a_corrected_set_again():
    store, registry = _world(flip=True)
    first = service.check(REF, CFG, store, _lister(store), registry)
    service.record(first, store, {})
    again = service.check(REF, CFG, store, _lister(store), registry)
    assert again.already_checked and again.verdict == "degraded" and again.label_set_id == first.label_set_id
    store.objects[f"s3://{BUCKET}/{LABELS}/correction.csv"] = b"label\n1\n"
    corrected = service.check(REF, CFG, store, _lister(store), registry)
    assert not corrected.already_checked and corrected.label_set_id != first.label_set_id


def test_labels_that_follow_the_models_rule_are_clean():
    store, registry = _world(flip=False)
    outcome = service.check(REF, CFG, store, _lister(store), registry)
    assert outcome.verdict == "clean"
    assert outcome.violations_s3_uri not in store.objects  # Model Monitor writes none when clean


def test_too_few_labels_and_a_version_no_longer_live():
    store, registry = _world(flip=True, rows=50)
    assert service.check(REF, CFG, store, _lister(store), registry).verdict == "too_few_labels"
    store, registry = _world(flip=True, live=V4)
    assert service.check(REF, CFG, store, _lister(store), registry).verdict == "version_not_live"


def test_a_run_without_a_record_or_of_another_version_or_without_a_baseline_is_named():
    store, registry = _world(flip=True)
    other = service.RunRef(GROUP, 3, "manual-x")
    with pytest.raises(RunNotFound):
        service.check(other, CFG, store, _lister(store), registry)
    store.put_json(
        f"{RUN_PREFIX}/monitoring/verdict.json",
        {"runId": RUN, "modelPackageVersion": 2, "modelPackageArn": ARN},
    )
    with pytest.raises(RunMismatch):
        service.check(REF, CFG, store, _lister(store), registry)
    store, registry = _world(flip=True, baseline=False)
    with pytest.raises(MissingModelQualityBaseline):
        service.check(REF, CFG, store, _lister(store), registry)


def test_the_report_shows_each_metric_against_its_baseline_the_confusion_matrix_and_both_roc_curves():
    store, registry = _world(flip=True)
    outcome = service.check(REF, CFG, store, _lister(store), registry)
    page = store.objects[outcome.report_s3_uri].decode()
    stats = mq.parse_model_quality_statistics(json.loads(store.objects[outcome.statistics_s3_uri]))
    assert "<span class='badge' style='background:#c0392b'>degraded</span>" in page
    auc = next(c for c in outcome.comparisons if c.metric_name == "auc")
    assert f"<td>auc</td><td class='num'>{auc.value:.4f}</td>" in page
    assert f"<td class='num'>{outcome.baseline_values['auc']:.4f}</td>" in page
    assert page.count("<span class='flag'>violated</span>") == sum(c.violated for c in outcome.comparisons)
    cm = stats.confusion_matrix
    assert cm is not None and f"<th>1</th><td class='num'>{cm['1']['0']}</td>" in page
    assert page.count("<polyline") == 2  # the run's ROC curve and the baseline's
    assert "<script" not in page
