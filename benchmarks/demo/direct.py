"""The demo's ML work done directly, in one Python script (no cloud, no state machines, no S3):

two XGBoost trainings (v1 on part 1, v2 on part 1 + part 2, split and trained like the retraining
state machine), the two baselines their checks need, three scorings (clean batch with v1,
shifted batch with v1, clean batch with v2) and three data-quality checks of those batches.
Prints one JSON line: seconds per phase and the verdicts (clean, drift, clean).

Each training runs as the demo runs it, so both sides do the same computation: with OpenMP kept
to one thread (`story.demo.ONE_THREAD_ENV`, set by the demo command), v1 as `sample.seed`
trains it, v2 as the local SageMaker job runner trains it (nthread=1,
`localcloud.sagemaker_jobs.xgboost_algo`). On 2 busy cores xgboost's default of a thread per core
can make a training 10-20 times slower (its OpenMP workers wait on each other).

    python -m benchmarks.demo.direct
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

T0 = time.perf_counter()
os.environ.setdefault("OMP_NUM_THREADS", "1")  # as `python -m story.demo` (before xgboost loads)

import dataquality  # noqa: E402
import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402
from mlops_loop.retraining.prepare import LabelledData, channel_files, split  # noqa: E402
from mlops_loop.retraining.training import xgboost_params  # noqa: E402

from sample.data import SampleData, breast_cancer  # noqa: E402

IMPORTS = time.perf_counter() - T0


def _matrix(rows: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    array = np.array(rows, dtype=np.float64)
    return array[:, 1:], array[:, 0]


def train(
    data: SampleData, rows: list[list[str]], tmp: Path, name: str, threads: int | None = None
) -> tuple[Any, dict[str, Any]]:
    parts = split(LabelledData(["label", *data.feature_names], rows))
    x_train, y_train = _matrix(parts.train)
    x_val, y_val = _matrix(parts.validation)
    params, rounds = xgboost_params()
    if threads is not None:
        params["nthread"] = threads
    booster = xgb.train(
        params,
        xgb.DMatrix(x_train, label=y_train),
        num_boost_round=rounds,
        evals=[(xgb.DMatrix(x_val, label=y_val), "validation")],
        verbose_eval=False,
    )
    baseline_file = tmp / f"{name}-baseline.csv"
    baseline_file.write_text(channel_files(parts)["baseline-data"][1])
    baseline = dataquality.suggest_baseline([str(baseline_file)], has_header=True)
    return booster, {"statistics": baseline.statistics, "constraints": baseline.constraints}


def score(booster: Any, batch: list[list[str]]) -> np.ndarray:
    return np.asarray(booster.predict(xgb.DMatrix(np.array(batch, dtype=np.float64))))


def check(batch_file: Path, baseline: dict[str, Any]) -> str:
    result = dataquality.check(
        [str(batch_file)],
        baseline_statistics=baseline["statistics"],
        baseline_constraints=baseline["constraints"],
    )
    return str(result.verdict)


def main() -> int:
    times: dict[str, float] = {"imports": IMPORTS}
    started = time.perf_counter()
    data = breast_cancer()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        files = data.files()
        for name in ("batch-clean.csv", "batch-drift.csv"):
            (tmp / name).write_text(files[name])
        times["data"] = time.perf_counter() - started
        mark = time.perf_counter()
        v1, baseline1 = train(data, data.part1, tmp, "v1")  # as sample.seed
        v2, baseline2 = train(data, data.part1 + data.part2, tmp, "v2", threads=1)  # as the job runner
        times["train_and_baseline"] = time.perf_counter() - mark
        mark = time.perf_counter()
        scores = [score(v1, data.batch_clean), score(v1, data.batch_drift), score(v2, data.batch_clean)]
        times["score"] = time.perf_counter() - mark
        mark = time.perf_counter()
        verdicts = [
            check(tmp / "batch-clean.csv", baseline1),
            check(tmp / "batch-drift.csv", baseline1),
            check(tmp / "batch-clean.csv", baseline2),
        ]
        times["check"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - T0
    print(json.dumps({"seconds": times, "verdicts": verdicts, "scored": [len(s) for s in scores]}))
    return 0 if verdicts == ["clean", "drift", "clean"] else 1


def exit_now(code: int) -> None:
    """End as `python -m localcloud` ends (localcloud.cli.exit_now): exit handlers run, streams
    flushed, the interpreter's teardown skipped, so neither side of the comparison pays for it."""
    import atexit
    import os
    import sys

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
