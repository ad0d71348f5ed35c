"""Data-quality analyzer with SageMaker Model Monitor's formats and semantics.

Public API (called by the Lambda functions, the local cloud and the CLI)::

    suggest_baseline(sources, has_header=True, column_names=None) -> Baseline
    check(sources, baseline_statistics=..., baseline_constraints=..., has_header=False) -> CheckResult
    verdict_from_violations(violations_doc) -> Verdict
    render_report(baseline_statistics, batch_statistics, violations, title=...) -> str
    profile_sources(...) -> Profile; Profile.merge / to_bytes / from_bytes; check_profile(profile, ...)
"""

from .engine import (
    VERDICT_CLEAN,
    VERDICT_DATA_QUALITY_FAILURE,
    VERDICT_DRIFT,
    Baseline,
    CheckResult,
    Verdict,
    baseline_column_names,
    check,
    check_profile,
    classify,
    profile_file,
    profile_sources,
    suggest_baseline,
    suggest_from_profile,
    verdict_from_violations,
)
from .errors import (
    AllMissingColumn,
    BaselineFormatError,
    DataQualityError,
    EmptyBatch,
    ProfileFormatError,
    SchemaMismatch,
    UnreadableInput,
    UsageError,
)
from .formats import CHECK_TYPES, DEFAULT_DRIFT_CHECK_TYPES, DEFAULT_MONITORING_CONFIG
from .profile import DEFAULT_KLL_K, ColumnProfile, Profile
from .report import render_report
from .sources import DataFile, read_json_doc, resolve_sources

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
    "CheckResult",
    "ColumnProfile",
    "DataFile",
    "DataQualityError",
    "EmptyBatch",
    "Profile",
    "ProfileFormatError",
    "SchemaMismatch",
    "UnreadableInput",
    "UsageError",
    "Verdict",
    "baseline_column_names",
    "check",
    "check_profile",
    "classify",
    "profile_file",
    "profile_sources",
    "read_json_doc",
    "render_report",
    "resolve_sources",
    "suggest_baseline",
    "suggest_from_profile",
    "verdict_from_violations",
]
