"""Data-quality check vs Evidently and whylogs vs the pyarrow floor, side by side in one run.

    python -m benchmarks dataquality [--repeat 3] [--peer-repeat 1] [--skip-peers] [--scale] [--strict]

Every tool runs as its own process (reading included); wall time and peak RSS come from the
kernel's accounting of that process (``wait4``). Data: benchmarks/data/ (gitignored), fixed seed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import data

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DATA = ROOT / "benchmarks" / "data"
PEERS_VENV = ROOT / ".venv-bench-peers"
PEERS_REQUIREMENTS = ROOT / "requirements" / "bench-peers.txt"
EXPECTED = sorted(data.SHIFTED)


@dataclass
class Run:
    wall: float
    rss_mb: float
    stdout: str
    returncode: int


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode()
        if proc.returncode not in (0, 4):
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    return Run(wall=wall, rss_mb=usage.ru_maxrss / 1024.0, stdout=stdout, returncode=proc.returncode)


def _our_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "dataquality"), str(ROOT)])
    return env


def ensure_peers_venv() -> Path:
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        print(f"building {PEERS_VENV} from {PEERS_REQUIREMENTS} (once; a few minutes)", flush=True)
        subprocess.run(["python3.11", "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(PEERS_REQUIREMENTS)], check=True)
    return python


@dataclass
class Result:
    tool: str
    walls: list[float]
    rss: list[float]
    flagged: list[str] | None

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak(self) -> float:
        return max(self.rss)


def _ours(ref_base: Path, batch: Path, out: Path, repeat: int) -> Result:
    res = Result("dataquality check (ours)", [], [], None)
    for _ in range(repeat):
        run = measure(
            [
                sys.executable,
                "-m",
                "dataquality",
                "check",
                str(batch),
                "--baseline",
                str(ref_base),
                "--out",
                str(out),
            ],
            env=_our_env(),
        )
        res.walls.append(run.wall)
        res.rss.append(run.rss_mb)
    doc = json.loads((out / "constraint_violations.json").read_text())
    res.flagged = sorted(
        {v["feature_name"] for v in doc["violations"] if v["constraint_check_type"] == "baseline_drift_check"}
    )
    return res


def _script(  # noqa: PLR0917
    tool: str, python: str, script: str, args: list[str], repeat: int, env: dict[str, str] | None = None
) -> Result:
    res = Result(tool, [], [], None)
    for _ in range(repeat):
        run = measure([python, str(HERE / script), *args], env=env)
        res.walls.append(run.wall)
        res.rss.append(run.rss_mb)
        res.flagged = json.loads(run.stdout.strip().splitlines()[-1])["flagged"]
    return res


def _table(results: list[Result], ours: Result) -> str:
    lines = [
        "| tool | wall (median) | peak RSS | time vs ours | ours' memory share | flagged |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = f"{r.wall / ours.wall:.1f}x" if r is not ours else "1.0x"
        mem = f"{ours.peak / r.peak:.2f}" if r is not ours else "1.00"
        flagged = "-" if r.flagged is None else (", ".join(r.flagged) or "none")
        lines.append(f"| {r.tool} | {r.wall:.2f} s | {r.peak:.0f} MB | {ratio} | {mem} | {flagged} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks dataquality", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="batch rows (default 1M)")
    parser.add_argument("--ref-rows", type=int, default=100_000, help="reference rows (default 100k)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours and of the floor (median)")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs of each peer")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument(
        "--scale", action="store_true", help="also stream a 10M-row batch (memory bound 1.5 GB)"
    )
    parser.add_argument("--scale-rows", type=int, default=10_000_000)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    ref = data.write(DATA / f"reference_{args.ref_rows}.csv", args.ref_rows, shifted=False, seed=data.SEED)
    batch = data.write(DATA / f"batch_{args.rows}.csv", args.rows, shifted=True, seed=data.SEED + 1)
    print(
        f"data ready in {time.perf_counter() - t0:.1f} s: {ref.name}, {batch.name} "
        f"({batch.stat().st_size >> 20} MB)"
    )
    base = DATA / "baseline"
    baseline_run = measure(
        [sys.executable, "-m", "dataquality", "baseline", str(ref), "--out", str(base)], env=_our_env()
    )
    print(f"baseline of the reference (ours, once): {baseline_run.wall:.2f} s, {baseline_run.rss_mb:.0f} MB")

    floor = _script(
        "pyarrow read_csv of the batch (floor)", sys.executable, "floor.py", [str(batch)], args.repeat
    )
    ours = _ours(base, batch, DATA / "check-out", args.repeat)
    results = [floor, ours]
    if not args.skip_peers:
        python = str(ensure_peers_venv())
        results.append(
            _script(
                "Evidently 0.6.7 DataDriftPreset",
                python,
                "peer_evidently.py",
                [str(ref), str(batch)],
                args.peer_repeat,
            )
        )
        results.append(
            _script(
                "whylogs 1.6.4 profile + drift",
                python,
                "peer_whylogs.py",
                [str(ref), str(batch)],
                args.peer_repeat,
            )
        )
    print()
    print(_table(results, ours))
    print()
    verdicts = [
        f"ours / floor = {ours.wall / floor.wall:.2f} (target <= 3)",
        f"ours flagged {ours.flagged} (expected {EXPECTED})",
    ]
    ok = ours.wall / floor.wall <= 3 and ours.flagged == EXPECTED
    for r in results[2:]:
        target = 25 if r.tool.startswith("Evidently") else 5
        speed = r.wall / ours.wall
        verdicts.append(f"{r.tool}: {speed:.1f}x slower (target >= {target}x)")
        ok = ok and speed >= target
        if r.tool.startswith("Evidently"):
            verdicts.append(f"ours' peak memory / Evidently's = {ours.peak / r.peak:.2f} (target <= 0.5)")
            ok = ok and ours.peak / r.peak <= 0.5
    figures: dict[str, object] = {
        r.tool: {"wall_s": r.wall, "walls_s": r.walls, "peak_rss_mb": r.peak, "flagged": r.flagged}
        for r in results
    }
    if args.scale:
        big = data.write(
            DATA / f"batch_{args.scale_rows}.csv", args.scale_rows, shifted=True, seed=data.SEED + 2
        )
        run = measure(
            [
                sys.executable,
                "-m",
                "dataquality",
                "check",
                str(big),
                "--baseline",
                str(base),
                "--out",
                str(DATA / "check-out-scale"),
            ],
            env=_our_env(),
        )
        verdicts.append(
            f"scale: {args.scale_rows:,} rows ({big.stat().st_size >> 20} MB CSV) "
            f"streamed in {run.wall:.1f} s, "
            f"peak RSS {run.rss_mb:.0f} MB (target <= 1536 MB)"
        )
        ok = ok and run.rss_mb <= 1536
        figures["scale"] = {"rows": args.scale_rows, "wall_s": run.wall, "peak_rss_mb": run.rss_mb}
    for line in verdicts:
        print("-", line)
    print("targets:", "all met" if ok else "NOT all met")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if (args.strict and not ok) else 0
