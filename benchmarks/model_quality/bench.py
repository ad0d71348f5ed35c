"""The model-quality check of 1M joined rows beside the data-quality check of the same rows, in one run
(issue 15, Measured). Goal: the model-quality check is no slower than the data-quality check.

    python -m benchmarks model_quality [--rows 1000000] [--repeat 3] [--strict] [--json FILE]

Both run as their own process, alternately (a loaded host weighs on both alike); wall time, CPU time
and peak RSS come from the kernel (`wait4`, benchmarks/dataquality's `measure`).
- model quality: `benchmarks/model_quality/check.py`, i.e. `mlops_loop.model_quality.service.check`
  on a run laid out as in S3 on local files: predictions `<id>,<score>` (the transform's joined
  output), labels `record_id,label` in another order (the id join), binary classification, every
  metric with AUC and the standard deviations, the two curves, statistics.json,
  constraint_violations.json, report.html;
- data quality: `python -m dataquality check` of the batch's 1M rows of features (10 numeric, 2
  categorical columns; benchmarks/dataquality's data) against a 100k-row reference's baseline.
Data: benchmarks/data/model_quality/ (gitignored), fixed seeds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.dataquality import data as dq_data
from benchmarks.dataquality.bench import measure, our_env

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DATA = ROOT / "benchmarks" / "data" / "model_quality"
SEED = 20261203
RUN = "bench-run"


def _env() -> dict[str, str]:
    env = our_env()
    env["PYTHONPATH"] = env["PYTHONPATH"] + ":" + str(ROOT / "layers" / "shared")
    return env


def _scores(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 2, rows)
    scores = np.clip(labels * 0.35 + rng.random(rows) * 0.65, 0.0, 1.0).round(6)
    return labels, scores


def _write_run(rows: int) -> Path:
    """A run of `rows` predictions with their labels and v1's model-quality baseline, S3 layout."""
    from dataquality import model_metrics
    from dataquality import model_quality as mq

    root = DATA / f"s3_{rows}"
    tag = root / ".ok"
    if tag.exists() and tag.read_text() == f"{rows},{SEED}":
        return root
    bucket = root / "bench"
    run = bucket / "batch-inference" / "bench-group" / "v1" / RUN
    (run / "predictions").mkdir(parents=True, exist_ok=True)
    (run / "monitoring").mkdir(parents=True, exist_ok=True)
    labels_dir = bucket / "ground-truth" / "bench-group" / "v1" / RUN
    labels_dir.mkdir(parents=True, exist_ok=True)
    (bucket / "baseline").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    base_labels, base_scores = _scores(rng, 100_000)
    base = model_metrics.statistics(mq.BINARY_CLASSIFICATION, base_labels, base_scores)
    (bucket / "baseline" / "statistics.json").write_text(json.dumps(base.to_dict()))
    constraints = mq.suggest_model_quality_constraints(base).to_dict()
    (bucket / "baseline" / "constraints.json").write_text(json.dumps(constraints))
    labels, scores = _scores(rng, rows)
    ids = [f"r{i:08d}" for i in range(rows)]
    with (run / "predictions" / "batch.csv.out").open("w") as fh:
        fh.writelines(f"{i},{s}\n" for i, s in zip(ids, scores.tolist(), strict=True))
    order = rng.permutation(rows)  # labels arrive in another order than the batch's
    with (labels_dir / "labels.csv").open("w") as fh:
        fh.write("record_id,label\n")
        fh.writelines(f"{ids[k]},{labels[k]}\n" for k in order.tolist())
    (labels_dir / "_SUCCESS").write_text("")
    record = {
        "runId": RUN,
        "modelPackageVersion": 1,
        "modelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/bench-group/1",
    }
    (run / "monitoring" / "verdict.json").write_text(json.dumps(record))
    tag.write_text(f"{rows},{SEED}")
    return root


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks model_quality", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ref-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    root = _write_run(args.rows)
    ref = dq_data.write(
        DATA / f"reference_{args.ref_rows}.csv", args.ref_rows, shifted=False, seed=dq_data.SEED
    )
    batch = dq_data.write(DATA / f"features_{args.rows}.csv", args.rows, shifted=False, seed=dq_data.SEED + 2)
    base = DATA / "dq-baseline"
    measure([sys.executable, "-m", "dataquality", "baseline", str(ref), "--out", str(base)], env=our_env())
    print(f"data ready in {time.perf_counter() - t0:.1f} s ({args.rows} rows)")

    runs: dict[str, dict[str, list[float]]] = {
        side: {"wall": [], "cpu": [], "rss": []} for side in ("model quality", "data quality")
    }
    counts = ""
    for _ in range(args.repeat):
        for side, cmd, env in (
            ("model quality", [sys.executable, str(HERE / "check.py"), str(root), RUN], _env()),
            (
                "data quality",
                [
                    sys.executable,
                    "-m",
                    "dataquality",
                    "check",
                    str(batch),
                    "--baseline",
                    str(base),
                    "--out",
                    str(DATA / "dq-out"),
                ],
                our_env(),
            ),
        ):
            run = measure(cmd, env=env)
            runs[side]["wall"].append(run.wall)
            runs[side]["cpu"].append(run.cpu)
            runs[side]["rss"].append(run.rss_mb)
            if side == "model quality":
                counts = run.stdout.strip().splitlines()[-1]
    joined = json.loads(counts)
    assert joined["matched"] == args.rows, joined
    print(f"| check of {args.rows} rows | wall (median) | CPU (median) | peak RSS (max) |")
    print("|---|---|---|---|")
    figures = {}
    for side, r in runs.items():
        figures[side] = {
            "wall_s": _median(r["wall"]),
            "cpu_s": _median(r["cpu"]),
            "peak_rss_mb": max(r["rss"]),
        }
        f = figures[side]
        print(f"| {side} | {f['wall_s']:.2f} s | {f['cpu_s']:.2f} s | {f['peak_rss_mb']:.0f} MB |")
    ratio = figures["model quality"]["cpu_s"] / figures["data quality"]["cpu_s"]
    print(
        f"model quality / data quality, CPU: {ratio:.2f} (goal <= 1.00); "
        f"joined {joined['matched']} rows, verdict {joined['verdict']}"
    )
    print("every run (CPU s):", {side: [round(v, 2) for v in r["cpu"]] for side, r in runs.items()})
    if args.json:
        Path(args.json).write_text(
            json.dumps({"rows": args.rows, "figures": figures, "cpu_ratio": ratio}, indent=2)
        )
    if ratio > 1.0:
        print(f"GOAL MISSED: the model-quality check takes {ratio:.2f}x the data-quality check's CPU time")
    return 1 if args.strict and ratio > 1.0 else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
