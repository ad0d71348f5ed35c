"""The drift check's rules pinned: a comparison the baseline enables must be possible, a distance
equal to the threshold is not drift, and the baseline sketch's level weights count (issue 13).

AWS's sources: "Schema for Violations" (baseline_drift_check is flagged when the distance "is more
than the threshold specified in monitoring_config.comparison_threshold"), "Schema for Constraints"
(``distribution_constraints.perform_comparison``), "Schema for Statistics" (``distribution`` of each
feature; KLL ``sketch.data`` levels, whose items weigh 2**level in AWS's real files: see
test_conformance_aws.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import dataquality as dq
import pytest
from dataquality.cli import main

from tests.support.dataquality_docs import constraints_doc, numeric_stats, statistics_doc, string_stats

REAL = Path(__file__).resolve().parents[3] / "shared" / "model-monitor-files"
CHURN = REAL / "kubeflow-pipelines" / "churn_data_quality"


def _drifts(result: dq.CheckResult) -> list[str]:
    return [
        v["feature_name"]
        for v in result.violations["violations"]
        if v["constraint_check_type"] == "baseline_drift_check"
    ]


def _without_distribution(feature: dict[str, Any]) -> dict[str, Any]:
    feature = copy.deepcopy(feature)
    block = feature.get("numerical_statistics") or feature["string_statistics"]
    del block["distribution"]
    return feature


# ---------------------------------------------------------------- comparison enabled, nothing to compare


def test_a_numeric_feature_without_a_distribution_is_a_baseline_error_naming_it(csv_file, tmp_path):
    # Given a baseline whose constraints enable the comparison (AWS's suggested monitoring_config)
    # but whose statistics lost the distribution of "amount"
    stats = statistics_doc(
        [
            numeric_stats("id", list(range(1, 101))),
            _without_distribution(numeric_stats("amount", [1.0] * 100)),
        ]
    )
    cons = constraints_doc(
        [{"name": "id", "inferred_type": "Integral"}, {"name": "amount", "inferred_type": "Fractional"}]
    )
    # And a batch whose amounts moved 1000x
    batch = csv_file([[i, 1000.0] for i in range(1, 101)])
    # When it is checked (one pass, a merged profile, the CLI)
    # Then it fails as a BaselineFormatError naming the feature, before any verdict is given
    with pytest.raises(dq.BaselineFormatError, match=r"feature 'amount': .*perform_comparison.*no numerical"):
        dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    profile = dq.profile_sources(batch, has_header=False, column_names=["id", "amount"])
    with pytest.raises(dq.BaselineFormatError, match="feature 'amount'"):
        dq.check_profile(profile, baseline_statistics=stats, baseline_constraints=cons)
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "statistics.json").write_text(json.dumps(stats))
    (tmp_path / "base" / "constraints.json").write_text(json.dumps(cons))
    args = [
        "check",
        str(batch),
        "--no-header",
        "--baseline",
        str(tmp_path / "base"),
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(args) == 1
    assert not (tmp_path / "o" / "constraint_violations.json").exists()


def test_the_same_baseline_checks_when_the_comparison_is_disabled_for_that_feature(csv_file):
    # Given the same baseline, with the comparison disabled for "amount" in its overrides
    stats = statistics_doc([_without_distribution(numeric_stats("amount", [1.0] * 100))])
    cons = constraints_doc(
        [
            {
                "name": "amount",
                "inferred_type": "Fractional",
                "monitoringConfigOverrides": {"distribution_constraints": {"perform_comparison": "Disabled"}},
            }
        ]
    )
    # When checked, then it is checked (no drift figure for it: the comparison was turned off)
    result = dq.check(csv_file([[1000.0]] * 100), baseline_statistics=stats, baseline_constraints=cons)
    assert result.verdict == "clean"
    assert "amount" not in result.feature_distances
    # And with it disabled globally too
    cons = constraints_doc([{"name": "amount", "inferred_type": "Fractional"}], perform_comparison="Disabled")
    assert (
        dq.check(csv_file([[1.0]] * 3), baseline_statistics=stats, baseline_constraints=cons).verdict
        == "clean"
    )


def test_a_constraints_feature_with_no_statistics_at_all_is_a_baseline_error_naming_it(csv_file):
    # Given constraints that enable the comparison for "b", of which statistics.json knows nothing
    stats = statistics_doc([numeric_stats("a", [1.0, 2.0])])
    features = [{"name": "a", "inferred_type": "Fractional"}, {"name": "b", "inferred_type": "Fractional"}]
    batch = csv_file([[1.0, 5000.0], [2.0, 6000.0]])
    # When checked, then the error names it
    with pytest.raises(dq.BaselineFormatError, match=r"constraints\.json feature 'b': .*no such feature"):
        dq.check(batch, baseline_statistics=stats, baseline_constraints=constraints_doc(features))
    # And with its comparison disabled it is checked (its other constraints still apply)
    features[1]["monitoringConfigOverrides"] = {"perform_comparison": "Disabled"}
    result = dq.check(batch, baseline_statistics=stats, baseline_constraints=constraints_doc(features))
    assert result.verdict == "clean" and "b" not in result.feature_distances


def test_a_string_feature_lacks_its_distribution_only_when_it_has_many_values(csv_file):
    # Given a low-cardinality String feature without its categorical buckets: an error
    low = _without_distribution(string_stats("state", {"WA": 60, "OR": 40}))
    cons = constraints_doc([{"name": "state", "inferred_type": "String"}])
    with pytest.raises(dq.BaselineFormatError, match=r"feature 'state': .*no categorical distribution"):
        dq.check(csv_file([["WA"]]), baseline_statistics=statistics_doc([low]), baseline_constraints=cons)
    # But one of more than 120 distinct values, for which AWS's newer container (and ours) writes no
    # buckets (Deequ's histogram threshold), is checked without a comparison
    high = _without_distribution(string_stats("id", {f"u{i}": 1 for i in range(500)}))
    assert high["string_statistics"]["distinct_count"] == 500
    result = dq.check(
        csv_file([["u1"], ["zz"]]),
        baseline_statistics=statistics_doc([high]),
        baseline_constraints=constraints_doc([{"name": "id", "inferred_type": "String"}]),
    )
    assert result.verdict == "clean" and "id" not in result.feature_distances
    # And our own baseline of such a column checks against itself
    rows = [[f"user{i}"] for i in range(300)]
    base = dq.suggest_baseline(csv_file(rows, header=["user"]))
    assert "distribution" not in base.statistics["features"][0]["string_statistics"]
    again = dq.check(
        csv_file(rows, header=["user"]),
        baseline_statistics=base.statistics,
        baseline_constraints=base.constraints,
        has_header=True,
    )
    assert again.verdict == "clean"


@pytest.mark.skipif(not CHURN.is_dir(), reason=f"AWS's real files are not at {REAL}")
def test_awss_real_churn_baseline_missing_one_distribution_names_that_feature():
    # Given AWS's real churn baseline, one feature's distribution removed
    stats = json.loads((CHURN / "statistics.json").read_text())
    cons = json.loads((CHURN / "constraints.json").read_text())
    assert cons["monitoring_config"]["distribution_constraints"]["perform_comparison"] == "Enabled"
    [target] = [f for f in stats["features"] if f["name"] == "Day Mins"]
    del target["numerical_statistics"]["distribution"]
    profile = dq.profile_sources(
        REAL / "amazon-sagemaker-examples" / "churn" / "validation-dataset-with-header.csv"
    )
    # When checked, then the error names it
    with pytest.raises(dq.BaselineFormatError, match="feature 'Day Mins'"):
        dq.check_profile(profile, baseline_statistics=stats, baseline_constraints=cons)


# ---------------------------------------------------------------- the threshold boundary


def test_a_numeric_distance_equal_to_the_threshold_is_not_drift_and_just_above_is(csv_file):
    # Given a baseline sketch of 1..4 and a batch of 3..6: L-infinity distance exactly 0.5 (Simple)
    stats = statistics_doc([numeric_stats("x", [1, 2, 3, 4])])
    batch = csv_file([[3], [4], [5], [6]])
    at = constraints_doc(
        [{"name": "x", "inferred_type": "Integral"}], comparison_method="Simple", comparison_threshold=0.5
    )
    above = constraints_doc(
        [{"name": "x", "inferred_type": "Integral"}], comparison_method="Simple", comparison_threshold=0.4999
    )
    # When the threshold equals the distance, then it is not "more than the threshold": clean
    equal = dq.check(batch, baseline_statistics=stats, baseline_constraints=at)
    assert equal.feature_distances["x"]["distance"] == 0.5
    assert equal.verdict == "clean" and _drifts(equal) == []
    # When the distance is just above it, then it is drift
    over = dq.check(batch, baseline_statistics=stats, baseline_constraints=above)
    assert over.verdict == "drift" and _drifts(over) == ["x"]


def test_a_categorical_distance_equal_to_the_threshold_is_not_drift_and_just_above_is(csv_file):
    # Given baseline shares WA 0.5 / OR 0.5 and a batch of WA 0.75 / OR 0.25: LInfinity exactly 0.25
    stats = statistics_doc([string_stats("state", {"WA": 2, "OR": 2})])
    batch = csv_file([["WA"], ["WA"], ["WA"], ["OR"]])
    feature = [{"name": "state", "inferred_type": "String"}]
    equal = dq.check(
        batch,
        baseline_statistics=stats,
        baseline_constraints=constraints_doc(feature, categorical_comparison_threshold=0.25),
    )
    assert equal.feature_distances["state"]["distance"] == 0.25
    assert equal.verdict == "clean" and _drifts(equal) == []
    over = dq.check(
        batch,
        baseline_statistics=stats,
        baseline_constraints=constraints_doc(feature, categorical_comparison_threshold=0.2499),
    )
    assert over.verdict == "drift" and _drifts(over) == ["state"]


# ---------------------------------------------------------------- the baseline sketch's level weights


def test_the_baseline_sketchs_level_weights_decide_the_distance(csv_file):
    # Given a baseline sketch in AWS's layout: level 0 holds 0..9 (each one value), level 1 holds
    # 100..109 (each item two values): 10 small and 20 large values, num_present 30
    feature = numeric_stats("x", list(range(10)))
    feature["numerical_statistics"]["common"]["num_present"] = 30
    feature["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"] = [
        [float(v) for v in range(10)],
        [float(v) for v in range(100, 110)],
    ]
    stats = statistics_doc([feature], item_count=30)
    cons = constraints_doc([{"name": "x", "inferred_type": "Integral"}], comparison_method="Simple")
    # And a batch holding exactly those 30 values
    batch = csv_file([[v] for v in range(10)] + [[v] for v in range(100, 110)] * 2)
    # When checked, then the distributions are the same: distance 0, clean
    same = dq.check(batch, baseline_statistics=stats, baseline_constraints=cons)
    assert same.feature_distances["x"]["distance"] == 0.0
    assert same.verdict == "clean"
    # (read with every item at weight 1 the baseline would be half small values: F(9) 0.5 against
    # the batch's 1/3, a distance of 0.1667 and a false drift)
    # And a batch of the levels as if unweighted (10 small, 10 large) is a third away at x = 9
    half = dq.check(
        csv_file([[v] for v in range(10)] + [[v] for v in range(100, 110)]),
        baseline_statistics=stats,
        baseline_constraints=cons,
    )
    assert half.feature_distances["x"]["distance"] == pytest.approx(0.5 - 1 / 3)
    assert half.verdict == "drift"
