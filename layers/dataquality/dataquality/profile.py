"""Mergeable partial state of a dataset: per-column counts, moments, a KLL sketch, categories.

A ``Profile`` is what one pass over (part of) a batch leaves behind. Profiles of disjoint parts
merge into the profile of the whole (exactly for counts and moments, to the KLL sketch's error for
quantiles), so a big batch can be split across workers and reduced in one step. They serialise to
compact JSON (sketches base64-encoded) to travel between Lambda invocations.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from datasketches import hll_sketch, kll_doubles_sketch

try:  # the kernels by name: importing pyarrow.compute builds ~300 Python wrappers (about 40 ms of start-up)
    from pyarrow._compute import call_function as _call_function
except ImportError:  # pragma: no cover - a pyarrow that moved its private module
    from pyarrow.compute import call_function as _call_function

from .errors import ProfileFormatError
from .formats import FRACTIONAL, INTEGRAL, STRING, UNKNOWN

DEFAULT_KLL_K = 2048
#: Distinct categories tracked per column; beyond that values are counted as "other" (bounded memory).
MAX_TRACKED_CATEGORIES = 10_000
#: Domains are suggested only for columns with at most this many distinct values.
MAX_DOMAIN_SIZE = 100
HLL_LG_K = 12
PROFILE_FORMAT = "dataquality-profile/1"
#: Values are buffered per column; once KLL_THIN_MIN are pending they are sorted and thinned to one
#: representative per KLL_STRIDE consecutive values before entering the KLL sketch (a deterministic
#: compaction: rank error <= KLL_STRIDE/2 per flush, below 0.00013 of n). Sorting costs far less per
#: value than a KLL insert. A column that never reaches KLL_THIN_MIN values keeps every value at
#: weight 1 (its "unit"); sketches of different units are brought to KLL_STRIDE before merging.
#: Only normalised CDFs are read from the sketch; bucket counts are rescaled to n.
KLL_STRIDE = 8
KLL_THIN_MIN = 32_768
KLL_BUCKETS = 10
#: Deequ's KLL shrinking factor, ``parameters.c`` in every real statistics.json (awslabs/deequ
#: QuantileNonSample, default 0.64).
DEEQU_KLL_C = 0.64

#: Categorical buckets are written only for string columns with at most this many distinct values.
#: Model Monitor's newer container profiles with Deequ's ColumnProfiler, which computes histograms
#: only for columns whose approximate distinct count is ``<= lowCardinalityHistogramThreshold``,
#: ``DEFAULT_CARDINALITY_THRESHOLD = 120`` (awslabs/deequ, src/main/scala/com/amazon/deequ/profiles/
#: ColumnProfiler.scala, findTargetColumnsForHistograms); the newer files carry no ``distribution``
#: for high-cardinality strings (/work/shared/model-monitor-files/README.md).
MAX_HISTOGRAM_DISTINCT = 120

# Deequ's classification of a text cell, the rule Model Monitor applies to CSV cells (awslabs/deequ,
# src/main/scala/com/amazon/deequ/analyzers/catalyst/StatefulDataType.scala): INTEGRAL
# ``^(-|\+)? ?\d+$``, FRACTIONAL ``^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$``; anything else
# (``3.``, ``.5``, ``NaN``, ``inf``, ``True``, timestamps, surrounding blanks) is String. The real
# baseline in model-monitor-files/sagemaker-python-sdk/data_quality shows it: "3.0"-style cells are
# Fractional.
_INTEGRAL_RE = re.compile(r"^[+-]? ?[0-9]+$")
_FRACTIONAL_RE = re.compile(r"^[+-]? ?[0-9]+(\.[0-9]+|(\.[0-9]+)?[Ee][+-]?[0-9]+)$")


def _classify_text(value: str) -> tuple[str, float | None]:
    """``(Integral|Fractional|String, numeric value or None)`` for one cell of text.

    The value of a number too large for a double (``1e999``) is infinite: the caller counts it
    once, as present but not a usable number.
    """
    if _INTEGRAL_RE.match(value):
        return INTEGRAL, float(value.replace(" ", ""))
    if _FRACTIONAL_RE.match(value):
        return FRACTIONAL, float(value.replace(" ", ""))
    return STRING, None


# A HyperLogLog of the numeric values of a column, in numpy (DataSketches' Python HLL takes one value
# a call): 2**12 registers (relative error about 1.6%), merged by maximum. The hash is MurmurHash3's
# 64-bit finaliser of the float's bits: the top 12 bits pick the register, the 16 below them give the
# rank by table look-up (a rank past 16, one value in 65,536, is counted as 17). About 12 ns a value.
_HLL_P = 12
_HLL_M = 1 << _HLL_P
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S_INDEX = np.uint64(64 - _HLL_P)
_S_RANK = np.uint64(64 - _HLL_P - 16)
_LOW16 = np.uint64(0xFFFF)
#: rank of a 16-bit pattern: 1 + its leading zeros (17 for zero)
_RANK16 = (17 - np.ceil(np.log2(np.arange(1 << 16, dtype=np.float64) + 1))).astype(np.uint8)


def _hll_add(registers: np.ndarray, x: np.ndarray) -> None:
    """Fold the float64 values ``x`` (repeats do no harm) into ``registers`` (uint8, 2**_HLL_P)."""
    if x.size == 0:
        return
    h = (x + 0.0).view(np.uint64)  # a copy of our own; + 0.0: -0.0 and 0.0 are one value
    h ^= h >> _S33
    h *= _FMIX1
    h ^= h >> _S33
    h *= _FMIX2
    h ^= h >> _S33
    index = h >> _S_INDEX
    h >>= _S_RANK
    h &= _LOW16
    rank = _RANK16[h]
    keep = rank > registers[index]  # after the first values, few of them raise a register
    if keep.any():
        np.maximum.at(registers, index[keep], rank[keep])


def _hll_estimate(registers: np.ndarray) -> float:
    """HyperLogLog's estimate, with linear counting while registers are still empty (small sets)."""
    m = float(_HLL_M)
    zeros = int(np.count_nonzero(registers == 0))
    if zeros == _HLL_M:
        return 0.0
    raw = (0.7213 / (1 + 1.079 / m)) * m * m / float(np.ldexp(1.0, -registers.astype(np.int64)).sum())
    if raw <= 2.5 * m and zeros:
        return m * math.log(m / zeros)
    return raw


