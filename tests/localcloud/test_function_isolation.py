"""Each function has its own module-level singletons, as each has its own process in AWS.

The fixture app runs two functions on the same code and the project's real shared layer
(`mlops_loop.observability` creates Powertools' Logger and Metrics at import), told apart only by
POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE. One test per thing the in-process
runtime does to give each function its own modules (see localcloud/README.md).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import InvokeResult, LocalCloud

TEMPLATE = Path(__file__).parent / "fixtures" / "isolation" / "template.yaml"


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    def start_cloud(name: str = "cloud") -> Any:
        return LocalCloud.start(
            template=TEMPLATE, parameters={}, output_dir=tmp_path / name, job_runner=False
        )

    yield start_cloud


def _records(result: InvokeResult) -> list[dict[str, Any]]:
    """The JSON lines the function printed (Powertools' log records and EMF metric blobs)."""
    found = []
    for line in result.logs.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def _log_services(result: InvokeResult) -> set[str]:
    return {r["service"] for r in _records(result) if r.get("message") == "observed"}


def _metric_namespaces(result: InvokeResult) -> list[str]:
    return [
        metric["Namespace"]
        for record in _records(result)
        for metric in record.get("_aws", {}).get("CloudWatchMetrics", [])
    ]


def test_each_function_logs_with_its_own_service_name(start):
    # Given two functions whose only difference is POWERTOOLS_SERVICE_NAME / _METRICS_NAMESPACE
    with start() as cloud:
        # When each is invoked (alpha first, so alpha's module is imported first)
        alpha = cloud.invoke("AlphaFunction", {"marker": "a"})
        beta = cloud.invoke("BetaFunction", {"marker": "b"})
        alpha_again = cloud.invoke("AlphaFunction", {"marker": "a2"})
    # Then each logs and counts under its own name, not under the first importer's
    assert alpha.ok and beta.ok and alpha_again.ok, (alpha, beta)
    assert (_log_services(alpha), _log_services(beta), _log_services(alpha_again)) == (
        {"alpha"},
        {"beta"},
        {"alpha"},
    )
    assert (_metric_namespaces(alpha), _metric_namespaces(beta)) == (["AlphaSpace"], ["BetaSpace"])
    # and each function keeps its own modules from one invocation to the next, and sees them
    # (not the host's, nor the other function's) when it imports at run time
    assert alpha.payload["sameModuleAtRunTime"] and beta.payload["sameModuleAtRunTime"]
    assert alpha.payload["observabilityModuleId"] == alpha_again.payload["observabilityModuleId"]
    assert alpha.payload["observabilityModuleId"] != beta.payload["observabilityModuleId"]


def _cold_start(result: InvokeResult) -> bool:
    (flag,) = {r["cold_start"] for r in _records(result) if r.get("message") == "observed"}
    return bool(flag)


def test_each_function_has_its_own_cold_start(start):
    # Given two functions sharing Powertools (whose cold-start flag is a module global)
    with start() as cloud:
        # When alpha is invoked twice, then beta, then alpha again
        first, second = cloud.invoke("AlphaFunction", {}), cloud.invoke("AlphaFunction", {})
        beta, third = cloud.invoke("BetaFunction", {}), cloud.invoke("AlphaFunction", {})
    # Then each function's first invocation is its cold start, as each has its own process in AWS
    assert [_cold_start(r) for r in (first, second, beta, third)] == [True, False, True, False]


def test_metrics_have_the_function_namespace_even_if_the_host_imported_the_layer_first(start, monkeypatch):
    # Given the host process imported the shared layer first, outside any function's environment
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    host = importlib.import_module("mlops_loop.observability")
    host_logger = host.logger
    with start() as cloud:
        # When a function is invoked
        result = cloud.invoke("AlphaFunction", {})
    # Then its metrics flush with its namespace (no "Must contain a metric namespace")
    assert result.ok, result
    assert _metric_namespaces(result) == ["AlphaSpace"]
    assert "namespace" not in (result.error_message or "")
    # and the host's modules are the ones it had, untouched
    assert sys.modules["mlops_loop.observability"] is host
    assert host.logger is host_logger
    assert result.payload["observabilityModuleId"] != id(host)


def test_a_second_cloud_in_the_same_process_captures_function_logs(start):
    # Given a cloud that ran a function and stopped (its Powertools logging handler stays in the
    # process's `logging` registry, bound to that cloud's stdout capture)
    with start("first") as first:
        earlier = first.invoke("AlphaFunction", {"marker": "first"})
    assert _log_services(earlier) == {"alpha"}
    # When a second cloud runs the same function
    with start("second") as second:
        result = second.invoke("AlphaFunction", {"marker": "second"})
        log_file = second.output_dir / "lambda-logs" / f"{second.function_name('AlphaFunction')}.log"
    # Then the function's log lines are in the second cloud's capture and its log file
    markers = [r.get("marker") for r in _records(result) if r.get("message") == "observed"]
    assert markers == ["second"]
    assert '"marker":"second"' in log_file.read_text().replace(" ", "")


def test_a_function_first_loaded_after_stdout_was_replaced_is_still_captured(start, monkeypatch):
    # Given a cloud whose std streams were replaced after it started (pytest does this per test)
    with start() as cloud:
        import io

        replaced = io.StringIO()
        monkeypatch.setattr(sys, "stdout", replaced)
        monkeypatch.setattr(sys, "stderr", replaced)
        # When a function is loaded (its logging handler binds to the stream of that moment)
        first = cloud.invoke("AlphaFunction", {"marker": "init"})
        second = cloud.invoke("AlphaFunction", {"marker": "warm"})
    # Then both invocations' log lines are in their own captures, not in the replaced stream
    assert [r.get("marker") for r in _records(first) if r.get("message") == "observed"] == ["init"]
    assert [r.get("marker") for r in _records(second) if r.get("message") == "observed"] == ["warm"]
    assert '"marker"' not in replaced.getvalue()


def test_clients_are_not_created_while_an_invocation_switches_the_process_environment(start):
    # botocore iterates os.environ to find proxies whenever a client is created; an invocation on
    # another thread clearing and restoring it made that iteration raise KeyError (a pipeline step
    # failed with "KeyError: 'AWS_EXECUTION_ENV'"). The switch and the lookup share one lock.
    import threading

    import boto3
    import botocore.endpoint

    from localcloud import lambda_runtime

    with start() as cloud:
        assert cloud.invoke("AlphaFunction", {"marker": "a"}).ok  # the guard is in place once a function ran
        created = threading.Event()

        def create_client() -> None:
            boto3.session.Session(region_name="us-east-1").client("s3")
            created.set()

        # Given an environment switch in progress on another thread (the lock held)
        with lambda_runtime.ENVIRON_LOCK:
            worker = threading.Thread(target=create_client)
            worker.start()
            # Then a client being created waits for it to end
            assert not created.wait(0.5)
        assert created.wait(10)
        worker.join()
        assert getattr(botocore.endpoint.get_environ_proxies, "_localcloud", False)
