"""Data-quality check vs Evidently 0.6.7 and 0.7.x and whylogs vs the pyarrow floor, side by side in one run.

    python -m benchmarks dataquality [--repeat 5] [--peer-repeat 1] [--skip-peers] [--scale] [--strict]

Every tool runs as its own process (reading included); wall time, CPU time (user + system, all
threads) and peak RSS come from the kernel's accounting of that process (``wait4``). The floor and
ours run alternately, so both see the same load. On a shared host CPU time is the steadier figure.
Data: benchmarks/data/ (gitignored), fixed seed. The peers run in their own venvs, made on first use
from pinned requirements: Evidently 0.6.7 and whylogs 1.6.4 in .venv-bench-peers
(requirements/bench-peers.txt), Evidently 0.7.x in .venv-bench-evidently07
(requirements/bench-peers-evidently07.txt; numpy 2, which whylogs 1.6 refuses).
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
from dataclasses import dataclass, field
from pathlib import Path

from . import data

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DATA = ROOT / "benchmarks" / "data"
PEERS_VENV = ROOT / ".venv-bench-peers"
PEERS_REQUIREMENTS = ROOT / "requirements" / "bench-peers.txt"
# The current Evidently (0.7.x) needs numpy 2, which whylogs 1.6 refuses: its own venv.
EVIDENTLY07_VENV = ROOT / ".venv-bench-evidently07"
EVIDENTLY07_REQUIREMENTS = ROOT / "requirements" / "bench-peers-evidently07.txt"
EXPECTED = sorted(data.SHIFTED)


@dataclass
class Run:
    wall: float
    cpu: float
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
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024.0,
        stdout=stdout,
        returncode=proc.returncode,
    )


def our_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "dataquality"), str(ROOT)])
    return env


def ensure_venv(venv: Path = PEERS_VENV, requirements: Path = PEERS_REQUIREMENTS) -> Path:
    """The peer's venv, made from its pinned requirements the first time (a stamp marks it complete)."""
    python = venv / "bin" / "python"
    stamp = venv / ".stamp"
    if not stamp.exists() or stamp.stat().st_mtime < requirements.stat().st_mtime:
        print(f"building {venv} from {requirements} (once; a few minutes)", flush=True)
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
        stamp.touch()
    return python


def ensure_peers_venv() -> Path:
    return ensure_venv(PEERS_VENV, PEERS_REQUIREMENTS)


@dataclass
class Result:
    tool: str
    walls: list[float]
    rss: list[float]
    flagged: list[str] | None
    cpus: list[float] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.walls.append(run.wall)
        self.cpus.append(run.cpu)
        self.rss.append(run.rss_mb)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    @property
    def peak(self) -> float:
        return max(self.rss)


def _floor_and_ours(ref_base: Path, batch: Path, out: Path, repeat: int) -> tuple[Result, Result]:
    """The floor and ours, alternately (a busy host's load then weighs on both alike)."""
    floor = Result("pyarrow read_csv of the batch (floor)", [], [], None)
    ours = Result("dataquality check (ours)", [], [], None)
    check = [sys.executable, "-m", "dataquality", "check", str(batch), "--baseline", str(ref_base)]
    for _ in range(repeat):
        floor.add(measure([sys.executable, str(HERE / "floor.py"), str(batch)]))
        ours.add(measure([*check, "--out", str(out)], env=our_env()))
    doc = json.loads((out / "constraint_violations.json").read_text())
    ours.flagged = sorted(
        {v["feature_name"] for v in doc["violations"] if v["constraint_check_type"] == "baseline_drift_check"}
    )
    return floor, ours


def _script(  # noqa: PLR0917
    tool: str, python: str, script: str, args: list[str], repeat: int, env: dict[str, str] | None = None
) -> Result:
    res = Result(tool, [], [], None)
    for _ in range(repeat):
        run = measure([python, str(HERE / script), *args], env=env)
        res.add(run)
        res.flagged = json.loads(run.stdout.strip().splitlines()[-1])["flagged"]
    return res


def _table(results: list[Result], ours: Result) -> str:
    lines = [
        "| tool | wall (median) | CPU (median) | peak RSS | time vs ours | ours' memory share | flagged |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = f"{r.wall / ours.wall:.1f}x" if r is not ours else "1.0x"
        mem = f"{ours.peak / r.peak:.2f}" if r is not ours else "1.00"
        flagged = "-" if r.flagged is None else (", ".join(r.flagged) or "none")
        lines.append(
            f"| {r.tool} | {r.wall:.2f} s | {r.cpu:.2f} s | {r.peak:.0f} MB | {ratio} | {mem} | {flagged} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks dataquality", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="batch rows (default 1M)")
    parser.add_argument("--ref-rows", type=int, default=100_000, help="reference rows (default 100k)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of ours and of the floor (median)")
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
        [sys.executable, "-m", "dataquality", "baseline", str(ref), "--out", str(base)], env=our_env()
    )
    print(
        f"baseline of the reference (ours, once): {baseline_run.wall:.2f} s "
        f"(CPU {baseline_run.cpu:.2f} s), {baseline_run.rss_mb:.0f} MB"
    )

    floor, ours = _floor_and_ours(base, batch, DATA / "check-out", args.repeat)
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
                "Evidently 0.7.23 DataDriftPreset",
                str(ensure_venv(EVIDENTLY07_VENV, EVIDENTLY07_REQUIREMENTS)),
                "peer_evidently07.py",
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
        f"ours / floor = {ours.wall / floor.wall:.2f} (target <= 3); "
        f"by CPU time {ours.cpu / floor.cpu:.2f} (target <= 2)",
        f"ours flagged {ours.flagged} (expected {EXPECTED})",
    ]
    ok = ours.wall / floor.wall <= 3 and ours.cpu / floor.cpu <= 2 and ours.flagged == EXPECTED
    for r in results[2:]:
        target = 25 if r.tool.startswith("Evidently") else 5
        speed = r.wall / ours.wall
        verdicts.append(f"{r.tool}: {speed:.1f}x slower (target >= {target}x)")
        ok = ok and speed >= target
        if r.tool.startswith("Evidently"):
            verdicts.append(f"ours' peak memory / Evidently's = {ours.peak / r.peak:.2f} (target <= 0.5)")
            ok = ok and ours.peak / r.peak <= 0.5
    figures: dict[str, object] = {
        r.tool: {
            "wall_s": r.wall,
            "walls_s": r.walls,
            "cpu_s": r.cpu,
            "cpus_s": r.cpus,
            "peak_rss_mb": r.peak,
            "flagged": r.flagged,
        }
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
            env=our_env(),
        )
        verdicts.append(
            f"scale: {args.scale_rows:,} rows ({big.stat().st_size >> 20} MB CSV) "
            f"streamed in {run.wall:.1f} s (CPU {run.cpu:.1f} s), "
            f"peak RSS {run.rss_mb:.0f} MB (target <= 1536 MB)"
        )
        ok = ok and run.rss_mb <= 1536
        figures["scale"] = {
            "rows": args.scale_rows,
            "wall_s": run.wall,
            "cpu_s": run.cpu,
            "peak_rss_mb": run.rss_mb,
        }
    for line in verdicts:
        print("-", line)
    print("targets:", "all met" if ok else "NOT all met")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if (args.strict and not ok) else 0
