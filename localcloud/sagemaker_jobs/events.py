"""EventBridge events that SageMaker sends, in the shapes AWS documents.

Source: "Events that Amazon SageMaker AI sends to Amazon EventBridge" (SageMaker developer guide,
automating-sagemaker-with-eventbridge). The samples in tests/localcloud/fixtures/sagemaker_jobs/
were written from that page; the tests compare every emitted event with them.

Time formats follow each documented example, because they differ between event types:
training jobs carry epoch milliseconds as strings, processing jobs epoch milliseconds as numbers,
transform jobs, model packages and pipeline executions ISO-8601 strings. The envelope's ``time``
is always ISO-8601 (``2021-02-24T17:00:14Z``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

SOURCE = "aws.sagemaker"
TRAINING_JOB_STATE_CHANGE = "SageMaker Training Job State Change"
TRANSFORM_JOB_STATE_CHANGE = "SageMaker Transform Job State Change"
PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
PIPELINE_EXECUTION_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"

# Detail fields of each event type, in the documented order.
TRAINING_DETAIL_KEYS = (
    "TrainingJobName",
    "TrainingJobArn",
    "TrainingJobStatus",
    "SecondaryStatus",
    "FailureReason",
    "HyperParameters",
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "StoppingCondition",
    "ModelArtifacts",
    "CreationTime",
    "TrainingStartTime",
    "TrainingEndTime",
    "LastModifiedTime",
    "SecondaryStatusTransitions",
    "Tags",
)
TRANSFORM_DETAIL_KEYS = (
    "TransformJobName",
    "TransformJobArn",
    "TransformJobStatus",
    "FailureReason",
    "ModelName",
    "MaxConcurrentTransforms",
    "MaxPayloadInMB",
    "BatchStrategy",
    "Environment",
    "TransformInput",
    "TransformOutput",
    "TransformResources",
    "CreationTime",
    "TransformStartTime",
    "TransformEndTime",
    "Tags",
)
PROCESSING_DETAIL_KEYS = (
    "ProcessingInputs",
    "ProcessingOutputConfig",
    "ProcessingJobName",
    "ProcessingResources",
    "StoppingCondition",
    "AppSpecification",
    "NetworkConfig",
    "RoleArn",
    "ExperimentConfig",
    "ProcessingJobArn",
    "ProcessingJobStatus",
    "FailureReason",
    "ProcessingEndTime",
    "ProcessingStartTime",
    "LastModifiedTime",
    "CreationTime",
)
MODEL_PACKAGE_DETAIL_KEYS = (
    "ModelPackageGroupName",
    "ModelPackageVersion",
    "ModelPackageArn",
    "ModelPackageName",
    "ModelPackageDescription",
    "CreationTime",
    "InferenceSpecification",
    "ModelPackageStatus",
    "ModelPackageStatusDetails",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "ApprovalDescription",
    "MetadataProperties",
    "ModelMetrics",
    "DriftCheckBaselines",
    "CustomerMetadataProperties",
    "ModelLifeCycle",
    "UpdatedModelPackageFields",
    "LastModifiedTime",
)
# Fields that appear only when they have a value (FailureReason only on Failed, ModelArtifacts
# once training has produced them, start/end times once the job has started/ended, optional
# model-package fields).
OPTIONAL_DETAIL_KEYS = frozenset(
    {
        "FailureReason",
        "ModelArtifacts",
        "TrainingStartTime",
        "TransformStartTime",
        "ProcessingStartTime",
        "TrainingEndTime",
        "TransformEndTime",
        "ProcessingEndTime",
        "ModelPackageName",
        "ModelPackageDescription",
        "ApprovalDescription",
        "MetadataProperties",
        "ModelMetrics",
        "DriftCheckBaselines",
        "CustomerMetadataProperties",
        "ModelLifeCycle",
        "UpdatedModelPackageFields",
        "LastModifiedTime",
        "previousPipelineExecutionStatus",
        "executionEndTime",
        "pipelineExecutionDisplayName",
        "pipelineExecutionDescription",
    }
)


def iso(value: Any) -> str | None:
    """ISO-8601 UTC with a Z, second precision, as in the documented events."""
    moment = _as_datetime(value)
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(value: Any) -> int | None:
    moment = _as_datetime(value)
    return None if moment is None else int(moment.timestamp() * 1000)


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def tags_as_map(tags: Any) -> dict[str, str]:
    """Events carry tags as a map; the API as a list of Key/Value pairs."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t.get("Value", "")) for t in (tags or []) if "Key" in t}


