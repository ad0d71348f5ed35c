"""approximate_num_distinct_values: accurate, mergeable, serialisable (the newer container's key)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from dataquality.profile import ColumnProfile, Profile

RNG = np.random.default_rng(11)
CASES = {
    "50 integers": RNG.integers(0, 50, 300_000).astype(float),
    "3,000 halves": RNG.integers(0, 3000, 100_000) * 0.5,
    "100k ids": np.arange(100_000, dtype=float),
    "normal, 4 decimals": RNG.normal(0, 1, 600_000).round(4),
    "uniform doubles": RNG.random(700_000),
    "powers of two": 2.0 ** np.arange(-500, 500),
}


def _profile(x: np.ndarray, parts: int) -> ColumnProfile:
    col = ColumnProfile("x")
    for part in np.array_split(x, parts):
        col.update(pa.array(part))
    return col


@pytest.mark.parametrize("name", list(CASES))
def test_estimate_is_within_a_few_percent(name: str):
    x = CASES[name]
    exact = len(np.unique(x))
    got = _profile(x, 5).approximate_num_distinct_values()
    assert got == pytest.approx(exact, rel=0.05 if exact > 1000 else 0.02)


@pytest.mark.parametrize("name", ["50 integers", "normal, 4 decimals"])
def test_parts_merged_through_bytes_count_like_one_pass(name: str):
    x = CASES[name]
    whole = _profile(x, 4).approximate_num_distinct_values()
    parts = []
    for i, chunk in enumerate(np.array_split(x, 3)):
        p = Profile()
        p.columns["x"] = _profile(chunk, 2)
        p.rows = chunk.size
        parts.append(Profile.from_bytes(p.to_bytes()))
        assert (
            parts[-1].columns["x"].approximate_num_distinct_values()
            == p.columns["x"].approximate_num_distinct_values()
        ), i
    merged = Profile.merged(parts).columns["x"].approximate_num_distinct_values()
    assert merged == pytest.approx(whole, rel=0.05)
    assert merged == pytest.approx(len(np.unique(x)), rel=0.05)
