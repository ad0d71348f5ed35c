"""Lambda budgets (issue 3): cold import time and built package size of every function.

Cold import: each handler module imported in a fresh interpreter from what `sam build` made, laid
out as Lambda lays it out (the function's folder first, as /var/task, then its layers, as
/opt/python), with the template's environment variables, against a bare ``import boto3`` measured
in the same run, alternating, median of N. Libraries the Lambda runtime and the AWS-managed
layers provide (boto3, Powertools, numpy, pyarrow) come from the dev environment. Bytecode is not
written (Lambda's file system is read-only), so what the build does not ship compiled is compiled
on every import, as on every cold start. Budget: control-plane functions at most 1.5x boto3.
Data-plane functions (numpy / pyarrow from the AWS SDK for pandas layer) are reported, not held
to it.

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

from benchmarks.lambda_budgets.planes import CONTROL_PLANE, DATA_PLANE

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
IMPORT_BUDGET = 1.5
SIZE_BUDGET_BYTES = 5 * 1024 * 1024

_TIMER = (
    "import time, importlib; t = time.perf_counter(); m = importlib.import_module({module!r}); "
    "print(time.perf_counter() - t); print(m.__file__)"
)
BUILD = ROOT / ".aws-sam" / "build"


def load_template() -> dict:
    return dict(yaml_parse((ROOT / "template.yaml").read_text()))


def functions_in_template(template: dict) -> dict[str, dict]:
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


def template_environment(template: dict) -> dict[str, str]:
    """The Globals' plain-string environment variables (those Lambda would set as written)."""
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def lambda_env(logical_id: str, layers: list[str], template_env: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(template_env)
    # /var/task, then /opt/python of each layer; then the interpreter's own site-packages.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(BUILD / logical_id), *(str(BUILD / layer / "python") for layer in layers)]
    )
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


def time_import(module: str, env: dict[str, str], expect_under: Path | None = None) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(module=module)],
        env=env,
        cwd=BUILD,  # not the repository: its sources must not be found instead of the build's
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, location = out.stdout.strip().splitlines()[-2:]
    if expect_under is not None and not Path(location).is_relative_to(expect_under):
        raise SystemExit(f"{module} was imported from {location}, not from the build in {expect_under}")
    return float(seconds)


def measure_imports(
    functions: dict[str, dict], runs: int, template_env: dict[str, str]
) -> tuple[float, dict[str, float]]:
    boto3_times: list[float] = []
    times: dict[str, list[float]] = {lid: [] for lid in functions}
    for _ in range(runs):  # alternate so machine noise hits both sides alike
        for logical_id, info in functions.items():
            env = lambda_env(logical_id, info["layers"], template_env)
            boto3_times.append(time_import("boto3", env))
            times[logical_id].append(time_import("app", env, expect_under=BUILD / logical_id))
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

    template = load_template()
    functions = functions_in_template(template)
    sizes = measure_sizes(functions, build=not args.no_build)  # first: the imports use the build
    boto3_median, import_medians = measure_imports(functions, args.runs, template_environment(template))

    failures = 0
    print(f"bare `import boto3`: {boto3_median * 1000:.0f} ms (median of {args.runs * len(functions)})")
    print(f"{'function':34} {'import ms':>9} {'x boto3':>8} {'package MB':>10} {'zipped MB':>9}  verdict")
    for logical_id, info in functions.items():
        ratio = import_medians[logical_id] / boto3_median
        unzipped, zipped = sizes[logical_id]
        if info["folder"] not in (*CONTROL_PLANE, *DATA_PLANE):
            raise SystemExit(f"{logical_id}: functions/{info['folder']} is in neither list of planes.py")
        control_plane = info["folder"] in CONTROL_PLANE
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
