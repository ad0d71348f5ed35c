"""Each check type against hand-computed values, Robust vs Simple, ChiSquared, overrides, verdicts."""

from __future__ import annotations

import math
from pathlib import Path

import dataquality as dq
import pytest
from dataquality.distance import chi2_sf, ks_critical_term

from tests.support.dataquality_docs import constraints_doc, numeric_stats, statistics_doc, string_stats


def _by_type(result: dq.CheckResult, check_type: str) -> list[dict[str, str]]:
    return [v for v in result.violations["violations"] if v["constraint_check_type"] == check_type]


def test_numeric_drift_simple_is_the_linf_distance_between_cdfs(csv_file):
    # Given a baseline sketch holding 1..4 and a batch holding 3..6
    stats = statistics_doc([numeric_stats("x", [1, 2, 3, 4])])
    cons = constraints_doc([{"name": "x", "inferred_type": "Integral"}], comparison_method="Simple")
    batch = csv_file([[3], [4], [5], [6]])
    # When checked
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    # Then F_base(2)=0.5, F_batch(2)=0 -> distance 0.5
    assert result.feature_distances["x"] == {
        "distance": pytest.approx(0.5),
        "threshold": 0.1,
        "method": "Simple",
    }
    [v] = _by_type(result, "baseline_drift_check")
    assert v["feature_name"] == "x"
    assert "Numerical distance: 0.5 exceeds numerical threshold: 0.1" in v["description"]
    assert result.verdict == "drift"
    assert result.drifted_features == ["x"]


def test_robust_subtracts_the_ks_critical_term_and_overrides_apply_per_feature(csv_file):
    # Given two features with the same shift: baseline 0..99, batch 30..129 (L-inf 0.30)
    base = list(range(100))
    stats = statistics_doc([numeric_stats("robust", base), numeric_stats("simple", base)])
    cons = constraints_doc(
        [
            {
                "name": "robust",
                "inferred_type": "Integral",
                "monitoringConfigOverrides": {"comparison_threshold": 0.2},
            },
            {
                "name": "simple",
                "inferred_type": "Integral",
                "monitoringConfigOverrides": {
                    "distribution_constraints": {
                        "comparison_threshold": 0.2,
                        "comparison_method": "linf_simple",
                    }
                },
            },
        ]
    )
    batch = csv_file([[v, v] for v in range(30, 130)])
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    term = 1.3581015157406195 * math.sqrt(200 / 10_000)  # c(0.05) * sqrt((n+m)/(n*m))
    assert ks_critical_term(100, 100) == pytest.approx(term)
    assert result.feature_distances["robust"]["distance"] == pytest.approx(0.30 - term)  # 0.1079 < 0.2
    assert result.feature_distances["simple"]["distance"] == pytest.approx(0.30)  # > 0.2
    assert result.feature_distances["robust"]["threshold"] == 0.2
    assert [v["feature_name"] for v in _by_type(result, "baseline_drift_check")] == ["simple"]


def test_robust_default_flags_the_same_shift_with_threshold_0_1(csv_file):
    stats = statistics_doc([numeric_stats("x", list(range(100)))])
    cons = constraints_doc([{"name": "x", "inferred_type": "Integral"}])
    result = dq.check(
        csv_file([[v] for v in range(30, 130)]), baseline_statistics=stats, baseline_constraints=cons
    )
    assert result.feature_distances["x"]["distance"] == pytest.approx(0.30 - ks_critical_term(100, 100))
    assert result.verdict == "drift"


def test_categorical_linfinity(csv_file):
    stats = statistics_doc([string_stats("c", {"a": 50, "b": 30, "c": 20})])
    cons = constraints_doc([{"name": "c", "inferred_type": "String"}])
    batch = csv_file([["a"]] * 30 + [["b"]] * 30 + [["c"]] * 40)
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    # |0.5-0.3| = |0.2-0.4| = 0.2
    assert result.feature_distances["c"] == {
        "distance": pytest.approx(0.2),
        "threshold": 0.1,
        "method": "LInfinity",
    }
    [v] = _by_type(result, "baseline_drift_check")
    assert v["description"].startswith("Categorical distance: 0.2 exceeds categorical threshold: 0.1")


def test_categorical_chi_squared_p_value(csv_file):
    stats = statistics_doc([string_stats("c", {"a": 50, "b": 30, "c": 20})])
    cons = constraints_doc([{"name": "c", "inferred_type": "String"}], categorical_drift_method="ChiSquared")
    batch = csv_file([["a"]] * 30 + [["b"]] * 30 + [["c"]] * 40)
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    # expected 40/30/30 per row: chi2 = 2 * (100/40 + 0 + 100/30) = 11.667, dof 2, p = exp(-chi2/2)
    chi2 = 2 * (100 / 40 + 100 / 30)
    assert result.feature_distances["c"]["distance"] == pytest.approx(math.exp(-chi2 / 2), rel=1e-9)
    assert result.feature_distances["c"]["method"] == "ChiSquared"
    assert result.verdict == "drift"


