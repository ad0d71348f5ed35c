"""Shared fixtures for the analyzer's tests (small data, fixed seeds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "dataquality"
# `pip install -e .` should map the package; this folder (tests/dataquality, on sys.path as a namespace
# package because pytest puts tests/ there) must not shadow it, so prefer the layer folder explicitly.
_spec = importlib.util.find_spec("dataquality")
if _spec is None or _spec.origin is None:
    sys.modules.pop("dataquality", None)
    sys.path.insert(0, str(LAYER))

FIXTURES = Path(__file__).parent / "fixtures"

import json  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402


def write_csv(path: Path, rows: list[list[Any]], header: list[str] | None = None) -> Path:
    lines = []
    if header is not None:
        lines.append(",".join(header))
    lines.extend(",".join("" if v is None else str(v) for v in row) for row in rows)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1_000_000))

    def make(rows: list[list[Any]], header: list[str] | None = None, name: str | None = None) -> Path:
        return write_csv(tmp_path / (name or f"data{next(counter)}.csv"), rows, header)

    return make


@pytest.fixture
def aws_baseline() -> tuple[dict[str, Any], dict[str, Any]]:
    """The hand-written baseline in AWS's documented shape (tests/dataquality/fixtures/aws_baseline)."""
    folder = FIXTURES / "aws_baseline"
    return (
        json.loads((folder / "statistics.json").read_text()),
        json.loads((folder / "constraints.json").read_text()),
    )


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
