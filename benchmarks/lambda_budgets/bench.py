"""Lambda budgets (issue 3): cold import time and built package size of every function.

Cold import: each handler module imported in a fresh interpreter with Lambda's environment
(Tracer on, as deployed), against a bare ``import boto3`` measured in the same run, alternating,
median of N. Budget: control-plane functions at most 1.5x boto3. Data-plane functions (numpy /
pyarrow from the AWS SDK for pandas layer) are reported, not held to it.

Package size: ``sam build`` output per function plus the project layers it uses (AWS-managed
layers are not part of it). Budget: 5 MB unzipped.

    python -m benchmarks lambda_budgets [--runs N] [--no-build]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
IMPORT_BUDGET = 1.5
SIZE_BUDGET_BYTES = 5 * 1024 * 1024
DATA_PLANE = {"monitor_batch", "prepare_training_data", "evaluate_model", "compute_baseline"}

_TIMER = (
    "import time, importlib; t = time.perf_counter(); importlib.import_module({module!r}); "
    "print(time.perf_counter() - t)"
)


def functions_in_template() -> dict[str, dict]:
    template = yaml_parse((ROOT / "template.yaml").read_text())
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        folder = Path(str(props["CodeUri"])).name
        layers = [
            layer["Ref"] for layer in props.get("Layers", []) if isinstance(layer, dict) and "Ref" in layer
        ]
        found[logical_id] = {"folder": folder, "layers": ["SharedLayer", *layers]}
    return found


def lambda_env(logical_id: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_LAMBDA_FUNCTION_NAME=logical_id,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        POWERTOOLS_SERVICE_NAME="mlops-loop",
        POWERTOOLS_METRICS_NAMESPACE="MlopsLoop",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def time_import(module: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(module=module)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure_imports(functions: dict[str, dict], runs: int) -> tuple[float, dict[str, float]]:
    boto3_times: list[float] = []
    times: dict[str, list[float]] = {lid: [] for lid in functions}
    for _ in range(runs):  # alternate so machine noise hits both sides alike
        for logical_id, info in functions.items():
            env = lambda_env(logical_id)
            boto3_times.append(time_import("boto3", env))
            times[logical_id].append(time_import(f"functions.{info['folder']}.app", env))
    return statistics.median(boto3_times), {lid: statistics.median(t) for lid, t in times.items()}


def dir_size(path: Path) -> tuple[int, int]:
    """(unzipped bytes, zipped bytes) of a folder, zipped as Lambda would receive it."""
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                total += file.stat().st_size
                archive.write(file, file.relative_to(path))
    return total, len(buffer.getvalue())


def measure_sizes(functions: dict[str, dict], build: bool) -> dict[str, tuple[int, int]]:
    if build:
        env = dict(os.environ, SAM_CLI_TELEMETRY="0", __SAM_CLI_APP_DIR=str(ROOT / "build" / "sam-app-dir"))
        subprocess.run(
            [str(SAM), "build", "--cached", "--parallel"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    build_dir = ROOT / ".aws-sam" / "build"
    sizes = {}
    for logical_id, info in functions.items():
        unzipped, zipped = dir_size(build_dir / logical_id)
        for layer in info["layers"]:
            layer_unzipped, layer_zipped = dir_size(build_dir / layer)
            unzipped += layer_unzipped
            zipped += layer_zipped
        sizes[logical_id] = (unzipped, zipped)
    return sizes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks lambda_budgets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per function (median)")
    parser.add_argument("--no-build", action="store_true", help="reuse .aws-sam/build instead of sam build")
    args = parser.parse_args(argv)

    functions = functions_in_template()
    boto3_median, import_medians = measure_imports(functions, args.runs)
    sizes = measure_sizes(functions, build=not args.no_build)

    failures = 0
    print(f"bare `import boto3`: {boto3_median * 1000:.0f} ms (median of {args.runs * len(functions)})")
    print(f"{'function':34} {'import ms':>9} {'x boto3':>8} {'package MB':>10} {'zipped MB':>9}  verdict")
    for logical_id, info in functions.items():
        ratio = import_medians[logical_id] / boto3_median
        unzipped, zipped = sizes[logical_id]
        control_plane = info["folder"] not in DATA_PLANE
        over_import = control_plane and ratio > IMPORT_BUDGET
        over_size = unzipped > SIZE_BUDGET_BYTES
        failures += over_import + over_size
        verdict = (
            "over budget" if (over_import or over_size) else ("ok" if control_plane else "ok (data plane)")
        )
        print(
            f"{logical_id:34} {import_medians[logical_id] * 1000:9.0f} {ratio:8.2f} "
            f"{unzipped / 2**20:10.2f} {zipped / 2**20:9.2f}  {verdict}"
        )
    return 1 if failures else 0
