"""Smoke run of a deployed workload stack: score the current batch once, and check what it wrote.

    python -m tools.smoke_run --stack-name mlops-loop-dev [--region us-east-1] [--timeout 3600]

Starts the stack's batch-inference state machine by hand (`trigger: manual`, execution and run id
`smoke-<UTC time>`) on the batch under its `BatchInputS3Uri` output, waits for the execution, and
checks that it succeeded with a verdict and that the predictions, `statistics.json` and the report
exist under the run's own prefix (`<OutputPrefix>/<group>/v<version>/<run id>/`).

Why the current batch, and not a sample batch of its own: a scheduled run reads the whole
`BatchInputS3Uri` prefix, so a sample put under it would join the next scheduled run's batch, and a
batch outside it is refused (MonitorBatch may read batches there only). So this run has the
consequences the next scheduled run on the same batch would have: its outputs, a drift event when
it drifts (StartRetraining's rules decide whether that retrains; the scheduled run's drift of the
same episode then starts nothing more). It costs one transform job (and a Model Monitor job with
`MonitoringEngine=ModelMonitorProcessing`): the deployment pipeline runs it only when asked.

Exit codes, for a pipeline:
  0  the run succeeded and its outputs are there (the verdict, clean or drift, is printed);
  1  the run failed, timed out, or its outputs are missing; or the batch holds an object of a
     format no step reads (nothing started);
  2  the stack, its outputs or the batch could not be read, or the run could not be started;
  3  nothing to score: no data object under the batch prefix (nothing started), or the registry
     holds no Approved version (the run stops at its first step, before any job).

Reads the batch with `dataquality.member_format` (the one rule of what a batch's data objects are).
Needs cloudformation:DescribeStacks on the stack, s3:ListBucket on the batch's and the artifacts
bucket, states:StartExecution on the batch state machine and states:DescribeExecution on its
executions (pipeline/bootstrap.yaml grants them to the pipeline role). AWS_ENDPOINT_URL is honoured
by boto3, so it runs against the local cloud's `serve` endpoint too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import msgspec
from botocore.exceptions import BotoCoreError, ClientError

OK, FAILED, UNREADABLE, NOTHING_TO_SCORE = 0, 1, 2, 3
BATCH_MACHINE_OUTPUT = "BatchInferenceStateMachineArn"
BATCH_INPUT_OUTPUT = "BatchInputS3Uri"
# Errors of a run that mean "nothing to score", not "something is broken": ResolveModel's
# NoApprovedModel (docs/architecture.md), and the batch being gone or emptied between our listing
# and the run's (dataquality's BatchNotFound / EmptyBatch, whichever step lists it).
NOTHING_TO_SCORE_ERRORS = frozenset({"NoApprovedModel", "BatchNotFound", "EmptyBatch"})
DONE_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class SmokeError(Exception):
    """A named outcome other than success: its exit code and the message a person reads."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class SmokeResult:
    execution_arn: str
    verdict: str
    model_version: int | None
    predictions: list[str] = field(default_factory=list)
    statistics_s3_uri: str = ""
    report_s3_uri: str = ""


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _listed(s3: Any, uri: str) -> dict[str, int]:
    """Every object under `uri` (a prefix or one key): key -> size."""
    bucket, prefix = _split(uri)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: int(o.get("Size", 0)) for page in pages for o in page.get("Contents", [])}


def stack_outputs(cfn: Any, stack_name: str) -> dict[str, str]:
    try:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except (ClientError, BotoCoreError) as err:
        raise SmokeError(UNREADABLE, f"cannot read stack {stack_name}: {err}") from err
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [k for k in (BATCH_MACHINE_OUTPUT, BATCH_INPUT_OUTPUT) if not outputs.get(k)]
    if missing:
        raise SmokeError(UNREADABLE, f"stack {stack_name} has no output {', '.join(missing)}")
    return outputs


def batch_data_objects(s3: Any, batch_uri: str) -> list[str]:
    """The batch's data objects, by the rule every engine reads it with. SmokeError(3) when there is
    none, SmokeError(1) for an object no step can read (the run would fail on it)."""
    from dataquality.errors import UnknownFormat
    from dataquality.sources import member_format

    bucket, prefix = _split(batch_uri)
    try:
        listed = _listed(s3, batch_uri)
    except (ClientError, BotoCoreError) as err:
        raise SmokeError(UNREADABLE, f"cannot list the batch {batch_uri}: {err}") from err
    try:
        found = [
            f"s3://{bucket}/{key}"
            for key, size in sorted(listed.items())
            if member_format(prefix, key, size=size) is not None
        ]
    except UnknownFormat as err:
        raise SmokeError(FAILED, f"the batch cannot be scored, nothing started: {err}") from err
    if not found:
        skipped = f" ({len(listed)} objects there, none of them data)" if listed else ""
        raise SmokeError(NOTHING_TO_SCORE, f"nothing to score: no data object under {batch_uri}{skipped}")
    return found


def start_run(sfn: Any, state_machine_arn: str, batch_uri: str, now: datetime) -> str:
    """Start one manual run; its input is the state machine's contract (BatchInferenceInput)."""
    from mlops_loop.models.batch import BatchInferenceInput

    run_id = f"smoke-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    run_input = msgspec.convert(
        {"runId": run_id, "batchInputS3Uri": batch_uri, "trigger": "manual"}, BatchInferenceInput
    )
    try:
        response = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=run_id, input=json.dumps(run_input.dump(), sort_keys=True)
        )
    except (ClientError, BotoCoreError) as err:
        raise SmokeError(UNREADABLE, f"cannot start {run_id} on {state_machine_arn}: {err}") from err
    return str(response["executionArn"])


