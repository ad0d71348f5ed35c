"""EventBridge `SageMaker Model Package State Change` (the registry's approval events).

Field names inside `detail` are the ones AWS documents (PascalCase, as in DescribeModelPackage);
Python attribute names are snake_case (`rename="pascal"`: `model_package_arn` <-> `ModelPackageArn`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, field

from mlops_loop.models.eventbridge import AwsShape, EventBridgeEvent, ModelPackageArn
from mlops_loop.models.payloads import S3UriStr

ModelApprovalStatus = Literal["Approved", "Rejected", "PendingManualApproval"]


class S3Object(AwsShape, kw_only=True, rename="pascal"):
    content_type: str | None = None
    s3_uri: S3UriStr


class StatisticsConstraints(AwsShape, kw_only=True, rename="pascal"):
    statistics: S3Object | None = None
    constraints: S3Object | None = None


class ModelMetrics(AwsShape, kw_only=True, rename="pascal"):
    model_quality: StatisticsConstraints | None = None
    model_data_quality: StatisticsConstraints | None = None


class ModelPackageStateChangeDetail(AwsShape, kw_only=True, rename="pascal"):
    model_package_group_name: Annotated[str, Meta(min_length=1)]
    model_package_version: Annotated[int, Meta(ge=1)]
    model_package_arn: ModelPackageArn
    model_approval_status: ModelApprovalStatus
    model_package_status: str | None = None
    # CreationTime, LastModifiedTime and the other fields nothing here reads are not modelled: a
    # format change in a field we do not use must not turn an approval event into InvalidEvent.
    model_metrics: ModelMetrics | None = None
    approval_description: str | None = None


class ModelPackageStateChangeEvent(EventBridgeEvent, kw_only=True):
    source: Literal["aws.sagemaker"]
    detail_type: Literal["SageMaker Model Package State Change"] = field(name="detail-type")
    detail: ModelPackageStateChangeDetail
