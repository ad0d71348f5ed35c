"""The local cloud refuses what AWS would refuse, on the real template and the real handlers.

Rejecting the last Approved version is the path where `registry.latest_approved` asks
`DescribeModelPackageGroup` whether the group still exists: with the grant the rejection is told
and the live record cleared; without it the function fails with AWS's AccessDeniedException naming
the action, as it would in AWS (and as it did before the grant was added to the template).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from localcloud import wait_until
from story import demo

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.integration


@pytest.fixture
def story(tmp_path: Path) -> Iterator[demo.Story]:
    with demo.demo_cloud(TEMPLATE, tmp_path, now=START) as (cloud, _endpoint, seed):
        story = demo.Story(cloud, demo.Timeline(quiet=True), seed, step_timeout=180)
        story.v1_approved()
        yield story


def _remove_statement(cloud: Any, role_logical_id: str, sid: str) -> None:
    iam = cloud.client("iam")
    role = cloud.stack.physical_id(role_logical_id)
    removed = 0
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        kept = [s for s in document["Statement"] if s.get("Sid") != sid]
        removed += len(document["Statement"]) - len(kept)
        if len(kept) != len(document["Statement"]):
            iam.put_role_policy(
                RoleName=role,
                PolicyName=name,
                PolicyDocument=json.dumps({"Version": "2012-10-17", **document, "Statement": kept}),
            )
    assert removed == 1, f"{role_logical_id} has no statement {sid}"


def _reject_v1(story: demo.Story) -> None:
    story.sm.update_model_package(
        ModelPackageArn=story.record.v1_arn, ModelApprovalStatus="Rejected", ApprovalDescription="bad model"
    )


def test_rejecting_the_last_approved_version_is_told_and_clears_the_live_record(story: demo.Story) -> None:
    # Given v1, the only Approved version, live
    # When a person rejects it
    _reject_v1(story)
    # Then people are told, and no version is live any more
    wait_until(
        lambda: any(m.subject and "Rejected" in m.subject for m in story.cloud.outbox.messages),
        30,
        "the notice",
    )
    wait_until(
        lambda: json.loads(story.live_raw())["modelPackageArn"] is None, 30, "the live record to be cleared"
    )
    denied = [r for r in story.cloud.iam.records if not r.allowed]
    assert denied == []


def test_without_describe_model_package_group_the_rejection_fails_as_in_aws(story: demo.Story) -> None:
    # Given the function's role without the grant the template now has
    _remove_statement(story.cloud, "ModelPackageStateChangeFunctionRole", "DescribeTheGroup")
    with story.cloud.iam.expecting_denials():
        # When v1 is rejected
        _reject_v1(story)
        # Then the call is denied with AWS's code and message, naming the action and the group
        record = wait_until(
            lambda: next((r for r in story.cloud.iam.records if not r.allowed), None), 30, "the denied call"
        )
        story.settle("after the rejection")
    assert record.action == "sagemaker:DescribeModelPackageGroup"
    assert record.resource.endswith(f":model-package-group/{story.record.group}")
    assert (
        record.reason
        == "because no identity-based policy allows the sagemaker:DescribeModelPackageGroup action"
    )
    assert not any(m.subject and "Rejected" in m.subject for m in story.cloud.outbox.messages)
    # and the function failed on it: once, then on each of Lambda's two asynchronous retries
    denied = [r for r in story.cloud.iam.records if not r.allowed]
    assert [r.action for r in denied] == ["sagemaker:DescribeModelPackageGroup"] * 3