def envelope(
    detail_type: str,
    *,
    account: str,
    region: str,
    resources: list[str],
    detail: dict[str, Any],
    time: datetime | None = None,
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": SOURCE,
        "account": account,
        "time": iso(time or datetime.now(UTC)),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def _pick(described: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: described[k] for k in keys if described.get(k) is not None}


def _epoch_ms_text(value: Any) -> str:
    return str(epoch_ms(value))


def _job_event(
    detail_type: str,
    detail: dict[str, Any],
    *,
    status_key: str,
    arn: Any,
    time_keys: tuple[str, ...],
    time_format: Callable[[Any], Any],
    account: str,
    region: str,
) -> dict[str, Any]:
    """A job's state-change event: FailureReason only on a failed job, times in this event type's format."""
    if detail.get(status_key) != "Failed":
        detail.pop("FailureReason", None)
    for key in time_keys:
        if key in detail:
            detail[key] = time_format(detail[key])
    return envelope(detail_type, account=account, region=region, resources=[str(arn)], detail=detail)


def training_job_event(described: Mapping[str, Any], *, account: str, region: str) -> dict[str, Any]:
    """``described`` is a DescribeTrainingJob response (datetimes allowed)."""
    detail = _pick(described, TRAINING_DETAIL_KEYS)
    detail.setdefault("VpcConfig", {})
    detail["Tags"] = tags_as_map(described.get("Tags"))
    detail.setdefault("SecondaryStatusTransitions", [])
    detail["SecondaryStatusTransitions"] = [
        {k: (_epoch_ms_text(v) if k.endswith("Time") else v) for k, v in t.items()}
        for t in detail["SecondaryStatusTransitions"]
    ]
    return _job_event(
        TRAINING_JOB_STATE_CHANGE,
        detail,
        status_key="TrainingJobStatus",
        arn=described["TrainingJobArn"],
        time_keys=("CreationTime", "TrainingStartTime", "TrainingEndTime", "LastModifiedTime"),
        time_format=_epoch_ms_text,
        account=account,
        region=region,
    )


def transform_job_event(described: Mapping[str, Any], *, account: str, region: str) -> dict[str, Any]:
    detail = _pick(described, TRANSFORM_DETAIL_KEYS)
    detail.setdefault("Environment", {})
    detail["Tags"] = tags_as_map(described.get("Tags"))
    return _job_event(
        TRANSFORM_JOB_STATE_CHANGE,
        detail,
        status_key="TransformJobStatus",
        arn=described["TransformJobArn"],
        time_keys=("CreationTime", "TransformStartTime", "TransformEndTime"),
        time_format=iso,
        account=account,
        region=region,
    )


def processing_job_event(described: Mapping[str, Any], *, account: str, region: str) -> dict[str, Any]:
    detail = _pick(described, PROCESSING_DETAIL_KEYS)
    for key in ("ProcessingInputs",):
        detail.setdefault(key, [])
    for key in ("ProcessingOutputConfig", "ProcessingResources", "StoppingCondition", "NetworkConfig"):
        detail.setdefault(key, {})
    detail.setdefault("ExperimentConfig", {})
    return _job_event(
        PROCESSING_JOB_STATE_CHANGE,
        detail,
        status_key="ProcessingJobStatus",
        arn=described["ProcessingJobArn"],
        time_keys=("ProcessingEndTime", "ProcessingStartTime", "LastModifiedTime", "CreationTime"),
        time_format=epoch_ms,
        account=account,
        region=region,
    )


def model_package_event(
    described: Mapping[str, Any],
    *,
    account: str,
    region: str,
    updated_fields: list[str] | None = None,
) -> dict[str, Any]:
    """``described`` is a DescribeModelPackage response; ``updated_fields`` is set on updates."""
    detail = _pick(described, MODEL_PACKAGE_DETAIL_KEYS)
    if updated_fields:
        detail["UpdatedModelPackageFields"] = list(updated_fields)
    for key in ("CreationTime", "LastModifiedTime"):
        if key in detail:
            detail[key] = iso(detail[key])
    detail.setdefault("CertifyForMarketplace", False)
    return envelope(
        MODEL_PACKAGE_STATE_CHANGE,
        account=account,
        region=region,
        resources=[str(described["ModelPackageArn"])],
        detail=detail,
    )


def pipeline_execution_event(
    *,
    pipeline_arn: str,
    execution_arn: str,
    current: str,
    previous: str | None,
    start_time: Any,
    end_time: Any = None,
    display_name: str | None = None,
    description: str | None = None,
    account: str,
    region: str,
) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if display_name:
        detail["pipelineExecutionDisplayName"] = display_name
    detail["currentPipelineExecutionStatus"] = current
    if previous:
        detail["previousPipelineExecutionStatus"] = previous
    detail["executionStartTime"] = iso(start_time)
    if end_time is not None:
        detail["executionEndTime"] = iso(end_time)
    if description:
        detail["pipelineExecutionDescription"] = description
    detail["pipelineArn"] = pipeline_arn
    detail["pipelineExecutionArn"] = execution_arn
    return envelope(
        PIPELINE_EXECUTION_STATUS_CHANGE,
        account=account,
        region=region,
        resources=[pipeline_arn, execution_arn],
        detail=detail,
    )
