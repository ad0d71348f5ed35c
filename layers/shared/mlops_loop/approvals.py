"""ModelPackageStateChange's logic: approvals make a version live, rejections and new versions
are told to people.

"Live" is what ResolveModel will pick: the latest Approved version by CreationTime. So on every
Approved/Rejected event the live version is recomputed from the registry (not taken from the
event) and recorded when it changed: approving an OLD version does not make it live while a newer
one is approved, and rejecting the live version rolls back to the previous approved one.

`handle` takes the AWS it needs as ports (`ApprovalPorts`; the adapters by default), so these rules
are unit-tested with in-memory fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_loop import adapters, live, notifications, registry, scheduling
from mlops_loop.errors import ConfigurationError, NoApprovedModel
from mlops_loop.models.model_package import ModelPackageStateChangeEvent
from mlops_loop.models.results import StateChangeResult
from mlops_loop.observability import logger
from mlops_loop.settings import ModelPackageStateChangeSettings

if TYPE_CHECKING:
    from mlops_loop.ports import ArtifactStore, ModelRegistry, Notifier, ParameterStore, Workflows


def _default_registry() -> ModelRegistry:
    return adapters.model_registry()


def _default_parameters() -> ParameterStore:
    return adapters.parameter_store()


def _default_notifier() -> Notifier:
    return adapters.notifier()


def _default_workflows() -> Workflows:
    return adapters.workflows()


def _default_artifacts() -> ArtifactStore:
    return adapters.artifact_store()


@dataclass(frozen=True)
class ApprovalPorts:
    """What the approval logic reads and writes: the registry, the live-model parameter, the topic,
    the batch-inference state machine and the versions' metrics files."""

    models: ModelRegistry = field(default_factory=_default_registry)
    parameters: ParameterStore = field(default_factory=_default_parameters)
    notifier: Notifier = field(default_factory=_default_notifier)
    workflows: Workflows = field(default_factory=_default_workflows)
    artifacts: ArtifactStore = field(default_factory=_default_artifacts)


def other_group(
    event: ModelPackageStateChangeEvent, cfg: ModelPackageStateChangeSettings
) -> StateChangeResult | None:
    """`ignored` for an event of another group (logged), None for this stack's group."""
    detail = event.detail
    group = registry.GroupRef.parse(cfg.model_package_group)
    if group.owns(detail.model_package_arn, detail.model_package_group_name):
        return None
    logger.info(
        "Event of another model package group ignored",
        extra={"eventGroup": detail.model_package_group_name, "configuredGroup": group.api_name},
    )
    return StateChangeResult(action="ignored", reason=f"other group {detail.model_package_group_name}")


def handle(
    event: ModelPackageStateChangeEvent,
    cfg: ModelPackageStateChangeSettings,
    ports: ApprovalPorts | None = None,
) -> StateChangeResult:
    """Record and tell what the event changed (the caller runs it once per event id)."""
    ignored = other_group(event, cfg)
    if ignored is not None:
        return ignored
    ports = ports or ApprovalPorts()
    group = registry.GroupRef.parse(cfg.model_package_group)
    if event.detail.model_approval_status == "PendingManualApproval":
        return _ask_approval(event, cfg, group, ports)
    return _approval_decided(event, cfg, group, ports)


def _current_latest(group: registry.GroupRef, models: ModelRegistry) -> tuple[str | None, int | None]:
    try:
        summary = registry.latest_approved(group, models)
    except NoApprovedModel:
        return None, None
    return summary["ModelPackageArn"], int(summary.get("ModelPackageVersion") or 0) or None


