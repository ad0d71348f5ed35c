"""The EventBridge rules Step Functions manages for `.sync` tasks, authorized when a state machine
is created or updated, as AWS does.

Step Functions' "IAM policies for Amazon SageMaker" / "...for AWS Step Functions" pages list, for
each `.sync` integration, `events:PutTargets`, `events:PutRule` and `events:DescribeRule` on a rule
it manages (`StepFunctionsGetEventsForSageMakerTrainingJobsRule`, ...). A role without them is
refused at CreateStateMachine with AccessDeniedException "'<role ARN>' is not authorized to create
managed-rule." (as quoted from AWS in serverless-operations/serverless-step-functions#385 and
nasa/cumulus#2693), so the stack does not deploy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from localcloud.iam.catalog import Need
from localcloud.iam.decision import Decision
from localcloud.iam.enforcer import Enforcer

_RULE = "StepFunctionsGetEventsFor"
MANAGED_RULES: Mapping[str, str] = {
    "arn:aws:states:::sagemaker:createTrainingJob.sync": f"{_RULE}SageMakerTrainingJobsRule",
    "arn:aws:states:::sagemaker:createTransformJob.sync": f"{_RULE}SageMakerTransformJobsRule",
    "arn:aws:states:::sagemaker:createProcessingJob.sync": f"{_RULE}SageMakerProcessingJobsRule",
    "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync": f"{_RULE}SageMakerTuningJobsRule",
    "arn:aws:states:::states:startExecution.sync": f"{_RULE}StepFunctionsExecutionRule",
    "arn:aws:states:::states:startExecution.sync:2": f"{_RULE}StepFunctionsExecutionRule",
}
RULE_ACTIONS = ("events:PutTargets", "events:PutRule", "events:DescribeRule")


def _states(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every state, nested ones (Parallel branches, Map processors) included."""
    if isinstance(node, Mapping):
        for state in (node.get("States") or {}).values():
            if isinstance(state, Mapping):
                yield state
                for branch in state.get("Branches") or []:
                    yield from _states(branch)
                for key in ("ItemProcessor", "Iterator"):
                    if key in state:
                        yield from _states(state[key])


def managed_rules(definition: str) -> set[str]:
    try:
        document = json.loads(definition)
    except ValueError:
        return set()
    return {
        MANAGED_RULES[state["Resource"]]
        for state in _states(document)
        if isinstance(state.get("Resource"), str) and state["Resource"] in MANAGED_RULES
    }


def denial(enforcer: Enforcer, role_arn: str, definition: str, region: str, account: str) -> Decision | None:
    """The first managed-rule permission the role lacks, or None."""
    principal = enforcer.role_principal(role_arn, "states")
    for rule in sorted(managed_rules(definition)):
        arn = f"arn:aws:events:{region}:{account}:rule/{rule}"
        for action in RULE_ACTIONS:
            decision = enforcer.authorize(principal, Need(action, arn))
            if not decision.allowed:
                return decision
    return None


def message(role_arn: str) -> str:
    return f"'{role_arn}' is not authorized to create managed-rule."
