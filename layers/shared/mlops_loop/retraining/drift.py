"""`Data Drift Detected` -> at most one retraining per drift condition (docs/retraining.md).

In order: an event of another group or source is `ignored`; one no batch run of this stack put is
`forged` (provenance.py); one whose drift condition already has a candidate is `suppressed`
(conditions.py); otherwise the starter starts the episode's run at most once, one run in flight
per group (starter.py). People are told when a drift starts nothing (notices.py).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import msgspec
from aws_lambda_powertools.metrics import MetricUnit

from mlops_loop import notifications, registry
from mlops_loop.errors import ConfigurationError
from mlops_loop.models.drift import DataDriftDetectedEvent
from mlops_loop.observability import logger, metrics
from mlops_loop.retraining import conditions, names, notices
from mlops_loop.retraining.provenance import verify_drift_event
from mlops_loop.retraining.starter import RetrainingRequest, RetrainingStarter, StartResult, TargetKind
from mlops_loop.settings import StartRetrainingSettings


def starter_for(cfg: StartRetrainingSettings) -> RetrainingStarter:
    return RetrainingStarter(
        table_name=cfg.state_table_name,
        state_machine_arn=cfg.retraining_state_machine_arn,
        pipeline_name=cfg.retraining_pipeline_name,
        quality_gate_min_auc=cfg.quality_gate_min_auc,
        pipeline_max_parallel_steps=cfg.retraining_pipeline_max_parallel_steps,
    )


def _target(cfg: StartRetrainingSettings) -> TargetKind:
    return "pipeline" if cfg.retraining_pipeline_name else "state_machine"


def ignored(event: DataDriftDetectedEvent, cfg: StartRetrainingSettings) -> StartResult | None:
    """`ignored` (logged) for another source or group; None for this stack's drift."""
    detail = event.detail
    group = registry.GroupRef.parse(cfg.model_package_group)
    why = None
    if event.source != cfg.drift_event_source:
        why = f"source {event.source!r} is not this stack's drift source {cfg.drift_event_source!r}"
    elif not group.owns(detail.model_package_arn, detail.model_package_group_name):
        why = f"group {detail.model_package_group_name!r} is not this stack's group {group.name!r}"
    if why is None:
        return None
    logger.warning("Drift event ignored", extra={"why": why, "episode": detail.drift_episode_id})
    return StartResult(
        started=False,
        outcome="ignored",
        target=_target(cfg),
        execution_name=names.execution_name(detail.drift_episode_id),
        detail=why,
    )


def start_for_drift(
    event: DataDriftDetectedEvent, raw_detail: dict[str, Any], cfg: StartRetrainingSettings
) -> StartResult:
    """Check the event's origin and its drift condition, then start (or not), and tell people why not.

    `raw_detail`: the event's `detail` as delivered, compared with what the batch run put.
    """
    result, hold = _decide(event, raw_detail, cfg)
    if result.outcome in ("in_flight", "suppressed"):
        result = _tell(event, cfg, result, hold)
    _count(result)
    return result


def _decide(
    event: DataDriftDetectedEvent, raw_detail: dict[str, Any], cfg: StartRetrainingSettings
) -> tuple[StartResult, conditions.Hold | None]:
    detail = event.detail
    execution_name = names.execution_name(detail.drift_episode_id)
    if cfg.batch_inference_state_machine_arn is None:
        raise ConfigurationError(
            "StartRetraining needs BATCH_INFERENCE_STATE_MACHINE_ARN to verify drift events"
        )
    provenance = verify_drift_event(
        source=event.source,
        detail_type=event.detail_type,
        detail=raw_detail,
        batch_state_machine_arn=cfg.batch_inference_state_machine_arn,
    )
    if not provenance.verified:
        logger.warning(
            "Drift event not put by this stack's batch runs: nothing started",
            extra={"why": provenance.why, "eventId": event.id, "executionArn": detail.execution_arn},
        )
        forged = StartResult(
            started=False,
            outcome="forged",
            target=_target(cfg),
            execution_name=execution_name,
            detail=provenance.why,
        )
        return forged, None
    group = registry.GroupRef.parse(cfg.model_package_group)
    hold = conditions.hold_for(
        base_arn=detail.model_package_arn,
        episode_id=detail.drift_episode_id,
        candidates=conditions.candidates_from(group, detail.model_package_arn),
        now=event.time.astimezone(UTC),
        cooldown=timedelta(days=cfg.retraining_cooldown_days),
        newest_training_data=conditions.newest_training_data(cfg.training_data_s3_uri),
    )
    if hold is not None:
        logger.info(
            "Retraining not started: the drift condition already has a candidate",
            extra={"episode": detail.drift_episode_id, "candidate": hold.candidate.arn, "hold": hold.kind},
        )
        suppressed = StartResult(
            started=False,
            outcome="suppressed",
            target=_target(cfg),
            execution_name=execution_name,
            detail=hold.detail,
            suppressed_by=hold.candidate.arn,
        )
        return suppressed, hold
    request = RetrainingRequest(
        reason="drift",
        episode_id=detail.drift_episode_id,
        group=cfg.model_package_group,
        training_data_s3_uri=cfg.training_data_s3_uri,
        source_execution_arn=detail.execution_arn,
        base_model_package_arn=detail.model_package_arn,
    )
    return starter_for(cfg).start(request), None


def _tell(
    event: DataDriftDetectedEvent,
    cfg: StartRetrainingSettings,
    result: StartResult,
    hold: conditions.Hold | None,
) -> StartResult:
    if hold is None:
        note = notices.already_running(
            env=cfg.environment_name, drift=event.detail, holder=result.lock_holder
        )
    else:
        note = notices.suppressed(
            env=cfg.environment_name,
            drift=event.detail,
            hold=hold,
            training_data_s3_uri=cfg.training_data_s3_uri,
            cooldown_days=cfg.retraining_cooldown_days,
            region=event.region,
        )
    message_id = notifications.publish(cfg.notification_topic_arn, note)
    return msgspec.structs.replace(result, message_id=message_id)


def _count(result: StartResult) -> None:
    metrics.add_dimension(name="Reason", value="drift")
    metrics.add_metric(
        name="RetrainingStarts" if result.started else "RetrainingNotStarted", unit=MetricUnit.Count, value=1
    )
    if result.outcome == "forged":
        metrics.add_metric(name="ForgedDriftEvents", unit=MetricUnit.Count, value=1)
    elif result.outcome == "suppressed":
        metrics.add_metric(name="RetrainingSuppressed", unit=MetricUnit.Count, value=1)
