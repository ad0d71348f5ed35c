"""EvaluateModel: numpy metrics equal scikit-learn's; evaluation.json has Model Monitor's shape."""

from __future__ import annotations

import json
from typing import Any

import boto3
import numpy as np
import pytest
from dataquality import model_quality as mq
from dataquality.model_metrics import auc, binary_classification_report, point_metrics
from mlops_loop.errors import InvalidEvent
from mlops_loop.retraining import evaluate
from mlops_loop.retraining.errors import InvalidPredictions, PredictionCountMismatch, PredictionsNotFound
from sklearn import metrics as skm

from functions.evaluate_model import app
from tests.support.helpers import REGION, FakeLambdaContext


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_metrics_equal_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 400))
    labels = rng.integers(0, 2, n)
    # Noisy scores correlated with the label, rounded so that ties occur.
    scores = np.clip(labels * 0.3 + rng.normal(0.35, 0.25, n), 0, 1).round(2)
    predicted = (scores >= 0.5).astype(int)

    m = point_metrics(labels, scores)

    assert auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(labels, predicted))
    assert m["precision"] == pytest.approx(skm.precision_score(labels, predicted, zero_division=0))
    assert m["recall"] == pytest.approx(skm.recall_score(labels, predicted))
    assert m["f1"] == pytest.approx(skm.f1_score(labels, predicted))
    assert m["f2"] == pytest.approx(skm.fbeta_score(labels, predicted, beta=2))
    assert m["f0_5"] == pytest.approx(skm.fbeta_score(labels, predicted, beta=0.5))
    tn, fp, fn, tp = skm.confusion_matrix(labels, predicted).ravel()
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (tn, fp, fn, tp)


