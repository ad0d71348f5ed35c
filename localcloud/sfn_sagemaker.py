"""The SageMaker optimised integration of Step Functions for moto's ASL interpreter.

`arn:aws:states:::sagemaker:<action>` forwards the call (request-response); for
createTransformJob, createTrainingJob and createProcessingJob the `.sync` pattern creates the
job and then describes it until it leaves InProgress/Stopping: Completed gives the describe
output as the task's result, Failed or Stopped fail the task with `SYNC_JOB_FAILED_ERROR`.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from typing import Any, Final

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

from localcloud import sfn_errors

# The error a `.sync` SageMaker task fails with when its job ends Failed or Stopped.
# The Step Functions developer guide ("Error names", error handling) defines States.TaskFailed as
# "a Task state failed during the execution"; for the Run a Job (.sync) pattern the job's own
# terminal failure is reported that way, with the job's describe output (FailureReason included)
# as the Cause. A Catch on States.TaskFailed or States.ALL handles it. Keep every reference to this
# name here, so a correction is one line.
SYNC_JOB_FAILED_ERROR: Final[str] = "States.TaskFailed"

# How often a `.sync` task describes its job (on the execution's thread). A describe costs a few
# milliseconds; local jobs take a fraction of a second to a few seconds, so a short interval keeps
# the wait after a job ends short (0.2 s here added ~0.1 s to every .sync task on average).
POLL_SECONDS: Final[float] = 0.05

# action (as in the resource ARN, lower-cased) -> (describe action, name parameter, status field)
SYNC_JOBS: Final[dict[str, tuple[str, str, str]]] = {
    "createtransformjob": ("describe_transform_job", "TransformJobName", "TransformJobStatus"),
    "createtrainingjob": ("describe_training_job", "TrainingJobName", "TrainingJobStatus"),
    "createprocessingjob": ("describe_processing_job", "ProcessingJobName", "ProcessingJobStatus"),
}
_FAILED_STATUSES: Final[frozenset[str]] = frozenset({"Failed", "Stopped"})
_DONE_STATUS: Final[str] = "Completed"


def json_safe(value: Any) -> Any:
    """A copy of a boto3 response that `json.dumps` takes: datetimes become ISO-8601 strings."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _error_name(name: str) -> ErrorName:
    if name.startswith("States."):
        for typ in StatesErrorNameType:
            if typ.to_name() == name:
                return StatesErrorName(typ=typ)
        raise ValueError(f"unknown States error name {name!r}")
    return CustomErrorName(name)


# Optimised SageMaker integrations report the SDK's exception class (`localcloud.sfn_errors`): an
# error SageMaker's model declares keeps its shape name with "Exception" appended
# (SageMaker.ResourceLimitExceededException, SageMaker.ResourceNotFoundException, ...); anything
# else, throttling included (SageMaker models no ThrottlingException), arrives as
# SageMaker.AmazonSageMakerException with the error code in the Cause.
GENERIC_SAGEMAKER_ERROR: Final[str] = "SageMaker.AmazonSageMakerException"


def sagemaker_error_name(code: str, action: str = "createModel") -> str:
    """The error name of an optimized SageMaker task (`arn:aws:states:::sagemaker:<action>`) whose
    call SageMaker refused with `code`."""
    return sfn_errors.optimized("sagemaker", action).error_name(code)


def sagemaker_error_cause(ex: ClientError) -> str:
    error = ex.response["Error"]
    status = ex.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
    request_id = ex.response.get("ResponseMetadata", {}).get("RequestId", "")
    return (
        f"{error.get('Message', '')} (Service: AmazonSageMaker; Status Code: {status}; "
        f"Error Code: {error.get('Code', '')}; Request ID: {request_id})"
    )


class StateTaskServiceSageMaker(state_task_service_callback.StateTaskServiceCallback):
    """SageMaker: request-response for every API; `.sync` for the three job types."""

    def __init__(self) -> None:
        super().__init__(supported_integration_patterns={ResourceCondition.Sync})  # type: ignore[arg-type]

    def _validate_service_integration_is_supported(self) -> None:
        action = self.resource.api_action.lower()
        if self.resource.condition == ResourceCondition.Sync and action not in SYNC_JOBS:
            raise ValueError(f"sagemaker:{self.resource.api_action} does not support .sync")
        if self.resource.condition not in (None, ResourceCondition.Sync):
            raise ValueError(
                f"sagemaker:{self.resource.api_action}.{self.resource.condition} is not supported"
            )

    def _from_error(self, env: Any, ex: Exception) -> FailureEvent:
        if isinstance(ex, ClientError):
            error_name = sagemaker_error_name(ex.response["Error"]["Code"], self.resource.api_action)
            return FailureEvent(
                env=env,
                error_name=CustomErrorName(error_name),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(  # type: ignore[typeddict-item]
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=error_name,
                        cause=sagemaker_error_cause(ex),
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        return super()._from_error(env=env, ex=ex)

    def _client(self, region: str, credentials: Any) -> Any:
        return boto_client_for(region=region, service="sagemaker", state_credentials=credentials)

    def _eval_service_task(
        self,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: dict,
        state_credentials: Any,
    ) -> None:
        client = self._client(resource_runtime_part.region, state_credentials)
        action = self._get_boto_service_action()
        response = getattr(client, action)(**normalised_parameters)
        env.stack.append(json_safe(response or {}))

    def _eval_integration_pattern(
        self,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: dict,
        state_credentials: Any,
    ) -> None:
        # Replaces the base class's version: that one interrupts a callback endpoint that a
        # retried attempt reuses (retries then time out at once); `.sync` here needs none.
        env.stack.pop()  # the Create* response; the result of a .sync task is the describe output
        resolver = self._sync_resolver(env, resource_runtime_part, normalised_parameters, state_credentials)
        outcome = self._eval_sync(env, resolver, None, None, None)
        env.stack.append(outcome)

    def _eval_sync(
        self,
        env: Any,
        sync_resolver: Callable[[], Any] | None,
        timeout_seconds: int | None,
        callback_endpoint: Any,
        heartbeat_endpoint: Any,
    ) -> Any:
        assert sync_resolver is not None
        while env.is_running():
            result = sync_resolver()
            if result is not None:
                return result
            time.sleep(POLL_SECONDS)
        return None

    def _sync_resolver(
        self,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: dict,
        state_credentials: Any,
    ) -> Callable[[], Any]:
        describe, name_parameter, status_field = SYNC_JOBS[self.resource.api_action.lower()]
        job_name = normalised_parameters[name_parameter]
        client = self._client(resource_runtime_part.region, state_credentials)

        def resolve() -> Any:
            description = json_safe(getattr(client, describe)(**{name_parameter: job_name}))
            status = description.get(status_field)
            if status == _DONE_STATUS:
                return description
            if status in _FAILED_STATUSES:
                raise FailureEventException(
                    FailureEvent(
                        env=env,
                        error_name=_error_name(SYNC_JOB_FAILED_ERROR),
                        event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(  # type: ignore[typeddict-item]
                            taskFailedEventDetails=TaskFailedEventDetails(
                                resource=self._get_sfn_resource(),
                                resourceType=self._get_sfn_resource_type(),
                                error=SYNC_JOB_FAILED_ERROR,
                                cause=json.dumps(description),
                            )
                        ),
                    )
                )
            return None

        return resolve
