"""SageMaker Model Monitor's data-quality file formats: constants, validation and normalisation.

The shapes follow AWS's documented schemas ("Schema for Statistics", "Schema for Constraints",
"Schema for Violations") and what the sagemaker-model-monitor-analyzer writes in practice
(``"version": 0.0``, ``"k": 2048.0``). Reading is lenient where AWS's own files vary (version as int
or float, ``comparion_method`` as the older docs spell it, ``Simple``/``linf_simple``), strict where a
wrong value would silently change a verdict (unknown method names, wrong version, wrong types).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import BaselineFormatError

_encode_str = json.encoder.encode_basestring_ascii  # the C function json.dumps uses for strings

SCHEMA_VERSION = 0.0

INTEGRAL = "Integral"
FRACTIONAL = "Fractional"
STRING = "String"
UNKNOWN = "Unknown"
INFERRED_TYPES = (INTEGRAL, FRACTIONAL, STRING, UNKNOWN)
NUMERIC_TYPES = (INTEGRAL, FRACTIONAL)

DATA_TYPE_CHECK = "data_type_check"
COMPLETENESS_CHECK = "completeness_check"
BASELINE_DRIFT_CHECK = "baseline_drift_check"
MISSING_COLUMN_CHECK = "missing_column_check"
EXTRA_COLUMN_CHECK = "extra_column_check"
CATEGORICAL_VALUES_CHECK = "categorical_values_check"
CHECK_TYPES = (
    DATA_TYPE_CHECK,
    COMPLETENESS_CHECK,
    BASELINE_DRIFT_CHECK,
    MISSING_COLUMN_CHECK,
    EXTRA_COLUMN_CHECK,
    CATEGORICAL_VALUES_CHECK,
)
#: Violations of these types mean "the distribution moved": the only ones that may ask for retraining.
DEFAULT_DRIFT_CHECK_TYPES: frozenset[str] = frozenset({BASELINE_DRIFT_CHECK})

SIMPLE = "Simple"
ROBUST = "Robust"
LINFINITY = "LInfinity"
CHI_SQUARED = "ChiSquared"

_NUMERIC_METHODS = {"simple": SIMPLE, "linf_simple": SIMPLE, "robust": ROBUST, "linf_robust": ROBUST}
_CATEGORICAL_METHODS = {
    "linfinity": LINFINITY,
    "linf": LINFINITY,
    "l_infinity": LINFINITY,
    "chisquared": CHI_SQUARED,
    "chi_squared": CHI_SQUARED,
    "chisquare": CHI_SQUARED,
}

#: What the analyzer writes when it suggests constraints (and what we assume when a key is absent).
DEFAULT_MONITORING_CONFIG: dict[str, Any] = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": ROBUST,
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": LINFINITY,
    },
}

_DISTRIBUTION_KEYS = (
    "perform_comparison",
    "comparison_threshold",
    "comparison_method",
    "comparion_method",
    "categorical_comparison_threshold",
    "categorical_drift_method",
)


def _fail(where: str, problem: str) -> BaselineFormatError:
    return BaselineFormatError(f"{where}: {problem}")


def check_version(doc: Mapping[str, Any], where: str) -> None:
    """Accept ``0``, ``0.0`` (and a missing key); reject anything else by name."""
    version = doc.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int | float) or float(version) != 0.0:
        raise _fail(where, f'unsupported "version": {version!r} (Model Monitor schema version 0 expected)')


def _number(value: Any, where: str, key: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise _fail(where, f'"{key}" must be a finite number, got {value!r}')
    return float(value)


def _enabled(value: Any, where: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("enabled", "disabled"):
        return value.strip().lower() == "enabled"
    raise _fail(where, f'"{key}" must be "Enabled" or "Disabled", got {value!r}')


def normalise_numeric_method(value: Any, where: str = "comparison_method") -> str:
    if isinstance(value, str) and value.strip().lower() in _NUMERIC_METHODS:
        return _NUMERIC_METHODS[value.strip().lower()]
    raise _fail(where, f"unknown comparison method {value!r} (Simple/Robust or linf_simple/linf_robust)")


def normalise_categorical_method(value: Any, where: str = "categorical_drift_method") -> str:
    if isinstance(value, str) and value.strip().lower() in _CATEGORICAL_METHODS:
        return _CATEGORICAL_METHODS[value.strip().lower()]
    raise _fail(where, f"unknown categorical drift method {value!r} (LInfinity or ChiSquared)")


# --------------------------------------------------------------------------- monitoring config


@dataclass(frozen=True)
class FeatureConfig:
    """monitoring_config resolved for one feature (global config + its monitoringConfigOverrides)."""

    evaluate_constraints: bool = True
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    perform_comparison: bool = True
    comparison_threshold: float = 0.1
    comparison_method: str = ROBUST
    categorical_comparison_threshold: float = 0.1
    categorical_drift_method: str = LINFINITY


def _apply_config(base: FeatureConfig, cfg: Mapping[str, Any], where: str) -> FeatureConfig:
    """Layer one monitoring_config-shaped mapping over ``base``.

    Accepts the documented nesting (``distribution_constraints: {...}``) and, for overrides,
    the same keys flat at the top level.
    """
    if not isinstance(cfg, Mapping):
        raise _fail(where, f"must be an object, got {type(cfg).__name__}")
    values: dict[str, Any] = dict(base.__dict__)
    flat: dict[str, Any] = {k: v for k, v in cfg.items() if k != "distribution_constraints"}
    dist = cfg.get("distribution_constraints", {})
    if not isinstance(dist, Mapping):
        raise _fail(where, '"distribution_constraints" must be an object')
    flat.update(dist)
    cat_threshold_given = "categorical_comparison_threshold" in flat
    for key, value in flat.items():
        if key in ("evaluate_constraints", "perform_comparison"):
            values[key] = _enabled(value, where, key)
        elif key in (
            "datatype_check_threshold",
            "domain_content_threshold",
            "comparison_threshold",
            "categorical_comparison_threshold",
        ):
            values[key] = _number(value, where, key)
        elif key in ("comparison_method", "comparion_method"):
            values["comparison_method"] = normalise_numeric_method(value, f"{where}.{key}")
        elif key == "categorical_drift_method":
            values["categorical_drift_method"] = normalise_categorical_method(value, f"{where}.{key}")
        elif key == "emit_metrics":
            _enabled(value, where, key)
        # other keys: tolerated (the schema allows containers to add more)
    if "comparison_threshold" in flat and not cat_threshold_given and base is _DEFAULT_FEATURE_CONFIG:
        # documented default: the categorical threshold follows comparison_threshold
        values["categorical_comparison_threshold"] = values["comparison_threshold"]
    return FeatureConfig(**values)


_DEFAULT_FEATURE_CONFIG = FeatureConfig()


# --------------------------------------------------------------------------- constraints.json


@dataclass(frozen=True)
class FeatureConstraint:
    name: str
    inferred_type: str
    completeness: float | None
    is_non_negative: bool | None
    domains: tuple[str, ...] | None
    config: FeatureConfig


@dataclass(frozen=True)
class Constraints:
    features: tuple[FeatureConstraint, ...]
    config: FeatureConfig
    raw: dict[str, Any] = field(repr=False)

    def by_name(self) -> dict[str, FeatureConstraint]:
        return {f.name: f for f in self.features}


def _inferred_type(value: Any, where: str) -> str:
    if isinstance(value, str):
        for t in INFERRED_TYPES:
            if value.strip().lower() == t.lower():
                return t
    raise _fail(where, f'"inferred_type" must be one of {", ".join(INFERRED_TYPES)}, got {value!r}')


def _features_list(doc: Any, where: str) -> list[Any]:
    """The ``"features"`` list of a statistics or constraints document, once the document is an
    object of a supported version."""
    if not isinstance(doc, Mapping):
        raise _fail(where, f"must be a JSON object, got {type(doc).__name__}")
    check_version(doc, where)
    feats = doc.get("features")
    if not isinstance(feats, list):
        raise _fail(where, '"features" must be a list')
    return feats


def _named_features(feats: list[Any], where: str) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """Each feature of a ``"features"`` list with its name and the ``where`` that names it in errors.

    Fails on a feature without a non-empty string ``"name"`` and on a name listed twice, as it reaches them.
    """
    seen: set[str] = set()
    for i, feat in enumerate(feats):
        if not isinstance(feat, Mapping) or not isinstance(feat.get("name"), str) or not feat["name"]:
            raise _fail(f"{where} features[{i}]", 'each feature needs a non-empty "name"')
        name = feat["name"]
        fwhere = f"{where} feature {name!r}"
        if name in seen:
            raise _fail(fwhere, "feature listed twice")
        seen.add(name)
        yield name, feat, fwhere


def parse_constraints(doc: Any, where: str = "constraints.json") -> Constraints:
    feats = _features_list(doc, where)
    global_cfg = _apply_config(
        _DEFAULT_FEATURE_CONFIG, doc.get("monitoring_config", {}), f"{where} monitoring_config"
    )
    out: list[FeatureConstraint] = []
    for name, feat, fwhere in _named_features(feats, where):
        completeness = _number(feat.get("completeness"), fwhere, "completeness", allow_none=True)
        num_c = feat.get("num_constraints") or {}
        if not isinstance(num_c, Mapping):
            raise _fail(fwhere, '"num_constraints" must be an object')
        non_neg = num_c.get("is_non_negative")
        if non_neg is not None and not isinstance(non_neg, bool):
            raise _fail(fwhere, f'"is_non_negative" must be true/false, got {non_neg!r}')
        str_c = feat.get("string_constraints") or {}
        if not isinstance(str_c, Mapping):
            raise _fail(fwhere, '"string_constraints" must be an object')
        domains = str_c.get("domains")
        if domains is not None:
            if not isinstance(domains, list):
                raise _fail(fwhere, '"string_constraints.domains" must be a list')
            domains = tuple(str(d) for d in domains)
        overrides = feat.get("monitoringConfigOverrides") or {}
        cfg = _apply_config(global_cfg, overrides, f"{fwhere} monitoringConfigOverrides")
        out.append(
            FeatureConstraint(
                name=name,
                inferred_type=_inferred_type(feat.get("inferred_type", UNKNOWN), fwhere),
                completeness=completeness,
                is_non_negative=non_neg,
                domains=domains,
                config=cfg,
            )
        )
    return Constraints(features=tuple(out), config=global_cfg, raw=dict(doc))


# --------------------------------------------------------------------------- statistics.json


@dataclass(frozen=True)
class FeatureStats:
    name: str
    inferred_type: str
    num_present: float
    num_missing: float
    numeric: Mapping[str, Any] | None
    kll_items: np.ndarray | None = field(compare=False)  # sketch items, sorted ascending
    kll_weights: np.ndarray | None = field(compare=False)
    categorical: dict[str, float] | None
    distinct_count: float | None
    #: The numerical distribution is a KLL sketch (``distribution.kll.sketch.data``), not the 10
    #: buckets' upper bounds a file without a sketch falls back to.
    kll_sketched: bool = False


@dataclass(frozen=True)
class Statistics:
    item_count: float | None
    features: tuple[FeatureStats, ...]
    raw: dict[str, Any] = field(repr=False)

    def by_name(self) -> dict[str, FeatureStats]:
        return {f.name: f for f in self.features}


_NUMBER_TYPES = frozenset({int, float})  # what json.loads gives for numbers (bool is its own type)


def _kll(dist: Any, where: str) -> tuple[np.ndarray, np.ndarray, bool] | None:  # noqa: PLR0912
    """Items and weights of a KLL sketch as Model Monitor writes it: ``data[level]`` items weigh 2**level,
    and whether they came from the sketch.

    Falls back to the 10 buckets (upper bounds weighted by count) when a file carries no sketch.
    """
    if dist is None:
        return None
    if not isinstance(dist, Mapping):
        raise _fail(where, '"distribution" must be an object')
    kll = dist.get("kll")
    if kll is None:
        return None
    if not isinstance(kll, Mapping):
        raise _fail(where, '"distribution.kll" must be an object')
    items: list[float] = []
    weights: list[float] = []
    sketch = kll.get("sketch")
    sketched = False
    if sketch is not None:
        data = sketch.get("data") if isinstance(sketch, Mapping) else None
        if not isinstance(data, list) or not all(isinstance(level, list) for level in data):
            raise _fail(where, '"distribution.kll.sketch.data" must be a list of lists of numbers')
        for level, values in enumerate(data):
            if values and not _NUMBER_TYPES.issuperset(map(type, values)):
                for v in values:  # names the offending value
                    _number(v, where, "kll.sketch.data")
            items.extend(values)
            weights.extend([float(2**level)] * len(values))
        sketched = bool(items)
    if not items:
        buckets = kll.get("buckets")
        if buckets is None:
            return None
        if not isinstance(buckets, list):
            raise _fail(where, '"distribution.kll.buckets" must be a list')
        for b in buckets:
            if not isinstance(b, Mapping):
                raise _fail(where, "each kll bucket must be an object")
            count = _number(b.get("count"), where, "buckets.count") or 0.0
            if count > 0:
                items.append(_number(b.get("upper_bound"), where, "buckets.upper_bound") or 0.0)
                weights.append(count)
    if not items:
        return None
    x = np.array(items, dtype=np.float64)
    if not np.isfinite(x).all():
        bad = x[~np.isfinite(x)][0]
        raise _fail(where, f'"kll.sketch.data" must be a finite number, got {bad!r}')
    order = np.argsort(x, kind="stable")
    return x[order], np.array(weights, dtype=np.float64)[order], sketched


def parse_statistics(doc: Any, where: str = "statistics.json") -> Statistics:
    feats = _features_list(doc, where)
    dataset = doc.get("dataset") or {}
    item_count = _number(dataset.get("item_count"), where, "dataset.item_count", allow_none=True)
    out: list[FeatureStats] = []
    for name, feat, fwhere in _named_features(feats, where):
        itype = _inferred_type(feat.get("inferred_type", UNKNOWN), fwhere)
        num = feat.get("numerical_statistics")
        strs = feat.get("string_statistics")
        block = num if num is not None else strs
        if block is None:
            raise _fail(fwhere, 'needs "numerical_statistics" or "string_statistics"')
        if not isinstance(block, Mapping):
            raise _fail(fwhere, "statistics block must be an object")
        common = block.get("common")
        if not isinstance(common, Mapping):
            raise _fail(fwhere, 'needs "common": {"num_present", "num_missing"}')
        present = _number(common.get("num_present"), fwhere, "num_present") or 0.0
        missing = _number(common.get("num_missing", 0), fwhere, "num_missing") or 0.0
        kll = None
        categorical: dict[str, float] | None = None
        distinct = None
        if num is not None:
            kll = _kll(num.get("distribution"), fwhere)
        if strs is not None:
            distinct = _number(strs.get("distinct_count"), fwhere, "distinct_count", allow_none=True)
            dist = strs.get("distribution") or {}
            cat = dist.get("categorical") if isinstance(dist, Mapping) else None
            if cat is not None:
                buckets = cat.get("buckets") if isinstance(cat, Mapping) else None
                if not isinstance(buckets, list):
                    raise _fail(fwhere, '"distribution.categorical.buckets" must be a list')
                categorical = {}
                for b in buckets:
                    if not isinstance(b, Mapping) or "value" not in b:
                        raise _fail(fwhere, 'each categorical bucket needs "value" and "count"')
                    key = str(b["value"])
                    categorical[key] = categorical.get(key, 0.0) + (
                        _number(b.get("count"), fwhere, "count") or 0.0
                    )
        out.append(
            FeatureStats(
                name=name,
                inferred_type=itype,
                num_present=present,
                num_missing=missing,
                numeric=num,
                kll_items=kll[0] if kll else None,
                kll_weights=kll[1] if kll else None,
                categorical=categorical,
                distinct_count=distinct,
                kll_sketched=bool(kll and kll[2]),
            )
        )
    return Statistics(item_count=item_count, features=tuple(out), raw=dict(doc))


# --------------------------------------------------------------------------- constraint_violations.json


def parse_violations(doc: Any, where: str = "constraint_violations.json") -> list[dict[str, str]]:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("violations", None), list):
        raise _fail(where, 'must be a JSON object with a "violations" list')
    out: list[dict[str, str]] = []
    for i, v in enumerate(doc["violations"]):
        if not isinstance(v, Mapping) or not isinstance(v.get("constraint_check_type"), str):
            raise _fail(
                f"{where} violations[{i}]", 'needs "feature_name", "constraint_check_type", "description"'
            )
        out.append(
            {
                "feature_name": str(v.get("feature_name", "")),
                "constraint_check_type": v["constraint_check_type"],
                "description": str(v.get("description", "")),
            }
        )
    return out


# --------------------------------------------------------------------------- writing


_INDENT = "  "
_FLOAT_ONLY = frozenset({float})


class _Unusual(Exception):  # noqa: N818 - internal signal: let the json module handle this document
    pass


def dumps(doc: Any) -> str:
    """``json.dumps(doc, indent=2, allow_nan=False) + "\\n"``, byte for byte, several times faster.

    The json module encodes indented output in pure Python, one call per value; a statistics.json
    holds tens of thousands of sketch items. Here a list of floats is one ``join``. Anything outside
    the shapes this package writes (non-string keys, other types) goes to the json module itself.
    """
    out: list[str] = []
    try:
        _encode(doc, 0, out)
    except (_Unusual, RecursionError):  # RecursionError: a circular document, which json names
        return json.dumps(doc, indent=2, allow_nan=False) + "\n"
    out.append("\n")
    return "".join(out)


def _float_text(x: float) -> str:
    if not math.isfinite(x):
        raise ValueError(f"Out of range float values are not JSON compliant: {x!r}")
    return float.__repr__(x)


def _encode(o: Any, level: int, out: list[str]) -> None:  # noqa: PLR0912 - one branch per JSON type
    if isinstance(o, str):
        out.append(_encode_str(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):
        out.append(_float_text(o))
    elif isinstance(o, list | tuple):
        if not o:
            out.append("[]")
            return
        inner = "\n" + _INDENT * (level + 1)
        if _FLOAT_ONLY.issuperset(map(type, o)) and all(map(math.isfinite, o)):
            out.append(
                "[" + inner + ("," + inner).join(map(float.__repr__, o)) + "\n" + _INDENT * level + "]"
            )
            return
        out.append("[")
        for i, v in enumerate(o):
            out.append(inner if i == 0 else "," + inner)
            _encode(v, level + 1, out)
        out.append("\n" + _INDENT * level + "]")
    elif isinstance(o, dict):
        if not o:
            out.append("{}")
            return
        inner = "\n" + _INDENT * (level + 1)
        out.append("{")
        for i, (k, v) in enumerate(o.items()):
            if not isinstance(k, str):
                raise _Unusual
            out.append((inner if i == 0 else "," + inner) + _encode_str(k) + ": ")
            _encode(v, level + 1, out)
        out.append("\n" + _INDENT * level + "}")
    else:
        raise _Unusual
