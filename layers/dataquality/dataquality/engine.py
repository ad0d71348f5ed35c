"""Profiling (one streaming pass per file), baseline suggestion and the checks against a baseline."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from . import formats as fm
from .distance import categorical_linf, chi_squared_p_value, ks_critical_term, linf_cdf_distance
from .errors import (
    AllMissingColumn,
    BaselineFormatError,
    DriftNotComparable,
    EmptyBatch,
    MonitoringOutputFormatError,
    UsageError,
)
from .profile import DEFAULT_KLL_K, MAX_DOMAIN_SIZE, MAX_HISTOGRAM_DISTINCT, ColumnProfile, Profile
from .sources import (
    CsvTypeConflict,
    DataFile,
    count_csv_fields,
    csv_header,
    iter_csv,
    iter_jsonl,
    iter_parquet,
    resolve_sources,
    write_text,
)

VERDICT_CLEAN = "clean"
VERDICT_DRIFT = "drift"
VERDICT_DATA_QUALITY_FAILURE = "data_quality_failure"


def _dumps(doc: Any) -> str:
    return fm.dumps(doc)  # = json.dumps(doc, indent=2, allow_nan=False) + "\n", faster


# =========================================================================== profiling


def profile_file(  # noqa: PLR0912
    f: DataFile,
    *,
    has_header: bool,
    column_names: list[str] | None,
    k: int = DEFAULT_KLL_K,
    delimiter: str = ",",
) -> Profile:
    """One file's profile. CSV blocks whose types contradict the first block are re-read as wider types.

    Each reader is closed as soon as the loop ends, also when sketching fails: its file (and the
    CSV read-ahead thread) must not live on for as long as the caller keeps the exception.
    """
    if f.fmt == "parquet":
        part = Profile(k=k, sources=[f.uri])
        with closing(iter_parquet(f)) as batches:
            for batch in batches:
                part.update(batch)
        return part
    if f.fmt == "jsonl":
        part = Profile(k=k, sources=[f.uri])
        with closing(iter_jsonl(f)) as tables:
            for table in tables:
                part.update(table)
        return part
    # CSV
    if has_header:
        names_for_read = None
        names = csv_header(f, delimiter)
    else:
        n_fields = count_csv_fields(f, delimiter)
        if n_fields == 0:
            return Profile(k=k, sources=[f.uri])
        base = list(column_names or [])
        names = base[:n_fields] + [f"_c{i}" for i in range(len(base), n_fields)]
        names_for_read = names
    forced: dict[str, pa.DataType] = {}
    while True:
        part = Profile(k=k, sources=[f.uri])
        try:
            reader = iter_csv(
                f,
                column_names=names_for_read,
                column_types=forced,
                delimiter=delimiter,
                single_column=len(names) == 1,
            )
            with closing(reader) as batches:
                for batch in batches:
                    part.update(batch, from_text=True)
            return part
        except CsvTypeConflict as conflict:
            name = names[conflict.column_index]
            current = forced.get(name)
            if current is None and conflict.arrow_type.startswith("int"):
                forced[name] = pa.float64()
            elif current == pa.string():
                raise  # cannot widen past text: should never happen
            else:
                forced[name] = pa.string()


def profile_sources(
    sources: Any,
    *,
    has_header: bool = True,
    column_names: list[str] | None = None,
    data_format: str | None = None,
    kll_k: int = DEFAULT_KLL_K,
    delimiter: str = ",",
) -> Profile:
    """Profile every file named by ``sources`` and merge the parts (one streaming pass each)."""
    if kll_k < 8:
        raise UsageError(f"kll_k must be at least 8, got {kll_k}")
    files = resolve_sources(sources, data_format)
    total = Profile(k=kll_k)
    for f in files:
        total.merge(
            profile_file(f, has_header=has_header, column_names=column_names, k=kll_k, delimiter=delimiter)
        )
    return total


def _require_rows(profile: Profile) -> None:
    if profile.rows == 0:
        where = ", ".join(profile.sources[:3]) + (" ..." if len(profile.sources) > 3 else "")
        raise EmptyBatch(f"no data rows in {where or 'the input'}")


# =========================================================================== baseline


@dataclass
class Baseline:
    statistics: dict[str, Any]
    constraints: dict[str, Any]
    profile: Profile | None = field(default=None, repr=False)

    def write(self, dest: str) -> dict[str, str]:
        """Write statistics.json and constraints.json under a folder or an s3:// prefix."""
        return {
            "statistics": write_text(dest, "statistics.json", _dumps(self.statistics)),
            "constraints": write_text(dest, "constraints.json", _dumps(self.constraints)),
        }


