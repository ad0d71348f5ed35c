"""KLL sketch weights: thinned flushes, merges across units, chunked reads, and reading items from bytes.

Every value must carry the same weight in a column's sketch however it got there: in a big block
(sorted and thinned to one item per KLL_STRIDE values), in a file's last small block, or in a small
profile merged into a large one. The CDFs below are compared with numpy's exact empirical CDF of
the same values, within the sketch's own rank error (DataSketches' 99% bound, doubled: the sketch
compacts with random coin flips) plus the thinning's KLL_STRIDE/2 ranks per flush.
"""

from __future__ import annotations

from pathlib import Path

import dataquality as dq
import numpy as np
import pyarrow as pa
import pytest
from dataquality import profile, sources
from dataquality.profile import KLL_STRIDE, KLL_THIN_MIN, ColumnProfile, Profile, kll_items_from_bytes
from datasketches import kll_doubles_sketch


def _sketch_cdf(col: ColumnProfile, xs: np.ndarray) -> np.ndarray:
    items, weights = col.sketch_items()
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    return cum[np.searchsorted(items, xs, side="right")] / cum[-1]


def _exact_cdf(values: np.ndarray, xs: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.sort(values), xs, side="right") / values.size


def _tolerance(col: ColumnProfile, flushes: int) -> float:
    return 2 * col.sketch.normalized_rank_error(False) + flushes * (KLL_STRIDE / 2) / col.num_numeric


def _grid(values: np.ndarray) -> np.ndarray:
    return np.unique(np.concatenate([np.quantile(values, np.linspace(0, 1, 201)), [2.5]]))


def _weight_is_one_per_value(col: ColumnProfile, flushes: int) -> bool:
    """Items x their unit add up to the values seen (each thinned flush rounds by < 1 item)."""
    total = float(col.sketch_items()[1].sum()) * col.unit
    return abs(total - col.num_numeric) <= flushes * col.unit


@pytest.fixture(scope="module")
def normal_then_shifted() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(0.0, 1.0, 40_000), rng.normal(5.0, 0.5, 1_000)


def test_a_small_last_flush_after_thinning_weighs_like_every_other_value(normal_then_shifted):
    # Given a column that is thinned (40k values in one block), then gets 1k shifted values
    big, small = normal_then_shifted
    assert big.size >= KLL_THIN_MIN > small.size
    col = ColumnProfile("x")
    col.update(pa.array(big))
    col.update(pa.array(small))
    col.finalize()
    assert col.unit == KLL_STRIDE
    both = np.concatenate([big, small])
    # Then the sketch's mass above 2.5 is the data's ~3%, not the 61% a 64x weight gave
    above = 1.0 - _sketch_cdf(col, np.array([2.5]))[0]
    exact_above = float(np.mean(both > 2.5))
    assert exact_above == pytest.approx(0.0304, abs=0.002)
    assert above == pytest.approx(exact_above, abs=_tolerance(col, flushes=2))
    # and the whole CDF agrees with numpy's, and the weights add up to one per value
    xs = _grid(both)
    assert np.abs(_sketch_cdf(col, xs) - _exact_cdf(both, xs)).max() <= _tolerance(col, flushes=2)
    assert _weight_is_one_per_value(col, flushes=2)


def _column(values: np.ndarray, k: int = 2048) -> Profile:
    prof = Profile(k=k)
    prof.update(pa.table({"x": values}))
    return prof


@pytest.mark.parametrize("small_first", [False, True], ids=["small-into-thinned", "thinned-into-small"])
@pytest.mark.parametrize("small_k", [2048, 64], ids=["small-exact", "small-compacted"])
def test_merging_a_small_profile_and_a_thinned_one_gives_the_exact_cdf(
    normal_then_shifted, small_first: bool, small_k: int
):
    # Given a thinned profile (unit KLL_STRIDE) and a small one of shifted values (unit 1); with
    # k=64 the small sketch has already compacted (items of weight 2, 4, ...)
    big, small = normal_then_shifted
    thinned, unit_one = _column(big), _column(small, k=small_k)
    assert unit_one.columns["x"].unit == 1
    if small_k == 64:
        assert unit_one.columns["x"].sketch_items()[1].max() > 1
    # When they are merged, in either order, also after travelling as bytes
    parts = [unit_one, thinned] if small_first else [thinned, unit_one]
    merged = Profile.merged(Profile.from_bytes(p.to_bytes()) for p in parts).columns["x"]
    # Then the merged CDF is numpy's CDF of all the values, within the sketch's error
    both = np.concatenate([big, small])
    xs = _grid(both)
    tol = _tolerance(merged, flushes=2)
    assert merged.unit == KLL_STRIDE
    assert np.abs(_sketch_cdf(merged, xs) - _exact_cdf(both, xs)).max() <= tol
    assert 1.0 - _sketch_cdf(merged, np.array([2.5]))[0] == pytest.approx(np.mean(both > 2.5), abs=tol)
    assert _weight_is_one_per_value(merged, flushes=2)


