"""Starting batch-inference runs: named from the schedule's time, so a duplicated tick runs once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from mlops_loop import adapters
from mlops_loop.models.batch import BatchInferenceInput, StartBatchInferenceResult
from mlops_loop.observability import logger
from mlops_loop.ports import ExecutionAlreadyExists

if TYPE_CHECKING:
    from mlops_loop.ports import Workflows

# StartExecution with the name AND input of a RUNNING execution succeeds and returns that
# execution (AWS's idempotency); we tell it apart by its start date lying before our call.
_ALREADY_RUNNING_SLACK = timedelta(seconds=2)


def execution_name(prefix: str, when: datetime) -> str:
    """`<prefix>-YYYYMMDDTHHMMSSZ` in UTC, e.g. `scheduled-20261124T020000Z`."""
    return f"{prefix}-{when.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def start_batch_run(
    state_machine_arn: str,
    run_id: str,
    batch_input_s3_uri: str,
    trigger: str,
    workflows: Workflows | None = None,
) -> StartBatchInferenceResult:
    # Validated (run name pattern, S3 URI, trigger) before anything starts.
    run_input = msgspec.convert(
        {"runId": run_id, "batchInputS3Uri": batch_input_s3_uri, "trigger": trigger}, BatchInferenceInput
    )
    called_at = datetime.now(UTC)
    try:
        started = (workflows or adapters.workflows()).start_execution(
            state_machine_arn, run_id, json.dumps(run_input.dump(), sort_keys=True)
        )
    except ExecutionAlreadyExists:
        logger.warning(
            "Duplicate start ignored: an execution of this name exists", extra={"executionName": run_id}
        )
        return StartBatchInferenceResult(started=False, execution_name=run_id, reason="duplicate")
    arn = started.execution_arn
    if started.start_date < called_at - _ALREADY_RUNNING_SLACK:
        logger.warning(
            "Duplicate start ignored: the same run is already in progress",
            extra={"executionName": run_id, "executionArn": arn},
        )
        return StartBatchInferenceResult(
            started=False, execution_name=run_id, execution_arn=arn, reason="duplicate"
        )
    logger.info("Batch-inference run started", extra={"executionArn": arn})
    return StartBatchInferenceResult(started=True, execution_name=run_id, execution_arn=arn, reason="started")