def _feature_statistics(col: ColumnProfile, rows: int, itype: str) -> dict[str, Any]:
    feat: dict[str, Any] = {"name": col.name, "inferred_type": itype}
    if itype in fm.NUMERIC_TYPES:
        feat["numerical_statistics"] = col.numerical_statistics(rows)
    else:
        feat["string_statistics"] = col.string_statistics(rows)
    return feat


def suggest_from_profile(profile: Profile) -> Baseline:
    _require_rows(profile)
    stats_feats: list[dict[str, Any]] = []
    cons_feats: list[dict[str, Any]] = []
    for col in profile.columns.values():
        itype = col.inferred_type()
        if itype == fm.UNKNOWN:
            raise AllMissingColumn(
                f"column {col.name!r} has no value in {profile.rows} rows: a baseline needs data for every "
                "feature (drop the column or fix the data)"
            )
        stats_feats.append(_feature_statistics(col, profile.rows, itype))
        cons: dict[str, Any] = {
            "name": col.name,
            "inferred_type": itype,
            "completeness": col.num_present / profile.rows,
        }
        if itype in fm.NUMERIC_TYPES:
            cons["num_constraints"] = {"is_non_negative": bool(col.moments.n and col.moments.lo >= 0)}
        elif col.n_other == 0 and len(col.categories) <= MAX_DOMAIN_SIZE:
            cons["string_constraints"] = {"domains": sorted(col.categories)}
        cons_feats.append(cons)
    statistics = {
        "version": fm.SCHEMA_VERSION,
        "dataset": {"item_count": profile.rows},
        "features": stats_feats,
    }
    constraints = {
        "version": fm.SCHEMA_VERSION,
        "features": cons_feats,
        "monitoring_config": json.loads(json.dumps(fm.DEFAULT_MONITORING_CONFIG)),
    }
    return Baseline(statistics=statistics, constraints=constraints, profile=profile)


def suggest_baseline(
    sources: Any,
    *,
    has_header: bool = True,
    column_names: list[str] | None = None,
    data_format: str | None = None,
    kll_k: int = DEFAULT_KLL_K,
    delimiter: str = ",",
) -> Baseline:
    """Suggest statistics.json and constraints.json from training data (Model Monitor's baseline job)."""
    profile = profile_sources(
        sources,
        has_header=has_header,
        column_names=column_names,
        data_format=data_format,
        kll_k=kll_k,
        delimiter=delimiter,
    )
    return suggest_from_profile(profile)


# =========================================================================== verdict


@dataclass(frozen=True)
class Verdict:
    verdict: str
    drifted_features: list[str]
    feature_distances: dict[str, dict[str, Any]]
    violations: list[dict[str, str]]
    #: verdict_from_statistics: features on which the violations file and the statistics disagree
    #: about drift, and how
    drift_disagreements: dict[str, str] = field(default_factory=dict)


def _drift_types(drift_check_types: Iterable[str]) -> frozenset[str]:
    """The check types that mean drift, validated (before any data is read)."""
    bad_shape = UsageError(
        "drift_check_types must be a list or set of check type names (of "
        f"{list(fm.CHECK_TYPES)}), got {drift_check_types!r}"
    )
    if isinstance(drift_check_types, str | bytes):  # a string is iterable, as its characters
        raise bad_shape
    try:
        types = frozenset(drift_check_types)
    except TypeError:  # not iterable, or unhashable items
        raise bad_shape from None
    unknown = sorted((t for t in types if t not in fm.CHECK_TYPES), key=repr)
    if unknown:
        raise UsageError(f"unknown drift check type(s) {unknown}; choose from {list(fm.CHECK_TYPES)}")
    return types


