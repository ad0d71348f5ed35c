"""Fixtures of the local-cloud engine tests: the fixture app and a running local cloud on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from lc_testkit import FIXTURE_TEMPLATE, REGION
from moto import mock_aws

from localcloud import LocalCloud, patches


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
    """A bare moto mock that executes state machines, with the patches applied (no stack)."""
    patches.apply_all()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name=REGION)
