"""The seed's behaviour, as an opt-in: a batch run that fails on its data starts a retraining.

The default (RetrainOnDataQualityFailure=false) keeps a data-quality failure to an alert: broken
input says nothing about the model, and retraining cannot fix it (README, "Where the loop departs
from the seed"). With the parameter on, the stack's rule sends the batch state machine's FAILED
`Step Functions Execution Status Change` events here, and a run that failed with
`DataQualityFailure` is treated as a drift is (docs/retraining.md):

1. the execution is this stack's batch machine's, and Step Functions' own record of it (DescribeExecution)
   says FAILED with error `DataQualityFailure` (AWS's status-change events mirror DescribeExecution,
   and the record is read rather than trusted from the event: it also proves the run exists);
2. its FailureCause names this stack's group and the live version that scored it (the base);
3. one retraining per condition (conditions.hold_for, the drift rule: a candidate from that base
   awaiting approval, or rejected with nothing changed since, holds it), one run per episode (the
   batch execution's name) and one in flight per group (starter.py); people are told when nothing
   starts (notices.py).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Final

import msgspec
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from mlops_loop import aws, notifications, registry
from mlops_loop.errors import ConfigurationError
from mlops_loop.models.executions import StepFunctionsExecutionStatusChangeEvent
from mlops_loop.models.failure import FailureCause
from mlops_loop.observability import logger, metrics
from mlops_loop.retraining import conditions, names, notices
from mlops_loop.retraining.drift import starter_for
from mlops_loop.retraining.starter import RetrainingRequest, StartResult
from mlops_loop.settings import StartRetrainingSettings

# The batch state machine's Fail state for broken input data (statemachines/batch_inference.asl.json).
DATA_QUALITY_FAILURE = "DataQualityFailure"
REASON: Final = "data_quality_failure"


def _ignored(cfg: StartRetrainingSettings, episode: str, why: str) -> StartResult:
    logger.info("Batch failure starts no retraining", extra={"why": why, "episode": episode})
    return StartResult(
        started=False,
        outcome="ignored",
        target="pipeline" if cfg.retraining_pipeline_name else "state_machine",
        execution_name=names.execution_name(episode),
        detail=why,
    )


def package_arn(group: registry.GroupRef, version: int, execution_arn: str) -> str:
    """The version's ARN: in the group's account and region (a cross-account group's ARN names them),
    else in the batch run's."""
    _, partition, _, region, account, *_ = execution_arn.split(":")
    if group.arn:
        partition = group.arn.split(":")[1]
        region, account = group.region or region, group.account or account
    return f"arn:{partition}:sagemaker:{region}:{account}:model-package/{group.name}/{version}"


def ignored(
    event: StepFunctionsExecutionStatusChangeEvent, cfg: StartRetrainingSettings
) -> StartResult | None:
    """`ignored` (logged, no record taken) when the stack does not retrain on data-quality failures,
    or the run is not its batch machine's; None otherwise."""
    detail = event.detail
    if not cfg.retrain_on_data_quality_failure:
        return _ignored(
            cfg, detail.name, "RetrainOnDataQualityFailure is off: a data-quality failure only alerts"
        )
    if cfg.batch_inference_state_machine_arn is None:
        raise ConfigurationError("StartRetraining needs BATCH_INFERENCE_STATE_MACHINE_ARN")
    if detail.state_machine_arn != cfg.batch_inference_state_machine_arn:
        return _ignored(
            cfg, detail.name, f"{detail.state_machine_arn} is not this stack's batch state machine"
        )
    return None


def start_for_data_quality_failure(
    event: StepFunctionsExecutionStatusChangeEvent, cfg: StartRetrainingSettings
) -> StartResult:
    """Start a retraining for a batch run that failed with DataQualityFailure (`ignored` came first)."""
    detail = event.detail
    episode = detail.name
    try:
        described = aws.stepfunctions(event.region).describe_execution(executionArn=detail.execution_arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "InvalidArn"):
            return _ignored(cfg, episode, f"no execution {detail.execution_arn}")
        raise
    if described["status"] != "FAILED" or described.get("error") != DATA_QUALITY_FAILURE:
        error = described.get("error")
        why = f"the run ended {described['status']} with error {error!r}, not {DATA_QUALITY_FAILURE}"
        return _ignored(cfg, episode, why)
    cause = FailureCause.from_cause(described.get("cause"))
    group = registry.GroupRef.parse(cfg.model_package_group)
    if cause is None or cause.model_package_version is None or cause.model_package_group_name != group.name:
        return _ignored(cfg, episode, "its cause names no version of this stack's group")
    base_arn = package_arn(group, cause.model_package_version, detail.execution_arn)
    result, hold = _decide(event, cfg, group, base_arn)
    if result.outcome in ("in_flight", "suppressed"):
        found = notices.data_quality_failure_found(
            group=group.name,
            version=cause.model_package_version,
            execution_name=episode,
            execution_arn=detail.execution_arn,
        )
        if hold is None:
            note = notices.data_quality_already_running(
                env=cfg.environment_name, group=group.name, found=found, holder=result.lock_holder
            )
        else:
            note = notices.data_quality_suppressed(
                env=cfg.environment_name,
                group=group.name,
                version=cause.model_package_version,
                found=found,
                hold=hold,
                training_data_s3_uri=cfg.training_data_s3_uri,
                cooldown_days=cfg.retraining_cooldown_days,
                region=event.region,
            )
        result = msgspec.structs.replace(
            result, message_id=notifications.publish(cfg.notification_topic_arn, note)
        )
    metrics.add_dimension(name="Reason", value=REASON)
    metrics.add_metric(
        name="RetrainingStarts" if result.started else "RetrainingNotStarted", unit=MetricUnit.Count, value=1
    )
    return result


def _decide(
    event: StepFunctionsExecutionStatusChangeEvent,
    cfg: StartRetrainingSettings,
    group: registry.GroupRef,
    base_arn: str,
) -> tuple[StartResult, conditions.Hold | None]:
    episode = event.detail.name
    hold = conditions.hold_for(
        base_arn=base_arn,
        episode_id=episode,
        candidates=conditions.candidates_from(group, base_arn),
        now=event.time.astimezone(UTC),
        cooldown=timedelta(days=cfg.retraining_cooldown_days),
        newest_training_data=conditions.newest_training_data(cfg.training_data_s3_uri),
    )
    if hold is not None:
        logger.info(
            "Retraining not started: the condition already has a candidate", extra={"hold": hold.kind}
        )
        suppressed = StartResult(
            started=False,
            outcome="suppressed",
            target="pipeline" if cfg.retraining_pipeline_name else "state_machine",
            execution_name=names.execution_name(episode),
            detail=hold.detail,
            suppressed_by=hold.candidate.arn,
        )
        return suppressed, hold
    request = RetrainingRequest(
        reason=REASON,
        episode_id=episode,
        group=cfg.model_package_group,
        training_data_s3_uri=cfg.training_data_s3_uri,
        source_execution_arn=event.detail.execution_arn,
        base_model_package_arn=base_arn,
    )
    return starter_for(cfg).start(request), None
