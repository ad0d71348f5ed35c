"""`Data Drift Detected` -> one retraining run for the drift episode (see starter.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlops_loop import registry
from mlops_loop.errors import ConfigurationError
from mlops_loop.observability import logger
from mlops_loop.retraining import names
from mlops_loop.retraining.provenance import verify_drift_event
from mlops_loop.retraining.starter import RetrainingRequest, RetrainingStarter, StartResult, TargetKind
from mlops_loop.settings import StartRetrainingSettings

if TYPE_CHECKING:  # check_freshness imports starter_for from here and never builds the drift event model
    from mlops_loop.models.drift import DataDriftDetectedEvent


def starter_for(cfg: StartRetrainingSettings) -> RetrainingStarter:
    return RetrainingStarter(
        table_name=cfg.state_table_name,
        state_machine_arn=cfg.retraining_state_machine_arn,
        pipeline_name=cfg.retraining_pipeline_name,
        quality_gate_min_auc=cfg.quality_gate_min_auc,
        pipeline_max_parallel_steps=cfg.retraining_pipeline_max_parallel_steps,
    )


def start_for_drift(
    event: DataDriftDetectedEvent, raw_detail: dict[str, Any], cfg: StartRetrainingSettings
) -> StartResult:
    """`raw_detail`: the event's `detail` as delivered, compared with what the batch run put."""
    detail = event.detail
    execution_name = names.execution_name(detail.drift_episode_id)
    target: TargetKind = "pipeline" if cfg.retraining_pipeline_name else "state_machine"
    group = registry.GroupRef.parse(cfg.model_package_group)
    why = None
    if event.source != cfg.drift_event_source:
        why = f"source {event.source!r} is not this stack's drift source {cfg.drift_event_source!r}"
    elif not group.owns(detail.model_package_arn, detail.model_package_group_name):
        why = f"group {detail.model_package_group_name!r} is not this stack's group {group.name!r}"
    if why:
        logger.warning("Drift event ignored", extra={"why": why, "episode": detail.drift_episode_id})
        return StartResult(
            started=False, outcome="ignored", target=target, execution_name=execution_name, detail=why
        )
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
        return StartResult(
            started=False,
            outcome="forged",
            target=target,
            execution_name=execution_name,
            detail=provenance.why,
        )
    request = RetrainingRequest(
        reason="drift",
        episode_id=detail.drift_episode_id,
        group=cfg.model_package_group,
        training_data_s3_uri=cfg.training_data_s3_uri,
        source_execution_arn=detail.execution_arn,
        base_model_package_arn=detail.model_package_arn,
    )
    return starter_for(cfg).start(request)