def classify(violations: list[dict[str, str]], drift_check_types: Iterable[str]) -> tuple[str, list[str]]:
    """Data-quality failures win over drift: broken input must never trigger retraining.

    Any violation whose type is not a drift type (including types this package does not know)
    counts as a data-quality failure.
    """
    drift_types = _drift_types(drift_check_types)
    drifted: list[str] = []
    failure = False
    for v in violations:
        if v["constraint_check_type"] in drift_types:
            if v["feature_name"] not in drifted:
                drifted.append(v["feature_name"])
        else:
            failure = True
    if failure:
        return VERDICT_DATA_QUALITY_FAILURE, drifted
    return (VERDICT_DRIFT if drifted else VERDICT_CLEAN), drifted


def verdict_from_violations(
    violations_doc: Any, drift_check_types: Iterable[str] = fm.DEFAULT_DRIFT_CHECK_TYPES
) -> Verdict:
    """Classify a constraint_violations.json (ours or one AWS's analyzer wrote) by its check types.

    It gives no distances: AWS's file has them only inside human-readable descriptions, whose
    wording changes between container versions. They come from the statistics
    (``statistics_distances``, ``verdict_from_statistics``)."""
    violations = fm.parse_violations(violations_doc)
    verdict, drifted = classify(violations, drift_check_types)
    return Verdict(verdict=verdict, drifted_features=drifted, feature_distances={}, violations=violations)


# =========================================================================== check


@dataclass
class CheckResult:
    statistics: dict[str, Any]
    violations: dict[str, Any]
    verdict: str
    feature_distances: dict[str, dict[str, Any]]
    drifted_features: list[str]
    profile: Profile | None = field(default=None, repr=False)

    def write(self, dest: str) -> dict[str, str]:
        """Write statistics.json and constraint_violations.json under a folder or an s3:// prefix."""
        return {
            "statistics": write_text(dest, "statistics.json", _dumps(self.statistics)),
            "violations": write_text(dest, "constraint_violations.json", _dumps(self.violations)),
        }

    def summary(self) -> dict[str, Any]:
        """The workflow's ``$.monitoring`` fields that come from the analysis."""
        return {
            "verdict": self.verdict,
            "driftedFeatures": list(self.drifted_features),
            "violations": list(self.violations["violations"]),
            "featureDistances": {k: v["distance"] for k, v in self.feature_distances.items()},
        }


def _pct(x: float) -> str:
    return f"{100.0 * x:.1f}%"


def _aws_value(observed: float) -> str:
    """How AWS's container begins a data_type/completeness/categorical_values description: the whole
    text of each in its 2019 violations (model-monitor-files/sagemaker-python-sdk/monitor/
    constraint_violations.json), e.g. ``Value: 0.4994994994994995 does not meet the constraint
    requirement! ``; ours goes on with what was expected and found."""
    return f"Value: {observed!r} does not meet the constraint requirement! "


def _violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def _batch_type(col: ColumnProfile, baseline_type: str | None) -> str:
    own = col.inferred_type()
    if baseline_type in fm.NUMERIC_TYPES and col.num_present and col.n_string / col.num_present < 0.5:
        return fm.FRACTIONAL if col.n_fractional else fm.INTEGRAL
    if own == fm.UNKNOWN and baseline_type:
        return baseline_type
    return own


def _numeric_distance(  # noqa: PLR0917 - the two samples, their sizes and the feature's config
    b_items: np.ndarray,
    b_weights: np.ndarray,
    n: float,
    items: np.ndarray,
    weights: np.ndarray,
    m: float,
    cfg: fm.FeatureConfig,
) -> tuple[dict[str, Any], str]:
    """The distance entry of two numerical distributions (sorted sketch items and their weights; n, m
    the baseline's and the batch's value counts), and the violation's description ("" if none).
    The one definition, for a batch's profile (`check`) and a batch's statistics.json alike."""
    raw = linf_cdf_distance(b_items, b_weights, items, weights)
    if cfg.comparison_method == fm.ROBUST:
        term = ks_critical_term(n, m)
        dist = max(0.0, raw - term)
        how = f"method Robust: L-infinity {raw:.6g} minus K-S critical term {term:.6g}; n={n:.0f}, m={m:.0f}"
    else:
        dist = raw
        how = f"method Simple; n={n:.0f}, m={m:.0f}"
    entry = {"distance": dist, "threshold": cfg.comparison_threshold, "method": cfg.comparison_method}
    # Strictly above: AWS flags baseline_drift_check when the distance "is more than the threshold
    # specified in monitoring_config.comparison_threshold" (SageMaker developer guide, "Schema for
    # Violations"); a distance equal to it is clean (tests/dataquality/test_drift_rules.py)
    if dist > cfg.comparison_threshold:
        return entry, (
            f"Numerical distance: {dist:.6g} exceeds numerical threshold: "
            f"{cfg.comparison_threshold:g} ({how})"
        )
    return entry, ""


