"""Fixtures of the retraining tests: the state table, a retraining state machine (moto: executions
stay RUNNING, as a long training run does), the start functions' environment, and the batch runs'
histories StartRetraining reads to verify a drift event (moto's plain Step Functions does not run
state machines, so their histories are an in-memory fake)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from mlops_loop.retraining import drift
from mlops_loop.retraining.provenance import Provenance, verify_drift_event
from mlops_loop.retraining.training import PIPELINE_PARAMETER_NAMES

from tests.support.caches import reset_caches
from tests.support.helpers import REGION
from tests.support.retraining import (
    PIPELINE,
    ROLE,
    BatchRunHistories,
    Retraining,
)


@pytest.fixture
def pipeline(retraining: Retraining, monkeypatch: pytest.MonkeyPatch) -> str:
    """The SageMaker Pipeline target: a pipeline declaring the parameters the starter passes."""
    sm = boto3.client("sagemaker", region_name=REGION)
    definition = {
        "Version": "2020-12-01",
        "Parameters": [
            *({"Name": n, "Type": "String"} for n in PIPELINE_PARAMETER_NAMES),
            {"Name": "QualityGateMinAuc", "Type": "Float", "DefaultValue": 0.9},
        ],
        "Steps": [],
    }
    sm.create_pipeline(PipelineName=PIPELINE, PipelineDefinition=json.dumps(definition), RoleArn=ROLE)
    monkeypatch.setenv("RETRAINING_PIPELINE_NAME", PIPELINE)
    reset_caches()
    return PIPELINE


@pytest.fixture
def batch_runs(monkeypatch: pytest.MonkeyPatch) -> BatchRunHistories:
    """StartRetraining verifies drift events against these histories (the real check, a fake source)."""
    histories = BatchRunHistories()

    def verify(**kwargs: Any) -> Provenance:
        return verify_drift_event(**kwargs, sfn=histories)

    monkeypatch.setattr(drift, "verify_drift_event", verify)
    return histories


@pytest.fixture
def genuine_drift_events(batch_runs: BatchRunHistories, monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests of what happens after the check: every drift event is one its batch run put
    (tests/unit/retraining/test_retraining_provenance.py tests the check itself)."""
    monkeypatch.setattr(drift, "verify_drift_event", lambda **kwargs: Provenance(True))
