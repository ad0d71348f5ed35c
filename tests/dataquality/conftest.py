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
from collections.abc import Callable  # noqa: E402
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
