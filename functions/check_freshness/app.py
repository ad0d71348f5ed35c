"""Daily schedule -> retrain when the live model is older than MAX_MODEL_AGE_DAYS (0 = off).

Trigger: EventBridge Scheduler (ScheduleV2) with Input `{"scheduledTime", "scheduleArn",
"executionId"}`, or AWS's default `Scheduled Event` envelope (a schedule without Input, or a classic
rule); the age is measured at the tick's time (`scheduledTime`, or the envelope's `time`). A stale
live version starts retraining with reason `stale` through the drift path's at-most-once logic
(episode `stale-v<version>-<YYYYMMDD>`).
Returns `{"action": "off|no_live_model|fresh|awaiting_approval|retraining", ...}`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop.models.schedule import parse_tick
from mlops_loop.observability import logger, metrics
from mlops_loop.retraining.drift import starter_for
from mlops_loop.retraining.freshness import check_freshness
from mlops_loop.settings import CheckFreshnessSettings, settings


@logger.inject_lambda_context(correlation_id_path="executionId || id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(CheckFreshnessSettings)
    tick = parse_tick(event)
    result = check_freshness(
        group=cfg.model_package_group,
        live_parameter_name=cfg.live_model_parameter_name,
        max_age_days=cfg.max_model_age_days,
        now=tick.scheduled_time,
        training_data_s3_uri=cfg.training_data_s3_uri,
        starter_factory=lambda: starter_for(cfg),
    )
    if result.age_days is not None:
        metrics.add_metric(name="LiveModelAgeDays", unit=MetricUnit.Count, value=result.age_days)
    if result.start is not None and result.start.started:
        metrics.add_dimension(name="Reason", value="stale")
        metrics.add_metric(name="RetrainingStarts", unit=MetricUnit.Count, value=1)
    return result.dump()