def _categorical_distance(
    baseline: Mapping[str, float], batch: Mapping[str, float], cfg: fm.FeatureConfig
) -> tuple[dict[str, Any], str]:
    """The distance entry of two categorical distributions (counts by value), and the violation's
    description ("" if none)."""
    threshold = cfg.categorical_comparison_threshold
    if cfg.categorical_drift_method == fm.CHI_SQUARED:
        stat, p, dof = chi_squared_p_value(baseline, batch)
        entry = {"distance": p, "threshold": threshold, "method": fm.CHI_SQUARED}
        if p < threshold:
            return entry, (
                f"Categorical distance: {p:.6g} (ChiSquared p-value) is below categorical threshold: "
                f"{threshold:g} (method ChiSquared: chi2={stat:.6g}, dof={dof})"
            )
        return entry, ""
    dist = categorical_linf(baseline, batch)
    entry = {"distance": dist, "threshold": threshold, "method": fm.LINFINITY}
    if dist > threshold:  # strictly above, as for numbers (see _numeric_distance)
        return entry, (
            f"Categorical distance: {dist:.6g} exceeds categorical threshold: {threshold:g} "
            "(method LInfinity)"
        )
    return entry, ""


def _baseline_n(feat: fm.FeatureStats) -> float:
    return feat.num_present or float(np.asarray(feat.kll_weights).sum())


def _numeric_drift(
    feat: fm.FeatureStats, col: ColumnProfile, cfg: fm.FeatureConfig
) -> tuple[dict[str, Any], str] | None:
    if feat.kll_items is None or feat.kll_weights is None or col.num_numeric == 0:
        return None
    items, weights = col.sketch_items()
    return _numeric_distance(
        feat.kll_items, feat.kll_weights, _baseline_n(feat), items, weights, float(col.num_numeric), cfg
    )


def _categorical_drift(
    feat: fm.FeatureStats, col: ColumnProfile, cfg: fm.FeatureConfig
) -> tuple[dict[str, Any], str] | None:
    if not feat.categorical or not col.categories:
        return None
    return _categorical_distance(feat.categorical, {k: float(v) for k, v in col.categories.items()}, cfg)


def _parse_baseline(
    baseline_statistics: Mapping[str, Any], baseline_constraints: Mapping[str, Any]
) -> tuple[fm.Statistics, fm.Constraints]:
    """Both baseline files parsed, and every comparison they enable possible (before any data is read)."""
    stats = fm.parse_statistics(baseline_statistics)
    cons = fm.parse_constraints(baseline_constraints)
    _require_distributions(stats, cons)
    return stats, cons


def _require_distributions(stats: fm.Statistics, cons: fm.Constraints) -> None:
    """A feature whose constraints enable the distribution comparison (``perform_comparison``, global
    or in its ``monitoringConfigOverrides``) must have a distribution to compare with in
    statistics.json; otherwise its drift check would silently not run (a 1000x shift read as clean,
    issue 13). AWS documents ``distribution`` as part of every feature's statistics ("Schema for
    Statistics") and drift as the distance between the two distributions ("Schema for Violations",
    baseline_drift_check); it does not document a comparison without one, so this fails closed.

    A constraints.json feature with the comparison enabled and no statistics.json feature at all
    lacks its distribution just as much. Exempt, as AWS's own files are: a String feature of more
    than MAX_HISTOGRAM_DISTINCT distinct
    values, for which the newer container writes no categorical distribution (nor do we), and a
    feature with no present value (nothing to sketch); both are then not compared.
    """
    stats_names = {feat.name for feat in stats.features}
    for constraint in cons.features:
        if constraint.config.perform_comparison and constraint.name not in stats_names:
            raise BaselineFormatError(
                f"constraints.json feature {constraint.name!r}: its distribution comparison is enabled "
                "(perform_comparison), but statistics.json has no such feature to compare with: "
                "its drift check cannot run. Make the baseline again, or disable the comparison "
                "for it in monitoringConfigOverrides"
            )
    cons_by = cons.by_name()
    for feat in stats.features:
        c = cons_by.get(feat.name)
        cfg = c.config if c is not None else cons.config
        if not cfg.perform_comparison or feat.num_present <= 0:
            continue
        if feat.inferred_type in fm.NUMERIC_TYPES and feat.kll_items is None:
            missing = "numerical distribution (distribution.kll: sketch data or buckets)"
        elif (
            feat.inferred_type == fm.STRING
            and not feat.categorical
            and (feat.distinct_count is None or feat.distinct_count <= MAX_HISTOGRAM_DISTINCT)
        ):
            missing = "categorical distribution (distribution.categorical.buckets)"
        else:
            continue
        raise BaselineFormatError(
            f"statistics.json feature {feat.name!r}: constraints.json enables its distribution "
            f"comparison (perform_comparison), but its {feat.inferred_type} statistics have no "
            f"{missing} to compare with: its drift check cannot run. Make the baseline again, or "
            f"disable the comparison for it in monitoringConfigOverrides"
        )


