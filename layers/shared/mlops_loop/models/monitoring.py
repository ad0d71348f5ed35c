"""MonitorBatch's input and its output, `$.monitoring` of the batch-inference state machine."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlops_loop.models.payloads import Payload, S3UriStr, Verdict, Violation
from mlops_loop.models.resolved import ResolvedModel


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
