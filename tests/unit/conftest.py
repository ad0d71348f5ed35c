"""Fixtures of more than one unit-test folder: the retraining set-up (state table, a retraining
state machine on moto, the start functions' environment), which retraining/ and model_quality/ use:
a degraded verdict starts a retraining through the same starter as drift."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support.caches import reset_caches
from tests.support.helpers import REGION
from tests.support.retraining import (
    BATCH_STATE_MACHINE,
    ROLE,
    STATE_MACHINE,
    TABLE,
    Retraining,
    create_state_table,
)


@pytest.fixture
def retraining(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Retraining:
    create_state_table()
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(name=STATE_MACHINE, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    env = {
        "STATE_TABLE_NAME": TABLE,
        "BATCH_INFERENCE_STATE_MACHINE_ARN": BATCH_STATE_MACHINE,
        "RETRAINING_STATE_MACHINE_ARN": arn,
        "RETRAINING_PIPELINE_NAME": "",
        "TRAINING_DATA_S3_URI": f"s3://{function_env['ARTIFACTS_BUCKET']}/training-data/",
        "MAX_MODEL_AGE_DAYS": "0",
        "QUALITY_GATE_MIN_AUC": "0.80",  # the template's QualityGateMinAuc default
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    return Retraining({**function_env, **env}, TABLE, arn)