def wait_for(
    sfn: Any,
    execution_arn: str,
    timeout: float,
    poll_seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Describe the execution until it has ended; SmokeError(1) after `timeout` seconds (the run
    goes on: its transform job is not stopped by a smoke test giving up)."""
    deadline = clock() + timeout
    while True:
        try:
            described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        except (ClientError, BotoCoreError) as err:
            raise SmokeError(UNREADABLE, f"cannot read {execution_arn}: {err}") from err
        if described["status"] in DONE_STATUSES:
            return described
        if clock() >= deadline:
            raise SmokeError(FAILED, f"{execution_arn} still {described['status']} after {timeout:.0f}s")
        sleep(poll_seconds)


def _failure(described: dict[str, Any]) -> SmokeError:
    error = described.get("error") or described["status"]
    cause = described.get("cause") or ""
    try:
        detail = json.loads(cause)  # a FailureCause (docs/architecture.md): its step and detail
        said = f"step {detail.get('step')}: {detail.get('detail') or detail.get('reason') or ''}".strip()
    except (ValueError, AttributeError):
        said = cause
    message = f"{described['executionArn']} {described['status']}: {error}: {said}"[:2000]
    if error in NOTHING_TO_SCORE_ERRORS:
        return SmokeError(NOTHING_TO_SCORE, f"nothing to score: {message}")
    return SmokeError(FAILED, message)


def check_outputs(s3: Any, described: dict[str, Any]) -> SmokeResult:
    """The run's verdict, and its predictions, statistics and report under its own prefix."""
    output = json.loads(described.get("output") or "{}")
    run = output.get("run") or {}
    monitoring = output.get("monitoring") or {}
    model = output.get("model") or {}
    run_prefix = str(run.get("runS3Uri") or "")
    problems: list[str] = []
    verdict = str(monitoring.get("verdict") or "")
    if verdict not in {"clean", "drift"}:
        problems.append(f"verdict {verdict or 'missing'}, expected clean or drift")
    if not run_prefix:
        problems.append("the execution's output names no run prefix (run.runS3Uri)")
    places = {
        "predictions": str(run.get("predictionsS3Uri") or ""),
        "statistics": str(monitoring.get("statisticsS3Uri") or ""),
        "report": str(monitoring.get("reportS3Uri") or ""),
    }
    found: dict[str, dict[str, int]] = {}
    for what, uri in places.items():
        if not uri or not run_prefix or not uri.startswith(run_prefix):
            problems.append(f"{what} at {uri or 'nowhere'}, not under the run's prefix {run_prefix}")
            continue
        try:
            listed = _listed(s3, uri)
        except (ClientError, BotoCoreError) as err:
            raise SmokeError(UNREADABLE, f"cannot list {uri}: {err}") from err
        # A file must be there itself (not merely a key it prefixes), a folder must hold something.
        key = _split(uri)[1]
        found[what] = listed if uri.endswith("/") else {k: v for k, v in listed.items() if k == key}
        if not any(size > 0 for size in found[what].values()):
            problems.append(f"no {what} at {uri}")
    if problems:
        raise SmokeError(FAILED, f"{described['executionArn']} SUCCEEDED, but: " + "; ".join(problems))
    bucket = _split(places["predictions"])[0]
    return SmokeResult(
        execution_arn=described["executionArn"],
        verdict=verdict,
        model_version=model.get("modelPackageVersion"),
        predictions=[f"s3://{bucket}/{k}" for k in sorted(found["predictions"])],
        statistics_s3_uri=places["statistics"],
        report_s3_uri=places["report"],
    )


def smoke_run(
    stack_name: str,
    *,
    cfn: Any,
    sfn: Any,
    s3: Any,
    timeout: float = 3600.0,
    poll_seconds: float = 15.0,
    now: datetime | None = None,
    say: Callable[[str], None] = print,
) -> SmokeResult:
    """Score the stack's current batch once; SmokeError names any other outcome and its exit code."""
    outputs = stack_outputs(cfn, stack_name)
    batch_uri = outputs[BATCH_INPUT_OUTPUT]
    objects = batch_data_objects(s3, batch_uri)
    say(f"smoke: {len(objects)} data object(s) under {batch_uri}")
    execution_arn = start_run(sfn, outputs[BATCH_MACHINE_OUTPUT], batch_uri, now or datetime.now(UTC))
    say(f"smoke: started {execution_arn}; waiting (at most {timeout:.0f}s)")
    described = wait_for(sfn, execution_arn, timeout, poll_seconds)
    if described["status"] != "SUCCEEDED":
        raise _failure(described)
    return check_outputs(s3, described)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the run")
    parser.add_argument("--poll-seconds", type=float, default=15.0, help="between DescribeExecution calls")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    try:
        result = smoke_run(
            args.stack_name,
            cfn=session.client("cloudformation"),
            sfn=session.client("stepfunctions"),
            s3=session.client("s3"),
            timeout=args.timeout,
            poll_seconds=args.poll_seconds,
        )
    except SmokeError as outcome:
        print(f"smoke: {outcome.message}", file=sys.stderr)
        return outcome.code
    print(
        f"smoke: {args.stack_name} OK: v{result.model_version} scored the batch, verdict {result.verdict}; "
        f"{len(result.predictions)} prediction file(s), report {result.report_s3_uri}"
    )
    return OK


if __name__ == "__main__":
    sys.exit(main())
