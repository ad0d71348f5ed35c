"""The check: the joined rows' metrics against the live version's constraints, through each
constraint's own operator and the tolerance, into Model Monitor's files and a verdict."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from dataquality import model_quality as mq
from dataquality.errors import BaselineFormatError
from mlops_loop.model_quality.check import compare, decide, statistics_of, violations_document
from mlops_loop.model_quality.join import LabelObject, join, predictions_in_order

MM = Path(__file__).resolve().parents[3].parent / "shared" / "model-monitor-files"
CHURN = MM / "kubeflow-pipelines" / "churn_model_quality"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _stats(problem: str, **values: float) -> mq.ModelQualityStatistics:
    return mq.ModelQualityStatistics(problem, {k: mq.Metric(v) for k, v in values.items()})


def _constraints(problem: str, **rules: tuple[float, str]) -> mq.ModelQualityConstraints:
    return mq.ModelQualityConstraints(
        problem, {k: mq.MetricConstraint(t, op) for k, (t, op) in rules.items()}
    )


LT, GT = mq.LESS_THAN_THRESHOLD, mq.GREATER_THAN_THRESHOLD
BIN = mq.BINARY_CLASSIFICATION


@pytest.mark.parametrize(
    ("value", "tolerance", "violated"),
    [(0.80, 0.0, True), (0.90, 0.0, False), (0.86, 0.05, False), (0.85, 0.05, False), (0.849, 0.05, True)],
)
def test_less_than_threshold_is_violated_only_below_the_threshold_minus_the_tolerance(
    value, tolerance, violated
):
    [c] = compare(_stats(BIN, auc=value), _constraints(BIN, auc=(0.9, LT)), tolerance)
    assert c.violated is violated


@pytest.mark.parametrize(
    ("value", "tolerance", "violated"),
    [(0.15, 0.0, True), (0.10, 0.0, False), (0.14, 0.05, False), (0.151, 0.05, True)],
)
def test_greater_than_threshold_is_violated_only_above_the_threshold_plus_the_tolerance(
    value, tolerance, violated
):
    [c] = compare(
        _stats(BIN, false_positive_rate=value), _constraints(BIN, false_positive_rate=(0.1, GT)), tolerance
    )
    assert c.violated is violated


def test_an_undefined_or_missing_metric_is_reported_not_comparable_never_a_violation():
    comparisons = compare(_stats(BIN, auc=math.nan), _constraints(BIN, auc=(0.9, LT), au_prc=(0.8, LT)), 0.0)
    assert [(c.metric_name, c.comparable, c.violated) for c in comparisons] == [
        ("auc", False, False),
        ("au_prc", False, False),
    ]
    assert comparisons[0].to_dict()["value"] is None


def test_metrics_of_another_problem_type_are_refused():
    with pytest.raises(BaselineFormatError, match="constrains regression"):
        compare(_stats(BIN, auc=0.9), _constraints("regression", mae=(1.0, GT)), 0.0)


def test_violations_are_model_monitors_shape_and_none_when_clean():
    comparisons = compare(_stats(BIN, auc=0.7, f1=0.9), _constraints(BIN, auc=(0.9, LT), f1=(0.8, LT)), 0.05)
    assert violations_document(comparisons, 0.05) == {
        "violations": [
            {
                "constraint_check_type": "LessThanThreshold",
                "description": "Metric auc with 0.7 was LessThanThreshold 0.9 (tolerance 0.05)",
                "metric_name": "auc",
            }
        ]
    }
    assert violations_document([c for c in comparisons if not c.violated], 0.05) is None


@pytest.mark.skipif(not CHURN.is_dir(), reason=f"AWS's real files are not here: {MM}")
def test_aws_binary_baseline_against_a_worse_batch_flags_the_scores_that_fell():
    # Given AWS's own churn model-quality constraints and statistics of a batch whose recall fell
    constraints = mq.parse_model_quality_constraints(json.loads((CHURN / "constraints.json").read_text()))
    baseline = mq.parse_model_quality_statistics(json.loads((CHURN / "statistics.json").read_text()))
    worse = {k: m.value for k, m in baseline.metrics.items()} | {"recall": 0.3, "true_positive_rate": 0.3}
    comparisons = compare(_stats(BIN, **worse), constraints, 0.05)
    # Then exactly the two metrics that fell beyond the tolerance are violated
    assert sorted(c.metric_name for c in comparisons if c.violated) == ["recall", "true_positive_rate"]
    # and the baseline against itself is clean (its thresholds are its own values)
    assert not any(c.violated for c in compare(baseline, constraints, 0.0))


@pytest.mark.parametrize(
    ("live", "matched", "violated", "verdict"),
    [
        (False, 1000, True, "version_not_live"),
        (False, 3, False, "version_not_live"),
        (True, 99, True, "too_few_labels"),
        (True, 100, True, "degraded"),
        (True, 100, False, "clean"),
    ],
)
def test_verdicts(live, matched, violated, verdict):
    comparisons = compare(_stats(BIN, auc=0.5 if violated else 0.95), _constraints(BIN, auc=(0.9, LT)), 0.0)
    assert decide(live=live, matched=matched, min_rows=100, comparisons=comparisons) == verdict


def test_statistics_of_the_joined_rows_are_the_evaluations_metrics():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300)
    scores = np.clip(labels * 0.6 + rng.random(300) * 0.5, 0, 1)
    predictions = predictions_in_order([("a.out", "".join(f"{s}\n" for s in scores))])
    label_text = "label\n" + "".join(f"{y}\n" for y in labels)
    joined = join(
        predictions, [LabelObject("l.csv", T0, label_text)], id_column="record_id", problem_type=BIN
    )
    stats = statistics_of(joined, BIN)
    assert stats.item_count == 300
    cm = stats.confusion_matrix
    assert cm is not None and cm["1"]["1"] == int(np.sum((scores >= 0.5) & (labels == 1)))
    assert stats.metrics["auc"].standard_deviation is not None  # 200 rows or more
