"""The demo (issue 6, Measured): its wall time, and its time over the same ML work done directly.

In one run, alternating, N times each (median):
  (a) `python -m localcloud demo --output TMP` in a fresh interpreter, as `make demo` runs it
      after `make setup`: wall time from process start to exit. Budget: 120 s.
  (b) `python -m benchmarks.demo.direct` in a fresh interpreter: two XGBoost trainings (with the
      two baselines their checks need), three scorings, three data-quality checks, on the same
      data. Budget: (a) / (b) at most 3.
Also printed: where the demo's time goes (stack deployment vs the story), from its timeline.

    python -m benchmarks demo [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WALL_BUDGET_S = 120.0
RATIO_BUDGET = 3.0
_STAMP = re.compile(r"^\s*(\d+\.\d)s\s")


def _run(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    return time.perf_counter() - started, done


def run_demo() -> tuple[float, float | None]:
    """Wall seconds of the demo, and the timeline's stamp of 'stack up' (deployment done)."""
    with tempfile.TemporaryDirectory() as folder:
        seconds, done = _run([sys.executable, "-m", "localcloud", "demo", "--output", f"{folder}/out"])
    if done.returncode != 0:
        raise SystemExit(
            f"demo failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    stack_up = next(
        (
            float(m.group(1))
            for line in done.stdout.splitlines()
            if "stack up" in line and (m := _STAMP.match(line))
        ),
        None,
    )
    return seconds, stack_up


def run_direct() -> tuple[float, dict[str, float]]:
    seconds, done = _run([sys.executable, "-m", "benchmarks.demo.direct"])
    if done.returncode != 0:
        raise SystemExit(
            f"direct script failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-2000:]}"
        )
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of each (median; default 1)")
    args = parser.parse_args(argv)
    demo_times: list[float] = []
    stack_times: list[float] = []
    direct_times: list[float] = []
    phases: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        seconds, stack_up = run_demo()
        demo_times.append(seconds)
        if stack_up is not None:
            stack_times.append(stack_up)
        seconds, phases = run_direct()
        direct_times.append(seconds)
    demo_s = statistics.median(demo_times)
    direct_s = statistics.median(direct_times)
    ratio = demo_s / direct_s
    print(
        f"cores: {os.cpu_count()}  runs: {args.runs}  python: {sys.version.split()[0]}  "
        f"load average (1 min) before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f}"
    )
    print("demo runs (s):  " + " ".join(f"{t:.1f}" for t in demo_times))
    print("direct runs (s): " + " ".join(f"{t:.1f}" for t in direct_times))
    print(
        f"(a) demo wall time            {demo_s:7.1f} s   budget {WALL_BUDGET_S:.0f} s   "
        f"{'OK' if demo_s <= WALL_BUDGET_S else 'OVER'}"
    )
    if stack_times:
        stack_s = statistics.median(stack_times)
        print(f"    of which stack deployment {stack_s:7.1f} s   (the timeline's start to 'stack up')")
        print(f"    the story after it        {demo_s - stack_s:7.1f} s")
    print(
        f"(b) same ML work, directly    {direct_s:7.1f} s   "
        + "  ".join(f"{k} {v:.2f}" for k, v in phases.items() if k != "total")
    )
    print(
        f"    ratio (a)/(b)             {ratio:7.1f}     budget {RATIO_BUDGET:.0f}     "
        f"{'OK' if ratio <= RATIO_BUDGET else 'OVER'}"
    )
    return 0 if demo_s <= WALL_BUDGET_S and ratio <= RATIO_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
