"""The retraining tests' names and readers: the state table, the retraining state machine and
pipeline the fixtures of tests/unit/retraining/conftest.py create on moto, and the batch runs'
histories StartRetraining reads to verify a drift event (moto's plain Step Functions does not run
state machines, so their histories are an in-memory fake)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.sagemaker.models import sagemaker_backends

from tests.support.helpers import ACCOUNT, REGION

TABLE = "mlops-loop-dev-state"
STATE_MACHINE = "mlops-loop-dev-retraining"
PIPELINE = "mlops-loop-dev-retraining-pipeline"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mlops-loop-dev-retraining"
BATCH_STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:mlops-loop-dev-batch-inference"


class BatchRunHistories:
    """GetExecutionHistory of the batch runs: a run that `put` a drift event has, as in Step Functions,
    a TaskScheduled of the EventBridge integration with the entry it put; an unknown run does not exist
    (ExecutionDoesNotExist, the error Step Functions answers)."""

    def __init__(self) -> None:
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[dict[str, Any]] = []

    def put(self, event: dict[str, Any]) -> dict[str, Any]:
        """Record `event` as put by the batch run its detail names (as PublishDriftEvent puts it)."""
        entry = {
            "EventBusName": "default",
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": event["detail"],
        }
        self.entries.setdefault(event["detail"]["executionArn"], []).append(entry)
        return event

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        arn = kwargs["executionArn"]
        if arn not in self.entries:
            raise ClientError(
                {"Error": {"Code": "ExecutionDoesNotExist", "Message": f"Execution Does Not Exist: '{arn}'"}},
                "GetExecutionHistory",
            )
        events: list[dict[str, Any]] = [{"id": 1, "type": "ExecutionStarted"}]
        for entry in self.entries[arn]:
            details = {
                "resourceType": "events",
                "resource": "putEvents",
                "region": REGION,
                "parameters": json.dumps({"Entries": [entry]}),
            }
            events.append(
                {"id": len(events) + 1, "type": "TaskScheduled", "taskScheduledEventDetails": details}
            )
        return {"events": list(reversed(events)) if kwargs.get("reverseOrder") else events}


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


def pipeline_executions() -> list[Any]:
    backend = sagemaker_backends[ACCOUNT][REGION]
    return list(backend.pipelines[PIPELINE].pipeline_executions.values())
