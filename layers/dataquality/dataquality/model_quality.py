"""SageMaker Model Monitor's model-quality files: statistics.json and constraints.json as typed models.

Shapes as AWS's container writes them (real files in shared/model-monitor-files/:
sagemaker-python-sdk/model_quality, regression; kubeflow-pipelines/churn_model_quality, binary
classification) and as AWS documents them ("Model quality metrics", docs.aws.amazon.com/sagemaker/
latest/dg/model-monitor-model-quality-metrics.html):

- statistics.json: ``version``, ``dataset`` (``item_count``, optional ``evaluation_time``) and one
  section per problem type, ``regression_metrics``, ``binary_classification_metrics`` or
  ``multiclass_classification_metrics``, whose metrics are ``{"value", "standard_deviation"}``. The
  standard deviation is the string ``"NaN"`` below 200 samples (the docs: it comes from 5 samples of
  80% of the data). Binary classification adds ``confusion_matrix`` (actual label -> predicted label
  -> count) and two curves (``receiver_operating_characteristic_curve``: ``false_positive_rates``,
  ``true_positive_rates``; ``precision_recall_curve``: ``precisions``, ``recalls``).
- constraints.json: ``version`` and ``<problem>_constraints``: metric -> ``{"threshold",
  "comparison_operator"}``, where the operator is ``GreaterThanThreshold`` (a violation when the
  metric is above the threshold: errors, false rates) or ``LessThanThreshold`` (below: scores).

Reading is strict (a wrong shape is a ``BaselineFormatError`` naming the field); writing gives the
keys in AWS's order, so a file read and written again is the same JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import BaselineFormatError
from .formats import SCHEMA_VERSION, check_version

REGRESSION = "regression"
BINARY_CLASSIFICATION = "binary_classification"
MULTICLASS_CLASSIFICATION = "multiclass_classification"
PROBLEM_TYPES = (REGRESSION, BINARY_CLASSIFICATION, MULTICLASS_CLASSIFICATION)

GREATER_THAN_THRESHOLD = "GreaterThanThreshold"
LESS_THAN_THRESHOLD = "LessThanThreshold"
#: The operators in AWS's files; others are refused rather than guessed at.
COMPARISON_OPERATORS = (GREATER_THAN_THRESHOLD, LESS_THAN_THRESHOLD)

#: Metrics where larger is worse: the suggested constraint flags a value above the baseline's.
_ERROR_METRICS = frozenset({"mae", "mse", "rmse", "false_positive_rate", "false_negative_rate"})
#: Metrics the container suggests constraints for, in its order (the two real constraints.json).
SUGGESTED_METRICS: dict[str, tuple[str, ...]] = {
    REGRESSION: ("mae", "mse", "rmse", "r2"),
    BINARY_CLASSIFICATION: (
        "recall",
        "precision",
        "accuracy",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
        "auc",
        "f0_5",
        "f1",
        "f2",
    ),
}
_CURVES = {
    "receiver_operating_characteristic_curve": ("false_positive_rates", "true_positive_rates"),
    "precision_recall_curve": ("precisions", "recalls"),
}


def _fail(where: str, problem: str) -> BaselineFormatError:
    return BaselineFormatError(f"{where}: {problem}")


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"must be a finite number, got {value!r}")
    return float(value)


def _problem_type(doc: Mapping[str, Any], suffix: str, where: str) -> str:
    found = [p for p in PROBLEM_TYPES if f"{p}_{suffix}" in doc]
    if len(found) != 1:
        names = ", ".join(f'"{p}_{suffix}"' for p in PROBLEM_TYPES)
        raise _fail(where, f"needs exactly one of {names}, found {len(found)}")
    return found[0]


# --------------------------------------------------------------------------- statistics.json


@dataclass(frozen=True)
class Metric:
    """A metric's value and its standard deviation (None where AWS writes ``"NaN"``: < 200 samples)."""

    value: float
    standard_deviation: float | None = None

    def to_dict(self) -> dict[str, Any]:
        value: float | str = "NaN" if math.isnan(self.value) else self.value
        sd: float | str = "NaN" if self.standard_deviation is None else self.standard_deviation
        return {"value": value, "standard_deviation": sd}