def test_a_file_just_over_the_chunk_size_reads_like_one_chunk(
    tmp_path: Path, monkeypatch, normal_then_shifted
):
    # Given a CSV of 40k normal values then 1k shifted ones
    big, small = normal_then_shifted
    values = np.concatenate([big, small])
    path = tmp_path / "x.csv"
    path.write_text("x\n" + "\n".join(f"{v:.6f}" for v in values) + "\n")
    single = dq.profile_sources(path).columns["x"]
    # When the chunk size makes its last chunk small (a little over one chunk)
    chunk = path.stat().st_size - 9_000
    monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", chunk)
    blocks = list(sources.iter_csv(sources.DataFile(str(path), "csv"), column_names=None))
    assert blocks[0].num_rows >= KLL_THIN_MIN > blocks[-1].num_rows > 0
    assert len(blocks) == 2
    chunked = dq.profile_sources(path).columns["x"]
    # Then both reads give numpy's distribution, and each other's, and the same counts and moments
    xs = _grid(values)
    exact = _exact_cdf(values, xs)
    tol = _tolerance(chunked, flushes=2)
    assert np.abs(_sketch_cdf(chunked, xs) - exact).max() <= tol
    assert np.abs(_sketch_cdf(single, xs) - exact).max() <= _tolerance(single, flushes=1)
    assert np.abs(_sketch_cdf(chunked, xs) - _sketch_cdf(single, xs)).max() <= 2 * tol
    assert chunked.num_numeric == single.num_numeric == values.size
    assert chunked.moments.mean == pytest.approx(single.moments.mean, rel=1e-12)
    assert _weight_is_one_per_value(chunked, flushes=2)


# --------------------------------------------------------------------------- items from bytes


def _iterated(sk: kll_doubles_sketch) -> tuple[np.ndarray, np.ndarray]:
    pairs = sorted((float(x), float(w)) for x, w in sk)
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _by_item(items: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((weights, items))
    return items[order], weights[order]


@pytest.mark.parametrize(
    ("k", "n"),
    [(8, 2), (8, 7), (20, 1_000), (200, 60_000), (2048, 3_000), (2048, 100_000)],
)
def test_items_read_from_bytes_equal_the_sketch_iterated(k: int, n: int):
    # Given sketches small (one level) and large (many levels, level 0 not at offset 0)
    sk = kll_doubles_sketch(k)
    sk.update(np.random.default_rng(n).lognormal(0.0, 1.0, n))
    # When their items are read from the serialised bytes in one vector read
    found = kll_items_from_bytes(sk.serialize(), sk.num_retained)
    # Then the vector read is taken (not the fallback) and gives the same items and weights
    assert found is not None
    items, weights = _by_item(*found)
    want_items, want_weights = _by_item(*_iterated(sk))
    np.testing.assert_array_equal(items, want_items)
    np.testing.assert_array_equal(weights, want_weights)
    assert weights.sum() == sk.n
    if n >= 1_000:
        assert weights.max() > 1  # the case that needs the level offsets


def test_single_item_empty_and_damaged_sketch_bytes_fall_back_to_iterating():
    one = kll_doubles_sketch(8)
    one.update(3.5)
    assert kll_items_from_bytes(one.serialize(), 1) is None  # the compact single-item form
    assert kll_items_from_bytes(kll_doubles_sketch(8).serialize(), 0) is None
    many = kll_doubles_sketch(20)
    many.update(np.arange(500.0))
    blob = many.serialize()
    assert kll_items_from_bytes(blob[:-8], many.num_retained) is None  # an item short
    assert kll_items_from_bytes(blob + b"\0" * 4, many.num_retained) is None  # ragged length
    assert kll_items_from_bytes(blob, many.num_retained + 1) is None  # inconsistent count


@pytest.mark.parametrize("values", [[3.5], [2.0, 1.0], list(np.arange(5_000.0))], ids=["one", "two", "many"])
def test_a_columns_sketch_items_are_the_same_on_the_vector_and_the_fallback_path(monkeypatch, values):
    col = ColumnProfile("x", k=20)
    col.update(pa.array(values))
    fast = col.sketch_items()
    monkeypatch.setattr(profile, "kll_items_from_bytes", lambda blob, n: None)
    slow = col.sketch_items()
    want = _iterated(col.sketch)
    for got in (fast, slow):
        np.testing.assert_array_equal(got[0], want[0])  # sorted items
        np.testing.assert_array_equal(_by_item(*got)[1], want[1])
        assert got[1].sum() == len(values)
