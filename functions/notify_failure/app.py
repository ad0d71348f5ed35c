"""EventBridge `Step Functions Execution Status Change` (FAILED / TIMED_OUT / ABORTED of our state
machines) and `SageMaker Model Building Pipeline Execution Status Change` (Failed / Stopped) -> one
short SNS message each; other statuses are ignored (`{"action": "ignored"}`). Each event (EventBridge
`id`) is handled once: a redelivery returns the first delivery's result and tells nobody again
(mlops_loop.once_per_event, records in STATE_TABLE_NAME). A malformed event raises InvalidEvent."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop import failures
from mlops_loop.observability import logger, metrics
from mlops_loop.once_per_event import once_per_event
from mlops_loop.settings import NotifyFailureSettings, settings


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(NotifyFailureSettings)
    parsed = failures.parse(event)
    if (ignored := failures.not_notified(parsed)) is not None:
        return ignored.dump()  # tells nobody: no record needed
    return once_per_event(
        event,
        context,
        lambda: failures.handle(parsed, cfg).dump(),
        table_name=cfg.state_table_name,
        name="notify-failure",
    )
