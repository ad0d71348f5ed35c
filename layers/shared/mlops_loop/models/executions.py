"""EventBridge status-change events of the workflows NotifyFailure watches: `Step Functions
Execution Status Change` and `SageMaker Model Building Pipeline Execution Status Change`
(camelCase field names inside `detail`, as AWS documents them)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from mlops_loop.models.eventbridge import AwsShape, EventBridgeEvent, ExecutionArn, StateMachineArn

ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
PipelineExecutionStatus = Literal["Executing", "Stopping", "Stopped", "Failed", "Succeeded"]


class StepFunctionsExecutionStatusChangeDetail(AwsShape):
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


class PipelineExecutionStatusChangeDetail(AwsShape):
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