def _metric(raw: Any, where: str) -> Metric:
    if not isinstance(raw, Mapping) or "value" not in raw:
        raise _fail(where, 'must be {"value": number, "standard_deviation": number or "NaN"}')
    value = raw["value"]
    if value == "NaN":  # a metric undefined on this data (e.g. precision with no positive prediction)
        value = math.nan
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f'"value" must be a number, got {value!r}')
    sd = raw.get("standard_deviation", "NaN")
    if sd == "NaN" or sd is None:
        return Metric(float(value), None)
    return Metric(float(value), _finite(sd, f"{where}.standard_deviation"))


@dataclass(frozen=True)
class ModelQualityStatistics:
    problem_type: str
    metrics: dict[str, Metric]
    item_count: int | None = None
    evaluation_time: str | None = None
    #: actual label -> predicted label -> count (binary and multiclass classification)
    confusion_matrix: dict[str, dict[str, int]] | None = None
    #: curve name -> its two lists (binary classification)
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: where each of metrics, confusion_matrix and curves stood in AWS's section (for writing back)
    order: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        dataset: dict[str, Any] = {}
        if self.item_count is not None:
            dataset["item_count"] = self.item_count
        if self.evaluation_time is not None:
            dataset["evaluation_time"] = self.evaluation_time
        section: dict[str, Any] = {}
        names = self.order or (
            (("confusion_matrix",) if self.confusion_matrix is not None else ())
            + tuple(self.metrics)
            + tuple(self.curves)
        )
        for name in names:
            if name == "confusion_matrix" and self.confusion_matrix is not None:
                section[name] = {a: dict(row) for a, row in self.confusion_matrix.items()}
            elif name in self.curves:
                section[name] = {k: list(v) for k, v in self.curves[name].items()}
            elif name in self.metrics:
                section[name] = self.metrics[name].to_dict()
        return {"version": SCHEMA_VERSION, "dataset": dataset, f"{self.problem_type}_metrics": section}


def parse_model_quality_statistics(doc: Any, where: str = "statistics.json") -> ModelQualityStatistics:
    if not isinstance(doc, Mapping):
        raise _fail(where, f"must be a JSON object, got {type(doc).__name__}")
    check_version(doc, where)
    problem = _problem_type(doc, "metrics", where)
    section = doc[f"{problem}_metrics"]
    if not isinstance(section, Mapping):
        raise _fail(f"{where} {problem}_metrics", "must be an object")
    dataset = doc.get("dataset") or {}
    if not isinstance(dataset, Mapping):
        raise _fail(where, '"dataset" must be an object')
    count = dataset.get("item_count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int | float)):
        raise _fail(where, f'"dataset.item_count" must be a number, got {count!r}')
    evaluated = dataset.get("evaluation_time")
    if evaluated is not None and not isinstance(evaluated, str):
        raise _fail(where, f'"dataset.evaluation_time" must be a string, got {evaluated!r}')
    metrics: dict[str, Metric] = {}
    curves: dict[str, dict[str, list[float]]] = {}
    matrix: dict[str, dict[str, int]] | None = None
    for name, raw in section.items():
        fwhere = f"{where} {problem}_metrics.{name}"
        if name == "confusion_matrix":
            matrix = _confusion_matrix(raw, fwhere)
        elif name in _CURVES:
            curves[name] = _curve(raw, _CURVES[name], fwhere)
        else:
            metrics[name] = _metric(raw, fwhere)
    return ModelQualityStatistics(
        problem_type=problem,
        metrics=metrics,
        item_count=None if count is None else int(count),
        evaluation_time=evaluated,
        confusion_matrix=matrix,
        curves=curves,
        order=tuple(section),
    )


def _confusion_matrix(raw: Any, where: str) -> dict[str, dict[str, int]]:
    if not isinstance(raw, Mapping) or not all(isinstance(row, Mapping) for row in raw.values()):
        raise _fail(where, "must map each actual label to {predicted label: count}")
    out: dict[str, dict[str, int]] = {}
    for actual, row in raw.items():
        out[str(actual)] = {}
        for predicted, count in row.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise _fail(
                    where, f"count [{actual}][{predicted}] must be a whole number >= 0, got {count!r}"
                )
            out[str(actual)][str(predicted)] = count
    return out


def _curve(raw: Any, keys: tuple[str, str], where: str) -> dict[str, list[float]]:
    if not isinstance(raw, Mapping) or set(raw) != set(keys):
        raise _fail(where, f"must hold exactly {list(keys)}")
    out = {}
    for key in raw:
        values = raw[key]
        if not isinstance(values, list):
            raise _fail(f"{where}.{key}", "must be a list of numbers")
        out[key] = [_finite(v, f"{where}.{key}") for v in values]
    if len(out[keys[0]]) != len(out[keys[1]]):
        raise _fail(where, f"{keys[0]} and {keys[1]} differ in length")
    return out


# --------------------------------------------------------------------------- constraints.json


@dataclass(frozen=True)
class MetricConstraint:
    threshold: float
    comparison_operator: str

    def violated_by(self, value: float) -> bool:
        """Whether ``value`` breaks the constraint (a NaN metric breaks none: it cannot be compared)."""
        if math.isnan(value):
            return False
        if self.comparison_operator == GREATER_THAN_THRESHOLD:
            return value > self.threshold
        return value < self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "comparison_operator": self.comparison_operator}


