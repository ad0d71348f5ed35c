"""EvaluateModel: the candidate's model-quality metrics on the held-out test set, and its baseline.

The metrics are Model Monitor's model-quality statistics (`dataquality.model_metrics`, the same code
the model-quality check runs on a batch's ground truth): binary classification by default
(`binary_classification_metrics`, scores are probabilities of class 1), regression on request.
Written under the evaluation's folder:

* `evaluation.json`: the statistics (the quality gate's AUC; what earlier versions registered);
* `model-quality/statistics.json` and `model-quality/constraints.json`: the version's
  model-quality baseline, the constraints AWS's container suggests from the statistics
  (`dataquality.model_quality.suggest_model_quality_constraints`). RegisterModelPackage registers
  them as `ModelMetrics.ModelQuality` and `DriftCheckBaselines.ModelQuality`
  (docs/model-quality.md).

It also returns the description RegisterModelPackage registers with the version
(`model_package_description`), so the state machine passes it instead of building it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from dataquality import model_metrics
from dataquality.model_quality import suggest_model_quality_constraints

from mlops_loop import aws
from mlops_loop.models.retraining import EvaluateRequest, EvaluationResult
from mlops_loop.retraining.errors import InvalidPredictions, PredictionCountMismatch, PredictionsNotFound
from mlops_loop.s3uri import S3Uri

#: CreateModelPackage's ModelPackageDescription (botocore: EntityDescription, 0-1024 characters)
DESCRIPTION_MAX = 1024
#: Model Monitor's problem types (botocore: MonitoringProblemType) -> the files' section names
PROBLEM_TYPES = {"BinaryClassification": "binary_classification", "Regression": "regression"}
BASELINE_FOLDER = "model-quality"


def _read_lines(prefix: S3Uri, suffix: str) -> tuple[list[str], list[str]]:
    s3 = aws.s3()
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


def _put_json(uri: S3Uri, doc: dict[str, Any]) -> str:
    aws.s3().put_object(
        Bucket=uri.bucket,
        Key=uri.key,
        Body=json.dumps(doc, indent=2).encode(),
        ContentType="application/json",
    )
    return str(uri)


def _value(section: dict[str, Any], name: str) -> float | None:
    return section[name]["value"] if name in section else None


def model_package_description(reason: str | None, run_id: str, auc: float | None, item_count: int) -> str:
    """`Retrained (drift) by run retrain-x: AUC 0.93 on 200 held-out rows.`, cut to CreateModelPackage's
    limit. A regression has no AUC: its description names only the rows."""
    why = f" ({reason})" if reason else ""
    score = f"AUC {auc} on" if auc is not None else "evaluated on"
    return f"Retrained{why} by run {run_id}: {score} {item_count} held-out rows."[:DESCRIPTION_MAX]


def evaluate(request: EvaluateRequest) -> EvaluationResult:
    problem = PROBLEM_TYPES[request.problem_type]
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
        labels = np.array([float(x) for x in label_lines], dtype=np.float64)
    except ValueError as exc:
        raise InvalidPredictions(f"unreadable prediction or label: {exc}") from None
    if not (np.isfinite(scores).all() and np.isfinite(labels).all()):
        raise InvalidPredictions("a prediction or a label is not a finite number")
    if problem == "binary_classification" and np.unique(labels).size < 2:
        raise InvalidPredictions(
            f"the held-out labels under {request.test_labels_s3_uri} hold one class only"
        )
    stats = model_metrics.statistics(problem, labels, scores)
    report = stats.to_dict()
    target = S3Uri.parse(request.evaluation_s3_uri)
    _put_json(target, report)
    folder = S3Uri(target.bucket, target.key.rsplit("/", 1)[0]).join(BASELINE_FOLDER)
    statistics_uri = _put_json(folder.join("statistics.json"), report)
    constraints = suggest_model_quality_constraints(stats).to_dict()
    constraints_uri = _put_json(folder.join("constraints.json"), constraints)
    section = report[f"{problem}_metrics"]
    auc = _value(section, "auc")
    return EvaluationResult(
        auc=auc,
        accuracy=_value(section, "accuracy"),
        precision=_value(section, "precision"),
        recall=_value(section, "recall"),
        f1=_value(section, "f1"),
        item_count=int(labels.size),
        evaluation_s3_uri=request.evaluation_s3_uri,
        model_quality_statistics_s3_uri=statistics_uri,
        model_quality_constraints_s3_uri=constraints_uri,
        model_package_description=model_package_description(
            request.reason, request.run_id, auc, int(labels.size)
        ),
    )
