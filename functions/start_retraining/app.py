"""EventBridge `Data Drift Detected` -> at most one retraining per drift condition.

Another group's or source's event is `ignored`. An event no batch run of this stack put starts
nothing (`forged`: logged, counted as ForgedDriftEvents; mlops_loop.retraining.provenance). A drift
whose condition already has a candidate (awaiting approval, or rejected with no new training data
and the cool-down not over) starts nothing and says so (`suppressed`, mailed;
mlops_loop.retraining.conditions). Otherwise one run per episode and one in flight per group
(`started`, `duplicate`, `in_flight` (mailed), `already_ran`; mlops_loop.retraining.starter), on
the retraining state machine or the SageMaker Pipeline named by RETRAINING_PIPELINE_NAME. Each
event (EventBridge `id`) is handled once: a redelivery gets the first result and mails nothing
(mlops_loop.once_per_event). Returns `{"started", "outcome", "executionName", "detail", ...}`.
A malformed event raises InvalidEvent and starts nothing.

With RetrainOnDataQualityFailure (off by default), the batch state machine's FAILED `Step Functions
Execution Status Change` events come here too: a run that failed with DataQualityFailure starts a
retraining under the same rules (mlops_loop.retraining.data_quality); others are `ignored`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop.models.drift import DataDriftDetectedEvent
from mlops_loop.models.executions import StepFunctionsExecutionStatusChangeEvent
from mlops_loop.models.parsing import parse_event
from mlops_loop.observability import logger, metrics
from mlops_loop.once_per_event import once_per_event
from mlops_loop.retraining import data_quality, drift
from mlops_loop.settings import StartRetrainingSettings, settings


@logger.inject_lambda_context(correlation_id_path="detail.driftEpisodeId || detail.name")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(StartRetrainingSettings)
    if isinstance(event, dict) and event.get("source") == "aws.states":
        failed = parse_event(event, StepFunctionsExecutionStatusChangeEvent)
        if (off := data_quality.ignored(failed, cfg)) is not None:
            return off.dump()
        return once_per_event(
            event,
            context,
            lambda: data_quality.start_for_data_quality_failure(failed, cfg).dump(),
            table_name=cfg.state_table_name,
            name="start-retraining",
        )
    parsed = parse_event(event, DataDriftDetectedEvent)
    if (ignored := drift.ignored(parsed, cfg)) is not None:
        return ignored.dump()
    return once_per_event(
        event,
        context,
        lambda: drift.start_for_drift(parsed, event["detail"], cfg).dump(),
        table_name=cfg.state_table_name,
        name="start-retraining",
    )
