"""MonitorBatch's input and its output, `$.monitoring` of the batch-inference state machine."""

from __future__ import annotations

from typing import Literal

from mlops_loop.models.drift import DataDriftDetectedDetail
from mlops_loop.models.failure import FailureCause
from mlops_loop.models.notification import Notification
from mlops_loop.models.payloads import Payload, S3UriStr, Verdict, Violation
from mlops_loop.models.resolved import ResolvedModel


class MonitorBatchRequest(Payload, kw_only=True):
    """MonitorBatch's input. `analyze` runs the dataquality analyzer here; `classify` reads what a
    Model Monitor Processing job wrote (to `processingOutputS3Uri`, default `outputS3Uri`).
    `sketch` and `merge` are the two halves of the distributed engine: `sketch` profiles one object
    of the batch (`itemS3Uri`, from a Distributed Map's listing of `batchInputS3Uri`) into a partial
    under the output prefix; `merge` merges the partials and checks the whole, as `analyze` does."""

    mode: Literal["analyze", "classify", "sketch", "merge"]
    batch_input_s3_uri: S3UriStr | None = None
    item_s3_uri: S3UriStr | None = None
    baseline_statistics_s3_uri: S3UriStr
    baseline_constraints_s3_uri: S3UriStr
    output_s3_uri: S3UriStr | None = None
    processing_output_s3_uri: S3UriStr | None = None
    predictions_s3_uri: S3UriStr | None = None
    has_header: bool = False
    run_id: str | None = None
    #: The batch-inference execution: a drift verdict's event and mail name it.
    execution_arn: str | None = None
    model: ResolvedModel


class SketchResult(Payload, kw_only=True):
    """A `sketch` step's output: where its partial profile went (None: the object is not data of
    the batch, e.g. `_SUCCESS` or a folder marker), and its rows."""

    partial_s3_uri: S3UriStr | None
    rows: int


class MonitoringResult(Payload, kw_only=True):
    """MonitorBatch's output, `monitoring` in the batch-inference state machine. The state machine
    switches on `verdict` and passes on what is ready-made for each: the drift event's detail and
    the drift mail (drift), the Fail state's cause (data_quality_failure)."""

    verdict: Verdict
    drifted_features: list[str]
    violations: list[Violation]
    feature_distances: dict[str, float]
    statistics_s3_uri: S3UriStr
    violations_s3_uri: S3UriStr
    report_s3_uri: S3UriStr
    drift_event: DataDriftDetectedDetail | None = None
    notification: Notification | None = None
    failure: FailureCause | None = None
