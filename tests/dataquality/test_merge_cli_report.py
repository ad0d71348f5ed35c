"""Merge equivalence of partial profiles, the CLI contract, and the HTML report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dataquality as dq
import numpy as np
import pytest
from dataquality.cli import main

LAYER = Path(__file__).resolve().parents[2] / "layers" / "dataquality"


def _dataset(path: Path, n: int, seed: int, shift: float = 0.0, header: bool = True) -> Path:
    rng = np.random.default_rng(seed)
    a = rng.normal(shift, 1.0, n)
    b = rng.integers(0, 50, n)
    c = rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2] if shift == 0 else [0.3, 0.3, 0.4])
    d = rng.exponential(2.0, n)
    lines = ["a,b,c,d"] if header else []
    lines += [f"{x:.6f},{y},{z},{w:.5f}" for x, y, z, w in zip(a, b, c, d, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dq.Baseline:
    return dq.suggest_baseline(_dataset(tmp_path_factory.mktemp("ref") / "ref.csv", 20_000, seed=1))


def test_split_batch_merged_from_serialised_parts_gives_the_same_verdict(
    tmp_path: Path, baseline: dq.Baseline
):
    # Given a drifted batch, and the same rows split into three files (three "workers")
    whole = _dataset(tmp_path / "whole.csv", 30_000, seed=2, shift=0.5, header=False)
    lines = whole.read_text().splitlines()
    parts = []
    for i in range(3):
        p = tmp_path / f"part{i}.csv"
        p.write_text("\n".join(lines[i * 10_000 : (i + 1) * 10_000]) + "\n")
        parts.append(p)
    names = dq.baseline_column_names(baseline.statistics, baseline.constraints)
    # When each worker profiles its part, ships it as bytes, and a reducer merges them
    shipped = [dq.profile_sources(p, has_header=False, column_names=names).to_bytes() for p in parts]
    merged = dq.Profile.merged(dq.Profile.from_bytes(b) for b in shipped)
    reduced = dq.check_profile(
        merged, baseline_statistics=baseline.statistics, baseline_constraints=baseline.constraints
    )
    one_pass = dq.check(
        whole, baseline_statistics=baseline.statistics, baseline_constraints=baseline.constraints
    )
    # Then the verdict and drifted features are identical, distances agree to the sketch's error
    assert one_pass.verdict == reduced.verdict == "drift"
    assert one_pass.drifted_features == reduced.drifted_features == ["a", "c"]
    for name, entry in one_pass.feature_distances.items():
        assert reduced.feature_distances[name]["distance"] == pytest.approx(entry["distance"], abs=0.005)
    # and counts and moments are exact
    for f1, f2 in zip(one_pass.statistics["features"], reduced.statistics["features"], strict=True):
        b1 = f1.get("numerical_statistics") or f1["string_statistics"]
        b2 = f2.get("numerical_statistics") or f2["string_statistics"]
        assert b1["common"] == b2["common"]
        for key in ("mean", "sum", "std_dev", "min", "max"):
            if key in b1:
                assert b2[key] == pytest.approx(b1[key], rel=1e-9)
    assert merged.rows == 30_000


def test_profile_serialisation_round_trip_and_corruption():
    prof = dq.Profile()
    import pyarrow as pa

    prof.update(pa.table({"x": [1.0, 2.0, None], "s": ["a", None, "b"]}))
    back = dq.Profile.from_bytes(prof.to_bytes())
    assert back.to_dict() == prof.to_dict()
    with pytest.raises(dq.ProfileFormatError):
        dq.Profile.from_bytes(b'{"format": "other"}')
    with pytest.raises(dq.ProfileFormatError):
        dq.Profile.from_bytes(b"\x00garbage")


def test_kll_k_is_configurable(tmp_path: Path):
    path = _dataset(tmp_path / "d.csv", 5_000, seed=3)
    small = dq.suggest_baseline(path, kll_k=64).statistics["features"][0]["numerical_statistics"]
    assert small["distribution"]["kll"]["sketch"]["parameters"]["k"] == 64.0
    assert sum(len(level) for level in small["distribution"]["kll"]["sketch"]["data"]) < 5_000


# ---------------------------------------------------------------- CLI


def test_cli_exit_codes(tmp_path: Path, capsys):
    ref = _dataset(tmp_path / "ref.csv", 2_000, seed=4)
    same = _dataset(tmp_path / "same.csv", 2_000, seed=5)
    drifted = _dataset(tmp_path / "drift.csv", 2_000, seed=6, shift=0.8)
    base = tmp_path / "baseline"
    assert main(["baseline", str(ref), "--out", str(base)]) == 0
    assert (base / "statistics.json").exists() and (base / "constraints.json").exists()
    assert main(["check", str(same), "--baseline", str(base), "--out", str(tmp_path / "c1")]) == 0
    assert (
        main(["check", str(drifted), "--baseline", str(base), "--out", str(tmp_path / "c2"), "--report"]) == 4
    )
    assert (tmp_path / "c2" / "report.html").exists()
    out = capsys.readouterr().out
    assert "verdict: drift" in out
    assert main(["verdict", str(tmp_path / "c2" / "constraint_violations.json")]) == 4
    assert (
        main(
            [
                "report",
                "--baseline",
                str(base),
                "--batch",
                str(tmp_path / "c2"),
                "--out",
                str(tmp_path / "r.html"),
            ]
        )
        == 0
    )
    # usage errors: 2
    assert main(["check", str(same), "--out", str(tmp_path / "c3")]) == 2
    assert main(["nonsense"]) == 2
    assert (
        main(["check", str(same), "--baseline", str(base), "--out", "x", "--drift-check-types", "bogus"]) == 2
    )
    # any other error: 1, one line
    capsys.readouterr()
    assert (
        main(["check", str(tmp_path / "missing.csv"), "--baseline", str(base), "--out", str(tmp_path / "c4")])
        == 1
    )
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "statistics.json").write_text("{")
    (tmp_path / "bad" / "constraints.json").write_text("{}")
    assert main(["check", str(same), "--baseline", str(tmp_path / "bad"), "--out", str(tmp_path / "c5")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)
    assert "missing.csv" in err[0] and "BaselineFormatError" in err[1]


def test_cli_as_a_process_prints_no_traceback(tmp_path: Path):
    (tmp_path / "empty.csv").write_text("a,b\n")
    env = {"PYTHONPATH": str(LAYER), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dataquality",
            "baseline",
            str(tmp_path / "empty.csv"),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: EmptyBatch: no data rows in")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    helped = subprocess.run(
        [sys.executable, "-m", "dataquality", "check", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert helped.returncode == 0 and "--no-header" in helped.stdout


# ---------------------------------------------------------------- report


def test_report_is_self_contained_html(tmp_path: Path, baseline: dq.Baseline):
    batch = _dataset(tmp_path / "b.csv", 5_000, seed=7, shift=0.5)
    result = dq.check(
        batch,
        baseline_statistics=baseline.statistics,
        baseline_constraints=baseline.constraints,
        has_header=True,
    )
    html = dq.render_report(
        baseline.statistics,
        result.statistics,
        result.violations,
        title="Drift <report>",
        feature_distances=result.feature_distances,
    )
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 4
    assert "Drift &lt;report&gt;" in html
    for external in ("http://", "https://", "<script", "src=", "@import", "url("):
        assert external not in html
    assert "baseline_drift_check" in html and "data_quality_failure" not in html
    # the report also works from files alone (e.g. after AWS's own analyzer ran)
    html2 = dq.render_report(
        baseline.statistics, result.statistics, json.loads(json.dumps(result.violations))
    )
    assert "Numerical distance" in html2
