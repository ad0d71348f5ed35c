"""The local cloud's changes to moto, botocore and boto3 last as long as the cloud: after it stops,
those libraries are as shipped, so tests of plain moto can run in the same process after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud, patches, patching
from tests.support.local_cloud import FIXTURE_TEMPLATE

_MISSING = object()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, str, Any]]:
    """Every attribute the local cloud replaces, with the owner's own entry before it did."""
    seen: list[tuple[Any, str, Any]] = []
    original = patching.replace

    def replace(owner: Any, name: str, value: Any) -> None:
        seen.append((owner, name, vars(owner).get(name, _MISSING)))
        original(owner, name, value)

    monkeypatch.setattr(patching, "replace", replace)
    for module in (patches,):  # modules that imported it by name
        monkeypatch.setattr(module, "replace", replace)
    return seen


def test_after_a_cloud_stops_every_library_it_changed_is_as_before(tmp_path: Path, recorded):
    # Given the patches applied before any cloud (the unit tests' one, applied for the process)
    before = set(patches.applied())
    from moto.cloudformation import parsing

    # When a cloud runs: a stack deployed, a function invoked, an execution run, served over HTTP
    with LocalCloud.start(
        template=FIXTURE_TEMPLATE, parameters={}, output_dir=tmp_path, job_runner=False
    ) as cloud:
        assert cloud.invoke("EchoFunction", {"name": "scope"}).ok
        arn = cloud.start_execution("FlowStateMachine", {"name": "scope"})
        assert cloud.wait_for_execution(arn)["status"] == "SUCCEEDED"
        cloud.serve()
        assert "AWS::SageMaker::ModelPackageGroup" in parsing.get_model_map()
    # Then it had changed moto, botocore and boto3 in many places
    owners = {getattr(owner, "__module__", None) or owner.__name__ for owner, _, _ in recorded}
    assert len(recorded) > 30, recorded
    assert any(str(name).startswith("moto") for name in owners)
    assert any(str(name).startswith("botocore") for name in owners)
    # and each attribute is again what its owner held before (moto's own methods, not wrappers); an
    # attribute replaced twice (the Rules check, then the served change sets) by its first previous
    first: dict[tuple[int, str], tuple[Any, str, Any]] = {}
    for owner, name, previous in recorded:
        first.setdefault((id(owner), name), (owner, name, previous))
    changed = [
        f"{getattr(owner, '__name__', owner)}.{name}"
        for owner, name, previous in first.values()
        if vars(owner).get(name, _MISSING) is not previous
    ]
    assert changed == []
    # and the patches applied are the ones applied before, and moto's CloudFormation models its own
    # types only again
    assert set(patches.applied()) == before
    assert "AWS::SageMaker::ModelPackageGroup" not in parsing.get_model_map()


def test_a_second_cloud_after_the_first_is_patched_again(tmp_path: Path):
    # Given a cloud that has come and gone
    with LocalCloud.start(
        template=FIXTURE_TEMPLATE, parameters={}, output_dir=tmp_path / "a", job_runner=False
    ):
        pass
    # When another starts, then its functions run in-process again and its executions end
    with LocalCloud.start(
        template=FIXTURE_TEMPLATE, parameters={}, output_dir=tmp_path / "b", job_runner=False
    ) as cloud:
        result = cloud.invoke("EchoFunction", {"name": "again"})
        assert result.ok, result.error_message
        assert json.dumps(result.payload)
        arn = cloud.start_execution("FlowStateMachine", {"name": "again"})
        assert cloud.wait_for_execution(arn)["status"] == "SUCCEEDED"


def test_plain_moto_after_a_cloud_keeps_an_execution_running_as_shipped(tmp_path: Path):
    # Given a cloud that has come and gone (it executes state machines; plain moto does not)
    import boto3
    from moto import mock_aws

    with LocalCloud.start(template=FIXTURE_TEMPLATE, parameters={}, output_dir=tmp_path, job_runner=False):
        pass
    # When plain moto starts an execution, as the unit tests' retraining lock relies on
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="plain",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        # Then it stays RUNNING, as moto ships it (the cloud's backends are not left behind)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
