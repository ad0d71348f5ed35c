"""EvaluateModel: binary-classification metrics of the candidate on the held-out test set.

AUC is rank based (Mann-Whitney U with average ranks for ties), numpy only. The report is written in
SageMaker Model Monitor's model-quality format (`binary_classification_metrics`, each metric as
`{"value", "standard_deviation"}`), which the Model Registry shows as the version's model quality.
As Model Monitor does, the standard deviation is given only from 200 rows on (five random 80%
samples, seeded), else the string "NaN".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
from msgspec import Meta
from numpy.typing import NDArray

from mlops_loop.aws import client
from mlops_loop.models.payloads import Payload, S3UriStr
from mlops_loop.retraining.errors import InvalidPredictions, PredictionCountMismatch, PredictionsNotFound
from mlops_loop.s3uri import S3Uri

THRESHOLD = 0.5
STD_MIN_ROWS = 200
STD_SAMPLES = 5
STD_FRACTION = 0.8
STD_SEED = 7
CURVE_POINTS = 101

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def auc(labels: IntArray, scores: FloatArray) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting 1/2."""
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos = int(np.count_nonzero(labels == 1))
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.size, dtype=np.float64)
    # Average rank (1-based) over each run of equal scores.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [scores.size]))
    average = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(average, ends - starts)
    rank_sum = float(ranks[labels == 1].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def _safe_div(a: float, b: float) -> float:
    return a / b if b else 0.0


def _fbeta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return _safe_div((1 + b2) * precision * recall, b2 * precision + recall)


def point_metrics(labels: IntArray, scores: FloatArray, threshold: float = THRESHOLD) -> dict[str, float]:
    labels = np.asarray(labels)
    predicted = (np.asarray(scores) >= threshold).astype(np.int64)
    tp = int(np.count_nonzero((predicted == 1) & (labels == 1)))
    tn = int(np.count_nonzero((predicted == 0) & (labels == 0)))
    fp = int(np.count_nonzero((predicted == 1) & (labels == 0)))
    fn = int(np.count_nonzero((predicted == 0) & (labels == 1)))
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, tp + fn)
    return {
        "auc": auc(labels, scores),
        "accuracy": _safe_div(tp + tn, labels.size),
        "precision": precision,
        "recall": recall,
        "f0_5": _fbeta(precision, recall, 0.5),
        "f1": _fbeta(precision, recall, 1.0),
        "f2": _fbeta(precision, recall, 2.0),
        "true_positive_rate": recall,
        "true_negative_rate": _safe_div(tn, tn + fp),
        "false_positive_rate": _safe_div(fp, fp + tn),
        "false_negative_rate": _safe_div(fn, fn + tp),
        "tp": tp,
        "tn": tn,
        "fp": fp,
        "fn": fn,
    }


def _curves(labels: IntArray, scores: FloatArray) -> dict[str, Any]:
    thresholds = np.linspace(1.0, 0.0, CURVE_POINTS)
    fprs, tprs, precisions, recalls = [], [], [], []
    for t in thresholds:
        m = point_metrics(labels, scores, float(t))
        fprs.append(m["false_positive_rate"])
        tprs.append(m["true_positive_rate"])
        precisions.append(m["precision"] if m["tp"] + m["fp"] else 1.0)
        recalls.append(m["recall"])
    return {
        "receiver_operating_characteristic_curve": {
            "false_positive_rates": fprs,
            "true_positive_rates": tprs,
        },
        "precision_recall_curve": {"precisions": precisions, "recalls": recalls},
    }


def _std(labels: IntArray, scores: FloatArray) -> dict[str, float | str]:
    names = (
        "auc",
        "accuracy",
        "precision",
        "recall",
        "f0_5",
        "f1",
        "f2",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
    )
    if labels.size < STD_MIN_ROWS:
        return dict.fromkeys(names, "NaN")
    rng = np.random.default_rng(STD_SEED)
    size = int(labels.size * STD_FRACTION)
    samples = []
    for _ in range(STD_SAMPLES):
        idx = rng.choice(labels.size, size=size, replace=False)
        samples.append(point_metrics(labels[idx], scores[idx]))
    return {n: float(np.std([s[n] for s in samples])) for n in names}


def _metric(value: float, std: float | str) -> dict[str, Any]:
    return {"value": value, "standard_deviation": std}


