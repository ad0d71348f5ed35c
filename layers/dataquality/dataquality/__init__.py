"""Data-quality analyzer with SageMaker Model Monitor's formats and semantics.

Public API (called by the Lambda functions, the local cloud and the CLI)::

    suggest_baseline(sources, has_header=True, column_names=None) -> Baseline
    check(sources, baseline_statistics=..., baseline_constraints=..., has_header=False) -> CheckResult
    verdict_from_violations(violations_doc) -> Verdict   # by check types only: no distances
    statistics_distances(baseline_statistics, baseline_constraints, batch_statistics) -> StatisticsDistances
    verdict_from_statistics(baseline_statistics, baseline_constraints, batch_statistics, violations_doc)
        -> Verdict   # a monitoring job's output: checks from its violations, distances from the statistics
    render_report(baseline_statistics, batch_statistics, violations, title=...) -> str
    profile_sources(...) -> Profile; Profile.merge / to_bytes / from_bytes; check_profile(profile, ...)
    batch_objects(source) -> [DataFile]   # the data objects of a batch (skip rules: skip_reason)
    member_format(batch_key, object_key, size=...) -> format | None   # the same rule, one object
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AllMissingColumn,
    BaselineFormatError,
    BatchNotFound,
    DataQualityError,
    DriftNotComparable,
    EmptyBatch,
    MonitoringOutputFormatError,
    ProfileFormatError,
    SchemaMismatch,
    UnknownFormat,
    UnreadableInput,
    UsageError,
)

if TYPE_CHECKING:
    from .engine import (
        VERDICT_CLEAN,
        VERDICT_DATA_QUALITY_FAILURE,
        VERDICT_DRIFT,
        Baseline,
        CheckResult,
        StatisticsDistances,
        Verdict,
        baseline_column_names,
        check,
        check_profile,
        classify,
        profile_file,
        profile_sources,
        statistics_distances,
        suggest_baseline,
        suggest_from_profile,
        verdict_from_statistics,
        verdict_from_violations,
    )
    from .formats import CHECK_TYPES, DEFAULT_DRIFT_CHECK_TYPES, DEFAULT_MONITORING_CONFIG
    from .profile import DEFAULT_KLL_K, ColumnProfile, Profile
    from .report import render_report
    from .sources import (
        DataFile,
        batch_objects,
        member_format,
        read_json_doc,
        resolve_sources,
        skip_reason,
    )

#: Where each public name lives. Modules load on first use (PEP 562): ``python -m dataquality check``
#: pays only for what checking needs (start-up time is a fair share of a check's wall time).
_LAZY = {
    **dict.fromkeys(
        (
            "VERDICT_CLEAN",
            "VERDICT_DATA_QUALITY_FAILURE",
            "VERDICT_DRIFT",
            "Baseline",
            "CheckResult",
            "StatisticsDistances",
            "Verdict",
            "baseline_column_names",
            "batch_objects",
            "check",
            "check_profile",
            "classify",
            "profile_file",
            "profile_sources",
            "statistics_distances",
            "suggest_baseline",
            "suggest_from_profile",
            "verdict_from_statistics",
            "verdict_from_violations",
        ),
        "engine",
    ),
    **dict.fromkeys(("CHECK_TYPES", "DEFAULT_DRIFT_CHECK_TYPES", "DEFAULT_MONITORING_CONFIG"), "formats"),
    **dict.fromkeys(("DEFAULT_KLL_K", "ColumnProfile", "Profile"), "profile"),
    "render_report": "report",
    **dict.fromkeys(
        ("DataFile", "batch_objects", "member_format", "read_json_doc", "resolve_sources", "skip_reason"),
        "sources",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CHECK_TYPES",
    "DEFAULT_DRIFT_CHECK_TYPES",
    "DEFAULT_KLL_K",
    "DEFAULT_MONITORING_CONFIG",
    "VERDICT_CLEAN",
    "VERDICT_DATA_QUALITY_FAILURE",
    "VERDICT_DRIFT",
    "AllMissingColumn",
    "Baseline",
    "BaselineFormatError",
    "BatchNotFound",
    "CheckResult",
    "ColumnProfile",
    "DataFile",
    "DataQualityError",
    "DriftNotComparable",
    "EmptyBatch",
    "MonitoringOutputFormatError",
    "Profile",
    "ProfileFormatError",
    "SchemaMismatch",
    "StatisticsDistances",
    "UnknownFormat",
    "UnreadableInput",
    "UsageError",
    "Verdict",
    "baseline_column_names",
    "batch_objects",
    "check",
    "check_profile",
    "classify",
    "member_format",
    "profile_file",
    "profile_sources",
    "read_json_doc",
    "render_report",
    "resolve_sources",
    "skip_reason",
    "statistics_distances",
    "suggest_baseline",
    "suggest_from_profile",
    "verdict_from_statistics",
    "verdict_from_violations",
]
