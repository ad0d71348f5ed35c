"""EventBridge `Data Drift Detected` -> start one retraining run for the drift episode.

At most one run per episode and at most one run in flight per model group (the lock, the episode
marker and the deterministic run name of mlops_loop.retraining.starter). The target is the
retraining state machine, or the SageMaker Pipeline named by RETRAINING_PIPELINE_NAME. Only an
event one of this stack's batch runs put starts anything (mlops_loop.retraining.provenance): any
other is `forged`, logged and counted (ForgedDriftEvents). Returns `{"started", "outcome":
"started|duplicate|in_flight|already_ran|ignored|forged", "executionName", ...}`. A malformed event
raises InvalidEvent and starts nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop.models.drift import DataDriftDetectedEvent
from mlops_loop.models.parsing import parse_event
from mlops_loop.observability import logger, metrics
from mlops_loop.retraining import drift
from mlops_loop.settings import StartRetrainingSettings, settings


@logger.inject_lambda_context(correlation_id_path="detail.driftEpisodeId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(StartRetrainingSettings)
    parsed = parse_event(event, DataDriftDetectedEvent)
    result = drift.start_for_drift(parsed, event["detail"], cfg)
    if result.outcome == "forged":
        metrics.add_metric(name="ForgedDriftEvents", unit=MetricUnit.Count, value=1)
    metrics.add_dimension(name="Reason", value="drift")
    metrics.add_metric(
        name="RetrainingStarts" if result.started else "RetrainingNotStarted", unit=MetricUnit.Count, value=1
    )
    return result.dump()