def test_auc_of_perfect_inverted_and_constant_scores() -> None:
    labels = np.array([0, 0, 1, 1])
    assert auc(labels, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert auc(labels, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5


def test_report_has_model_monitor_model_quality_shape() -> None:
    labels = np.array([0, 0, 1, 1, 1, 0, 1, 0])
    scores = np.array([0.1, 0.6, 0.7, 0.9, 0.4, 0.2, 0.8, 0.3])
    report = binary_classification_report(labels, scores)
    metrics = report["binary_classification_metrics"]
    assert report["dataset"]["item_count"] == 8
    # outer key = actual label, inner = predicted (as Model Monitor writes it)
    assert metrics["confusion_matrix"] == {"0": {"0": 3, "1": 1}, "1": {"0": 1, "1": 3}}
    for name in ("auc", "accuracy", "precision", "recall", "f1", "f2", "f0_5", "true_positive_rate"):
        assert set(metrics[name]) == {"value", "standard_deviation"}
        assert metrics[name]["standard_deviation"] == "NaN"  # fewer than 200 rows, as Model Monitor
    assert metrics["auc"]["value"] == pytest.approx(skm.roc_auc_score(labels, scores))
    roc = metrics["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) == len(roc["true_positive_rates"])
    json.dumps(report, allow_nan=False)  # valid JSON, no bare NaN


def test_standard_deviation_from_200_rows() -> None:
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 300)
    scores = np.clip(labels * 0.4 + rng.uniform(0, 0.6, 300), 0, 1)
    report = binary_classification_report(labels, scores)
    std = report["binary_classification_metrics"]["auc"]["standard_deviation"]
    assert isinstance(std, float) and 0 <= std < 0.1


def put(bucket: str, key: str, body: str) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=body.encode())


def request(bucket: str) -> dict[str, Any]:
    return {
        "runId": "retrain-x",
        "predictionsS3Uri": f"s3://{bucket}/retraining/retrain-x/test-predictions/",
        "testLabelsS3Uri": f"s3://{bucket}/retraining/retrain-x/test-labels/",
        "evaluationS3Uri": f"s3://{bucket}/retraining/retrain-x/evaluation/evaluation.json",
    }


def test_handler_reads_transform_output_and_labels_and_writes_evaluation_json(bucket: str) -> None:
    # Given: a transform output (`<input>.out`, one probability per line) and the held-out labels
    labels = [0, 1, 1, 0, 1, 0]
    scores = [0.2, 0.9, 0.4, 0.1, 0.8, 0.6]
    put(bucket, "retraining/retrain-x/test-predictions/test.csv.out", "\n".join(map(str, scores)) + "\n")
    put(bucket, "retraining/retrain-x/test-labels/test-labels.csv", "\n".join(map(str, labels)) + "\n")

    # When
    result = app.lambda_handler(request(bucket), FakeLambdaContext())

    # Then
    assert result["auc"] == pytest.approx(skm.roc_auc_score(labels, scores))
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["itemCount"] == 6
    body = boto3.client("s3", region_name=REGION).get_object(
        Bucket=bucket, Key="retraining/retrain-x/evaluation/evaluation.json"
    )["Body"]
    doc = json.loads(body.read())
    assert doc["binary_classification_metrics"]["auc"]["value"] == result["auc"]


def test_handler_writes_the_versions_model_quality_baseline_beside_the_evaluation(bucket: str) -> None:
    # Given a candidate's scores on the held-out split
    labels = [0, 1, 1, 0, 1, 0, 1, 0]
    scores = [0.2, 0.9, 0.4, 0.1, 0.8, 0.6, 0.7, 0.3]
    put(bucket, "retraining/retrain-x/test-predictions/test.csv.out", "\n".join(map(str, scores)) + "\n")
    put(bucket, "retraining/retrain-x/test-labels/test-labels.csv", "\n".join(map(str, labels)) + "\n")
    # When evaluated
    result = app.lambda_handler(request(bucket), FakeLambdaContext())
    # Then statistics.json and constraints.json are Model Monitor's model-quality baseline
    folder = f"s3://{bucket}/retraining/retrain-x/evaluation/model-quality/"
    assert result["modelQualityStatisticsS3Uri"] == folder + "statistics.json"
    assert result["modelQualityConstraintsS3Uri"] == folder + "constraints.json"
    s3 = boto3.client("s3", region_name=REGION)

    def read(uri: str) -> Any:
        return json.loads(s3.get_object(Bucket=bucket, Key=uri.split("/", 3)[3])["Body"].read())

    stats = mq.parse_model_quality_statistics(read(result["modelQualityStatisticsS3Uri"]))
    constraints = mq.parse_model_quality_constraints(read(result["modelQualityConstraintsS3Uri"]))
    assert stats.metrics["auc"].value == pytest.approx(result["auc"])
    assert list(constraints.constraints) == list(mq.SUGGESTED_METRICS[mq.BINARY_CLASSIFICATION])
    assert constraints.constraints["auc"].threshold == pytest.approx(result["auc"])
    assert constraints.constraints["auc"].comparison_operator == "LessThanThreshold"
    assert constraints.constraints["false_positive_rate"].comparison_operator == "GreaterThanThreshold"


def test_handler_returns_the_description_the_version_is_registered_with(bucket: str) -> None:
    # Given a drift retraining's scores on the held-out split
    put(bucket, "retraining/retrain-x/test-predictions/test.csv.out", "0.2\n0.9\n0.4\n0.7\n")
    put(bucket, "retraining/retrain-x/test-labels/test-labels.csv", "0\n1\n0\n1\n")
    # When evaluated with the run's reason (as the state machine sends it)
    result = app.lambda_handler(request(bucket) | {"reason": "drift"}, FakeLambdaContext())
    # Then RegisterModelPackage gets the description ready-made
    assert (
        result["modelPackageDescription"] == "Retrained (drift) by run retrain-x: AUC 1.0 on 4 held-out rows."
    )


def test_description_without_reason_or_auc_and_within_createmodelpackages_limit() -> None:
    # the pipeline's step sends no reason; a regression has no AUC
    assert (
        evaluate.model_package_description(None, "r", None, 3)
        == "Retrained by run r: evaluated on 3 held-out rows."
    )
    # EntityDescription: at most 1024 characters (botocore's sagemaker model)
    assert (
        len(evaluate.model_package_description("drift", "r" * 2000, 0.5, 3))
        == evaluate.DESCRIPTION_MAX
        == 1024
    )


def test_regression_is_evaluated_on_request(bucket: str) -> None:
    put(bucket, "retraining/retrain-x/test-predictions/test.csv.out", "1.5\n2.0\n3.5\n")
    put(bucket, "retraining/retrain-x/test-labels/test-labels.csv", "1.0\n2.0\n4.0\n")
    result = app.lambda_handler(request(bucket) | {"problemType": "Regression"}, FakeLambdaContext())
    assert result["auc"] is None
    body = s3_json(bucket, "retraining/retrain-x/evaluation/model-quality/constraints.json")
    assert body["regression_constraints"]["mae"] == {
        "threshold": pytest.approx(1 / 3),
        "comparison_operator": "GreaterThanThreshold",
    }


def s3_json(bucket: str, key: str) -> Any:
    return json.loads(
        boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    )


def test_handler_named_errors(bucket: str) -> None:
    with pytest.raises(PredictionsNotFound):
        app.lambda_handler(request(bucket), FakeLambdaContext())
    put(bucket, "retraining/retrain-x/test-predictions/test.csv.out", "0.1\n0.9\n")
    put(bucket, "retraining/retrain-x/test-labels/test-labels.csv", "0\n1\n1\n")
    with pytest.raises(PredictionCountMismatch):
        app.lambda_handler(request(bucket), FakeLambdaContext())
    put(bucket, "retraining/retrain-x/test-labels/test-labels.csv", "1\n1\n")
    with pytest.raises(InvalidPredictions, match="one class"):
        app.lambda_handler(request(bucket), FakeLambdaContext())
    with pytest.raises(InvalidEvent):
        app.lambda_handler({"runId": "x", "predictionsS3Uri": "nope"}, FakeLambdaContext())
