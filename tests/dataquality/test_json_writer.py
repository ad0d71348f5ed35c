"""The fast statistics.json writer gives ``json.dumps(doc, indent=2, allow_nan=False) + "\\n"`` exactly."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dataquality as dq
import numpy as np
import pytest
from dataquality import formats as fm


def _reference(doc: Any) -> str:
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


DOCUMENTS: dict[str, Any] = {
    "nested": {
        "version": 0.0,
        "dataset": {"item_count": 3},
        "features": [
            {
                "name": "a",
                "inferred_type": "Fractional",
                "numerical_statistics": {"mean": 1.5, "data": [[1.0]]},
            },
            {"name": "b", "ok": True, "no": False, "none": None, "levels": [[0.5, 1.5], [], [2.5]]},
        ],
    },
    "floats": {
        "tiny": [5e-324, 2.2250738585072014e-308, 1e-7, 1.5e-5, -0.0, 0.0],
        "huge": [1.7976931348623157e308, 1e16, 1e22, 123456789012345.67, -3.4e38],
        "round": [0.1, 0.2 + 0.1, 1.0 / 3.0, 2.0, 100.0, 1e15],
        "scalars": {"small": 5e-324, "large": 1e300, "negative": -2.5},
    },
    "integers": {
        "over_2_53": 2**53 + 1,
        "int64_edges": [2**63 - 1, -(2**63), 2**64 + 7],
        "mixed": [1, 2.0, 3, 4.5],
        "bools_are_not_ints": [True, False, 1, 0],
    },
    "unicode": {
        "café": "naïve — ☃ 😀",
        'quote"and\\slash': "tab\tnewline\ncontrol\x00\x1f",
        "": "empty key",
        "surrogate": "\ud800",
    },
    "empties": {"list": [], "dict": {}, "nested": [[], {}, [[]], {"x": {}}], "text": ""},
    "top_level_list": [1.0, [2.0, [3.0, {"k": [4.0]}]]],
    "top_level_empty_list": [],
    "top_level_empty_dict": {},
    "top_level_scalar": 2.5,
    "tuple_as_list": {"t": (1.0, 2.0), "mixed": (1, "a", None)},
    "numpy_float_scalars": {"x": np.float64(0.1), "list": [np.float64(1.5), 2.5]},
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_bytes_equal_json_dumps(name: str):
    doc = DOCUMENTS[name]
    assert fm.dumps(doc).encode() == _reference(doc).encode()


def test_the_fast_path_is_taken_for_the_shapes_this_package_writes(monkeypatch):
    # the json module is not called at all for these (else the test above proves nothing about the encoder)
    expected = {name: _reference(doc) for name, doc in DOCUMENTS.items()}

    def refuse(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("fell back to json.dumps")

    monkeypatch.setattr(fm, "json", SimpleNamespace(dumps=refuse))
    for name, doc in DOCUMENTS.items():
        assert fm.dumps(doc) == expected[name], name


def test_real_statistics_and_violations_documents(tmp_path: Path):
    # Given a baseline with thinned sketches (several levels) and a check with violations
    rng = np.random.default_rng(3)
    ref = tmp_path / "ref.csv"
    ref.write_text(
        "x,n,c\n"
        + "\n".join(f"{v:.9g},{i},{'abc'[i % 3]}" for i, v in enumerate(rng.lognormal(0, 2, 40_000)))
    )
    base = dq.suggest_baseline(ref)
    batch = tmp_path / "batch.csv"
    batch.write_text("x,n,c\n" + "\n".join(f"{v:.9g},{i},é" for i, v in enumerate(rng.normal(0, 1, 500))))
    res = dq.check(
        batch, baseline_statistics=base.statistics, baseline_constraints=base.constraints, has_header=True
    )
    assert res.violations["violations"]
    # Then each file the package writes is json.dumps' bytes
    for doc in (base.statistics, base.constraints, res.statistics, res.violations):
        assert fm.dumps(doc) == _reference(doc)
    written = res.write(str(tmp_path / "out"))
    assert Path(written["statistics"]).read_bytes() == _reference(res.statistics).encode()
    assert Path(written["violations"]).read_bytes() == _reference(res.violations).encode()


@pytest.mark.parametrize(
    "doc",
    [
        float("nan"),
        {"x": float("inf")},
        {"x": -math.inf},
        [1.0, 2.0, float("nan")],  # a list of floats (the one-join path)
        {"a": {"b": [[0.5], [1.5, float("-inf")]]}},
        {"a": [1, float("nan"), "text"]},  # a mixed list
    ],
    ids=["top", "value", "negative-inf", "float-list", "nested-float-list", "mixed-list"],
)
def test_nan_and_infinity_are_rejected_like_allow_nan_false(doc: Any):
    with pytest.raises(ValueError, match="not JSON compliant") as theirs:
        _reference(doc)
    with pytest.raises(ValueError, match="not JSON compliant") as ours:
        fm.dumps(doc)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    ("doc", "error"),
    [({"x": {1, 2}}, TypeError), ({"x": np.int64(3)}, TypeError), ({"x": object()}, TypeError)],
    ids=["set", "numpy-int", "object"],
)
def test_values_json_cannot_encode_raise_what_json_raises(doc: Any, error: type[Exception]):
    with pytest.raises(error):
        fm.dumps(doc)


def test_non_string_keys_and_circular_documents_behave_as_in_json():
    doc = {1: 2.0, None: [1.0], 2.5: "x", False: {}}
    assert fm.dumps(doc) == _reference(doc)
    circular: list[Any] = []
    circular.append(circular)
    limit = sys.getrecursionlimit()
    with pytest.raises(ValueError, match="Circular reference"):
        fm.dumps(circular)
    assert sys.getrecursionlimit() == limit