def _approval_decided(
    event: ModelPackageStateChangeEvent,
    cfg: ModelPackageStateChangeSettings,
    group: registry.GroupRef,
    ports: ApprovalPorts,
) -> StateChangeResult:
    detail = event.detail
    before = live.read(cfg.live_model_parameter_name, ports.parameters)
    latest_arn, latest_version = _current_latest(group, ports.models)
    before_arn = before.model_package_arn if before else None
    if detail.model_approval_status == "Approved" and before_arn == detail.model_package_arn == latest_arn:
        # SageMaker may send several events per change and EventBridge delivers at least once.
        logger.info("Duplicate approval event ignored", extra={"modelPackageArn": detail.model_package_arn})
        return StateChangeResult(action="ignored", reason="already live")
    changed = latest_arn != before_arn
    if changed:
        live.record(
            cfg.live_model_parameter_name,
            latest_arn,
            detail.model_package_group_name if latest_arn else None,
            latest_version,
            reason=f"{detail.model_approval_status.lower()} v{detail.model_package_version}",
            parameters=ports.parameters,
        )
    region = event.region
    if detail.model_approval_status == "Approved":
        batch_arn = None
        if cfg.run_on_approval and changed and latest_arn == detail.model_package_arn:
            batch_arn = _start_run_on_approval(event, cfg, ports.workflows)
        note = notifications.approved(
            env=cfg.environment_name,
            group=detail.model_package_group_name,
            version=detail.model_package_version,
            model_package_arn=detail.model_package_arn,
            previous_live=before.label if before else None,
            now_live=f"{detail.model_package_group_name} v{latest_version}" if latest_arn else None,
            is_live=latest_arn == detail.model_package_arn,
            parameter_name=cfg.live_model_parameter_name,
            batch_execution_arn=batch_arn,
            region=region,
        )
        message_id = notifications.publish(cfg.notification_topic_arn, note, ports.notifier)
        return StateChangeResult(
            action="recorded_live_and_notified" if changed else "notified",
            message_id=message_id,
            batch_execution_arn=batch_arn,
        )
    note = notifications.rejected(
        env=cfg.environment_name,
        group=detail.model_package_group_name,
        version=detail.model_package_version,
        model_package_arn=detail.model_package_arn,
        approval_description=detail.approval_description,
        live=f"{detail.model_package_group_name} v{latest_version}" if latest_arn else None,
        live_changed=changed,
        region=region,
    )
    message_id = notifications.publish(cfg.notification_topic_arn, note, ports.notifier)
    return StateChangeResult(
        action="recorded_live_and_notified" if changed else "notified", message_id=message_id
    )


def _start_run_on_approval(
    event: ModelPackageStateChangeEvent, cfg: ModelPackageStateChangeSettings, workflows: Workflows
) -> str | None:
    if not (cfg.batch_inference_state_machine_arn and cfg.batch_input_s3_uri):
        raise ConfigurationError(
            "RUN_ON_APPROVAL=true needs BATCH_INFERENCE_STATE_MACHINE_ARN and BATCH_INPUT_S3_URI"
        )
    run_id = scheduling.execution_name(f"approval-v{event.detail.model_package_version}", event.time)
    result = scheduling.start_batch_run(
        cfg.batch_inference_state_machine_arn, run_id, cfg.batch_input_s3_uri, "approval", workflows
    )
    return result.execution_arn


def _ask_approval(
    event: ModelPackageStateChangeEvent,
    cfg: ModelPackageStateChangeSettings,
    group: registry.GroupRef,
    ports: ApprovalPorts,
) -> StateChangeResult:
    detail = event.detail
    candidate = registry.describe(detail.model_package_arn, ports.models)
    current = live.read(cfg.live_model_parameter_name, ports.parameters)
    live_metrics: dict[str, float] = {}
    live_version = None
    if current and current.model_package_arn and current.model_package_arn != detail.model_package_arn:
        live_version = current.version
        live_metrics = notifications.read_metrics(
            registry.describe(current.model_package_arn, ports.models).model_quality_statistics_s3_uri,
            ports.artifacts,
        )
    metadata = candidate.raw.get("CustomerMetadataProperties") or {}
    reason = metadata.get("reason")
    if reason and metadata.get("episodeId"):
        reason = f"{reason} (episode {metadata['episodeId']})"
    note = notifications.awaiting_approval(
        env=cfg.environment_name,
        group=detail.model_package_group_name,
        version=detail.model_package_version,
        model_package_arn=detail.model_package_arn,
        candidate_metrics=notifications.read_metrics(
            candidate.model_quality_statistics_s3_uri, ports.artifacts
        ),
        live_version=live_version,
        live_metrics=live_metrics,
        reason=reason,
        region=event.region,
    )
    return StateChangeResult(
        action="asked_approval",
        message_id=notifications.publish(cfg.notification_topic_arn, note, ports.notifier),
    )
