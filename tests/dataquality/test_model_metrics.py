"""Model-quality metrics (dataquality.model_metrics): AWS's numbers on AWS's data, and sklearn's."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from dataquality import model_metrics as mm
from dataquality import model_quality as mq
from sklearn import metrics as skm

MM = Path(__file__).resolve().parents[2].parent / "shared" / "model-monitor-files"
REGRESSION = MM / "sagemaker-python-sdk" / "model_quality"
BINARY = MM / "kubeflow-pipelines" / "churn_model_quality"
real_files = pytest.mark.skipif(not MM.is_dir(), reason=f"AWS's real files are not here: {MM}")


@real_files
def test_regression_statistics_of_aws_csv_are_aws_statistics():
    with (REGRESSION / "baseline_dataset.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    # the ground truth of this baseline is its Prediction column (see test_model_quality_aws.py)
    truth = np.array([float(r["Prediction"]) for r in rows])
    predicted = np.array([float(r["Label"]) for r in rows])
    ours = mm.statistics(mq.REGRESSION, truth, predicted)
    aws = mq.parse_model_quality_statistics(json.loads((REGRESSION / "statistics.json").read_text()))
    assert list(ours.metrics) == list(aws.metrics)
    for name, metric in aws.metrics.items():
        assert ours.metrics[name].value == pytest.approx(metric.value, rel=1e-12), name
        assert ours.metrics[name].standard_deviation is None  # 100 rows: "NaN", as AWS writes
    assert ours.item_count == aws.item_count == 100


@real_files
def test_binary_statistics_have_aws_keys_in_aws_order():
    aws = json.loads((BINARY / "statistics.json").read_text())["binary_classification_metrics"]
    labels = np.array([0, 1] * 150)
    scores = np.linspace(0, 1, 300)
    ours = mm.binary_classification_report(labels, scores)["binary_classification_metrics"]
    # au_prc is the one key AWS's newer container writes that this project does not compute
    assert list(ours) == [k for k in aws if k != "au_prc"]
    assert set(mq.SUGGESTED_METRICS[mq.BINARY_CLASSIFICATION]) <= set(ours)


def test_binary_metrics_are_sklearns():
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 2, 500)
    scores = np.round(np.clip(labels * 0.35 + rng.random(500) * 0.65, 0, 1), 2)  # rounded: ties
    m = mm.statistics(mq.BINARY_CLASSIFICATION, labels, scores).metrics
    predicted = (scores >= 0.5).astype(int)
    assert m["auc"].value == pytest.approx(skm.roc_auc_score(labels, scores))
    assert m["precision"].value == pytest.approx(skm.precision_score(labels, predicted))
    assert m["recall"].value == pytest.approx(skm.recall_score(labels, predicted))
    assert m["f2"].value == pytest.approx(skm.fbeta_score(labels, predicted, beta=2))
    assert m["accuracy"].value == pytest.approx(skm.accuracy_score(labels, predicted))


def test_curves_are_the_metrics_at_each_threshold():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 400)
    scores = np.round(rng.random(400), 2)
    curves = mm.binary_classification_report(labels, scores)["binary_classification_metrics"]
    roc = curves["receiver_operating_characteristic_curve"]
    pr = curves["precision_recall_curve"]
    for i, t in enumerate(np.linspace(1.0, 0.0, mm.CURVE_POINTS)):
        p = mm.point_metrics(labels, scores, float(t))
        assert roc["false_positive_rates"][i] == pytest.approx(p["false_positive_rate"])
        assert roc["true_positive_rates"][i] == pytest.approx(p["true_positive_rate"])
        assert pr["precisions"][i] == pytest.approx(p["precision"] if p["tp"] + p["fp"] else 1.0)


def test_regression_r2_is_undefined_for_a_constant_truth_and_std_comes_from_200_rows():
    flat = mm.statistics(mq.REGRESSION, np.ones(10), np.arange(10.0))
    assert np.isnan(flat.metrics["r2"].value)
    assert flat.to_dict()["regression_metrics"]["r2"]["value"] == "NaN"
    rng = np.random.default_rng(1)
    truth = rng.random(250)
    many = mm.statistics(mq.REGRESSION, truth, truth + rng.normal(0, 0.1, 250))
    assert all(m.standard_deviation is not None for m in many.metrics.values())
