"""MonitorBatch's input and its output, `$.monitoring` of the batch-inference state machine."""

from __future__ import annotations

from typing import Literal

from mlops_loop.models.drift import DataDriftDetectedDetail
from mlops_loop.models.failure import FailureCause
from mlops_loop.models.notification import Notification
from mlops_loop.models.payloads import Payload, S3UriStr, Verdict, Violation
from mlops_loop.models.resolved import ResolvedModel
from mlops_loop.models.run import BatchRun


class MonitorBatchRequest(Payload, kw_only=True):
    """MonitorBatch's input: the run (ResolveModel's `run`: the batch, the run's monitoring folder)
    and the model version (its baseline). `analyze` runs the dataquality analyzer here; `judge`
    reads what a Model Monitor Processing job wrote (to `processingOutputS3Uri`, default the run's
    monitoring folder). `sketch` and `merge` are the two halves of the distributed engine: `sketch`
    profiles one object of the batch (`itemS3Uri`, from a Distributed Map's listing of the batch)
    into a partial under the monitoring folder; `merge` merges the partials and checks the whole,
    as `analyze` does. `list` comes first, whatever the engine: it lists the batch once
    (`dataquality.batch_objects`) into the run's manifest, which every later step and job reads."""

    mode: Literal["list", "analyze", "judge", "sketch", "merge"]
    run: BatchRun
    model: ResolvedModel
    item_s3_uri: S3UriStr | None = None
    processing_output_s3_uri: S3UriStr | None = None
    has_header: bool = False
    #: The batch-inference execution: a drift verdict's event and mail name it.
    execution_arn: str | None = None

    # What the steps read, by the names they had when each was given on its own.
    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def batch_input_s3_uri(self) -> str:
        return self.run.batch_input_s3_uri

    @property
    def manifest_s3_uri(self) -> str:
        return self.run.batch_manifest_s3_uri

    @property
    def objects_s3_uri(self) -> str:
        return f"s3://{self.run.batch_objects_bucket}/{self.run.batch_objects_key}"

    @property
    def output_s3_uri(self) -> str:
        return self.run.monitoring_s3_uri

    @property
    def predictions_s3_uri(self) -> str:
        return self.run.predictions_s3_uri

    @property
    def baseline_statistics_s3_uri(self) -> str:
        return self.model.baseline_statistics_s3_uri

    @property
    def baseline_constraints_s3_uri(self) -> str:
        return self.model.baseline_constraints_s3_uri


class BatchListing(Payload, kw_only=True):
    """A `list` step's output: how many objects the batch has, and where the run's listing of them
    is (SageMaker's manifest; the Distributed Map's items)."""

    objects: int
    manifest_s3_uri: S3UriStr
    objects_s3_uri: S3UriStr


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