#: A block with more distinct values than this feeds only the sampled HyperLogLog (below).
_DISTINCT_FULL_MAX = 16_384
#: The sampled HyperLogLog takes the values whose (multiplicative) hash falls in 1/16 of the range.
_SAMPLE_SHIFT = np.uint64(60)
_SAMPLE_MUL = np.uint64(0x9E3779B97F4A7C15)
_SAMPLE_RATE = 16


class _DistinctCounter:
    """Approximate distinct count of a numeric column, mergeable, in 2 x 4 KB.

    Hashing every value cost as much as sorting it, so a block is first looked at sorted (as the
    KLL flush has it anyway): its distinct values are counted exactly; a block of at most
    _DISTINCT_FULL_MAX of them goes whole into a full HyperLogLog; every block's values whose cheap
    multiplicative hash falls in 1/16 of the range go into a sampled one. The estimate is the full
    one while it saw every block, else 16 x the sampled one (then at least 16k distinct values, so
    the sampling adds about 3% to the sketch's 1.6%).
    """

    __slots__ = ("complete", "full", "sampled")

    def __init__(self) -> None:
        self.full = np.zeros(_HLL_M, dtype=np.uint8)
        self.sampled = np.zeros(_HLL_M, dtype=np.uint8)
        self.complete = True

    def add_sorted(self, xs: np.ndarray) -> None:
        if xs.size == 0:
            return
        pick = (xs.view(np.uint64) * _SAMPLE_MUL) >> _SAMPLE_SHIFT == 0
        if self.complete:  # (repeats do no harm to a HyperLogLog: they are dropped only to save hashing)
            new = np.empty(xs.size, dtype=bool)
            new[0] = True
            np.not_equal(xs[1:], xs[:-1], out=new[1:])
            if int(np.count_nonzero(new)) <= _DISTINCT_FULL_MAX:
                _hll_add(self.full, xs[new])
            else:
                self.complete = False
            pick &= new
        _hll_add(self.sampled, xs[pick])

    def merge(self, other: _DistinctCounter) -> None:
        np.maximum(self.full, other.full, out=self.full)
        np.maximum(self.sampled, other.sampled, out=self.sampled)
        self.complete = self.complete and other.complete

    def estimate(self) -> int:
        if self.complete:
            return round(_hll_estimate(self.full))
        return round(_SAMPLE_RATE * _hll_estimate(self.sampled))

    def to_bytes(self) -> bytes:
        return bytes([1 if self.complete else 0]) + self.full.tobytes() + self.sampled.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> _DistinctCounter:
        if len(data) != 1 + 2 * _HLL_M or data[0] > 1:
            raise ValueError(f"distinct counter of {len(data)} bytes, expected {1 + 2 * _HLL_M}")
        counter = cls()
        counter.complete = data[0] == 1
        counter.full = np.frombuffer(data, dtype=np.uint8, count=_HLL_M, offset=1).copy()
        counter.sampled = np.frombuffer(data, dtype=np.uint8, count=_HLL_M, offset=1 + _HLL_M).copy()
        return counter


