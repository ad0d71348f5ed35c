"""Pydantic v2 models of every event and state-machine payload (docs/architecture.md)."""

from mlops_loop.models.events import (
    DataDriftDetectedDetail,
    DataDriftDetectedEvent,
    ModelPackageStateChangeDetail,
    ModelPackageStateChangeEvent,
    PipelineExecutionStatusChangeDetail,
    PipelineExecutionStatusChangeEvent,
    ScheduledInvocation,
    StepFunctionsExecutionStatusChangeDetail,
    StepFunctionsExecutionStatusChangeEvent,
)
from mlops_loop.models.parsing import parse_event
from mlops_loop.models.payloads import (
    BatchInferenceInput,
    MonitorBatchRequest,
    MonitoringResult,
    ResolvedModel,
    ResolveModelRequest,
    RetrainingInput,
    StartBatchInferenceResult,
    StateChangeResult,
    Violation,
)

__all__ = [
    "BatchInferenceInput",
    "DataDriftDetectedDetail",
    "DataDriftDetectedEvent",
    "ModelPackageStateChangeDetail",
    "ModelPackageStateChangeEvent",
    "MonitorBatchRequest",
    "MonitoringResult",
    "PipelineExecutionStatusChangeDetail",
    "PipelineExecutionStatusChangeEvent",
    "ResolveModelRequest",
    "ResolvedModel",
    "RetrainingInput",
    "ScheduledInvocation",
    "StartBatchInferenceResult",
    "StateChangeResult",
    "StepFunctionsExecutionStatusChangeDetail",
    "StepFunctionsExecutionStatusChangeEvent",
    "Violation",
    "parse_event",
]
