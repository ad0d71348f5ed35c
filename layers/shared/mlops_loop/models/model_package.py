"""EventBridge `SageMaker Model Package State Change` (the registry's approval events).

Field names inside `detail` are the ones AWS documents (PascalCase, as in DescribeModelPackage);
Python attribute names are snake_case with the documented name as alias.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mlops_loop.models.eventbridge import AwsShape, EventBridgeEvent, ModelPackageArn
from mlops_loop.models.payloads import S3UriStr

ModelApprovalStatus = Literal["Approved", "Rejected", "PendingManualApproval"]


class S3Object(AwsShape):
    content_type: str | None = Field(None, alias="ContentType")
    s3_uri: S3UriStr = Field(alias="S3Uri")


class StatisticsConstraints(AwsShape):
    statistics: S3Object | None = Field(None, alias="Statistics")
    constraints: S3Object | None = Field(None, alias="Constraints")


class ModelMetrics(AwsShape):
    model_quality: StatisticsConstraints | None = Field(None, alias="ModelQuality")
    model_data_quality: StatisticsConstraints | None = Field(None, alias="ModelDataQuality")


class ModelPackageStateChangeDetail(AwsShape):
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
