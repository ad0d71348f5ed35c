"""Drift from two statistics files (dq.statistics_distances, dq.verdict_from_statistics): the rules
of the Model Monitor engine's verdict, on hand-made files. AWS's real files: test_conformance_aws.py."""

from __future__ import annotations

import copy
from typing import Any

import dataquality as dq
import pytest

from tests.support.dataquality_docs import constraints_doc, numeric_stats, statistics_doc, string_stats

BASE_VALUES = [float(i) for i in range(100)]


def _baseline() -> tuple[dict[str, Any], dict[str, Any]]:
    stats = statistics_doc([numeric_stats("x", BASE_VALUES), string_stats("c", {"a": 50, "b": 50})])
    cons = constraints_doc(
        [{"name": "x", "inferred_type": "Fractional"}, {"name": "c", "inferred_type": "String"}],
        comparison_method="Simple",
    )
    return stats, cons


def _violation(feature: str, check: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": "any wording"}


def test_distances_are_the_checks_method_and_threshold_on_the_two_files():
    stats, cons = _baseline()
    batch = statistics_doc(
        [numeric_stats("x", [v + 30.0 for v in BASE_VALUES]), string_stats("c", {"a": 80, "b": 20})]
    )
    found = dq.statistics_distances(stats, cons, batch)
    assert found.feature_distances == {
        "x": {"distance": pytest.approx(0.30), "threshold": 0.1, "method": "Simple"},
        "c": {"distance": pytest.approx(0.30), "threshold": 0.1, "method": "LInfinity"},
    }
    assert found.drifted_features == ["x", "c"] and found.not_compared == {}
    assert found.descriptions["x"].startswith("Numerical distance: 0.3 exceeds numerical threshold: 0.1")


def test_a_disabled_comparison_is_not_computed():
    stats, cons = _baseline()
    cons["features"][0]["monitoringConfigOverrides"] = {
        "distribution_constraints": {"perform_comparison": "Disabled"}
    }
    found = dq.statistics_distances(stats, cons, statistics_doc([string_stats("c", {"a": 1})]))
    assert set(found.feature_distances) == {"c"} and found.not_compared == {}


def _buckets_only(feat: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(feat)
    kll = out["numerical_statistics"]["distribution"]["kll"]
    del kll["sketch"]
    kll["buckets"] = [{"lower_bound": 0.0, "upper_bound": 99.0, "count": 100.0}]
    return out


@pytest.mark.parametrize(
    ("batch_x", "reason"),
    [
        (None, "absent from the batch's statistics.json"),
        (string_stats("x", {"n/a": 100}), "the batch's values are String"),
        (_buckets_only(numeric_stats("x", BASE_VALUES)), "buckets but no KLL sketch"),
    ],
    ids=["absent", "now-text", "buckets-only"],
)
def test_a_numeric_feature_the_batch_file_cannot_give_is_not_compared_with_its_reason(
    batch_x: dict[str, Any] | None, reason: str
):
    stats, cons = _baseline()
    batch = statistics_doc([f for f in (batch_x, string_stats("c", {"a": 1})) if f is not None])
    found = dq.statistics_distances(stats, cons, batch)
    assert list(found.not_compared) == ["x"] and reason in found.not_compared["x"]
    assert "x" not in found.feature_distances


def test_strings_without_buckets_in_the_batch_file_are_not_compared():
    # a monitoring job writes no buckets past 120 distinct values (Deequ's histogram threshold)
    stats, cons = _baseline()
    many = string_stats("c", {f"v{i}": 1 for i in range(200)})
    del many["string_statistics"]["distribution"]
    found = dq.statistics_distances(stats, cons, statistics_doc([numeric_stats("x", BASE_VALUES), many]))
    assert list(found.not_compared) == ["c"] and "120 distinct values" in found.not_compared["c"]


def test_not_comparable_is_an_error_unless_a_violation_names_the_feature():
    stats, cons = _baseline()
    batch = statistics_doc([string_stats("c", {"a": 50, "b": 50})])  # x absent
    with pytest.raises(dq.DriftNotComparable, match="'x': absent"):
        dq.verdict_from_statistics(stats, cons, batch, {"violations": []})
    found = dq.verdict_from_statistics(
        stats, cons, batch, {"violations": [_violation("x", "missing_column_check")]}
    )
    assert found.verdict == dq.VERDICT_DATA_QUALITY_FAILURE and found.drift_disagreements == {}


def test_statistics_drift_missing_from_the_violations_file_is_added_and_on_record():
    stats, cons = _baseline()
    batch = statistics_doc(
        [numeric_stats("x", [v + 30.0 for v in BASE_VALUES]), string_stats("c", {"a": 50, "b": 50})]
    )
    found = dq.verdict_from_statistics(stats, cons, batch, {"violations": []})
    assert (found.verdict, found.drifted_features) == (dq.VERDICT_DRIFT, ["x"])
    [added] = found.violations
    assert (added["feature_name"], added["constraint_check_type"]) == ("x", "baseline_drift_check")
    assert list(found.drift_disagreements) == ["x"]


def test_a_listed_drift_within_the_threshold_stays_drift_and_on_record():
    stats, cons = _baseline()
    found = dq.verdict_from_statistics(
        stats, cons, stats, {"violations": [_violation("c", "baseline_drift_check")]}
    )
    assert (found.verdict, found.drifted_features) == (dq.VERDICT_DRIFT, ["c"])
    assert found.feature_distances["c"]["distance"] == 0.0
    assert "within threshold 0.1" in found.drift_disagreements["c"]


def test_data_quality_failures_still_win_over_statistics_drift():
    stats, cons = _baseline()
    batch = statistics_doc(
        [numeric_stats("x", [v + 30.0 for v in BASE_VALUES]), string_stats("c", {"a": 50, "b": 50})]
    )
    found = dq.verdict_from_statistics(
        stats, cons, batch, {"violations": [_violation("c", "completeness_check")]}
    )
    assert found.verdict == dq.VERDICT_DATA_QUALITY_FAILURE and found.drifted_features == ["x"]


def test_the_batch_files_and_the_baseline_fail_with_different_names():
    stats, cons = _baseline()
    with pytest.raises(dq.MonitoringOutputFormatError, match=r"batch statistics\.json"):
        dq.statistics_distances(stats, cons, {"version": 0.0, "features": "none"})
    with pytest.raises(dq.MonitoringOutputFormatError, match="violations"):
        dq.verdict_from_statistics(stats, cons, stats, {"nope": []})
    # a baseline whose enabled comparison has no distribution fails as check fails on it
    del stats["features"][0]["numerical_statistics"]["distribution"]
    with pytest.raises(dq.BaselineFormatError, match="'x'") as caught:
        dq.statistics_distances(stats, cons, stats)
    assert not isinstance(caught.value, dq.MonitoringOutputFormatError)


def test_the_report_from_files_alone_shows_the_distances_of_the_statistics():
    stats, cons = _baseline()
    batch = statistics_doc(
        [numeric_stats("x", [v + 30.0 for v in BASE_VALUES]), string_stats("c", {"a": 50, "b": 50})]
    )
    html = dq.render_report(stats, batch, {"violations": []}, baseline_constraints=cons)
    assert "<td>Simple</td><td class='num'>0.3</td><td class='num'>0.1</td>" in html
