"""The names and places of one batch-inference run, decided once by ResolveModel (`$run`)."""

from __future__ import annotations

from mlops_loop.models.payloads import Payload, S3UriStr


class BatchRun(Payload, kw_only=True):
    """Where a run's outputs go and what its jobs are called. Every output sits under the model
    version that made it (`<prefix>/<group>/v<version>/<run id>/`); the state machine reads these
    fields and builds none of them."""

    #: The batch-inference execution's name: a run's outputs are keyed by it, never by its input.
    run_id: str
    batch_input_s3_uri: S3UriStr
    #: The batch, listed once by ListBatch (`dataquality.batch_objects`): SageMaker's manifest of
    #: exactly those objects (what the transform and Model Monitor jobs read) ...
    batch_manifest_s3_uri: S3UriStr
    #: ... and the same objects as a JSON array, one item each, for the Distributed Map's reader.
    batch_objects_bucket: str
    batch_objects_key: str
    run_s3_uri: S3UriStr
    predictions_s3_uri: S3UriStr
    monitoring_s3_uri: S3UriStr
    transform_job_name: str
    processing_job_name: str
    #: The SageMaker Model Monitor analyzer's environment contract for this run's processing job.
    model_monitor_environment: dict[str, str]