def check_profile(
    profile: Profile,
    *,
    baseline_statistics: Mapping[str, Any],
    baseline_constraints: Mapping[str, Any],
    drift_check_types: Iterable[str] = fm.DEFAULT_DRIFT_CHECK_TYPES,
) -> CheckResult:
    """Evaluate a (possibly merged) batch profile against a baseline."""
    drift_types = _drift_types(drift_check_types)
    stats, cons = _parse_baseline(baseline_statistics, baseline_constraints)
    return _check_parsed(profile, stats, cons, drift_types)


def _check_parsed(  # noqa: PLR0912, PLR0915 - the checks read best in one place
    profile: Profile, stats: fm.Statistics, cons: fm.Constraints, drift_types: frozenset[str]
) -> CheckResult:
    _require_rows(profile)
    rows = profile.rows
    stats_by = stats.by_name()
    cons_by = cons.by_name()
    baseline_names = [f.name for f in stats.features] + [
        f.name for f in cons.features if f.name not in stats_by
    ]
    violations: list[dict[str, str]] = []
    distances: dict[str, dict[str, Any]] = {}
    n_batch_cols = len(profile.columns)
    n_base_cols = len(baseline_names)

    for name in baseline_names:
        c = cons_by.get(name)
        s = stats_by.get(name)
        cfg = c.config if c else cons.config
        base_type = c.inferred_type if c else (s.inferred_type if s else None)
        col = profile.columns.get(name)
        if col is None:
            if cfg.evaluate_constraints:
                violations.append(
                    _violation(
                        name,
                        fm.MISSING_COLUMN_CHECK,
                        f"There are missing columns in current dataset: baseline column {name!r} is absent "
                        f"(current dataset: {n_batch_cols} columns, baseline: {n_base_cols}).",
                    )
                )
            continue
        present = col.num_present
        if cfg.evaluate_constraints and c is not None:
            if present and base_type in (fm.INTEGRAL, fm.FRACTIONAL, fm.STRING):
                # String as Deequ's hasDataType(String) counts it: the share of text that is not a
                # number. AWS fails a check of numeric data against a String constraint (the
                # sagemaker-python-sdk integration test test_one_step_data_quality_pipeline_constraint_
                # violation, with model-monitor-files/sagemaker-python-sdk/data_quality/bad_cases).
                if base_type == fm.STRING:
                    conforming = col.n_string
                else:
                    conforming = col.n_integral + (col.n_fractional if base_type == fm.FRACTIONAL else 0)
                ratio = conforming / present
                if ratio < cfg.datatype_check_threshold:
                    violations.append(
                        _violation(
                            name,
                            fm.DATA_TYPE_CHECK,
                            f"{_aws_value(ratio)}Data type match requirement is not met. "
                            f"Expected data type: {base_type}, "
                            f"Expected match: {_pct(cfg.datatype_check_threshold)}. Observed: Only "
                            f"{_pct(ratio)} of data is {base_type} ({present - conforming} of {present} "
                            "present values are not).",
                        )
                    )
            if c.completeness is not None:
                completeness = present / rows
                if completeness < c.completeness - 1e-12:
                    violations.append(
                        _violation(
                            name,
                            fm.COMPLETENESS_CHECK,
                            f"{_aws_value(completeness)}Data completeness requirement is not met. "
                            f"Expected: at least "
                            f"{_pct(c.completeness)} of values present (baseline completeness "
                            f"{c.completeness:.6g}). Observed: {_pct(completeness)} ({rows - present} of "
                            f"{rows} values missing).",
                        )
                    )
            if c.domains is not None and base_type == fm.STRING and present:
                domain = set(c.domains)
                inside = sum(v for k, v in col.categories.items() if k in domain)
                ratio = inside / present
                if ratio < cfg.domain_content_threshold:
                    unknown = sum(1 for k in col.categories if k not in domain)
                    violations.append(
                        _violation(
                            name,
                            fm.CATEGORICAL_VALUES_CHECK,
                            f"{_aws_value(ratio)}Data content requirement is not met. Expected: at least "
                            f"{_pct(cfg.domain_content_threshold)} of values in the baseline domain "
                            f"({len(domain)} values). Observed: {_pct(ratio)} ({present - inside} values of "
                            f"{unknown}{'+' if col.n_other else ''} unknown distinct categories).",
                        )
                    )
        if cfg.perform_comparison and s is not None:
            if s.inferred_type in fm.NUMERIC_TYPES:
                res = _numeric_drift(s, col, cfg)
            elif s.inferred_type == fm.STRING:
                res = _categorical_drift(s, col, cfg)
            else:
                res = None
            if res is not None:
                entry, description = res
                distances[name] = entry
                if description:
                    violations.append(_violation(name, fm.BASELINE_DRIFT_CHECK, description))

    extra = [n for n in profile.columns if n not in stats_by and n not in cons_by]
    if cons.config.evaluate_constraints:
        for name in extra:
            violations.append(
                _violation(
                    name,
                    fm.EXTRA_COLUMN_CHECK,
                    f"There are extra columns in current dataset: column {name!r} is not in the baseline "
                    f"(current dataset: {n_batch_cols} columns, baseline: {n_base_cols}).",
                )
            )

    feats = []
    for col in profile.columns.values():
        base_type = cons_by[col.name].inferred_type if col.name in cons_by else None
        if base_type is None and col.name in stats_by:
            base_type = stats_by[col.name].inferred_type
        feats.append(_feature_statistics(col, rows, _batch_type(col, base_type)))
    statistics = {"version": fm.SCHEMA_VERSION, "dataset": {"item_count": rows}, "features": feats}
    verdict, drifted = classify(violations, drift_types)
    return CheckResult(
        statistics=statistics,
        violations={"violations": violations},
        verdict=verdict,
        feature_distances=distances,
        drifted_features=drifted,
        profile=profile,
    )


