"""Shared fixtures for the analyzer's tests (small data, fixed seeds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `pip install -e .` maps the package; fall back to the layer folder when the mapping is missing.
if importlib.util.find_spec("dataquality") is None:
    sys.path.insert(0, str(ROOT / "layers" / "dataquality"))

FIXTURES = Path(__file__).parent / "fixtures"
