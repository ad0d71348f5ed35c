"""EventBridge status-change events of the workflows NotifyFailure watches: `Step Functions
Execution Status Change` and `SageMaker Model Building Pipeline Execution Status Change`
(camelCase field names inside `detail`, as AWS documents them)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from msgspec import Meta, field

from mlops_loop.models.eventbridge import AwsShape, EventBridgeEvent, ExecutionArn, StateMachineArn

ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
PipelineExecutionStatus = Literal["Executing", "Stopping", "Stopped", "Failed", "Succeeded"]


class StepFunctionsExecutionStatusChangeDetail(AwsShape, kw_only=True, rename="camel"):
    execution_arn: ExecutionArn
    state_machine_arn: StateMachineArn
    name: Annotated[str, Meta(min_length=1)]
    status: ExecutionStatus
    # startDate / stopDate (epoch milliseconds) are not read, so not modelled (see model_package.py).
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


class StepFunctionsExecutionStatusChangeEvent(EventBridgeEvent, kw_only=True):
    source: Literal["aws.states"]
    detail_type: Literal["Step Functions Execution Status Change"] = field(name="detail-type")
    detail: StepFunctionsExecutionStatusChangeDetail


class PipelineExecutionStatusChangeDetail(AwsShape, kw_only=True, rename="camel"):
    pipeline_arn: Annotated[str, Meta(pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:\d{12}:pipeline/")]
    pipeline_execution_arn: Annotated[
        str, Meta(pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:\d{12}:pipeline/[^/]+/execution/")
    ]
    current_pipeline_execution_status: PipelineExecutionStatus
    previous_pipeline_execution_status: PipelineExecutionStatus | None = None
    pipeline_execution_display_name: str | None = None
    pipeline_execution_description: str | None = None
    # executionStartTime / executionEndTime are not read, so not modelled (see model_package.py).

    @property
    def pipeline_name(self) -> str:
        return self.pipeline_arn.split(":pipeline/", 1)[1].split("/", 1)[0]


class PipelineExecutionStatusChangeEvent(EventBridgeEvent, kw_only=True):
    source: Literal["aws.sagemaker"]
    detail_type: Literal["SageMaker Model Building Pipeline Execution Status Change"] = field(
        name="detail-type"
    )
    detail: PipelineExecutionStatusChangeDetail
