"""What a control-plane handler loads on a cold start (issue 3, Budgets: cold import <= 1.5x boto3).

Each handler module is imported in a fresh interpreter with the deployed environment (tracing not
disabled), and its `sys.modules` is checked for the two heavy imports the budget work removed:
the X-Ray SDK (Powertools `Tracer()` builds a botocore client at import) and Powertools' catalogue
of parser models. The timing itself is a benchmark (`python -m benchmarks lambda_budgets`), not a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTROL_PLANE = (
    "start_batch_inference",
    "resolve_model",
    "model_package_state_change",
    "notify_failure",
    "start_retraining",
    "check_freshness",
)
DATA_PLANE = ("monitor_batch", "prepare_training_data", "evaluate_model", "compute_baseline")
FORBIDDEN = ("aws_xray_sdk", "aws_lambda_powertools.utilities.parser.models", "mlops_loop.tracing")

# The settings model each handler parses (mlops_loop.settings; prepare_training_data's lives in
# mlops_loop.retraining.settings); evaluate_model and compute_baseline read no settings.
SETTINGS_OF = {
    "start_batch_inference": "StartBatchInferenceSettings",
    "resolve_model": "ResolveModelSettings",
    "model_package_state_change": "ModelPackageStateChangeSettings",
    "notify_failure": "NotifyFailureSettings",
    "start_retraining": "StartRetrainingSettings",
    "check_freshness": "CheckFreshnessSettings",
    "monitor_batch": "MonitorBatchSettings",
}

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
from mlops_loop import settings
built = sorted(
    name for name, value in vars(settings).items()
    if isinstance(value, type) and issubclass(value, settings.FunctionSettings)
    and value.__pydantic_complete__
)
print(json.dumps({"modules": sorted(sys.modules), "built_settings": built}))
"""


def probe(module: str) -> dict[str, list[str]]:
    env = dict(os.environ)
    env.pop("POWERTOOLS_TRACE_DISABLED", None)  # as deployed: the Tracer would be on
    env.update(AWS_LAMBDA_FUNCTION_NAME="import-probe", PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def loaded_modules(module: str) -> set[str]:
    return set(probe(module)["modules"])


def test_every_function_is_classified():
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}
    assert folders == set(CONTROL_PLANE) | set(DATA_PLANE)


@pytest.mark.parametrize("name", CONTROL_PLANE)
def test_control_plane_handler_skips_xray_sdk_and_parser_catalogue(name):
    # Given a fresh interpreter, When the handler module is imported
    modules = loaded_modules(f"functions.{name}.app")
    # Then it is really loaded, and none of the heavy modules came with it
    assert f"functions.{name}.app" in modules
    pulled = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert pulled == [], f"{name} imports {pulled[:5]} on its cold path"


@pytest.mark.parametrize("name", sorted(SETTINGS_OF))
def test_handler_builds_its_own_settings_model_at_import_and_no_other(name):
    # Settings models are defer_build; the handler's declare() builds its one model during init,
    # so the first invocation does not pay for it and no function pays for the others.
    assert probe(f"functions.{name}.app")["built_settings"] == [SETTINGS_OF[name]]


def test_data_plane_handler_keeps_the_tracer():
    # The probe sees the X-Ray SDK when it is there (so the control-plane check can fail).
    modules = loaded_modules("functions.compute_baseline.app")
    assert "aws_xray_sdk.core" in modules
    assert "mlops_loop.tracing" in modules
