"""NotifyFailure's logic: one SNS message per failed, timed-out or aborted workflow execution
(Step Functions) and per failed or stopped SageMaker Pipeline execution; other statuses ignored.

Our state machines fail with a JSON cause (`FailureCause`: step, error, run, model version,
violations, S3 URIs); the message is built from its fields. A cause that is not ours (a failure
before our Fail state, an execution stopped by hand) is shown as the text it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mlops_loop import aws, notifications
from mlops_loop.models.executions import (
    PipelineExecutionStatusChangeEvent,
    StepFunctionsExecutionStatusChangeEvent,
)
from mlops_loop.models.failure import FailureCause
from mlops_loop.models.parsing import parse_event, reject
from mlops_loop.models.results import StateChangeResult
from mlops_loop.observability import logger
from mlops_loop.registry import GroupRef
from mlops_loop.settings import NotifyFailureSettings

if TYPE_CHECKING:
    from mlops_loop.ports import Notifier

SFN_NOTIFIED = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
PIPELINE_NOTIFIED = frozenset({"Failed", "Stopped"})
DATA_QUALITY_FAILURE = "DataQualityFailure"


FailureEvent = StepFunctionsExecutionStatusChangeEvent | PipelineExecutionStatusChangeEvent
_MODEL_FOR: dict[str, type[FailureEvent]] = {
    "Step Functions Execution Status Change": StepFunctionsExecutionStatusChangeEvent,
    "SageMaker Model Building Pipeline Execution Status Change": PipelineExecutionStatusChangeEvent,
}


def parse(event: Any) -> FailureEvent:
    """Either trigger of NotifyFailure, told apart by `detail-type`; anything else is InvalidEvent.

    The model is picked here rather than by a msgspec tagged union: a tag is not a field, and each
    event model keeps `detail-type` as a required, checked field (see models.eventbridge).
    """
    detail_type = event.get("detail-type") if isinstance(event, dict) else None
    model = _MODEL_FOR.get(detail_type) if isinstance(detail_type, str) else None
    if model is None:
        expected = " or ".join(repr(name) for name in _MODEL_FOR)
        reject("FailureEvent", [{"field": "detail-type", "problem": f"expected {expected}"}])
    return parse_event(event, model)


def not_notified(event: FailureEvent) -> StateChangeResult | None:
    """The answer for a status nobody is told about (a success, a run still going), else None."""
    if isinstance(event, StepFunctionsExecutionStatusChangeEvent):
        d = event.detail
        if d.status in SFN_NOTIFIED:
            return None
        logger.info(
            "Execution status not notified", extra={"status": d.status, "executionArn": d.execution_arn}
        )
        return StateChangeResult(action="ignored", reason=f"status {d.status}")
    status = event.detail.current_pipeline_execution_status
    if status in PIPELINE_NOTIFIED:
        return None
    logger.info("Pipeline status not notified", extra={"status": status})
    return StateChangeResult(action="ignored", reason=f"status {status}")


def handle(
    event: FailureEvent, cfg: NotifyFailureSettings, notifier: Notifier | None = None
) -> StateChangeResult:
    """One message for a failure worth telling (SNS unless a notifier is given)."""
    if isinstance(event, StepFunctionsExecutionStatusChangeEvent):
        return _workflow(event, cfg, notifier)
    return _pipeline(event, cfg, notifier)


def _group_name(cfg: NotifyFailureSettings) -> str | None:
    return GroupRef.parse(cfg.model_package_group).name if cfg.model_package_group else None


def _workflow(
    event: StepFunctionsExecutionStatusChangeEvent, cfg: NotifyFailureSettings, notifier: Notifier | None
) -> StateChangeResult:
    if (ignored := not_notified(event)) is not None:
        return ignored
    d = event.detail
    run_id = d.input_json().get("runId") or d.name
    error, cause = d.error, d.cause
    if d.status == "FAILED" and not error:
        error, cause = _error_and_cause(d.execution_arn, event.region)
    structured = FailureCause.from_cause(cause)
    if structured is not None:
        cause = structured.summary()
        run_id = structured.run_id or run_id
    group = (structured.model_package_group_name if structured else None) or _group_name(cfg)
    if error in notifications.BATCH_INPUT_ERRORS:
        note = notifications.batch_input_failure(
            env=cfg.environment_name,
            error=error,
            execution_arn=d.execution_arn,
            cause=cause,
            run_id=str(run_id),
            region=event.region,
            group=group,
        )
    elif error == DATA_QUALITY_FAILURE:
        note = notifications.data_quality_failure(
            env=cfg.environment_name,
            execution_arn=d.execution_arn,
            cause=cause,
            run_id=str(run_id),
            s3_uris=structured.s3_uris if structured else [],
            region=event.region,
            group=group,
        )
    else:
        note = notifications.workflow_failed(
            env=cfg.environment_name,
            status=d.status,
            execution_arn=d.execution_arn,
            state_machine_arn=d.state_machine_arn,
            execution_name=d.name,
            error=error,
            cause=cause,
            run_id=str(run_id),
            region=event.region,
            group=group,
        )
    return StateChangeResult(
        action="notified", message_id=notifications.publish(cfg.notification_topic_arn, note, notifier)
    )


def _error_and_cause(execution_arn: str, region: str) -> tuple[str | None, str | None]:
    """Best effort, for events that carry no error/cause: DescribeExecution has them."""
    try:
        described = aws.stepfunctions(region).describe_execution(executionArn=execution_arn)
    except ClientError as exc:
        logger.warning("Could not describe execution", extra={"error": str(exc)})
        return None, None
    return described.get("error"), described.get("cause")


def _failure_reason(pipeline_execution_arn: str, region: str) -> str | None:
    """Best effort: the event has no reason; DescribePipelineExecution does."""
    try:
        described = aws.sagemaker(region).describe_pipeline_execution(
            PipelineExecutionArn=pipeline_execution_arn
        )
    except ClientError as exc:
        logger.warning("Could not describe pipeline execution", extra={"error": str(exc)})
        return None
    reason = described.get("FailureReason")
    return str(reason) if reason else None


def _pipeline(
    event: PipelineExecutionStatusChangeEvent, cfg: NotifyFailureSettings, notifier: Notifier | None
) -> StateChangeResult:
    if (ignored := not_notified(event)) is not None:
        return ignored
    d = event.detail
    status = d.current_pipeline_execution_status
    note = notifications.pipeline_failed(
        env=cfg.environment_name,
        status=status,
        pipeline_name=d.pipeline_name,
        pipeline_execution_arn=d.pipeline_execution_arn,
        display_name=d.pipeline_execution_display_name,
        failure_reason=_failure_reason(d.pipeline_execution_arn, event.region),
        region=event.region,
    )
    return StateChangeResult(
        action="notified", message_id=notifications.publish(cfg.notification_topic_arn, note, notifier)
    )
