"""Helpers of the local-cloud engine tests (waiting for executions, running a definition)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURE_APP = Path(__file__).parent / "fixtures" / "app"
FIXTURE_TEMPLATE = FIXTURE_APP / "template.yaml"
REGION = "us-east-1"


def run_definition(
    sfn: Any, definition: dict[str, Any], payload: Any, timeout: float = 20.0
) -> dict[str, Any]:
    """Create a state machine from `definition`, run it with `payload`, return describe_execution."""
    name = f"test-{time.monotonic_ns()}"
    arn = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    return wait_execution(sfn, execution, timeout)


def wait_execution(sfn: Any, execution_arn: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return dict(described)
        assert time.monotonic() < deadline, f"{execution_arn} still RUNNING"
        time.sleep(0.05)


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
