"""Typed models of every event that triggers a function.

EventBridge events subclass our `EventBridgeEvent` envelope (mlops_loop.models.eventbridge: version,
id, source, account, time, region, resources, detail-type, detail) and pin `source`, `detail-type`
and the `detail` shape, so one `model_validate` checks the whole event. Field names inside `detail` are the
ones AWS documents (PascalCase for SageMaker model packages, camelCase for pipelines and Step
Functions); Python attribute names are snake_case with the documented name as alias.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlops_loop.models.eventbridge import EventBridgeEvent
from mlops_loop.models.payloads import Violation

ModelApprovalStatus = Literal["Approved", "Rejected", "PendingManualApproval"]
ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
PipelineExecutionStatus = Literal["Executing", "Stopping", "Stopped", "Failed", "Succeeded"]

ModelPackageArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:\d{12}:model-package/")
]
StateMachineArn = Annotated[str, Field(pattern=r"^arn:aws[a-z\-]*:states:[a-z0-9\-]+:\d{12}:stateMachine:")]
ExecutionArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z\-]*:states:[a-z0-9\-]+:\d{12}:(execution|express):")
]
S3UriStr = Annotated[str, Field(pattern=r"^s3://[^/]+(/.*)?$")]


class _AwsShape(BaseModel):
    """Documented AWS shapes: extra fields are kept (AWS adds fields over time)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


# --- SageMaker Model Package State Change ------------------------------------------------------


class S3Object(_AwsShape):
    content_type: str | None = Field(None, alias="ContentType")
    s3_uri: S3UriStr = Field(alias="S3Uri")


class StatisticsConstraints(_AwsShape):
    statistics: S3Object | None = Field(None, alias="Statistics")
    constraints: S3Object | None = Field(None, alias="Constraints")


class ModelMetrics(_AwsShape):
    model_quality: StatisticsConstraints | None = Field(None, alias="ModelQuality")
    model_data_quality: StatisticsConstraints | None = Field(None, alias="ModelDataQuality")


class ModelPackageStateChangeDetail(_AwsShape):
    model_package_group_name: str = Field(alias="ModelPackageGroupName", min_length=1)
    model_package_version: int = Field(alias="ModelPackageVersion", ge=1)
    model_package_arn: ModelPackageArn = Field(alias="ModelPackageArn")
    model_approval_status: ModelApprovalStatus = Field(alias="ModelApprovalStatus")
    model_package_status: str | None = Field(None, alias="ModelPackageStatus")
    creation_time: datetime | None = Field(None, alias="CreationTime")
    model_metrics: ModelMetrics | None = Field(None, alias="ModelMetrics")
    approval_description: str | None = Field(None, alias="ApprovalDescription")


class ModelPackageStateChangeEvent(EventBridgeEvent):
    source: Literal["aws.sagemaker"]
    detail_type: Literal["SageMaker Model Package State Change"] = Field(alias="detail-type")
    detail: ModelPackageStateChangeDetail


# --- Step Functions Execution Status Change ----------------------------------------------------


class StepFunctionsExecutionStatusChangeDetail(_AwsShape):
    execution_arn: ExecutionArn = Field(alias="executionArn")
    state_machine_arn: StateMachineArn = Field(alias="stateMachineArn")
    name: str = Field(min_length=1)
    status: ExecutionStatus
    start_date: int | None = Field(None, alias="startDate", description="epoch milliseconds")
    stop_date: int | None = Field(None, alias="stopDate", description="epoch milliseconds")
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None

    def input_json(self) -> dict[str, Any]:
        """The execution input as a dict ({} when absent, not included, or not an object)."""
        try:
            value = json.loads(self.input or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class StepFunctionsExecutionStatusChangeEvent(EventBridgeEvent):
    source: Literal["aws.states"]
    detail_type: Literal["Step Functions Execution Status Change"] = Field(alias="detail-type")
    detail: StepFunctionsExecutionStatusChangeDetail


# --- SageMaker Model Building Pipeline Execution Status Change ---------------------------------


class PipelineExecutionStatusChangeDetail(_AwsShape):
    pipeline_arn: str = Field(
        alias="pipelineArn", pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:\d{12}:pipeline/"
    )
    pipeline_execution_arn: str = Field(
        alias="pipelineExecutionArn",
        pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:\d{12}:pipeline/[^/]+/execution/",
    )
    current_pipeline_execution_status: PipelineExecutionStatus = Field(alias="currentPipelineExecutionStatus")
    previous_pipeline_execution_status: PipelineExecutionStatus | None = Field(
        None, alias="previousPipelineExecutionStatus"
    )
    pipeline_execution_display_name: str | None = Field(None, alias="pipelineExecutionDisplayName")
    pipeline_execution_description: str | None = Field(None, alias="pipelineExecutionDescription")
    execution_start_time: datetime | None = Field(None, alias="executionStartTime")
    execution_end_time: datetime | None = Field(None, alias="executionEndTime")

    @property
    def pipeline_name(self) -> str:
        return self.pipeline_arn.split(":pipeline/", 1)[1].split("/", 1)[0]


class PipelineExecutionStatusChangeEvent(EventBridgeEvent):
    source: Literal["aws.sagemaker"]
    detail_type: Literal["SageMaker Model Building Pipeline Execution Status Change"] = Field(
        alias="detail-type"
    )
    detail: PipelineExecutionStatusChangeDetail


# --- Custom: Data Drift Detected (published by the batch-inference state machine) --------------


class DataDriftDetectedDetail(BaseModel):
    """What the batch-inference workflow publishes when a batch drifted (docs/architecture.md)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    model_package_group_name: str = Field(alias="modelPackageGroupName", min_length=1)
    model_package_arn: ModelPackageArn = Field(alias="modelPackageArn")
    model_package_version: int = Field(alias="modelPackageVersion", ge=1)
    drift_episode_id: str = Field(alias="driftEpisodeId", min_length=1, max_length=80)
    execution_arn: ExecutionArn = Field(alias="executionArn")
    drifted_features: list[str] = Field(alias="driftedFeatures", min_length=1)
    violations: list[Violation] = Field(default_factory=list)
    report_s3_uri: S3UriStr | None = Field(None, alias="reportS3Uri")
    environment: str = Field(min_length=1)


class DataDriftDetectedEvent(EventBridgeEvent):
    """Source is the stack's DRIFT_EVENT_SOURCE (default `mlops.monitoring`): checked by the handler."""

    detail_type: Literal["Data Drift Detected"] = Field(alias="detail-type")
    detail: DataDriftDetectedDetail


# --- EventBridge Scheduler input (ScheduleV2 target Input with context attributes) -------------


class ScheduledInvocation(BaseModel):
    """The Input the template gives the schedule's Lambda target:

    `{"scheduledTime": "<aws.scheduler.scheduled-time>", "scheduleArn": "<aws.scheduler.schedule-arn>",
    "executionId": "<aws.scheduler.execution-id>"}`; Scheduler fills in the context attributes.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    scheduled_time: datetime = Field(alias="scheduledTime")
    schedule_arn: str = Field(
        alias="scheduleArn", pattern=r"^arn:aws[a-z\-]*:scheduler:[a-z0-9\-]+:\d{12}:schedule/"
    )
    execution_id: str = Field(alias="executionId", min_length=1)

    @field_validator("scheduled_time")
    @classmethod
    def _must_be_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("scheduledTime must carry a time zone (Scheduler sends UTC, e.g. ...Z)")
        return value
