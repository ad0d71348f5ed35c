"""Fixtures of the retraining tests: the state table, a retraining state machine (moto: executions
stay RUNNING, as a long training run does), the start functions' environment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from mlops_loop.retraining.training import PIPELINE_PARAMETER_NAMES
from moto.sagemaker.models import sagemaker_backends

from tests.conftest import _reset_caches
from tests.helpers import ACCOUNT, REGION

TABLE = "mlops-loop-dev-state"
STATE_MACHINE = "mlops-loop-dev-retraining"
PIPELINE = "mlops-loop-dev-retraining-pipeline"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mlops-loop-dev-retraining"


@dataclass
class Retraining:
    env: dict[str, str]
    table: str
    state_machine_arn: str

    def executions(self) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"]

    def lock(self, group: str) -> dict[str, Any] | None:
        ddb = boto3.client("dynamodb", region_name=REGION)
        item = ddb.get_item(TableName=self.table, Key={"id": {"S": f"retraining-lock#{group}"}}).get("Item")
        return {k: next(iter(v.values())) for k, v in item.items()} if item else None

    def release_lock(self, group: str) -> None:
        """What the state machine's ReleaseLock state does at the end of a run."""
        boto3.client("dynamodb", region_name=REGION).delete_item(
            TableName=self.table, Key={"id": {"S": f"retraining-lock#{group}"}}
        )


def create_state_table(name: str = TABLE) -> None:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
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
        "RETRAINING_STATE_MACHINE_ARN": arn,
        "RETRAINING_PIPELINE_NAME": "",
        "TRAINING_DATA_S3_URI": f"s3://{function_env['ARTIFACTS_BUCKET']}/training-data/",
        "MAX_MODEL_AGE_DAYS": "0",
        "QUALITY_GATE_MIN_AUC": "0.80",  # the template's QualityGateMinAuc default
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _reset_caches()
    return Retraining({**function_env, **env}, TABLE, arn)


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
    _reset_caches()
    return PIPELINE


def pipeline_executions() -> list[Any]:
    backend = sagemaker_backends[ACCOUNT][REGION]
    return list(backend.pipelines[PIPELINE].pipeline_executions.values())