def model_quality_report(labels: IntArray, scores: FloatArray, now: datetime | None = None) -> dict[str, Any]:
    """Model Monitor's model-quality statistics for a binary classifier."""
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    m = point_metrics(labels, scores)
    std = _std(labels, scores)
    prevalence = float(labels.mean()) if labels.size else 0.0
    # The best constant classifier predicts the majority class.
    constant = np.full(labels.size, 1.0 if prevalence >= 0.5 else 0.0)
    c = point_metrics(labels, constant)
    metrics: dict[str, Any] = {
        "confusion_matrix": {
            "0": {"0": m["tn"], "1": m["fp"]},
            "1": {"0": m["fn"], "1": m["tp"]},
        },
        "recall": _metric(m["recall"], std["recall"]),
        "precision": _metric(m["precision"], std["precision"]),
        "accuracy": _metric(m["accuracy"], std["accuracy"]),
        "recall_best_constant_classifier": _metric(c["recall"], std["recall"]),
        "precision_best_constant_classifier": _metric(c["precision"], std["precision"]),
        "accuracy_best_constant_classifier": _metric(c["accuracy"], std["accuracy"]),
        "true_positive_rate": _metric(m["true_positive_rate"], std["true_positive_rate"]),
        "true_negative_rate": _metric(m["true_negative_rate"], std["true_negative_rate"]),
        "false_positive_rate": _metric(m["false_positive_rate"], std["false_positive_rate"]),
        "false_negative_rate": _metric(m["false_negative_rate"], std["false_negative_rate"]),
        **_curves(labels, scores),
        "auc": _metric(m["auc"], std["auc"]),
        "f0_5": _metric(m["f0_5"], std["f0_5"]),
        "f1": _metric(m["f1"], std["f1"]),
        "f2": _metric(m["f2"], std["f2"]),
        "f0_5_best_constant_classifier": _metric(c["f0_5"], std["f0_5"]),
        "f1_best_constant_classifier": _metric(c["f1"], std["f1"]),
        "f2_best_constant_classifier": _metric(c["f2"], std["f2"]),
    }
    return {
        "version": 0.0,
        "dataset": {
            "item_count": int(labels.size),
            "evaluation_time": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        },
        "binary_classification_metrics": metrics,
    }


class EvaluateRequest(Payload, kw_only=True):
    run_id: Annotated[str, Meta(min_length=1)]
    predictions_s3_uri: S3UriStr
    test_labels_s3_uri: S3UriStr
    evaluation_s3_uri: Annotated[str, Meta(pattern=r"^s3://[^/]+/.+\.json$")]


class EvaluationResult(Payload, kw_only=True):
    """EvaluateModel's output, `$.evaluation` in the retraining state machine."""

    auc: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    item_count: int
    evaluation_s3_uri: str


def _read_lines(prefix: S3Uri, suffix: str) -> tuple[list[str], list[str]]:
    s3 = client("s3")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(suffix))
    lines: list[str] = []
    for key in sorted(keys):
        body = s3.get_object(Bucket=prefix.bucket, Key=key)["Body"].read().decode("utf-8")
        lines.extend(line.strip() for line in body.splitlines() if line.strip())
    return keys, lines


def _first_field(line: str) -> str:
    # The built-in XGBoost writes one value per line; tolerate "p," or JSON-ish "[p]".
    return line.split(",", 1)[0].strip().strip("[]")


def evaluate(request: EvaluateRequest) -> EvaluationResult:
    pred_keys, pred_lines = _read_lines(S3Uri.parse(request.predictions_s3_uri), ".out")
    if not pred_keys:
        raise PredictionsNotFound(f"no .out object under {request.predictions_s3_uri}")
    _, label_lines = _read_lines(S3Uri.parse(request.test_labels_s3_uri), ".csv")
    if len(pred_lines) != len(label_lines):
        raise PredictionCountMismatch(
            f"{len(pred_lines)} predictions under {request.predictions_s3_uri}, "
            f"{len(label_lines)} labels under {request.test_labels_s3_uri}"
        )
    try:
        scores = np.array([float(_first_field(x)) for x in pred_lines], dtype=np.float64)
        labels = np.array([int(float(x)) for x in label_lines], dtype=np.int64)
    except ValueError as exc:
        raise InvalidPredictions(f"unreadable prediction or label: {exc}") from None
    if not np.isfinite(scores).all():
        raise InvalidPredictions("a prediction is not a finite number")
    if np.unique(labels).size < 2:
        raise InvalidPredictions(
            f"the held-out labels under {request.test_labels_s3_uri} hold one class only"
        )
    report = model_quality_report(labels, scores)
    target = S3Uri.parse(request.evaluation_s3_uri)
    client("s3").put_object(
        Bucket=target.bucket,
        Key=target.key,
        Body=json.dumps(report, indent=2).encode(),
        ContentType="application/json",
    )
    metrics = report["binary_classification_metrics"]
    return EvaluationResult(
        auc=metrics["auc"]["value"],
        accuracy=metrics["accuracy"]["value"],
        precision=metrics["precision"]["value"],
        recall=metrics["recall"]["value"],
        f1=metrics["f1"]["value"],
        item_count=int(labels.size),
        evaluation_s3_uri=request.evaluation_s3_uri,
    )
