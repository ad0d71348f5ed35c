"""tools.check_error_names: the real ASL passes; a definition naming dead errors fails, naming each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from localcloud import sfn_errors
from tools import check_error_names

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "dead_error_names.asl.json"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.check_error_names", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def _dead_names(definition: dict[str, Any]) -> set[tuple[str, str]]:
    """(state, name) of every name in a handler the fixture marks DEAD (its Comment)."""
    dead: set[tuple[str, str]] = set()
    for name, state in definition["States"].items():
        for handler in state.get("Retry", []) + state.get("Catch", []):
            if handler.get("Comment", "").startswith("DEAD"):
                dead.update((name, error) for error in handler["ErrorEquals"])
    return dead


def test_the_state_machines_name_only_errors_their_tasks_can_raise() -> None:
    result = _run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_definition_with_dead_names_fails_with_one_line_per_name() -> None:
    result = _run(str(FIXTURE))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    dead = _dead_names(json.loads(FIXTURE.read_text()))
    assert len(dead) == 10
    found = set()
    for line in lines:
        assert line.startswith("tests/unit/fixtures/dead_error_names.asl.json: "), line
        state = line.split(": ")[1]
        name = line.split(" names ")[1].split("'")[1]
        found.add((state, name))
    assert found == dead  # every dead name, and not one of the names that can happen


def test_the_throttling_names_are_the_ones_aws_gives() -> None:
    # A throttled call answers ThrottlingException (SageMaker, EventBridge: Common Errors) or
    # Throttling (SNS's query API); SageMaker and SNS do not model it, EventBridge does.
    model_package = sfn_errors.aws_sdk("sagemaker", "createModelPackage")
    assert model_package.error_name("ThrottlingException") == "SageMaker.SageMakerException"
    assert sfn_errors.optimized("sagemaker", "createModel").error_name("ThrottlingException") == (
        "SageMaker.AmazonSageMakerException"
    )
    transform = sfn_errors.optimized("sagemaker", "createTransformJob.sync")
    assert transform.error_name("ResourceLimitExceeded") == "SageMaker.ResourceLimitExceededException"
    assert sfn_errors.optimized("sns", "publish").error_name("Throttling") == "SNS.AmazonSNSException"
    assert sfn_errors.optimized("events", "putEvents").error_name("ThrottlingException") == (
        "EventBridge.ThrottlingException"
    )
    assert sfn_errors.optimized("dynamodb", "deleteItem").error_name("RequestLimitExceeded") == (
        "DynamoDB.RequestLimitExceededException"
    )
    assert sfn_errors.optimized("lambda", "invoke").error_name("TooManyRequestsException") == (
        "Lambda.TooManyRequestsException"
    )


def test_an_integration_without_naming_rules_is_reported_not_passed(tmp_path: Path) -> None:
    definition = {
        "StartAt": "Glue",
        "States": {
            "Glue": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Retry": [{"ErrorEquals": ["Glue.AWSGlueException"]}],
                "End": True,
            }
        },
    }
    path = tmp_path / "glue.asl.json"
    path.write_text(json.dumps(definition))
    problems = check_error_names.check(path)
    assert len(problems) == 1
    assert "Glue: cannot tell what it raises" in problems[0]


@pytest.mark.parametrize("asl", ["batch_inference.asl.json", "retraining.asl.json"])
def test_every_lambda_retrier_retries_what_aws_best_practice_lists(asl: str) -> None:
    # Step Functions Developer Guide, bp-lambda-serviceexception.
    best_practice = {
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
    }
    lambda_tasks = 0

    def visit(states: dict[str, Any]) -> None:
        nonlocal lambda_tasks
        for name, state in states.items():
            if state.get("Resource") == "arn:aws:states:::lambda:invoke":
                lambda_tasks += 1
                retried = {error for rule in state.get("Retry", []) for error in rule["ErrorEquals"]}
                assert best_practice <= retried, f"{asl}:{name} retries {sorted(retried)}"
            for key in ("ItemProcessor", "Iterator"):
                if key in state:
                    visit(state[key]["States"])

    visit(json.loads((ROOT / "statemachines" / asl).read_text())["States"])
    assert lambda_tasks >= 3
