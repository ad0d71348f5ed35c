"""The custom `Data Drift Detected` event the batch-inference workflow publishes (docs/architecture.md)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta, field

from mlops_loop.models.eventbridge import EventBridgeEvent, ExecutionArn, ModelPackageArn
from mlops_loop.models.payloads import S3UriStr, Violation


class DataDriftDetectedDetail(msgspec.Struct, kw_only=True, rename="camel"):
    """What the batch-inference workflow publishes when a batch drifted (docs/architecture.md)."""

    model_package_group_name: Annotated[str, Meta(min_length=1)]
    model_package_arn: ModelPackageArn
    model_package_version: Annotated[int, Meta(ge=1)]
    drift_episode_id: Annotated[str, Meta(min_length=1, max_length=80)]
    execution_arn: ExecutionArn
    drifted_features: Annotated[list[str], Meta(min_length=1)]
    violations: list[Violation] = field(default_factory=list)
    report_s3_uri: S3UriStr | None = None
    environment: Annotated[str, Meta(min_length=1)]


class DataDriftDetectedEvent(EventBridgeEvent, kw_only=True):
    """Source is the stack's DRIFT_EVENT_SOURCE (default `mlops.monitoring`): checked by the handler."""

    detail_type: Literal["Data Drift Detected"] = field(name="detail-type")
    detail: DataDriftDetectedDetail