@dataclass(frozen=True)
class ModelQualityConstraints:
    problem_type: str
    constraints: dict[str, MetricConstraint]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SCHEMA_VERSION,
            f"{self.problem_type}_constraints": {k: c.to_dict() for k, c in self.constraints.items()},
        }


def parse_model_quality_constraints(doc: Any, where: str = "constraints.json") -> ModelQualityConstraints:
    if not isinstance(doc, Mapping):
        raise _fail(where, f"must be a JSON object, got {type(doc).__name__}")
    check_version(doc, where)
    problem = _problem_type(doc, "constraints", where)
    section = doc[f"{problem}_constraints"]
    if not isinstance(section, Mapping):
        raise _fail(f"{where} {problem}_constraints", "must be an object")
    out: dict[str, MetricConstraint] = {}
    for name, raw in section.items():
        fwhere = f"{where} {problem}_constraints.{name}"
        if not isinstance(raw, Mapping):
            raise _fail(fwhere, 'must be {"threshold": number, "comparison_operator": ...}')
        op = raw.get("comparison_operator")
        if op not in COMPARISON_OPERATORS:
            raise _fail(
                fwhere, f"unknown comparison_operator {op!r} (one of {', '.join(COMPARISON_OPERATORS)})"
            )
        out[name] = MetricConstraint(_finite(raw.get("threshold"), f"{fwhere}.threshold"), str(op))
    return ModelQualityConstraints(problem_type=problem, constraints=out)


def suggest_model_quality_constraints(stats: ModelQualityStatistics) -> ModelQualityConstraints:
    """The constraints the container suggests from baseline statistics: each suggested metric's
    baseline value as its threshold, flagged above it for error metrics and below it otherwise
    (the rule both real constraints.json files follow; multiclass: every metric, same rule)."""
    names = SUGGESTED_METRICS.get(stats.problem_type, tuple(stats.metrics))
    out: dict[str, MetricConstraint] = {}
    for name in names:
        metric = stats.metrics.get(name)
        if metric is None or math.isnan(metric.value):
            continue
        op = GREATER_THAN_THRESHOLD if name in _ERROR_METRICS else LESS_THAN_THRESHOLD
        out[name] = MetricConstraint(metric.value, op)
    return ModelQualityConstraints(problem_type=stats.problem_type, constraints=out)


@dataclass(frozen=True)
class MetricViolation:
    metric_name: str
    comparison_operator: str
    value: float
    threshold: float


def evaluate_model_quality(
    stats: ModelQualityStatistics, constraints: ModelQualityConstraints
) -> list[MetricViolation]:
    """The constraints the statistics break (a constrained metric the statistics lack is an error)."""
    if stats.problem_type != constraints.problem_type:
        raise BaselineFormatError(
            f"statistics are {stats.problem_type}, constraints are {constraints.problem_type}"
        )
    out = []
    for name, c in constraints.constraints.items():
        metric = stats.metrics.get(name)
        if metric is None:
            raise BaselineFormatError(f"constraints.json constrains {name!r}, which statistics.json lacks")
        if c.violated_by(metric.value):
            out.append(MetricViolation(name, c.comparison_operator, metric.value, c.threshold))
    return out
