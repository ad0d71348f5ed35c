"""Fixtures of the local-cloud engine tests: the fixture app and a running local cloud on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud import LocalCloud, patches, patching
from localcloud.sagemaker_jobs import JobRunner
from tests.support.local_cloud import FIXTURE_TEMPLATE, REGION


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The fixture app deployed on a local cloud (one per test module; no SageMaker job runner)."""
    out = tmp_path_factory.mktemp("localcloud")
    with LocalCloud.start(
        template=FIXTURE_TEMPLATE, parameters={}, output_dir=out, job_runner=False
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def _clear_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "cloud" in request.fixturenames:
        request.getfixturevalue("cloud").faults.clear()


@pytest.fixture
def sfn_mock() -> Iterator[Any]:
    """A bare moto mock that executes state machines, with the patches applied (no stack, and no
    IAM: a module's local cloud may be running, its enforcer is set aside meanwhile)."""
    from localcloud.iam import enforcer

    running = enforcer.active()
    enforcer.deactivate()
    try:
        with patching.scoped():
            patches.apply_all()  # undone after the test (already applied, if a cloud runs: kept for it)
            with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
                yield boto3.client("stepfunctions", region_name=REGION)
    finally:
        if running is not None:
            enforcer.activate(running)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for the whole test, with fake credentials (the SageMaker job runner tests)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def emitted() -> list[dict[str, Any]]:
    """The events a ``runner`` fixture emitted, in order."""
    return []


@pytest.fixture
def runner(aws: None, emitted: list[dict[str, Any]]) -> Iterator[JobRunner]:
    """A SageMaker job runner on moto that appends its events to ``emitted``."""
    with JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05) as job_runner:
        yield job_runner
