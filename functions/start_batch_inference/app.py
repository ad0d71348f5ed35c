"""Scheduled tick -> start the batch-inference state machine, named from the schedule's time.

Trigger: EventBridge Scheduler (ScheduleV2) with Input
`{"scheduledTime": "<aws.scheduler.scheduled-time>", "scheduleArn": "<aws.scheduler.schedule-arn>",
"executionId": "<aws.scheduler.execution-id>"}`, or AWS's default `Scheduled Event` envelope (a
schedule without Input, or a classic rule), whose `time` is the tick. A duplicated tick finds the
execution name taken and starts nothing (`{"started": false, "reason": "duplicate"}`). A malformed
event raises InvalidEvent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop import scheduling
from mlops_loop.models.schedule import parse_tick
from mlops_loop.observability import logger, metrics
from mlops_loop.settings import StartBatchInferenceSettings, settings


@logger.inject_lambda_context(correlation_id_path="executionId || id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(StartBatchInferenceSettings)
    tick = parse_tick(event)
    result = scheduling.start_batch_run(
        cfg.batch_inference_state_machine_arn,
        scheduling.execution_name("scheduled", tick.scheduled_time),
        cfg.batch_input_s3_uri,
        trigger="schedule",
    )
    metrics.add_metric(
        name="BatchRunsStarted" if result.started else "DuplicateTicks", unit=MetricUnit.Count, value=1
    )
    return result.dump()
