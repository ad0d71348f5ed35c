"""The retraining state machine's definition: structure, substitutions, and its failure path executed
on moto's interpreter (the full run with real jobs is exercised on the local cloud)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from mlops_loop.retraining.training import XGBOOST_HYPERPARAMETERS
from moto import mock_aws

from tests.support.helpers import ACCOUNT, GROUP, REGION
from tests.support.retraining import ROLE, TABLE, create_state_table

ASL = Path(__file__).resolve().parents[3] / "statemachines" / "retraining.asl.json"
ALLOWED = {
    "PrepareTrainingDataFunctionArn",
    "EvaluateModelFunctionArn",
    "ComputeBaselineFunctionArn",
    "SageMakerExecutionRoleArn",
    "XGBoostImageUri",
    "ArtifactsBucket",
    "StateTableName",
    "NotificationTopicArn",
    "ModelPackageGroupName",
    "QualityGateMinAuc",
    "TrainingInstanceType",
    "TransformInstanceType",
    "KmsKeyArn",
    # the stack's cost-attribution tags on every job and model a run creates
    "EnvironmentName",
    "ProjectTag",
    "OwnerTag",
    "CostCenterTag",
    "StackName",
}


def definition() -> dict[str, Any]:
    return json.loads(ASL.read_text())


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))


def test_only_the_agreed_substitutions_are_used() -> None:
    used = placeholders(ASL.read_text())
    assert used <= ALLOWED, used - ALLOWED
    assert {"StateTableName", "XGBoostImageUri", "QualityGateMinAuc", "KmsKeyArn"} <= used


def test_every_task_retries_throttling_and_catches_everything() -> None:
    states = definition()["States"]
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        assert state.get("Retry"), name
        assert all(r["BackoffRate"] >= 2 and r["MaxAttempts"] >= 3 for r in state["Retry"]), name
        assert any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])), name


def test_every_transition_exists_and_every_state_is_reachable() -> None:
    doc = definition()
    states = doc["States"]
    edges: dict[str, set[str]] = {}
    for name, state in states.items():
        targets = {state["Next"]} if "Next" in state else set()
        targets |= {c["Next"] for c in state.get("Catch", [])}
        targets |= {c["Next"] for c in state.get("Choices", [])}
        if "Default" in state:
            targets.add(state["Default"])
        assert targets <= set(states), (name, targets - set(states))
        edges[name] = targets
    seen, todo = set(), [doc["StartAt"]]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(edges[current])
    assert seen == set(states)


def test_the_documented_order_of_steps() -> None:
    states = definition()["States"]
    path, current = [], "PrepareTrainingData"
    while current in states and states[current]["Type"] != "Succeed":
        path.append(current)
        state = states[current]
        current = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state["Next"]
    assert path == [
        "PrepareTrainingData",
        "TrainModel",
        "CreateCandidateModel",
        "ScoreTestSet",
        "EvaluateModel",
        "QualityGate",
        "ComputeBaseline",
        "RegisterModelPackage",
        "ReleaseLock",
    ]
    assert states["QualityGate"]["Default"] == "ReleaseLockAfterGateFailure"
    assert states["ReleaseLockAfterGateFailure"]["Next"] == "QualityGateFailed"
    assert states["QualityGateFailed"]["Error"] == "QualityGateFailed"


def test_training_and_registration_parameters() -> None:
    states = definition()["States"]
    train = states["TrainModel"]
    assert train["Resource"] == "arn:aws:states:::sagemaker:createTrainingJob.sync"
    assert train["Arguments"]["HyperParameters"] == XGBOOST_HYPERPARAMETERS
    assert all(isinstance(v, str) for v in train["Arguments"]["HyperParameters"].values())
    assert train["Arguments"]["OutputDataConfig"]["KmsKeyId"] == "${KmsKeyArn}"
    register = states["RegisterModelPackage"]["Arguments"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert set(register["ModelMetrics"]) == {"ModelQuality", "ModelDataQuality"}
    assert set(register["DriftCheckBaselines"]["ModelDataQuality"]) == {"Statistics", "Constraints"}
    assert set(register["CustomerMetadataProperties"]) >= {
        "reason",
        "episodeId",
        "sourceExecutionArn",
        "trainingJobName",
        "auc",
    }


def substituted(function_arn: str) -> str:
    values = {
        "PrepareTrainingDataFunctionArn": function_arn,
        "EvaluateModelFunctionArn": function_arn,
        "ComputeBaselineFunctionArn": function_arn,
        "SageMakerExecutionRoleArn": ROLE,
        "XGBoostImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "ArtifactsBucket": "artifacts",
        "StateTableName": TABLE,
        "NotificationTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:topic",
        "ModelPackageGroupName": GROUP,
        "QualityGateMinAuc": "0.9",
        "TrainingInstanceType": "ml.m5.large",
        "TransformInstanceType": "ml.m5.large",
        "KmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000",
    }
    text = ASL.read_text()
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    return text


def run_to_end(holder: str | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Execute with a PrepareTrainingData function that does not exist: the run fails at once."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    ddb = boto3.client("dynamodb", region_name=REGION)
    create_state_table()
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:does-not-exist"
    arn = sfn.create_state_machine(name="retraining", definition=substituted(missing), roleArn=ROLE)[
        "stateMachineArn"
    ]
    name = "retrain-episode-1"
    key = {"id": {"S": f"retraining-lock#{GROUP}"}}
    if holder:
        ddb.put_item(TableName=TABLE, Item={**key, "holder": {"S": holder}})
    given = {
        "runId": name,
        "reason": "drift",
        "episodeId": "episode-1",
        "modelPackageGroupName": GROUP,
        "trainingDataS3Uri": "s3://artifacts/training-data/",
    }
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(given))["executionArn"]
    deadline = time.time() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.time() < deadline, "execution did not finish"
        time.sleep(0.2)
    lock = ddb.get_item(TableName=TABLE, Key=key).get("Item")
    return described, lock


@pytest.fixture
def executing() -> Any:
    # The definition is JSONata; moto's interpreter needs jsonata-python wired (localcloud.patches).
    from localcloud.patches import patch_jsonata
    from localcloud.patching import scoped

    with scoped():  # moto as shipped again after the test
        patch_jsonata()
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield


def test_a_failed_step_releases_the_lock_and_fails_with_a_cause_naming_the_step(executing: None) -> None:
    described, lock = run_to_end(holder="retrain-episode-1")

    assert described["status"] == "FAILED"
    assert lock is None
    assert described.get("error")  # the failed step's own error name
    cause = json.loads(described["cause"])  # FailureCause, as NotifyFailure parses it
    assert cause["step"] == "PrepareTrainingData"
    assert (cause["runId"], cause["reason"]) == ("retrain-episode-1", "drift")
    assert cause["modelPackageGroupName"] == GROUP


def test_a_lock_held_by_another_run_is_left_alone(executing: None) -> None:
    described, lock = run_to_end(holder="retrain-someone-else")

    assert described["status"] == "FAILED"
    assert lock is not None and lock["holder"]["S"] == "retrain-someone-else"
