"""`make sam-local`: the real `sam local invoke` for every function and every `events/` file.

    python -m tools.sam_local [--require-engine] [--only TEXT] [--no-compare] [--report FILE]

1. Without a reachable container engine: one line saying why, exit 0 (a developer machine);
   with CI=1 or --require-engine that is a failure.
2. The Lambda python3.11 base image: reused, or built offline (tools/build_base_image.sh).
3. `sam build`; managed layers referenced by ARN (Powertools, AWS SDK for pandas) are taken from
   SAM's layer cache, filled offline with the same pinned packages when not downloaded already.
4. The local cloud: the real template deployed into moto, served on 127.0.0.1, seeded like the
   demo (sample data in the bucket, v1 approved with its baseline) and after one replayed drift
   episode (its retraining registers v2 PendingManualApproval): what the `events/` samples name.
5. For every case of tools/invoke_table.py, in order: snapshot the local cloud, run
   `sam local invoke <LogicalId> -e <event> --skip-pull-image --env-vars <generated>`, parse
   the payload, snapshot again and check the case. The handler in the container reaches the local
   cloud through `AWS_ENDPOINT_URL` (boto3 honours it) and a relay on the container bridge's
   gateway address, since SAM CLI 1.170 runs containers on the default bridge network even with
   `--docker-network host` (127.0.0.1 inside the container is the container itself).
6. With --compare (default): the same cases through the local cloud's in-process invoke on a fresh
   cloud, for the per-invoke time ratio. One line per case, then `N passed, N failed`.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "sam-local"
SAM = REPO / ".venv-sam" / "bin" / "sam"
# Its own build and cache folders, so `make build` and this runner do not overwrite each other.
SAM_BUILD_DIR = BUILD / "aws-sam-build"
BUILT_TEMPLATE = SAM_BUILD_DIR / "template.yaml"
LAYER_CACHE = REPO / "build" / "sam-layers"
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
ACCOUNT = "123456789012"  # the account moto and SAM CLI both assume
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"

# Offline stand-ins for AWS-managed layers, by the layer name in the ARN: the packages the layer
# provides that our handlers import, at the project's runtime pins (requirements/runtime.txt).
MANAGED_LAYER_PACKAGES: dict[str, tuple[str, ...]] = {
    "AWSLambdaPowertoolsPythonV3": ("aws-lambda-powertools", "pydantic"),
    "AWSSDKPandas": ("numpy", "pyarrow"),
}
# Packages a stand-in layer needs beyond the pins (extras of Powertools the layer ships with).
_EXTRAS = {"aws-lambda-powertools": "[tracer,parser]"}
# What the python3.11 runtime itself provides (boto3 and its dependencies): left out of the stand-in
# layers, as AWS leaves them out of the real ones. Smaller layers make SAM's per-invoke image build
# quicker: SAM rebuilds the invoke image every time a function has a layer built from the template.
RUNTIME_PROVIDED = (
    "boto3",
    "botocore",
    "s3transfer",
    "urllib3",
    "dateutil",
    "python_dateutil",
    "six",
    "jmespath",
)


def say(text: str) -> None:
    print(text, flush=True)


# -- 1. the engine -------------------------------------------------------------------------------
def engine_problem() -> str | None:
    """None when a container engine answers, else why not (one line)."""
    docker = shutil.which("docker")
    if docker is None:
        return "no docker client on PATH"
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "the container engine did not answer `docker info` within 20 s"
    if result.returncode != 0 or not result.stdout.strip():
        last = (result.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no container engine reachable ({last})"
    return None


# -- 2./3. image, build, layers ------------------------------------------------------------------
def sam_environment(
    endpoint_url: str | None = None, credentials: dict[str, str] | None = None
) -> dict[str, str]:
    """SAM CLI's own environment: credentials, and (while the local cloud runs) its endpoint, so
    SAM's own calls (STS GetCallerIdentity for the account id, GetLayerVersion for an uncached layer)
    go to the local cloud, never to AWS: offline they would otherwise wait ~9 s for a timeout.
    `credentials`: the invoked function's role session, which SAM hands the container as Lambda
    would (the local cloud's IAM knows the caller by it); fake ones otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.pop("AWS_SESSION_TOKEN", None)
    env.update(credentials or FAKE_CREDENTIALS)
    env.pop("AWS_PROFILE", None)
    env.update(
        {
            "SAM_CLI_TELEMETRY": "0",
            "__SAM_CLI_APP_DIR": str(REPO / "build" / "sam-app-dir"),
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    if endpoint_url:
        env[ENDPOINT_VARIABLE] = endpoint_url
    return env


def ensure_base_image() -> None:
    subprocess.run([str(REPO / "tools" / "build_base_image.sh")], check=True, cwd=REPO)  # noqa: S603


def sam_build(template: Path) -> None:
    if not SAM.exists():
        raise SystemExit(f"sam-local: SAM CLI missing at {SAM} (make setup-tools)")
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            str(SAM),
            "build",
            "--cached",
            "--parallel",
            "--template",
            str(template),
            "--build-dir",
            str(SAM_BUILD_DIR),
            "--cache-dir",
            str(BUILD / "aws-sam-cache"),
        ],
        check=True,
        cwd=REPO,
        env=sam_environment(),
        stdout=subprocess.DEVNULL,
    )


def load_template(path: Path) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse  # the loader that knows !Ref and friends

    return dict(yaml_parse(path.read_text(encoding="utf-8")))


def function_ids(template: dict[str, Any]) -> list[str]:
    return [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    ]


def declares_endpoint_variable(template: dict[str, Any], logical_id: str) -> bool:
    """SAM passes --env-vars values only for variables the template declares for the function."""

    def names(holder: Any) -> set[str]:
        variables = ((holder or {}).get("Environment") or {}).get("Variables") or {}
        return set(variables) if isinstance(variables, dict) else set()

    globals_ = (template.get("Globals") or {}).get("Function")
    own = template["Resources"][logical_id].get("Properties")
    return ENDPOINT_VARIABLE in names(globals_) | names(own)


def layer_arns(template: dict[str, Any], region: str = REGION) -> set[str]:
    """The layer ARNs (not layers of this template) the functions use, resolved as `sam local` does:
    `!Sub` with the pseudo parameters and the template parameters' defaults."""
    values = {f"AWS::{k}": v for k, v in (("Partition", "aws"), ("Region", region), ("AccountId", ACCOUNT))}
    for name, parameter in (template.get("Parameters") or {}).items():
        if "Default" in parameter:
            values[name] = str(parameter["Default"])

    def resolve(node: Any) -> str | None:
        if isinstance(node, dict) and "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
            node = re.sub(r"\$\{([^}!]+)\}", lambda m: values.get(m.group(1), m.group(0)), node["Fn::Sub"])
        return node if isinstance(node, str) and node.startswith("arn:") and ":layer:" in node else None

    holders = [(template.get("Globals") or {}).get("Function") or {}]
    holders += [r.get("Properties") or {} for r in template.get("Resources", {}).values()]
    found = {resolve(layer) for holder in holders for layer in holder.get("Layers") or []}
    return {arn for arn in found if arn}


def cached_layer_name(arn: str) -> str:
    """The folder SAM CLI caches a layer in: <name>-<version>-<sha256(arn)[:10]>."""
    import hashlib

    _, name, version = arn.rsplit(":", 2)
    return f"{name}-{version}-{hashlib.sha256(arn.encode()).hexdigest()[:10]}"


def runtime_pin(package: str) -> str:
    for line in (REPO / "requirements" / "runtime.txt").read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        if name.split("[")[0].strip().lower() == package.lower() and version:
            return f"{package}{_EXTRAS.get(package, '')}=={version.strip()}"
    raise SystemExit(f"sam-local: no pin for {package} in requirements/runtime.txt")


def ensure_managed_layers(arns: set[str]) -> list[str]:
    """Fill SAM's layer cache for every managed layer ARN not there already; returns what was made."""
    made = []
    for arn in sorted(arns):
        target = LAYER_CACHE / cached_layer_name(arn)
        if target.exists():
            continue
        layer_name = arn.rsplit(":", 2)[1]
        packages = next(
            (p for prefix, p in MANAGED_LAYER_PACKAGES.items() if layer_name.startswith(prefix)), None
        )
        if packages is None:
            raise SystemExit(
                f"sam-local: layer {arn} is not cached in {LAYER_CACHE} and has no offline stand-in; "
                "run once with AWS credentials and internet so SAM downloads it"
            )
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        # Wheels for the stand-in base image (Debian bookworm, glibc 2.36): manylinux 2014 or 2_28.
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "--target", str(staging / "python"), "--only-binary=:all:",
            "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
            "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
            *[runtime_pin(p) for p in packages],
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            raise SystemExit(f"sam-local: stand-in for layer {layer_name} failed: {' '.join(errors[-2:])}")
        for entry in (staging / "python").iterdir():
            name = entry.name.split("-")[0].removesuffix(".py")
            if name in RUNTIME_PROVIDED or entry.name in ("bin", "__pycache__"):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        staging.rename(target)
        made.append(layer_name)
    return made


# -- 4. reaching the local cloud from a container ------------------------------------------------
def bridge_gateway() -> str:
    """The host's address on the engine's default bridge network (reachable from its containers)."""
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            shutil.which("docker") or "docker",
            "network",
            "inspect",
            "bridge",
            "--format",
            "{{json .IPAM.Config}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for config in json.loads(result.stdout) or []:
        if config.get("Gateway"):
            return str(config["Gateway"])
        if config.get("Subnet"):
            network = ipaddress.ip_network(config["Subnet"])
            if network.version == 4:
                return str(next(network.hosts()))
    raise RuntimeError(
        "cannot tell the bridge network's gateway address from `docker network inspect bridge`"
    )


class Relay:
    """Forwards TCP from the bridge gateway address to a server on 127.0.0.1, on a thread.

    Listens only on the gateway address of the engine's bridge (not reachable from other machines),
    on a free port, for the duration of the run.
    """

    def __init__(self, listen_host: str, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._server = socket.create_server((listen_host, 0))
        self.address = f"{listen_host}:{self._server.getsockname()[1]}"
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._server, selectors.EVENT_READ)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sam-local-relay", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._server:
                    self._accept()
                else:
                    self._pump(sock)

    def _accept(self) -> None:
        inbound, _ = self._server.accept()
        try:
            outbound = socket.create_connection(self._target, timeout=10)
        except OSError:
            inbound.close()
            return
        for one, other in ((inbound, outbound), (outbound, inbound)):
            one.setblocking(False)
            self._peers[one] = other
            self._selector.register(one, selectors.EVENT_READ)

    def _pump(self, sock: socket.socket) -> None:
        other = self._peers.get(sock)
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data and other is not None:
            try:
                other.setblocking(True)
                other.sendall(data)
                other.setblocking(False)
                return
            except OSError:
                pass
        self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        for one in (sock, self._peers.get(sock)):
            if one is None or one not in self._peers:
                continue
            self._peers.pop(one, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(one)
            one.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for sock in list(self._peers):
            self._close(sock)
        self._selector.close()
        self._server.close()


# -- 5. one invocation through the container -----------------------------------------------------
@dataclass
class Result:
    case_id: str
    problems: list[str]
    seconds: float
    in_process_seconds: float | None = None
    in_process_problems: list[str] = field(default_factory=list)


def sam_invoke(
    logical_id: str,
    event_file: Path,
    env_vars_file: Path,
    endpoint_url: str,
    credentials: dict[str, str] | None = None,
) -> tuple[str, str, float]:
    """Run `sam local invoke`; returns (payload text, logs, wall seconds)."""
    command = [
        str(SAM), "local", "invoke", logical_id,
        "--template", str(BUILT_TEMPLATE),
        "--event", str(event_file),
        "--env-vars", str(env_vars_file),
        "--skip-pull-image",
        "--layer-cache-basedir", str(LAYER_CACHE),
        "--region", REGION,
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - argv built here, no shell
        command,
        cwd=REPO,
        env=sam_environment(endpoint_url, credentials),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - started
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    payload = lines[-1] if lines else ""
    if result.returncode != 0 and not payload:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        raise InvokeError(f"sam local invoke exited {result.returncode}: {tail}")
    return payload, result.stderr, seconds


class InvokeError(RuntimeError):
    """`sam local invoke` itself failed (no payload): the engine, the image or the template."""


def env_vars_for(functions: dict[str, dict[str, str]], endpoint: str) -> dict[str, dict[str, str]]:
    """SAM's --env-vars document: each function's variables as the local stack resolved them."""
    return {
        logical_id: {**variables, ENDPOINT_VARIABLE: endpoint} for logical_id, variables in functions.items()
    }


# -- the run -------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.sam_local", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--require-engine", action="store_true", help="fail instead of skipping without an engine"
    )
    parser.add_argument("--only", default="", help="run the cases whose id contains this text")
    parser.add_argument("--no-compare", action="store_true", help="skip the in-process comparison run")
    parser.add_argument("--no-build", action="store_true", help="reuse the last sam build as it is")
    parser.add_argument("--template", type=Path, default=REPO / "template.yaml", help="template to sam build")
    parser.add_argument(
        "--report", type=Path, default=BUILD / "report.json", help="timings and results as JSON"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    require = args.require_engine or os.environ.get("CI", "") not in ("", "0", "false")
    problem = engine_problem()
    if problem:
        if require:
            say(f"sam-local: FAILED: {problem} (CI=1/--require-engine: an engine is required)")
            return 1
        say(f"sam-local: skipped: {problem}")
        return 0

    started = time.perf_counter()
    ensure_base_image()
    if not args.no_build:
        sam_build(args.template)
    template = load_template(BUILT_TEMPLATE)
    made = ensure_managed_layers(layer_arns(template))
    if made:
        say(f"sam-local: offline stand-ins for managed layers {made} in {LAYER_CACHE.relative_to(REPO)}")

    from tools import invoke_table as table

    results: list[Result] = []
    functions = function_ids(template)
    failures = [f"COVERAGE {p}" for p in table.coverage_problems(functions)]
    missing_endpoint = [f for f in functions if not declares_endpoint_variable(template, f)]
    if missing_endpoint:
        failures.append(
            f"TEMPLATE {ENDPOINT_VARIABLE} is not declared for {', '.join(missing_endpoint)}: add "
            f"`{ENDPOINT_VARIABLE}: !Ref AWS::NoValue` to Globals.Function.Environment.Variables "
            "(absent in AWS; lets --env-vars point the SDK at the local cloud)"
        )
    # Without the declaration the handlers would call real AWS endpoints (with fake credentials): never.
    cases = [c for c in table.CASES if args.only in c.id and c.function in functions and not missing_endpoint]

    in_process: dict[str, Any] = {}
    if not args.no_compare and cases:
        in_process = run_in_process(cases)
    gateway = bridge_gateway()
    with table.seeded_cloud(output_dir=BUILD / "localcloud") as local:
        relay = Relay(gateway, local.port)
        try:
            env_file = BUILD / "env-vars.json"
            env_file.parent.mkdir(parents=True, exist_ok=True)
            env_file.write_text(
                json.dumps(env_vars_for(local.function_environments(), f"http://{relay.address}"), indent=2),
                encoding="utf-8",
            )
            for case in cases:
                results.append(run_case(case, local, env_file))
        finally:
            relay.close()
    compare(results, in_process)

    for line in failures:
        say(f"FAIL {line}")
    passed = sum(1 for r in results if not r.problems)
    failed = len(results) - passed + len(failures)
    write_report(args.report, results, failures, time.perf_counter() - started)
    say(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run_case(case: Any, local: Any, env_file: Path) -> Result:
    from tools import invoke_table as table

    before = table.Snapshot.take(local)
    try:
        event_file = case.event_file(BUILD / "events")
        credentials = local.role_credentials(case.function)
        payload, logs, seconds = sam_invoke(
            case.function, event_file, env_file, local.endpoint_url, credentials
        )
    except (InvokeError, subprocess.TimeoutExpired) as error:
        result = Result(case.id, [str(error)], 0.0)
    else:
        outcome = table.Outcome.from_payload_text(payload, logs, seconds)
        local.settle()
        result = Result(case.id, table.check(case, outcome, before, table.Snapshot.take(local)), seconds)
    status = "ok  " if not result.problems else "FAIL"
    detail = ": " + "; ".join(result.problems) if result.problems else ""
    say(f"{status} {case.id} ({result.seconds:.1f} s){detail}")
    return result


def run_in_process(cases: Sequence[Any]) -> dict[str, tuple[float, list[str]]]:
    """The same cases through the local cloud's in-process invoke, on a fresh cloud (run first, so the
    handlers load inside it): seconds and problems per case, for the per-invoke time ratio."""
    from tools import invoke_table as table

    found: dict[str, tuple[float, list[str]]] = {}
    with table.seeded_cloud(output_dir=BUILD / "localcloud-in-process") as local:
        for case in cases:
            before = table.Snapshot.take(local)
            outcome = local.invoke(case.function, case.event_body())
            local.settle()
            found[case.id] = (outcome.seconds, table.check(case, outcome, before, table.Snapshot.take(local)))
    return found


def compare(results: list[Result], in_process: dict[str, tuple[float, list[str]]]) -> None:
    for result in results:
        if result.case_id in in_process:
            result.in_process_seconds, result.in_process_problems = in_process[result.case_id]
            if result.in_process_problems != [] and not result.problems:
                say(f"note {result.case_id}: in-process differs: {'; '.join(result.in_process_problems)}")
    timed = [r for r in results if r.in_process_seconds and r.seconds]
    if timed:
        container = sum(r.seconds for r in timed) / len(timed)
        in_proc = sum(r.in_process_seconds or 0 for r in timed) / len(timed)
        say(
            f"per invoke (mean of {len(timed)} cases): sam local invoke {container:.2f} s, "
            f"local cloud in-process {in_proc * 1000:.0f} ms, ratio x{container / in_proc:.0f}"
        )


def write_report(path: Path, results: list[Result], failures: list[str], total: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "total_seconds": round(total, 2),
        "failures": failures,
        "cases": [
            {
                "case": r.case_id,
                "problems": r.problems,
                "sam_local_invoke_seconds": round(r.seconds, 3),
                "in_process_seconds": None
                if r.in_process_seconds is None
                else round(r.in_process_seconds, 4),
                "in_process_problems": r.in_process_problems,
            }
            for r in results
        ],
    }
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