@dataclass
class _Moments:
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    total: float = 0.0
    lo: float = math.inf
    hi: float = -math.inf

    def add(self, n: int, mean: float, m2: float, total: float, lo: float, hi: float) -> None:  # noqa: PLR0917
        if n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2, self.total, self.lo, self.hi = n, mean, m2, total, lo, hi
            return
        tot = self.n + n
        delta = mean - self.mean
        self.mean += delta * n / tot
        self.m2 += m2 + delta * delta * self.n * n / tot
        self.n = tot
        self.total += total
        self.lo = min(self.lo, lo)
        self.hi = max(self.hi, hi)

    def add_values(self, x: np.ndarray, w: np.ndarray | None = None) -> None:
        if x.size == 0:
            return
        if w is None:
            n = int(x.size)
            total = float(x.sum())
            mean = total / n
            d = x - mean
            m2 = float(np.einsum("i,i->", d, d))  # not BLAS: its spinning threads crawl on busy hosts
        else:
            n = int(w.sum())
            total = float(np.einsum("i,i->", x, w))
            mean = total / n
            d = x - mean
            m2 = float(np.einsum("i,i,i->", d, d, w))
        self.add(n, mean, m2, total, float(x.min()), float(x.max()))


def kll_items_from_bytes(blob: bytes, num_retained: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Items and weights of a serialised ``kll_doubles_sketch`` in one vector read (unsorted).

    DataSketches' KLL layout (full form, preamble of 5 ints): 8 header bytes, n (u64), min_k (u16),
    num_levels (u8), 1 unused byte, the start offset of each level (u32 x num_levels), min and max
    (f64), then the retained items level by level; level i's items weigh 2**i. Iterating the sketch
    from Python costs a tuple per item (milliseconds per column); this is a memory view. Any other
    form (empty, single item) or an inconsistent length returns None and the caller iterates.
    """
    if len(blob) < 20 or blob[0] != 5 or blob[2] != 15:
        return None
    num_levels = blob[18]
    start = 20 + 4 * num_levels + 16
    if len(blob) < start or (len(blob) - start) % 8 or (len(blob) - start) // 8 != num_retained:
        return None
    items = np.frombuffer(blob, dtype="<f8", offset=start)
    offsets = np.frombuffer(blob, dtype="<u4", count=num_levels, offset=20).astype(np.int64)
    sizes = np.diff(np.append(offsets, offsets[0] + items.size))
    if (sizes < 0).any():
        return None
    weights = np.repeat(np.ldexp(1.0, np.arange(num_levels)), sizes)
    return items.astype(np.float64), weights


@dataclass
class ColumnProfile:
    """Everything kept about one column. ``num_missing`` is derived: rows - present."""

    name: str
    k: int = DEFAULT_KLL_K
    n_integral: int = 0
    n_fractional: int = 0
    n_string: int = 0
    n_nonfinite: int = 0  # +/-inf, 1e999: present, but not a usable number
    moments: _Moments = field(default_factory=_Moments)
    sketch: Any = None  # kll_doubles_sketch, created on first numeric value
    categories: dict[str, int] = field(default_factory=dict)
    n_other: int = 0  # string values beyond MAX_TRACKED_CATEGORIES distinct
    hll: Any = None  # hll_sketch of string values (distinct_count)
    distinct: _DistinctCounter | None = None  # of the numeric values
    unit: int = 1  # real values one sketch item stands for: 1, or KLL_STRIDE once thinned
    pending: list[np.ndarray] = field(default_factory=list)
    pending_n: int = 0

    @property
    def num_present(self) -> int:
        return self.n_integral + self.n_fractional + self.n_string + self.n_nonfinite

    @property
    def num_numeric(self) -> int:
        return self.moments.n

    # ------------------------------------------------------------------ updates
    def _sketch(self) -> Any:
        if self.sketch is None:
            self.sketch = kll_doubles_sketch(self.k)
        return self.sketch

    def _add_numbers(self, x: np.ndarray, from_text: bool) -> None:
        """Doubles. Typed ones (Parquet, JSON) are Fractional, as Deequ maps Spark's DoubleType.

        A CSV column that pyarrow read as double held at least one cell that is not Integral text
        (a block of integers is read as int64), so it is Fractional. Which of its whole values were
        written ``3`` and which ``3.0`` the parsed block no longer tells: a block with fractions
        counts its whole values as Integral (``3``, as Arrow and most writers put whole numbers
        next to fractions); a block of whole values only was written ``3.0`` by a float writer
        (pandas, numpy), and counts them all as Fractional.
        """
        finite = np.isfinite(x)
        if not finite.all():
            nan = np.isnan(x)
            self.n_nonfinite += int((~finite & ~nan).sum())
            x = x[finite]
        if x.size == 0:
            return
        whole = int(np.count_nonzero(np.floor(x) == x)) if from_text else 0
        if whole == x.size:
            whole = 0
        self.n_integral += whole
        self.n_fractional += int(x.size) - whole
        self.moments.add_values(x)
        self._kll_update(x)

    def _add_integers(self, x: np.ndarray, has_nulls: bool) -> None:
        if has_nulls:  # nulls came out of Arrow as NaN
            x = x[~np.isnan(x)]
        self.n_integral += int(x.size)
        if x.size:
            self.moments.add_values(x)
            self._kll_update(x)

    def _kll_update(self, x: np.ndarray) -> None:
        if x.size >= KLL_THIN_MIN and not self.pending:
            self._thin_into_sketch(x)
            return
        self.pending.append(x.copy() if not x.flags.owndata else x)
        self.pending_n += int(x.size)
        if self.pending_n >= KLL_THIN_MIN:
            buf = np.concatenate(self.pending)
            self.pending, self.pending_n = [], 0
            self._thin_into_sketch(buf)

    def _thin_into_sketch(self, x: np.ndarray) -> None:
        self._to_stride_unit()
        if x.flags.owndata and x.flags.writeable:  # a buffer of our own (concatenated, filtered): no copy
            x.sort()
            xs = x
        else:
            xs = np.sort(x)
        self._count_distinct(xs)
        self._sketch().update(_thinned(xs))

    def _count_distinct(self, xs: np.ndarray) -> None:
        """Count the distinct values of the sorted ``xs``."""
        if self.distinct is None:
            self.distinct = _DistinctCounter()
        self.distinct.add_sorted(xs)

    def _to_stride_unit(self) -> None:
        """Turn a sketch of single values (unit 1) into one whose items stand for KLL_STRIDE values each."""
        if self.unit == KLL_STRIDE:
            return
        if self.sketch is not None and not self.sketch.is_empty():
            items, weights = self._raw_items()
            # the same thinning as a flush, by weight: an item is kept once for every rank
            # STRIDE/2, 3*STRIDE/2, ... that falls inside its share of the cumulative weight
            marks = np.floor((np.cumsum(weights) + (KLL_STRIDE // 2 - 1)) / KLL_STRIDE).astype(np.int64)
            fresh = kll_doubles_sketch(self.k)
            fresh.update(np.repeat(items, np.diff(marks, prepend=0)))
            self.sketch = fresh
        self.unit = KLL_STRIDE

    def finalize(self) -> None:
        """Flush buffered values into the sketch (thinned like any flush once the sketch is thinned)."""
        if not self.pending:
            return
        buf = np.concatenate(self.pending)
        self.pending, self.pending_n = [], 0
        buf.sort()
        self._count_distinct(buf)
        if self.unit > 1:
            buf = _thinned(buf)
        if buf.size:
            self._sketch().update(buf)

    def _count_category(self, value: str, count: int) -> None:
        """Add ``count`` to the category ``value``; past MAX_TRACKED_CATEGORIES new values count as other."""
        if value in self.categories:
            self.categories[value] += count
        elif len(self.categories) < MAX_TRACKED_CATEGORIES:
            self.categories[value] = count
        else:
            self.n_other += count

    def _add_strings(self, arr: pa.Array) -> None:
        vc = _call_function("value_counts", [arr])
        values = vc.field("values").to_pylist()
        counts = vc.field("counts").to_numpy()
        num_vals: list[float] = []
        num_w: list[int] = []
        for value, count in zip(values, counts.tolist(), strict=True):
            if value is None:
                continue
            kind, number = _classify_text(value)
            if number is not None and not math.isfinite(number):
                self.n_nonfinite += count  # 1e999: once, as present but not a usable number
            elif kind == INTEGRAL:
                self.n_integral += count
            elif kind == FRACTIONAL:
                self.n_fractional += count
            else:
                self.n_string += count
            if number is not None and math.isfinite(number):
                num_vals.append(number)
                num_w.append(count)
            self._count_category(value, count)
        if self.hll is None:
            self.hll = hll_sketch(HLL_LG_K)
        for value in values:
            if value is not None:
                self.hll.update(value)
        if num_vals:
            xv = np.asarray(num_vals, dtype=np.float64)
            wv = np.asarray(num_w, dtype=np.int64)
            self.moments.add_values(xv, wv)
            self._kll_update(np.repeat(xv, wv))

    def update(self, arr: pa.Array | pa.ChunkedArray, from_text: bool = False) -> None:  # noqa: PLR0911, PLR0912 - a branch per Arrow type
        """Add one block of a column. ``from_text``: the block was parsed from CSV text (see _add_numbers)."""
        if isinstance(arr, pa.ChunkedArray) and arr.num_chunks > 1 and _is_plain_number(arr.type):
            # a CSV block's column comes in ~1 MB chunks: gather them straight into one float64
            # buffer of our own (no combine_chunks copy, and the sort below can work in place)
            x = np.concatenate([c.to_numpy(zero_copy_only=False) for c in arr.chunks], dtype=np.float64)
            if pa.types.is_integer(arr.type):
                self._add_integers(x, bool(arr.null_count))
            else:
                self._add_numbers(x, from_text)
            return
        if isinstance(arr, pa.ChunkedArray):
            if arr.num_chunks == 1:
                arr = arr.chunk(0)
            elif arr.num_chunks == 0:
                return
            else:
                arr = arr.combine_chunks()
        t = arr.type
        if pa.types.is_null(t) or len(arr) == 0:
            return
        if pa.types.is_dictionary(t):
            self.update(arr.dictionary_decode(), from_text)
            return
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            # Zero-copy view of the Arrow buffer where possible (nulls come out as NaN, which is
            # missing); read-only, so nothing below writes to it or hands it to DataSketches as is.
            if pa.types.is_decimal(t):
                arr = arr.cast(pa.float64())  # Parquet decimals: rare, may import pyarrow.compute
            x = arr.to_numpy(zero_copy_only=False)
            if x.dtype != np.float64:
                x = x.astype(np.float64)
            if pa.types.is_integer(t):
                self._add_integers(x, bool(arr.null_count))
            else:
                self._add_numbers(x, from_text)
            return
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            self._add_strings(arr)
            return
        if pa.types.is_boolean(t):
            self._add_strings(_call_function("if_else", [arr, pa.scalar("true"), pa.scalar("false")]))
            return
        # dates, timestamps, binary, nested: their text form is a String value
        self._add_strings(pa.array([None if v is None else _text(v) for v in arr.to_pylist()], pa.string()))

    # ------------------------------------------------------------------ merge / serialise
    def merge(self, other: ColumnProfile) -> None:
        self.finalize()
        other.finalize()
        if other.sketch is not None and self.unit != other.unit:
            if self.unit == 1:
                self._to_stride_unit()
            else:
                other = ColumnProfile.from_dict(other.to_dict())
                other._to_stride_unit()
        self.n_integral += other.n_integral
        self.n_fractional += other.n_fractional
        self.n_string += other.n_string
        self.n_nonfinite += other.n_nonfinite
        m = other.moments
        self.moments.add(m.n, m.mean, m.m2, m.total, m.lo, m.hi)
        if other.sketch is not None:
            self._sketch().merge(other.sketch)
        if other.distinct is not None:
            if self.distinct is None:
                self.distinct = _DistinctCounter()
            self.distinct.merge(other.distinct)
        for value, count in other.categories.items():
            self._count_category(value, count)
        self.n_other += other.n_other
        if other.hll is not None:
            if self.hll is None:
                self.hll = hll_sketch(HLL_LG_K)
            from datasketches import hll_union

            u = hll_union(HLL_LG_K)
            u.update(self.hll)
            u.update(other.hll)
            self.hll = u.get_result()

    def to_dict(self) -> dict[str, Any]:
        self.finalize()
        m = self.moments
        return {
            "name": self.name,
            "k": self.k,
            "unit": self.unit,
            "counts": [self.n_integral, self.n_fractional, self.n_string, self.n_nonfinite, self.n_other],
            "moments": [m.n, m.mean, m.m2, m.total, m.lo if m.n else None, m.hi if m.n else None],
            "kll": base64.b64encode(self.sketch.serialize()).decode() if self.sketch is not None else None,
            "hll": base64.b64encode(self.hll.serialize_compact()).decode() if self.hll is not None else None,
            "num_hll": (
                base64.b64encode(self.distinct.to_bytes()).decode() if self.distinct is not None else None
            ),
            "categories": self.categories,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnProfile:
        col = cls(name=str(d["name"]), k=int(d["k"]), unit=int(d.get("unit", 1)))
        col.n_integral, col.n_fractional, col.n_string, col.n_nonfinite, col.n_other = (
            int(c) for c in d["counts"]
        )
        n, mean, m2, total, lo, hi = d["moments"]
        col.moments.add(
            int(n), float(mean), float(m2), float(total), lo if lo is not None else 0.0, hi or 0.0
        )
        if d.get("kll"):
            col.sketch = kll_doubles_sketch.deserialize(base64.b64decode(d["kll"]))
        if d.get("hll"):
            col.hll = hll_sketch.deserialize(base64.b64decode(d["hll"]))
        if d.get("num_hll"):
            col.distinct = _DistinctCounter.from_bytes(base64.b64decode(d["num_hll"]))
        col.categories = {str(k): int(v) for k, v in d.get("categories", {}).items()}
        return col

    # ------------------------------------------------------------------ summaries
    def inferred_type(self) -> str:
        """Deequ's rule: any text makes it String; else any fraction makes it Fractional."""
        if self.n_string > 0:
            return STRING
        if self.n_fractional > 0:
            return FRACTIONAL
        if self.n_integral > 0:
            return INTEGRAL
        return UNKNOWN

    def sketch_items(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted items of the KLL sketch and their weights."""
        self.finalize()
        return self._raw_items()

    def _raw_items(self) -> tuple[np.ndarray, np.ndarray]:
        if self.sketch is None or self.sketch.is_empty():
            return np.empty(0), np.empty(0)
        found = kll_items_from_bytes(self.sketch.serialize(), self.sketch.num_retained)
        if found is None:
            pairs = list(self.sketch)
            items = np.fromiter((p[0] for p in pairs), dtype=np.float64, count=len(pairs))
            weights = np.fromiter((p[1] for p in pairs), dtype=np.float64, count=len(pairs))
        else:
            items, weights = found
        order = np.argsort(items, kind="stable")
        return items[order], weights[order]

    def distinct_count(self) -> float:
        if self.n_other == 0:
            return float(len(self.categories))
        return float(round(self.hll.get_estimate())) if self.hll is not None else float(len(self.categories))

    def approximate_num_distinct_values(self) -> int:
        """Distinct numeric values (HyperLogLog of the values; Deequ's ApproxCountDistinct in AWS's file)."""
        self.finalize()
        return self.distinct.estimate() if self.distinct is not None else 0

    def numerical_statistics(self, rows: int) -> dict[str, Any]:
        """The newer container's keys, in its order (model-monitor-files/cardio-oxayavongsa/statistics.json):
        common, mean, sum, std_dev, min, max, approximate_num_distinct_values, completeness, distribution."""
        m = self.moments
        block: dict[str, Any] = {
            "common": {"num_present": self.num_present, "num_missing": rows - self.num_present}
        }
        completeness = self.num_present / rows if rows else 0.0
        if m.n == 0:
            block["completeness"] = completeness
            return block
        block.update(
            {
                "mean": m.mean,
                "sum": m.total,
                "std_dev": math.sqrt(max(m.m2, 0.0) / m.n),
                "min": m.lo,
                "max": m.hi,
                "approximate_num_distinct_values": self.approximate_num_distinct_values(),
                "completeness": completeness,
            }
        )
        items, weights = self.sketch_items()
        edges = np.linspace(m.lo, m.hi, KLL_BUCKETS + 1) if m.hi > m.lo else np.array([m.lo, m.hi])
        counts, _ = np.histogram(items, bins=edges, weights=weights)
        # the sketch weighs every value KLL_STRIDE times (about): rescale so the counts add up to n
        total = float(weights.sum())
        if total > 0:
            counts = counts * (m.n / total)
        buckets = [
            {"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(counts[i])}
            for i in range(len(edges) - 1)
        ]
        # AWS's layout (Deequ's QuantileNonSample.getCompactorItems, as in every real file under
        # shared/model-monitor-files): data[i] holds the items of compactor i, each standing for 2**i
        # values, so sum(2**i * len(data[i])) is num_present. A thinned sketch's items stand for
        # self.unit values each, so they go log2(unit) levels up.
        level_of = np.rint(np.log2(weights * self.unit)).astype(np.int64) if weights.size else weights
        data = [items[level_of == i].tolist() for i in range(int(level_of.max()) + 1)] if weights.size else []
        block["distribution"] = {
            "kll": {
                "buckets": buckets,
                # Deequ's parameters as AWS writes them (c 0.64, k 2048.0): what AWS's reader sizes
                # compactors by when it merges into or updates a sketch it has read
                "sketch": {"parameters": {"c": DEEQU_KLL_C, "k": float(self.k)}, "data": data},
            }
        }
        return block

    def string_statistics(self, rows: int) -> dict[str, Any]:
        """common, distinct_count, completeness, and the categorical distribution only for columns of
        at most MAX_HISTOGRAM_DISTINCT values (as the newer container writes them)."""
        distinct = self.distinct_count()
        block: dict[str, Any] = {
            "common": {"num_present": self.num_present, "num_missing": rows - self.num_present},
            "distinct_count": distinct,
            "completeness": self.num_present / rows if rows else 0.0,
        }
        if distinct <= MAX_HISTOGRAM_DISTINCT:
            buckets = [
                {"value": v, "count": float(c)}
                for v, c in sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
            block["distribution"] = {"categorical": {"buckets": buckets}}
        return block


def _thinned(xs: np.ndarray) -> np.ndarray:
    """One value per KLL_STRIDE of sorted ``xs``: ranks STRIDE/2, 3*STRIDE/2, ... (rank error <= STRIDE/2)."""
    return np.ascontiguousarray(xs[KLL_STRIDE // 2 :: KLL_STRIDE])


def _is_plain_number(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t)


def _text(value: Any) -> str:
    if isinstance(value, bytes):  # a binary Parquet column: its text, never the repr "b'...'"
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


@dataclass
class Profile:
    """Columns in first-seen order plus the row count."""

    k: int = DEFAULT_KLL_K
    rows: int = 0
    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def column(self, name: str) -> ColumnProfile:
        col = self.columns.get(name)
        if col is None:
            col = self.columns[name] = ColumnProfile(name=name, k=self.k)
        return col

    def update(self, batch: pa.RecordBatch | pa.Table, from_text: bool = False) -> None:
        """Add a block of rows; ``from_text``: parsed from CSV text (types are then read from the text)."""
        self.rows += batch.num_rows
        for name, arr in zip(batch.schema.names, batch.columns, strict=True):
            self.column(name).update(arr, from_text)

    def merge(self, other: Profile) -> Profile:
        """Fold ``other`` into this profile (in place) and return self."""
        self.rows += other.rows
        for name, col in other.columns.items():
            self.column(name).merge(col)
        self.sources.extend(other.sources)
        return self

    @classmethod
    def merged(cls, parts: Iterable[Profile], k: int = DEFAULT_KLL_K) -> Profile:
        total = cls(k=k)
        for p in parts:
            total.merge(p)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROFILE_FORMAT,
            "k": self.k,
            "kll_stride": KLL_STRIDE,
            "rows": self.rows,
            "sources": self.sources,
            "columns": [c.to_dict() for c in self.columns.values()],
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, d: Any) -> Profile:
        if not isinstance(d, dict) or d.get("format") != PROFILE_FORMAT:
            raise ProfileFormatError(f"not a {PROFILE_FORMAT} document")
        if d.get("kll_stride") != KLL_STRIDE:
            raise ProfileFormatError(
                f"profile made with KLL stride {d.get('kll_stride')}, this build uses {KLL_STRIDE}"
            )
        try:
            prof = cls(k=int(d["k"]), rows=int(d["rows"]), sources=list(d.get("sources", [])))
            for c in d["columns"]:
                col = ColumnProfile.from_dict(c)
                prof.columns[col.name] = col
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ProfileFormatError(f"corrupt profile: {exc}") from exc
        return prof

    @classmethod
    def from_bytes(cls, data: bytes) -> Profile:
        try:
            d = json.loads(data)
        except ValueError as exc:
            raise ProfileFormatError(f"profile is not JSON: {exc}") from exc
        return cls.from_dict(d)
