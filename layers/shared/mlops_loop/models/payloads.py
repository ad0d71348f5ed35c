"""State-machine payloads (docs/architecture.md): inputs the workflows pass to our functions and
the outputs the functions hand back. Field aliases are the camelCase names the ASL reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

S3UriStr = Annotated[str, Field(pattern=r"^s3://[^/]+(/.*)?$")]
Verdict = Literal["clean", "drift", "data_quality_failure"]
Trigger = Literal["schedule", "approval", "manual"]


class Payload(BaseModel):
    """Inputs: camelCase aliases, unknown keys ignored (the ASL may pass the whole state)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def dump(self) -> dict:
        """JSON-safe dict with the camelCase names, as Step Functions receives it."""
        return self.model_dump(mode="json", by_alias=True)


class BatchInferenceInput(Payload):
    """Input of the batch-inference state machine."""

    run_id: str = Field(alias="runId", min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    batch_input_s3_uri: S3UriStr = Field(alias="batchInputS3Uri")
    trigger: Trigger


class ResolveModelRequest(Payload):
    """What ResolveModel receives: the execution input (only `runId` is read, for the logs)."""

    run_id: str = Field(alias="runId", min_length=1)


class ResolvedModel(Payload):
    """ResolveModel's output, `$.model` in the batch-inference state machine."""

    model_package_arn: str = Field(alias="modelPackageArn")
    model_package_group_name: str = Field(alias="modelPackageGroupName")
    model_package_version: int = Field(alias="modelPackageVersion", ge=1)
    model_name: str = Field(alias="modelName", max_length=63)
    model_exists: bool = Field(alias="modelExists")
    image_uri: str = Field(alias="imageUri")
    model_data_url: S3UriStr = Field(alias="modelDataUrl")
    baseline_statistics_s3_uri: S3UriStr = Field(alias="baselineStatisticsS3Uri")
    baseline_constraints_s3_uri: S3UriStr = Field(alias="baselineConstraintsS3Uri")
    creation_time: datetime = Field(alias="creationTime")

    @field_serializer("creation_time")
    def _iso(self, value: datetime) -> str:
        return value.isoformat()


class Violation(Payload):
    """One entry of constraint_violations.json (Model Monitor's own field names)."""

    feature_name: str
    constraint_check_type: str
    description: str = ""


class MonitorBatchRequest(Payload):
    """MonitorBatch's input. `analyze` runs the dataquality analyzer here; `classify` reads what a
    Model Monitor Processing job wrote (to `processingOutputS3Uri`, default `outputS3Uri`)."""

    mode: Literal["analyze", "classify"]
    batch_input_s3_uri: S3UriStr | None = Field(None, alias="batchInputS3Uri")
    baseline_statistics_s3_uri: S3UriStr = Field(alias="baselineStatisticsS3Uri")
    baseline_constraints_s3_uri: S3UriStr = Field(alias="baselineConstraintsS3Uri")
    output_s3_uri: S3UriStr | None = Field(None, alias="outputS3Uri")
    processing_output_s3_uri: S3UriStr | None = Field(None, alias="processingOutputS3Uri")
    has_header: bool = Field(False, alias="hasHeader")
    run_id: str | None = Field(None, alias="runId")
    model: ResolvedModel


class MonitoringResult(Payload):
    """MonitorBatch's output, `$.monitoring` in the batch-inference state machine."""

    verdict: Verdict
    drifted_features: list[str] = Field(alias="driftedFeatures")
    violations: list[Violation]
    feature_distances: dict[str, float] = Field(alias="featureDistances")
    statistics_s3_uri: S3UriStr = Field(alias="statisticsS3Uri")
    violations_s3_uri: S3UriStr = Field(alias="violationsS3Uri")
    report_s3_uri: S3UriStr = Field(alias="reportS3Uri")


class RetrainingInput(Payload):
    """Input of the retraining state machine (started by start_retraining / check_freshness)."""

    run_id: str = Field(alias="runId", min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    reason: Literal["drift", "stale", "manual"]
    episode_id: str = Field(alias="episodeId", min_length=1)
    model_package_group_name: str = Field(alias="modelPackageGroupName", min_length=1)
    training_data_s3_uri: S3UriStr = Field(alias="trainingDataS3Uri")
    source_execution_arn: str | None = Field(None, alias="sourceExecutionArn")
    base_model_package_arn: str | None = Field(None, alias="baseModelPackageArn")


class StartBatchInferenceResult(Payload):
    started: bool
    execution_arn: str | None = Field(None, alias="executionArn")
    execution_name: str = Field(alias="executionName")
    reason: Literal["started", "duplicate"]


class StateChangeResult(Payload):
    """What ModelPackageStateChange and NotifyFailure return (for logs and tests)."""

    action: Literal["ignored", "notified", "recorded_live_and_notified", "asked_approval"]
    reason: str | None = None
    message_id: str | None = Field(None, alias="messageId")
    batch_execution_arn: str | None = Field(None, alias="batchExecutionArn")
