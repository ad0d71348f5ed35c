"""The names and places of one batch-inference run, decided once by ResolveModel (`$run`)."""

from __future__ import annotations

import msgspec

from mlops_loop.models.payloads import Payload, S3UriStr

# CreateTransformJob's DataProcessing (botocore's sagemaker 2017-07-24 model, shape DataProcessing;
# SageMaker Developer Guide, "Associate Prediction Results with Their Corresponding Input Records").
#: AWS's defaults: every field goes to the model, the output holds the model's answer only.
NO_DATA_PROCESSING = {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"}
#: The batch's first column is the record's id: the model gets the other fields (`$[1:]`), each
#: output row is appended to its input row (`JoinSource: Input`; for CSV "the joined data has the
#: original input data followed by the transformed data"), and the output keeps the first field
#: (the id) and the last (the score): a prediction line is `<id>,<score>` (`$[0,-1]`).
IDS_IN_FIRST_COLUMN = {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}


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
    #: The batch's first column is each record's id, not a feature: the transform leaves it out of
    #: the model's input and joins it to the score; data-quality monitoring leaves it out of the check.
    record_ids: bool = False
    #: The transform job's DataProcessing (run_layout.NO_DATA_PROCESSING or IDS_IN_FIRST_COLUMN).
    data_processing: dict[str, str] = msgspec.field(default_factory=lambda: dict(NO_DATA_PROCESSING))
