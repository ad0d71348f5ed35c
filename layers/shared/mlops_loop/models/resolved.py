"""ResolveModel's input and its output, `$.model` of the batch-inference state machine."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_serializer

from mlops_loop.models.payloads import Payload, S3UriStr


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