def baseline_column_names(
    baseline_statistics: Mapping[str, Any], baseline_constraints: Mapping[str, Any]
) -> list[str]:
    """Column names of a headerless batch: statistics.json order, then constraints-only features."""
    return _column_names(fm.parse_statistics(baseline_statistics), fm.parse_constraints(baseline_constraints))


def _column_names(stats: fm.Statistics, cons: fm.Constraints) -> list[str]:
    names = [f.name for f in stats.features]
    return names + [f.name for f in cons.features if f.name not in names]


def check(
    sources: Any,
    *,
    baseline_statistics: Mapping[str, Any],
    baseline_constraints: Mapping[str, Any],
    has_header: bool = False,
    drift_check_types: Iterable[str] = fm.DEFAULT_DRIFT_CHECK_TYPES,
    column_names: list[str] | None = None,
    data_format: str | None = None,
    kll_k: int = DEFAULT_KLL_K,
    delimiter: str = ",",
) -> CheckResult:
    """Check a batch against baseline statistics and constraints (Model Monitor's monitoring job)."""
    drift_types = _drift_types(drift_check_types)
    # parsed once, before reading: a bad baseline fails fast
    stats, cons = _parse_baseline(baseline_statistics, baseline_constraints)
    profile = profile_sources(
        sources,
        has_header=has_header,
        column_names=column_names or _column_names(stats, cons),
        data_format=data_format,
        kll_k=kll_k,
        delimiter=delimiter,
    )
    return _check_parsed(profile, stats, cons, drift_types)


# =========================================================================== drift from two statistics files


