"""statistics.json and constraints.json documents in Model Monitor's shape, built small for the
analyzer's tests (tests/dataquality)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def numeric_stats(name: str, values: Sequence[float], itype: str = "Fractional") -> dict[str, Any]:
    """A statistics.json feature whose KLL sketch holds exactly ``values`` (level 0, weight 1)."""
    return {
        "name": name,
        "inferred_type": itype,
        "numerical_statistics": {
            "common": {"num_present": len(values), "num_missing": 0},
            "mean": sum(values) / len(values),
            "sum": float(sum(values)),
            "std_dev": 0.0,
            "min": min(values),
            "max": max(values),
            "distribution": {
                "kll": {
                    "buckets": [],
                    "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": [sorted(values)]},
                }
            },
        },
    }


def string_stats(name: str, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "name": name,
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": sum(counts.values()), "num_missing": 0},
            "distinct_count": float(len(counts)),
            "distribution": {
                "categorical": {"buckets": [{"value": k, "count": v} for k, v in counts.items()]}
            },
        },
    }


def constraints_doc(features: list[dict[str, Any]], **distribution: Any) -> dict[str, Any]:
    dist = {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    }
    dist.update(distribution)
    return {
        "version": 0.0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": dist,
        },
    }


def statistics_doc(features: list[dict[str, Any]], item_count: int = 100) -> dict[str, Any]:
    return {"version": 0.0, "dataset": {"item_count": item_count}, "features": features}
