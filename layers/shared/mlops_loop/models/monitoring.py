"""MonitorBatch's input and its output, `$.monitoring` of the batch-inference state machine."""

from __future__ import annotations

from typing import Literal

from mlops_loop.models.payloads import Payload, S3UriStr, Verdict, Violation
from mlops_loop.models.resolved import ResolvedModel


class MonitorBatchRequest(Payload, kw_only=True):
    """MonitorBatch's input. `analyze` runs the dataquality analyzer here; `classify` reads what a
    Model Monitor Processing job wrote (to `processingOutputS3Uri`, default `outputS3Uri`)."""

    mode: Literal["analyze", "classify"]
    batch_input_s3_uri: S3UriStr | None = None
    baseline_statistics_s3_uri: S3UriStr
    baseline_constraints_s3_uri: S3UriStr
    output_s3_uri: S3UriStr | None = None
    processing_output_s3_uri: S3UriStr | None = None
    has_header: bool = False
    run_id: str | None = None
    model: ResolvedModel


class MonitoringResult(Payload, kw_only=True):
    """MonitorBatch's output, `$.monitoring` in the batch-inference state machine."""

    verdict: Verdict
    drifted_features: list[str]
    violations: list[Violation]
    feature_distances: dict[str, float]
    statistics_s3_uri: S3UriStr
    violations_s3_uri: S3UriStr
    report_s3_uri: S3UriStr
