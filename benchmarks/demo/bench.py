"""The demo (issue 6, Measured): its wall time, and its time over the same ML work done directly.

In one run, alternating, N times each (median):
  (a) `python -m story.demo --output TMP` in a fresh interpreter, as `make demo` runs it
      after `make setup`: wall time from process start to exit. Budget: 120 s.
  (b) `python -m benchmarks.demo.direct` in a fresh interpreter: two XGBoost trainings (with the
      two baselines their checks need), three scorings, three data-quality checks, on the same
      data. Budget: (a) / (b) at most 3.
Also printed: where the demo's time goes (stack deployment vs the story), from its timeline; CPU
time (user + system, all threads, from the kernel's accounting: `wait4`) of each side and its
ratio, the steadier figure on a host shared with other work; the load average; every run.

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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WALL_BUDGET_S = 120.0
RATIO_BUDGET = 3.0
_STAMP = re.compile(r"^\s*(\d+\.\d)s\s")


@dataclass
class Done:
    wall: float
    cpu: float
    returncode: int
    stdout: str
    stderr: str


def run_command(command: list[str]) -> Done:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Done(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            returncode=os.waitstatus_to_exitcode(status),
            stdout=out.read().decode(),
            stderr=err.read().decode(),
        )


def run_demo() -> tuple[Done, float | None]:
    """The demo's run, and the timeline's stamp of 'stack up' (deployment done)."""
    with tempfile.TemporaryDirectory() as folder:
        done = run_command([sys.executable, "-m", "story.demo", "--output", f"{folder}/out"])
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
    return done, stack_up


def run_direct() -> tuple[Done, dict[str, float]]:
    done = run_command([sys.executable, "-m", "benchmarks.demo.direct"])
    if done.returncode != 0:
        raise SystemExit(
            f"direct script failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-2000:]}"
        )
    return done, json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of each (median; default 1)")
    args = parser.parse_args(argv)
    demo_runs: list[Done] = []
    stack_times: list[float] = []
    direct_runs: list[Done] = []
    phases: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        demo, stack_up = run_demo()
        demo_runs.append(demo)
        if stack_up is not None:
            stack_times.append(stack_up)
        direct, phases = run_direct()
        direct_runs.append(direct)
    demo_times = [r.wall for r in demo_runs]
    direct_times = [r.wall for r in direct_runs]
    demo_s = statistics.median(demo_times)
    direct_s = statistics.median(direct_times)
    ratio = demo_s / direct_s
    demo_cpu = statistics.median(r.cpu for r in demo_runs)
    direct_cpu = statistics.median(r.cpu for r in direct_runs)
    print(
        f"cores: {os.cpu_count()}  runs: {args.runs}  python: {sys.version.split()[0]}  "
        f"load average (1 min) before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f}"
    )
    print("demo runs, wall/CPU (s):   " + "  ".join(f"{r.wall:.1f}/{r.cpu:.1f}" for r in demo_runs))
    print("direct runs, wall/CPU (s): " + "  ".join(f"{r.wall:.1f}/{r.cpu:.1f}" for r in direct_runs))
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
    print(
        f"    CPU time: demo {demo_cpu:.1f} s, direct {direct_cpu:.1f} s, "
        f"ratio {demo_cpu / direct_cpu:.1f} (median of each)"
    )
    return 0 if demo_s <= WALL_BUDGET_S and ratio <= RATIO_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
