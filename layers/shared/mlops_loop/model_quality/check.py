"""The check: metrics of the joined rows against the version's model-quality constraints, the verdict.

Pure (docs/model-quality.md, "Metrics, the baseline and the comparison" and "Verdicts"). Each
constraint is applied through its own comparison operator (Model Monitor's `LessThanThreshold`,
`GreaterThanThreshold`; `dataquality.model_quality.MetricConstraint`), moved by the tolerance in
the direction that forgives: `value < threshold - tolerance`, `value > threshold + tolerance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from dataquality import model_metrics
from dataquality.errors import BaselineFormatError
from dataquality.model_quality import (
    GREATER_THAN_THRESHOLD,
    MetricConstraint,
    ModelQualityConstraints,
    ModelQualityStatistics,
)

from mlops_loop.model_quality.join import JoinResult

Verdict = Literal["clean", "degraded", "too_few_labels", "version_not_live"]
#: The stack's ModelQualityProblemType (Model Monitor's ProblemType names) -> the files' section names
PROBLEM_TYPES = {"BinaryClassification": "binary_classification", "Regression": "regression"}


def _number(value: float) -> str:
    return "NaN" if math.isnan(value) else f"{value:.6g}"


@dataclass(frozen=True)
class MetricComparison:
    """One constrained metric: its value on the joined rows against the live version's threshold."""

    metric_name: str
    comparison_operator: str
    value: float
    threshold: float
    violated: bool
    #: False when the rows leave the metric undefined (NaN) or the statistics lack it: never a violation
    comparable: bool

    def description(self, tolerance: float) -> str:
        # The wording of the violations AWS's Model Monitor BYOC custom-metrics sample writes:
        # "Metric <name> with <value> was <operator> <threshold>".
        value = _number(self.value)
        text = f"Metric {self.metric_name} with {value} was {self.comparison_operator} {self.threshold}"
        return f"{text} (tolerance {tolerance})" if tolerance else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "metricName": self.metric_name,
            "comparisonOperator": self.comparison_operator,
            "value": None if math.isnan(self.value) else self.value,
            "threshold": self.threshold,
            "violated": self.violated,
            "comparable": self.comparable,
        }


def statistics_of(
    joined: JoinResult, problem_type: str, now: datetime | None = None
) -> ModelQualityStatistics:
    """Model Monitor's model-quality statistics of the joined rows (the evaluation's own metrics)."""
    return model_metrics.statistics(problem_type, joined.labels, joined.values, now)


def compare(
    stats: ModelQualityStatistics, constraints: ModelQualityConstraints, tolerance: float
) -> list[MetricComparison]:
    """Every constraint of the baseline, in its order, against the statistics."""
    if tolerance < 0 or not math.isfinite(tolerance):
        raise ValueError(f"the tolerance must be a finite number >= 0, got {tolerance}")
    if stats.problem_type != constraints.problem_type:
        raise BaselineFormatError(
            f"the check computed {stats.problem_type} metrics, "
            f"the baseline constrains {constraints.problem_type}"
        )
    out = []
    for name, constraint in constraints.constraints.items():
        metric = stats.metrics.get(name)
        value = math.nan if metric is None else metric.value
        shift = tolerance if constraint.comparison_operator == GREATER_THAN_THRESHOLD else -tolerance
        moved = MetricConstraint(constraint.threshold + shift, constraint.comparison_operator)
        out.append(
            MetricComparison(
                metric_name=name,
                comparison_operator=constraint.comparison_operator,
                value=value,
                threshold=constraint.threshold,
                violated=moved.violated_by(value),
                comparable=not math.isnan(value),
            )
        )
    return out


def violations_document(comparisons: list[MetricComparison], tolerance: float) -> dict[str, Any] | None:
    """Model Monitor's constraint_violations.json, or None when nothing is violated (AWS writes none)."""
    violated = [c for c in comparisons if c.violated]
    if not violated:
        return None
    return {
        "violations": [
            {
                "constraint_check_type": c.comparison_operator,
                "description": c.description(tolerance),
                "metric_name": c.metric_name,
            }
            for c in violated
        ]
    }


def decide(*, live: bool, matched: int, min_rows: int, comparisons: list[MetricComparison]) -> Verdict:
    """Labels for an old version never act; too few rows say nothing; else any violation degrades."""
    if not live:
        return "version_not_live"
    if matched < min_rows:
        return "too_few_labels"
    return "degraded" if any(c.violated for c in comparisons) else "clean"
