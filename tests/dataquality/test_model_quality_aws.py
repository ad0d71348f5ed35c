"""Model Monitor's model-quality files, read from AWS's real container output and written back.

Files: shared/model-monitor-files/sagemaker-python-sdk/model_quality (regression, with its CSV and
an edited negative case) and kubeflow-pipelines/churn_model_quality (binary classification).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import dataquality as dq
import numpy as np
import pytest
from dataquality import formats as fm
from dataquality import model_quality as mq

MM = Path(__file__).resolve().parents[2].parent / "shared" / "model-monitor-files"
REGRESSION = MM / "sagemaker-python-sdk" / "model_quality"
BINARY = MM / "kubeflow-pipelines" / "churn_model_quality"

pytestmark = pytest.mark.skipif(
    not MM.is_dir(),
    reason=f"AWS's real Model Monitor files are not here: {MM} (shared/ beside the clone) is absent",
)
FOLDERS = pytest.mark.parametrize("folder", [REGRESSION, BINARY], ids=["regression", "binary"])


def _text(path: Path) -> str:
    return path.read_text()


@FOLDERS
def test_real_model_quality_files_round_trip_to_the_same_json(folder: Path):
    for name, parse in (
        ("statistics.json", mq.parse_model_quality_statistics),
        ("constraints.json", mq.parse_model_quality_constraints),
    ):
        original = json.loads(_text(folder / name))
        written = parse(original, str(folder / name)).to_dict()
        # the same keys in the same order and the same values ("NaN" standard deviations included)
        assert fm.dumps(written) == json.dumps(original, indent=2) + "\n", name


@FOLDERS
def test_suggested_constraints_are_aws_constraints(folder: Path):
    stats = mq.parse_model_quality_statistics(json.loads(_text(folder / "statistics.json")))
    aws = json.loads(_text(folder / "constraints.json"))
    assert mq.suggest_model_quality_constraints(stats).to_dict() == aws
    # a baseline meets its own constraints (the thresholds are its values, the comparisons strict)
    assert mq.evaluate_model_quality(stats, mq.parse_model_quality_constraints(aws)) == []


def test_regression_metrics_are_what_the_csv_gives():
    with (REGRESSION / "baseline_dataset.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([float(r["Label"]) for r in rows])
    p = np.array([float(r["Prediction"]) for r in rows])
    stats = mq.parse_model_quality_statistics(json.loads(_text(REGRESSION / "statistics.json")))
    assert stats.problem_type == mq.REGRESSION and stats.item_count == len(rows) == 100
    m = {k: v.value for k, v in stats.metrics.items()}
    assert m["mae"] == pytest.approx(np.mean(np.abs(y - p)))
    assert m["mse"] == pytest.approx(np.mean((y - p) ** 2))
    assert m["rmse"] == pytest.approx(np.sqrt(np.mean((y - p) ** 2)))
    # r2 = 1 - SS_res / SS_tot of the *ground truth*: the sagemaker-python-sdk test that made this
    # baseline configures inference_attribute="Label", ground_truth_attribute="Prediction"
    # (tests/integ/sagemaker/workflow/test_quality_check_step.py), so the ground truth here is the
    # Prediction column: -3.2088, where taking Label as the truth would give -0.3351
    truth, predicted = p, y
    assert m["r2"] == pytest.approx(
        1 - np.sum((truth - predicted) ** 2) / np.sum((truth - truth.mean()) ** 2)
    )
    assert m["r2"] != pytest.approx(1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))
    # fewer than 200 samples: no standard deviation (the docs; AWS writes "NaN")
    assert all(v.standard_deviation is None for v in stats.metrics.values())


def test_binary_confusion_matrix_is_actual_then_predicted():
    stats = mq.parse_model_quality_statistics(json.loads(_text(BINARY / "statistics.json")))
    cm = stats.confusion_matrix
    assert stats.problem_type == mq.BINARY_CLASSIFICATION and cm is not None
    assert sum(sum(row.values()) for row in cm.values()) == stats.item_count == 201
    m = {k: v.value for k, v in stats.metrics.items()}
    assert m["recall"] == pytest.approx(cm["1"]["1"] / (cm["1"]["0"] + cm["1"]["1"]))
    assert m["precision"] == pytest.approx(cm["1"]["1"] / (cm["0"]["1"] + cm["1"]["1"]))
    assert m["accuracy"] == pytest.approx((cm["0"]["0"] + cm["1"]["1"]) / 201)
    roc = stats.curves["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) == len(roc["true_positive_rates"]) == 203
    assert stats.metrics["auc"].standard_deviation == pytest.approx(0.011280379822273314)


def test_edited_bad_case_flags_exactly_mse():
    # the test author lowered mse's threshold tenfold: the baseline's own mse now breaks it
    stats = mq.parse_model_quality_statistics(json.loads(_text(REGRESSION / "statistics.json")))
    bad = mq.parse_model_quality_constraints(json.loads(_text(REGRESSION / "bad_cases" / "constraints.json")))
    [v] = mq.evaluate_model_quality(stats, bad)
    assert (v.metric_name, v.comparison_operator) == ("mse", "GreaterThanThreshold")
    assert v.value > v.threshold


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["regression_constraints"]["mae"].update(comparison_operator="Above"),
            "unknown comparison",
        ),
        (
            lambda d: d["regression_constraints"]["mae"].update(threshold="x"),
            r"mae\.threshold: must be a finite",
        ),
        (lambda d: d.update(version=1.0), 'unsupported "version"'),
        (lambda d: d.update(binary_classification_constraints={}), "needs exactly one of"),
    ],
)
def test_malformed_model_quality_constraints_are_named(edit, message: str):
    doc = json.loads(_text(REGRESSION / "constraints.json"))
    edit(doc)
    with pytest.raises(dq.BaselineFormatError, match=message):
        mq.parse_model_quality_constraints(doc)


def test_statistics_and_constraints_of_different_problems_are_refused():
    stats = mq.parse_model_quality_statistics(json.loads(_text(BINARY / "statistics.json")))
    cons = mq.parse_model_quality_constraints(json.loads(_text(REGRESSION / "constraints.json")))
    with pytest.raises(dq.BaselineFormatError, match="statistics are binary_classification"):
        mq.evaluate_model_quality(stats, cons)