@dataclass(frozen=True)
class StatisticsDistances:
    """Each feature's distance from the baseline, from the baseline's and a batch's statistics.json."""

    #: {feature: {"distance", "threshold", "method"}}, as CheckResult.feature_distances
    feature_distances: dict[str, dict[str, Any]]
    #: the features beyond their threshold, in the baseline's order
    drifted_features: list[str]
    #: a drifted feature's baseline_drift_check description (the analyzer's wording)
    descriptions: dict[str, str]
    #: the features whose comparison the baseline enables but the batch's statistics cannot give: why
    not_compared: dict[str, str]


def statistics_distances(
    baseline_statistics: Mapping[str, Any],
    baseline_constraints: Mapping[str, Any],
    batch_statistics: Mapping[str, Any],
) -> StatisticsDistances:
    """Each feature's distance between a baseline's statistics.json and a batch's (one a monitoring
    job wrote: Model Monitor's, or ours), with the method and threshold of the baseline's
    constraints (``monitoring_config`` and each feature's overrides), by the code ``check`` computes
    them with from the data: KLL sketches for numbers (L-infinity, Robust or Simple; n and m the two
    files' ``num_present``, where ``check``'s m counts the numbers it sketched: they differ only when
    a numeric column holds text or infinities), categorical buckets for strings (LInfinity or
    ChiSquared).

    A malformed baseline is a ``BaselineFormatError`` (as for ``check``, also when a comparison it
    enables has no distribution in it); a malformed batch file a ``MonitoringOutputFormatError``.
    A feature the batch's file cannot be compared on (absent, no value, another type, a numerical
    distribution without its KLL sketch, strings without buckets) is listed in ``not_compared``
    with the reason: ``verdict_from_statistics`` decides whether that is an error.
    """
    stats, cons = _parse_baseline(baseline_statistics, baseline_constraints)
    return _statistics_distances(stats, cons, _parse_batch_statistics(batch_statistics))


def _parse_batch_statistics(doc: Any) -> fm.Statistics:
    try:
        return fm.parse_statistics(doc, "batch statistics.json")
    except BaselineFormatError as exc:
        raise MonitoringOutputFormatError(str(exc)) from None


def _statistics_distances(
    stats: fm.Statistics, cons: fm.Constraints, batch: fm.Statistics
) -> StatisticsDistances:
    cons_by = cons.by_name()
    batch_by = batch.by_name()
    distances: dict[str, dict[str, Any]] = {}
    descriptions: dict[str, str] = {}
    not_compared: dict[str, str] = {}
    for feat in stats.features:
        c = cons_by.get(feat.name)
        cfg = c.config if c is not None else cons.config
        if not cfg.perform_comparison:
            continue
        other = batch_by.get(feat.name)
        # A baseline feature without a distribution is one _require_distributions exempts (no
        # present value, or a String of more than MAX_HISTOGRAM_DISTINCT values): not compared by
        # check either.
        if feat.inferred_type in fm.NUMERIC_TYPES and feat.kll_items is not None:
            got = _numeric_from_statistics(feat, other, cfg)
        elif feat.inferred_type == fm.STRING and feat.categorical:
            got = _categorical_from_statistics(feat, other, cfg)
        else:
            continue
        if isinstance(got, str):
            not_compared[feat.name] = got
            continue
        entry, description = got
        distances[feat.name] = entry
        if description:
            descriptions[feat.name] = description
    return StatisticsDistances(
        feature_distances=distances,
        drifted_features=list(descriptions),
        descriptions=descriptions,
        not_compared=not_compared,
    )


def _numeric_from_statistics(
    feat: fm.FeatureStats, other: fm.FeatureStats | None, cfg: fm.FeatureConfig
) -> tuple[dict[str, Any], str] | str:
    """The numeric entry and description, or why the batch's file cannot give them."""
    if other is None:
        return "absent from the batch's statistics.json"
    if other.numeric is None:
        return f"the batch's values are {other.inferred_type}: no numerical distribution to compare"
    if other.kll_items is None or other.kll_weights is None or other.num_present <= 0:
        return "no numerical distribution in the batch's statistics (no value?)"
    if not other.kll_sketched:
        # the 10 buckets' bounds are not the batch's CDF: compared with a sketch they would read a
        # clean batch as drift of up to a bucket's share
        return "the batch's numerical distribution has buckets but no KLL sketch"
    assert feat.kll_items is not None and feat.kll_weights is not None  # checked by the caller
    return _numeric_distance(
        feat.kll_items,
        feat.kll_weights,
        _baseline_n(feat),
        other.kll_items,
        other.kll_weights,
        other.num_present,
        cfg,
    )


