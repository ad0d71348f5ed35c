"""Smoke test of a deployed workload stack, for the deployment pipeline (read-only, seconds, free).

    python -m tools.smoke_stack --stack-name mlops-loop-dev [--region us-east-1]

Checks what a deploy can get wrong without failing: the stack ended in a *_COMPLETE state (not a
rollback), every output the docs and the operators rely on is there, both state machines are
ACTIVE, and the batch schedule exists, targets this stack's StartBatchInference function with the
scheduler role and a dead-letter queue, and has the state the ScheduleState parameter asked for.
Exit 0 = all good, 1 = a check failed (each failure printed), 2 = the stack could not be read.

Needs only cloudformation:DescribeStacks/DescribeStackResources on the stack,
scheduler:GetSchedule and states:DescribeStateMachine (pipeline/bootstrap.yaml grants exactly
these to the pipeline role). AWS_ENDPOINT_URL is honoured by boto3, so it runs against the local
cloud's `serve` endpoint too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

REQUIRED_OUTPUTS = (
    "ArtifactsBucketName",
    "BatchInferenceStateMachineArn",
    "RetrainingStateMachineArn",
    "NotificationTopicArn",
    "DeadLetterQueueUrl",
    "LiveModelParameterName",
)
GOOD_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
BATCH_SCHEDULE_LOGICAL_ID = "StartBatchInferenceFunctionBatchSchedule"  # SAM: <function><event>
FUNCTION_LOGICAL_ID = "StartBatchInferenceFunction"


def check_stack(stack_name: str, *, cfn: Any, scheduler: Any, sfn: Any) -> list[str]:
    """Return the failed checks (empty = healthy). Raises ClientError if the stack is unreadable."""
    failures: list[str] = []
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] not in GOOD_STATUSES:
        failures.append(f"stack status {stack['StackStatus']}, expected one of {GOOD_STATUSES}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    failures += [f"output {key} missing" for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}

    for key in ("BatchInferenceStateMachineArn", "RetrainingStateMachineArn"):
        if outputs.get(key):
            status = sfn.describe_state_machine(stateMachineArn=outputs[key]).get("status")
            if status != "ACTIVE":
                failures.append(f"{key} status {status}, expected ACTIVE")

    resources = {
        r["LogicalResourceId"]: r
        for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    schedule_resource = resources.get(BATCH_SCHEDULE_LOGICAL_ID)
    function_resource = resources.get(FUNCTION_LOGICAL_ID)
    if schedule_resource is None:
        failures.append(f"resource {BATCH_SCHEDULE_LOGICAL_ID} missing from the stack")
        return failures
    schedule = scheduler.get_schedule(Name=schedule_resource["PhysicalResourceId"])
    target = schedule.get("Target", {})
    function_name = function_resource["PhysicalResourceId"] if function_resource else None
    if not function_name or not str(target.get("Arn", "")).endswith(f":function:{function_name}"):
        failures.append(f"batch schedule targets {target.get('Arn')}, not {function_name}")
    if not target.get("RoleArn"):
        failures.append("batch schedule has no role")
    if not target.get("DeadLetterConfig", {}).get("Arn"):
        failures.append("batch schedule has no dead-letter queue")
    expected_state = parameters.get("ScheduleState") or "ENABLED"
    if schedule.get("State") != expected_state:
        failures.append(f"batch schedule is {schedule.get('State')}, ScheduleState={expected_state}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    try:
        failures = check_stack(
            args.stack_name,
            cfn=session.client("cloudformation"),
            scheduler=session.client("scheduler"),
            sfn=session.client("stepfunctions"),
        )
    except (ClientError, BotoCoreError) as err:
        print(f"smoke: cannot read stack {args.stack_name}: {err}", file=sys.stderr)
        return 2
    for failure in failures:
        print(f"smoke: FAIL {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"smoke: {args.stack_name} OK (outputs, state machines ACTIVE, batch schedule wired)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
