"""The custom `Data Drift Detected` event the batch-inference workflow publishes (docs/architecture.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops_loop.models.eventbridge import EventBridgeEvent, ExecutionArn, ModelPackageArn
from mlops_loop.models.payloads import S3UriStr, Violation


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
