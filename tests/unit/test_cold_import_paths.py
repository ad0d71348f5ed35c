"""What a handler loads on a cold start (issue 3, Budgets: cold import <= 1.5x boto3).

Each handler module is imported in a fresh interpreter with the deployed environment (tracing not
disabled), and its `sys.modules` is checked for the heavy imports the budget work removed: the
X-Ray SDK (Powertools `Tracer()` builds a botocore client at import) and Powertools' catalogue of
parser models on the control plane, and pydantic on every function (events and settings are
msgspec models). The timing itself is a benchmark (`python -m benchmarks lambda_budgets`), not a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.lambda_budgets.planes import CONTROL_PLANE, DATA_PLANE

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("aws_xray_sdk", "aws_lambda_powertools.utilities.parser.models", "mlops_loop.tracing")

# pydantic and its core cost ~60 ms of import before a single model; the shared layer uses msgspec.
NO_HANDLER_LOADS = ("pydantic", "pydantic_core")

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(module: str) -> set[str]:
    """`sys.modules` after importing `module` in a fresh interpreter."""
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
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def pulled(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def test_every_function_is_classified():
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}
    assert folders == set(CONTROL_PLANE) | set(DATA_PLANE)


@pytest.mark.parametrize("name", CONTROL_PLANE)
def test_control_plane_handler_skips_xray_sdk_and_parser_catalogue(name):
    # Given a fresh interpreter, When the handler module is imported
    modules = loaded_modules(f"functions.{name}.app")
    # Then it is really loaded, and none of the heavy modules came with it
    assert f"functions.{name}.app" in modules
    heavy = pulled(modules, FORBIDDEN)
    assert heavy == [], f"{name} imports {heavy[:5]} on its cold path"


@pytest.mark.parametrize("name", CONTROL_PLANE + DATA_PLANE)
def test_no_handler_imports_pydantic(name):
    # Given a fresh interpreter, When the handler module is imported
    modules = loaded_modules(f"functions.{name}.app")
    # Then its models are msgspec's, and pydantic is not loaded at all
    assert f"functions.{name}.app" in modules
    assert "msgspec" in modules
    heavy = pulled(modules, NO_HANDLER_LOADS)
    assert heavy == [], f"{name} imports {heavy[:5]} on its cold path"


def test_the_probe_sees_pydantic_when_something_imports_it():
    # Powertools' parser models are pydantic classes (so the pydantic check can fail).
    modules = loaded_modules("aws_lambda_powertools.utilities.parser.models")
    assert {"pydantic", "pydantic_core"} <= modules


def test_data_plane_handler_keeps_the_tracer():
    # The probe sees the X-Ray SDK when it is there (so the control-plane check can fail).
    modules = loaded_modules("functions.compute_baseline.app")
    assert "aws_xray_sdk.core" in modules
    assert "mlops_loop.tracing" in modules
