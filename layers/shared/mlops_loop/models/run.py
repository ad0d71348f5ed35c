"""The names and places of one batch-inference run, decided once by ResolveModel (`$run`)."""

from __future__ import annotations

from mlops_loop.models.payloads import Payload, S3UriStr


class BatchRun(Payload, kw_only=True):
    """Where a run's outputs go and what its jobs are called. Every output sits under the model
    version that made it (`<prefix>/<group>/v<version>/<run id>/`); the state machine reads these
    fields and builds none of them."""

    run_id: str
    batch_input_s3_uri: S3UriStr
    #: The batch's bucket and key prefix, as the Distributed Map's ListObjectsV2 reader takes them.
    batch_bucket: str
    batch_prefix: str
    run_s3_uri: S3UriStr
    predictions_s3_uri: S3UriStr
    monitoring_s3_uri: S3UriStr
    transform_job_name: str
    processing_job_name: str
    #: The SageMaker Model Monitor analyzer's environment contract for this run's processing job.
    model_monitor_environment: dict[str, str]
