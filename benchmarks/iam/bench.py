"""What enforcing IAM costs the demo (issue 11, Measured): `make demo` with the local cloud's IAM
on, over the same demo with `--no-iam`, in one run, alternating, N times each (median wall and CPU
time of a fresh interpreter, as `make demo` runs it). Budget: at most 1.15. `--no-iam` still
decides every call (it logs each one AWS would deny), so the enforcer's own clock is printed too:
the seconds spent deciding in-process calls (`iam-decisions.json` "seconds") and their share of
the enforced demo's wall time, which is what switching IAM off entirely would save at most.

    python -m benchmarks iam [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.demo.bench import run_command

RATIO_BUDGET = 1.15


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks iam")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    walls: dict[str, list[float]] = {"enforced": [], "off": []}
    cpus: dict[str, list[float]] = {"enforced": [], "off": []}
    deciding: list[float] = []
    for _ in range(args.runs):
        for side, extra in (("enforced", []), ("off", ["--no-iam"])):
            with tempfile.TemporaryDirectory() as out:
                done = run_command([sys.executable, "-m", "story.demo", "--quiet", "--output", out, *extra])
                log = Path(out) / "iam-decisions.json"
                if side == "enforced" and log.is_file():
                    deciding.append(float(json.loads(log.read_text()).get("seconds", 0.0)))
            if done.returncode != 0:
                print(f"demo ({side}) failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
            walls[side].append(done.wall)
            cpus[side].append(done.cpu)
    wall = {side: statistics.median(values) for side, values in walls.items()}
    cpu = {side: statistics.median(values) for side, values in cpus.items()}
    ratio = wall["enforced"] / wall["off"]
    print(f"demo wall, median of {args.runs}: enforced {wall['enforced']:.2f} s, off {wall['off']:.2f} s")
    print(f"demo CPU,  median of {args.runs}: enforced {cpu['enforced']:.2f} s, off {cpu['off']:.2f} s")
    print(f"ratio (wall) {ratio:.3f}, (CPU) {cpu['enforced'] / cpu['off']:.3f}; budget {RATIO_BUDGET}")
    if deciding:
        spent = statistics.median(deciding)
        print(
            f"deciding in-process calls: {spent:.3f} s, "
            f"{100 * spent / wall['enforced']:.1f}% of the enforced wall time"
        )
    print("every run (wall s):", {side: [round(v, 2) for v in values] for side, values in walls.items()})
    return 0 if ratio <= RATIO_BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