def test_chi2_survival_function_matches_known_values():
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(18.307038053275146, 10) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(0.0, 3) == 1.0


def test_data_type_check_counts_conforming_values_with_threshold_override(csv_file):
    stats = statistics_doc(
        [numeric_stats("n", [1, 2, 3], "Integral"), numeric_stats("m", [1, 2, 3], "Integral")]
    )
    cons = constraints_doc(
        [
            {"name": "n", "inferred_type": "Integral"},
            {
                "name": "m",
                "inferred_type": "Integral",
                "monitoringConfigOverrides": {"datatype_check_threshold": 0.5},
            },
        ],
        perform_comparison="Disabled",
    )
    # 2 of 4 values are integral in both columns ("2.5" is Fractional, "x" is String)
    batch = csv_file([[1, 1], [2, 2], ["2.5", "2.5"], ["x", "x"]])
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    [v] = _by_type(result, "data_type_check")
    assert v["feature_name"] == "n"
    assert (
        "Expected data type: Integral, Expected match: 100.0%. Observed: Only 50.0% of data is Integral"
        in v["description"]
    )
    assert result.verdict == "data_quality_failure"


def test_fractional_baseline_accepts_integers(csv_file):
    stats = statistics_doc([numeric_stats("f", [0.5, 1.5], "Fractional")])
    cons = constraints_doc([{"name": "f", "inferred_type": "Fractional"}], perform_comparison="Disabled")
    result = dq.check(csv_file([[1], ["2.5"]]), baseline_statistics=stats, baseline_constraints=cons)
    assert _by_type(result, "data_type_check") == []


def test_completeness_check(csv_file):
    stats = statistics_doc([numeric_stats("x", [1, 2, 3])])
    cons = constraints_doc(
        [{"name": "x", "inferred_type": "Integral", "completeness": 1.0}], perform_comparison="Disabled"
    )
    batch = csv_file([[1], [2], [None], [4], [5], [6], [None], [8], [9], [10]])
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    [v] = _by_type(result, "completeness_check")
    assert "Observed: 80.0% (2 of 10 values missing)" in v["description"]
    assert result.statistics["features"][0]["numerical_statistics"]["common"] == {
        "num_present": 8,
        "num_missing": 2,
    }


def test_categorical_values_check(csv_file):
    stats = statistics_doc([string_stats("s", {"a": 1, "b": 1})])
    cons = constraints_doc(
        [{"name": "s", "inferred_type": "String", "string_constraints": {"domains": ["a", "b"]}}],
        perform_comparison="Disabled",
    )
    result = dq.check(
        csv_file([["a"], ["a"], ["b"], ["z"]]), baseline_statistics=stats, baseline_constraints=cons
    )
    [v] = _by_type(result, "categorical_values_check")
    assert "Observed: 75.0% (1 values of 1 unknown distinct categories)" in v["description"]
    assert result.verdict == "data_quality_failure"


def test_missing_and_extra_columns_with_header(csv_file):
    stats = statistics_doc([numeric_stats("a", [1.0]), numeric_stats("b", [1.0])])
    cons = constraints_doc(
        [{"name": "a", "inferred_type": "Integral"}, {"name": "b", "inferred_type": "Integral"}]
    )
    batch = csv_file([[1, 7]], header=["a", "zz"])
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons, has_header=True)
    assert [(v["feature_name"], v["constraint_check_type"]) for v in result.violations["violations"]] == [
        ("b", "missing_column_check"),
        ("zz", "extra_column_check"),
    ]
    assert result.verdict == "data_quality_failure"


def test_headerless_batch_with_wrong_column_count(csv_file):
    stats = statistics_doc([numeric_stats(n, [1.0, 2.0]) for n in ("a", "b", "c")])
    cons = constraints_doc([{"name": n, "inferred_type": "Integral"} for n in ("a", "b", "c")])
    fewer = dq.check(csv_file([[1, 2], [2, 1]]), baseline_statistics=stats, baseline_constraints=cons)
    assert [
        (v["feature_name"], v["constraint_check_type"]) for v in _by_type(fewer, "missing_column_check")
    ] == [("c", "missing_column_check")]
    more = dq.check(
        csv_file([[1, 2, 1, 9], [2, 1, 2, 9]]), baseline_statistics=stats, baseline_constraints=cons
    )
    [extra] = _by_type(more, "extra_column_check")
    assert extra["feature_name"] == "_c3"
    assert "current dataset: 4 columns, baseline: 3" in extra["description"]


