"""Formats and sources (CSV with/without header, Parquet, JSON Lines, gzip, folders, S3) and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import boto3
import dataquality as dq
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataquality import sources
from moto import mock_aws

ROWS = [[i, round(i * 0.25, 2), "abc"[i % 3]] for i in range(60)]
NAMES = ["n", "f", "s"]


def _summary(stats: dict) -> list[tuple]:
    out = []
    for feat in stats["features"]:
        block = feat.get("numerical_statistics") or feat["string_statistics"]
        extra = (
            (block["mean"], block["min"], block["max"])
            if "mean" in block
            else tuple(
                sorted((b["value"], b["count"]) for b in block["distribution"]["categorical"]["buckets"])
            )
        )
        out.append((feat["name"], feat["inferred_type"], block["common"]["num_present"], extra))
    return out


@pytest.fixture
def reference(csv_file) -> dq.Baseline:
    return dq.suggest_baseline(csv_file(ROWS, header=NAMES))


def test_baseline_shape_and_suggested_constraints(reference: dq.Baseline):
    stats, cons = reference.statistics, reference.constraints
    assert stats["version"] == 0.0 and stats["dataset"] == {"item_count": 60}
    n, f, s = stats["features"]
    assert (n["inferred_type"], f["inferred_type"], s["inferred_type"]) == (
        "Integral",
        "Fractional",
        "String",
    )
    num = n["numerical_statistics"]
    assert num["common"] == {"num_present": 60, "num_missing": 0}
    assert (
        num["mean"] == pytest.approx(29.5) and num["sum"] == 1770.0 and num["min"] == 0 and num["max"] == 59
    )
    assert num["std_dev"] == pytest.approx(np.std(np.arange(60)))
    kll = num["distribution"]["kll"]
    assert len(kll["buckets"]) == 10 and sum(b["count"] for b in kll["buckets"]) == 60
    assert kll["buckets"][0]["lower_bound"] == 0 and kll["buckets"][-1]["upper_bound"] == 59
    assert kll["sketch"]["parameters"]["k"] == 2048.0 and kll["sketch"]["data"] == [
        [float(i) for i in range(60)]
    ]
    st = s["string_statistics"]
    assert st["distinct_count"] == 3.0
    assert {b["value"]: b["count"] for b in st["distribution"]["categorical"]["buckets"]} == {
        "a": 20,
        "b": 20,
        "c": 20,
    }
    assert cons["features"][0] == {
        "name": "n",
        "inferred_type": "Integral",
        "completeness": 1.0,
        "num_constraints": {"is_non_negative": True},
    }
    assert cons["features"][2]["string_constraints"] == {"domains": ["a", "b", "c"]}
    assert cons["monitoring_config"]["distribution_constraints"] == {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    }
    json.dumps(stats, allow_nan=False)


def test_every_format_gives_the_same_statistics(tmp_path: Path, csv_file, reference: dq.Baseline):
    headerless = csv_file(ROWS)
    pq.write_table(
        pa.table({"n": [r[0] for r in ROWS], "f": [r[1] for r in ROWS], "s": [r[2] for r in ROWS]}),
        tmp_path / "d.parquet",
        row_group_size=7,
    )
    (tmp_path / "d.jsonl").write_text(
        "".join(json.dumps(dict(zip(NAMES, r, strict=True))) + "\n" for r in ROWS)
    )
    with gzip.open(tmp_path / "d.csv.gz", "wt") as fh:
        fh.write("n,f,s\n" + "".join(f"{a},{b},{c}\n" for a, b, c in ROWS))
    want = _summary(reference.statistics)
    assert _summary(dq.suggest_baseline(headerless, has_header=False, column_names=NAMES).statistics) == want
    assert _summary(dq.suggest_baseline(tmp_path / "d.parquet").statistics) == want
    assert _summary(dq.suggest_baseline(tmp_path / "d.jsonl").statistics) == want
    assert _summary(dq.suggest_baseline(tmp_path / "d.csv.gz").statistics) == want


def test_headerless_without_names_uses_spark_style_names(csv_file):
    stats = dq.suggest_baseline(csv_file(ROWS), has_header=False).statistics
    assert [f["name"] for f in stats["features"]] == ["_c0", "_c1", "_c2"]


def test_folders_lists_and_split_files_add_up(tmp_path: Path, reference: dq.Baseline):
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        (folder / f"part-{i}.csv").write_text(
            "".join(f"{a},{b},{c}\n" for a, b, c in ROWS[i * 20 : (i + 1) * 20])
        )
    (folder / "_SUCCESS").write_text("")
    by_folder = dq.check(
        folder, baseline_statistics=reference.statistics, baseline_constraints=reference.constraints
    )
    by_list = dq.check(
        sorted(folder.glob("*.csv")),
        baseline_statistics=reference.statistics,
        baseline_constraints=reference.constraints,
    )
    assert by_folder.statistics["dataset"]["item_count"] == 60
    assert by_folder.verdict == by_list.verdict == "clean"
    assert _summary(by_folder.statistics) == _summary(by_list.statistics) == _summary(reference.statistics)


@mock_aws
def test_s3_prefix_in_and_out(reference: dq.Baseline):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    for i in range(2):
        body = "".join(f"{a},{b},{c}\n" for a, b, c in ROWS[i * 30 : (i + 1) * 30])
        s3.put_object(Bucket="data", Key=f"batch/run1/part-{i}.csv", Body=body.encode())
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({"n": [1, 2], "f": [0.5, 1.5], "s": ["a", "b"]}), buf)
    s3.put_object(Bucket="data", Key="batch/pq/one.parquet", Body=buf.getvalue().to_pybytes())
    result = dq.check(
        "s3://data/batch/run1/",
        baseline_statistics=reference.statistics,
        baseline_constraints=reference.constraints,
    )
    assert result.statistics["dataset"]["item_count"] == 60
    written = result.write("s3://data/monitoring/run1")
    assert written["violations"] == "s3://data/monitoring/run1/constraint_violations.json"
    doc = json.loads(
        s3.get_object(Bucket="data", Key="monitoring/run1/constraint_violations.json")["Body"].read()
    )
    assert doc == {"violations": []}
    assert dq.read_json_doc("s3://data/monitoring/run1/statistics.json")["dataset"]["item_count"] == 60
    pq_stats = dq.suggest_baseline("s3://data/batch/pq/one.parquet").statistics
    assert pq_stats["dataset"]["item_count"] == 2
    reference.write("s3://data/baseline")
    assert "constraints.json" in json.dumps(
        s3.list_objects_v2(Bucket="data", Prefix="baseline/")["Contents"], default=str
    )
    with pytest.raises(dq.UnreadableInput, match=r"nothing-here/: no objects under this prefix"):
        dq.suggest_baseline("s3://data/nothing-here/")


def test_type_conflict_in_a_later_csv_block_is_read_as_text(tmp_path: Path, monkeypatch):
    # Given a file whose first block is all integers and a later block holds "2.5" and "oops"
    monkeypatch.setattr(sources, "CSV_CHUNK_BYTES", 64)
    lines = [f"{i},{i}" for i in range(40)] + ["2.5,7", "oops,8"]
    (tmp_path / "t.csv").write_text("a,b\n" + "\n".join(lines) + "\n")
    stats = dq.suggest_baseline(tmp_path / "t.csv").statistics
    a = stats["features"][0]
    # Then nothing is lost: the column is String (Deequ's rule: any text makes it String) with 42 values
    assert a["inferred_type"] == "String"
    assert a["string_statistics"]["common"]["num_present"] == 42
    assert stats["features"][1]["numerical_statistics"]["sum"] == sum(range(40)) + 15


def test_jsonl_with_mixed_types_and_nested_values(tmp_path: Path):
    lines = [{"x": 1, "y": "a"}, {"x": "two", "y": {"k": 1}}, {"x": 3.5}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    stats = dq.suggest_baseline(tmp_path / "m.jsonl").statistics
    x, y = stats["features"]
    assert x["inferred_type"] == "String" and x["string_statistics"]["common"]["num_present"] == 3
    assert y["string_statistics"]["common"] == {"num_present": 2, "num_missing": 1}


# ---------------------------------------------------------------- bad input


def test_empty_file_and_header_only_are_empty_batches(csv_file, tmp_path: Path, reference: dq.Baseline):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(dq.EmptyBatch, match=r"empty\.csv"):
        dq.check(
            tmp_path / "empty.csv",
            baseline_statistics=reference.statistics,
            baseline_constraints=reference.constraints,
        )
    with pytest.raises(dq.EmptyBatch, match="no data rows"):
        dq.suggest_baseline(csv_file([], header=NAMES))


def test_all_missing_column(csv_file, reference: dq.Baseline):
    with pytest.raises(dq.AllMissingColumn, match="column 'b' has no value in 3 rows"):
        dq.suggest_baseline(csv_file([[1, None], [2, None], [3, None]], header=["a", "b"]))
    result = dq.check(
        csv_file([[None, 1.5, "a"], [None, 2.5, "b"]]),
        baseline_statistics=reference.statistics,
        baseline_constraints=reference.constraints,
    )
    [v] = [v for v in result.violations["violations"] if v["feature_name"] == "n"]
    assert v["constraint_check_type"] == "completeness_check" and "Observed: 0.0%" in v["description"]
    assert result.verdict == "data_quality_failure"


def test_text_in_a_numeric_column_is_a_data_type_violation(csv_file, reference: dq.Baseline):
    rows = [[i, 0.5, "a"] for i in range(20)] + [["oops", 0.5, "a"]]
    result = dq.check(
        csv_file(rows), baseline_statistics=reference.statistics, baseline_constraints=reference.constraints
    )
    kinds = {(v["feature_name"], v["constraint_check_type"]) for v in result.violations["violations"]}
    assert ("n", "data_type_check") in kinds
    assert result.statistics["features"][0]["inferred_type"] == "Integral"  # 20 of 21 are integers


def test_nan_is_missing_and_inf_is_not_a_number(csv_file, reference: dq.Baseline):
    rows = [[i, 0.5, "a"] for i in range(10)] + [[1, "NaN", "a"], [1, "inf", "b"], [1, "-inf", "c"]]
    result = dq.check(
        csv_file(rows), baseline_statistics=reference.statistics, baseline_constraints=reference.constraints
    )
    f = result.statistics["features"][1]["numerical_statistics"]
    assert f["common"] == {"num_present": 12, "num_missing": 1}
    assert f["max"] == 0.5  # infinities stay out of the moments and the sketch
    kinds = {(v["feature_name"], v["constraint_check_type"]) for v in result.violations["violations"]}
    assert {("f", "completeness_check"), ("f", "data_type_check")} <= kinds
    json.dumps(result.statistics, allow_nan=False)


def test_malformed_and_wrong_version_baselines(csv_file, reference: dq.Baseline, tmp_path: Path):
    batch = csv_file(ROWS)
    bad_version = dict(reference.statistics, version=2)
    with pytest.raises(dq.BaselineFormatError, match=r'unsupported "version": 2'):
        dq.check(batch, baseline_statistics=bad_version, baseline_constraints=reference.constraints)
    broken = json.loads(json.dumps(reference.constraints))
    broken["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Fancy"
    with pytest.raises(dq.BaselineFormatError, match="unknown comparison method 'Fancy'"):
        dq.check(batch, baseline_statistics=reference.statistics, baseline_constraints=broken)
    no_features = {"version": 0}
    with pytest.raises(dq.BaselineFormatError, match='"features" must be a list'):
        dq.check(batch, baseline_statistics=no_features, baseline_constraints=reference.constraints)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(dq.BaselineFormatError, match="not valid JSON"):
        dq.read_json_doc(str(tmp_path / "bad.json"))
    sketchy = json.loads(json.dumps(reference.statistics))
    sketchy["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"] = "nope"
    with pytest.raises(dq.BaselineFormatError, match=r"feature 'n'.*sketch\.data"):
        dq.check(batch, baseline_statistics=sketchy, baseline_constraints=reference.constraints)


def test_ragged_csv_and_broken_jsonl_name_the_file(tmp_path: Path):
    (tmp_path / "r.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(dq.UnreadableInput, match=r"r\.csv: cannot parse CSV: .*Expected 2 columns"):
        dq.suggest_baseline(tmp_path / "r.csv")
    (tmp_path / "j.jsonl").write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(dq.UnreadableInput, match=r"j\.jsonl: line 2 is not valid JSON"):
        dq.suggest_baseline(tmp_path / "j.jsonl")


def test_unknown_extension_and_missing_path(tmp_path: Path):
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(dq.UnknownFormat, match=r"x\.xlsx: unknown format"):
        dq.suggest_baseline(tmp_path / "x.xlsx")
    with pytest.raises(dq.UnreadableInput, match="no such file or folder"):
        dq.suggest_baseline(tmp_path / "nope.csv")
