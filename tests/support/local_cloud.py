"""Helpers of the local-cloud engine tests (waiting for executions, running a definition)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from localcloud.waiting import wait_until

__all__ = ["FIXTURE_APP", "FIXTURE_TEMPLATE", "REGION", "run_definition", "wait_execution", "wait_until"]

FIXTURE_APP = Path(__file__).resolve().parents[1] / "localcloud" / "fixtures" / "app"
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


def service_role(cloud: Any, name: str, service: str, actions: list[str]) -> str:
    """A role `service` can assume, allowed `actions` on every resource: the execution role a test's
    own state machine or model needs now that the local cloud enforces IAM."""
    iam = cloud.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="test", PolicyDocument=json.dumps(policy))
    return arn


def wait_execution(sfn: Any, execution_arn: str, timeout: float = 20.0) -> dict[str, Any]:
    """describe_execution's answer once the execution has left RUNNING (any client: also over HTTP)."""

    def ended() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=execution_arn)
        return dict(described) if described["status"] != "RUNNING" else None

    return wait_until(ended, timeout, f"{execution_arn} to leave RUNNING")