def _categorical_from_statistics(
    feat: fm.FeatureStats, other: fm.FeatureStats | None, cfg: fm.FeatureConfig
) -> tuple[dict[str, Any], str] | str:
    """The categorical entry and description, or why the batch's file cannot give them."""
    if other is None:
        return "absent from the batch's statistics.json"
    if other.categorical is None:
        if other.numeric is not None:
            return f"the batch's values are {other.inferred_type}: no categorical distribution to compare"
        return (
            "no categorical distribution in the batch's statistics (a monitoring job writes none past "
            f"{MAX_HISTOGRAM_DISTINCT} distinct values)"
        )
    if not any(other.categorical.values()):
        return "no value in the batch"
    assert feat.categorical is not None  # checked by the caller
    return _categorical_distance(feat.categorical, other.categorical, cfg)


def verdict_from_statistics(
    baseline_statistics: Mapping[str, Any],
    baseline_constraints: Mapping[str, Any],
    batch_statistics: Mapping[str, Any],
    violations_doc: Any,
    drift_check_types: Iterable[str] = fm.DEFAULT_DRIFT_CHECK_TYPES,
) -> Verdict:
    """The verdict on a monitoring job's output (Model Monitor's processing job): its
    constraint_violations.json says which checks fired (by feature and check type, never by the
    wording of a description); the two statistics files give each feature's distance
    (``statistics_distances``) and which features drifted.

    A feature the statistics find beyond its threshold drifts, with a baseline_drift_check in the
    returned violations (the analyzer's description) even if the job's file does not list it; one
    the job's file lists as drifting stays drifting even if the statistics find it within (never
    drop a signal of AWS's analyzer). Both kinds of disagreement are in ``drift_disagreements``.
    It fails closed: a feature the statistics cannot compare, that no violation of the job names
    (a missing column, a changed type, no values each come with one), is ``DriftNotComparable``.
    Data-quality failures take precedence over drift, as in ``classify``.
    """
    drift_types = _drift_types(drift_check_types)
    stats, cons = _parse_baseline(baseline_statistics, baseline_constraints)
    batch = _parse_batch_statistics(batch_statistics)
    try:
        fired = fm.parse_violations(violations_doc)
    except BaselineFormatError as exc:
        raise MonitoringOutputFormatError(str(exc)) from None
    found = _statistics_distances(stats, cons, batch)
    named = {v["feature_name"] for v in fired}
    unexplained = {name: why for name, why in found.not_compared.items() if name not in named}
    if unexplained:
        shown = "; ".join(f"{name!r}: {why}" for name, why in list(unexplained.items())[:10])
        more = f" (+{len(unexplained) - 10} more)" if len(unexplained) > 10 else ""
        raise DriftNotComparable(
            f"the batch's statistics.json cannot be compared with the baseline on {len(unexplained)} "
            f"feature(s) whose comparison is enabled, and no violation names them, so their drift is "
            f"unknown: {shown}{more}"
        )
    listed = {v["feature_name"] for v in fired if v["constraint_check_type"] == fm.BASELINE_DRIFT_CHECK}
    violations = list(fired)
    disagreements: dict[str, str] = {}
    for name in found.drifted_features:
        if name not in listed:
            violations.append(_violation(name, fm.BASELINE_DRIFT_CHECK, found.descriptions[name]))
            disagreements[name] = "beyond its threshold in statistics.json; not in constraint_violations.json"
    for name in sorted(listed - set(found.drifted_features)):
        entry = found.feature_distances.get(name)
        within = (
            f"statistics.json gives {entry['distance']:.6g} ({entry['method']}), within threshold "
            f"{entry['threshold']:g}"
            if entry is not None
            else "statistics.json cannot compare it"
            + (f" ({found.not_compared[name]})" if name in found.not_compared else "")
        )
        disagreements[name] = f"baseline_drift_check in constraint_violations.json; {within}"
    verdict, drifted = classify(violations, drift_types)
    return Verdict(
        verdict=verdict,
        drifted_features=drifted,
        feature_distances=found.feature_distances,
        violations=violations,
        drift_disagreements=disagreements,
    )