def test_evaluate_constraints_disabled_skips_constraint_checks(csv_file):
    stats = statistics_doc([numeric_stats("x", [1, 2, 3])])
    cons = constraints_doc([{"name": "x", "inferred_type": "Integral", "completeness": 1.0}])
    cons["monitoring_config"]["evaluate_constraints"] = "Disabled"
    result = dq.check(csv_file([[1], [None], ["x"]]), baseline_statistics=stats, baseline_constraints=cons)
    assert {v["constraint_check_type"] for v in result.violations["violations"]} <= {"baseline_drift_check"}


# ---------------------------------------------------------------- verdicts


def _v(feature: str, check_type: str, description: str = "") -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check_type, "description": description}


def test_data_quality_failure_takes_precedence_over_drift():
    doc = {"violations": [_v("a", "baseline_drift_check"), _v("b", "completeness_check")]}
    found = dq.verdict_from_violations(doc)
    assert found.verdict == "data_quality_failure"
    assert found.drifted_features == ["a"]


def test_drift_check_types_are_configurable_and_unknown_types_are_failures():
    doc = {"violations": [_v("s", "categorical_values_check")]}
    assert dq.verdict_from_violations(doc).verdict == "data_quality_failure"
    assert (
        dq.verdict_from_violations(
            doc, drift_check_types={"baseline_drift_check", "categorical_values_check"}
        ).verdict
        == "drift"
    )
    assert (
        dq.verdict_from_violations({"violations": [_v("x", "some_future_check")]}).verdict
        == "data_quality_failure"
    )
    assert dq.verdict_from_violations({"violations": []}).verdict == "clean"
    with pytest.raises(dq.UsageError, match="unknown drift check type"):
        dq.verdict_from_violations(doc, drift_check_types={"bogus"})


def test_verdict_from_aws_analyzer_violations_file(aws_baseline):
    import json
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures"
    doc = json.loads((fixtures / "aws_baseline" / "constraint_violations.json").read_text())
    found = dq.verdict_from_violations(doc)
    assert found.verdict == "drift"
    assert found.drifted_features == ["age", "state"]
    # no distances from the descriptions' wording: they come from the statistics (test_statistics_drift.py)
    assert found.feature_distances == {}


def test_malformed_violations_doc_is_a_named_error():
    with pytest.raises(dq.BaselineFormatError, match="violations"):
        dq.verdict_from_violations({"nope": []})


def test_summary_matches_the_workflow_contract(csv_file):
    stats = statistics_doc([numeric_stats("x", [1, 2, 3, 4])])
    cons = constraints_doc([{"name": "x", "inferred_type": "Integral"}], comparison_method="Simple")
    summary = dq.check(
        csv_file([[3], [4], [5], [6]]), baseline_statistics=stats, baseline_constraints=cons
    ).summary()
    assert summary["verdict"] == "drift"
    assert summary["driftedFeatures"] == ["x"]
    assert summary["featureDistances"] == {"x": pytest.approx(0.5)}
    assert summary["violations"][0]["constraint_check_type"] == "baseline_drift_check"


def test_check_against_aws_shaped_baseline(csv_file, aws_baseline, tmp_path: Path):
    # Given the hand-written AWS baseline and a headerless batch with the same values
    stats, cons = aws_baseline
    same = [
        [a, i, s]
        for a, i, s in zip(range(20, 70, 5), range(1, 11), ["WA"] * 5 + ["OR"] * 3 + ["CA"] * 2, strict=True)
    ]
    clean = dq.check(csv_file(same), baseline_statistics=stats, baseline_constraints=cons)
    # Then nothing is flagged; the batch statistics come out in the same shape
    assert clean.verdict == "clean", clean.violations
    assert clean.feature_distances["age"]["distance"] == 0.0
    assert clean.feature_distances["income"]["distance"] == 0.0  # level-1 items weigh 2
    assert [f["inferred_type"] for f in clean.statistics["features"]] == ["Integral", "Integral", "String"]
    # When every age is 70 (L-inf 1.0) and one state is unknown
    shifted = [[70, i, s] for _, i, s in same[:-1]] + [[70, 10, "NV"]]
    result = dq.check(csv_file(shifted), baseline_statistics=stats, baseline_constraints=cons)
    kinds = {(v["feature_name"], v["constraint_check_type"]) for v in result.violations["violations"]}
    assert ("age", "baseline_drift_check") in kinds
    assert ("state", "categorical_values_check") in kinds
    assert result.verdict == "data_quality_failure"
    assert result.feature_distances["age"]["distance"] == pytest.approx(1.0 - ks_critical_term(10, 10))
    paths = result.write(str(tmp_path / "out"))
    assert Path(paths["violations"]).name == "constraint_violations.json"
