"""msgspec models of every event and state-machine payload (docs/architecture.md).

One module per event or payload family; a name imported from this package loads only the module
that defines it (PEP 562 `__getattr__`), so a function imports only the families it uses (building
a msgspec Struct class costs microseconds; importing and compiling modules it does not use still
costs on a cold start):

    eventbridge     the EventBridge envelope, AwsShape, ARN field types
    model_package   SageMaker Model Package State Change
    executions      Step Functions / SageMaker Pipeline execution status change
    drift           the custom Data Drift Detected event
    schedule        EventBridge Scheduler input
    s3              S3's Object Created (a model-quality label set's marker)
    payloads        Payload base, shared field types, Violation
    batch, resolved, monitoring, retraining, results   state-machine inputs and outputs
                    (retraining: also its steps' requests and results, and the starters' results)
    parsing         parse_event (InvalidEvent on a malformed event)

Shared code and handlers import from the defining module; `from mlops_loop.models import X`
works too and costs the same.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_loop.models.batch import BatchInferenceInput, StartBatchInferenceResult
    from mlops_loop.models.drift import DataDriftDetectedDetail, DataDriftDetectedEvent
    from mlops_loop.models.eventbridge import EventBridgeEvent
    from mlops_loop.models.executions import (
        PipelineExecutionStatusChangeDetail,
        PipelineExecutionStatusChangeEvent,
        StepFunctionsExecutionStatusChangeDetail,
        StepFunctionsExecutionStatusChangeEvent,
    )
    from mlops_loop.models.model_package import ModelPackageStateChangeDetail, ModelPackageStateChangeEvent
    from mlops_loop.models.monitoring import MonitorBatchRequest, MonitoringResult
    from mlops_loop.models.parsing import parse_event
    from mlops_loop.models.payloads import Payload, Violation
    from mlops_loop.models.resolved import ResolvedModel, ResolveModelRequest
    from mlops_loop.models.results import StateChangeResult
    from mlops_loop.models.retraining import (
        BaselineRequest,
        BaselineResult,
        EvaluateRequest,
        EvaluationResult,
        FreshnessResult,
        PreparedData,
        PrepareRequest,
        RetrainingInput,
        StartResult,
    )
    from mlops_loop.models.s3 import ObjectCreatedEvent
    from mlops_loop.models.schedule import ScheduledInvocation

_HOME = {
    "BatchInferenceInput": "batch",
    "StartBatchInferenceResult": "batch",
    "DataDriftDetectedDetail": "drift",
    "DataDriftDetectedEvent": "drift",
    "EventBridgeEvent": "eventbridge",
    "PipelineExecutionStatusChangeDetail": "executions",
    "PipelineExecutionStatusChangeEvent": "executions",
    "StepFunctionsExecutionStatusChangeDetail": "executions",
    "StepFunctionsExecutionStatusChangeEvent": "executions",
    "ModelPackageStateChangeDetail": "model_package",
    "ModelPackageStateChangeEvent": "model_package",
    "MonitorBatchRequest": "monitoring",
    "MonitoringResult": "monitoring",
    "parse_event": "parsing",
    "Payload": "payloads",
    "Violation": "payloads",
    "ResolvedModel": "resolved",
    "ResolveModelRequest": "resolved",
    "StateChangeResult": "results",
    "BaselineRequest": "retraining",
    "BaselineResult": "retraining",
    "EvaluateRequest": "retraining",
    "EvaluationResult": "retraining",
    "FreshnessResult": "retraining",
    "PrepareRequest": "retraining",
    "PreparedData": "retraining",
    "RetrainingInput": "retraining",
    "StartResult": "retraining",
    "ObjectCreatedEvent": "s3",
    "ScheduledInvocation": "schedule",
}

__all__ = [
    "BaselineRequest",
    "BaselineResult",
    "BatchInferenceInput",
    "DataDriftDetectedDetail",
    "DataDriftDetectedEvent",
    "EvaluateRequest",
    "EvaluationResult",
    "EventBridgeEvent",
    "FreshnessResult",
    "ModelPackageStateChangeDetail",
    "ModelPackageStateChangeEvent",
    "MonitorBatchRequest",
    "MonitoringResult",
    "ObjectCreatedEvent",
    "Payload",
    "PipelineExecutionStatusChangeDetail",
    "PipelineExecutionStatusChangeEvent",
    "PrepareRequest",
    "PreparedData",
    "ResolveModelRequest",
    "ResolvedModel",
    "RetrainingInput",
    "ScheduledInvocation",
    "StartBatchInferenceResult",
    "StartResult",
    "StateChangeResult",
    "StepFunctionsExecutionStatusChangeDetail",
    "StepFunctionsExecutionStatusChangeEvent",
    "Violation",
    "parse_event",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
