"""The S3 layout and job names of a batch-inference run: the one place they are spelled out.

Every output of a run lies under the model version that made it (lineage):
`s3://<artifacts bucket>/<OUTPUT_PREFIX>/<group>/v<version>/<run id>/{batch,predictions,monitoring}/`,
the run id being the execution's name.
ResolveModel decides them once per run (`BatchRun`); the state machine passes them on, and
MonitorBatch checks that what it is given lies under the version's prefix.
"""

from __future__ import annotations

import re

from mlops_loop.models.run import IDS_IN_FIRST_COLUMN, NO_DATA_PROCESSING, BatchRun
from mlops_loop.s3uri import S3Uri

PREDICTIONS = "predictions"
MONITORING = "monitoring"
#: The run's listing of its batch (ListBatch): SageMaker's manifest and the Distributed Map's items.
BATCH = "batch"
MANIFEST = "manifest.json"
OBJECTS = "objects.json"
SAGEMAKER_NAME_MAX = 63
# SageMaker Model Monitor's analyzer container: where the processing job mounts its inputs.
_MM_BATCH = "/opt/ml/processing/input/batch"
_MM_OUTPUT = "/opt/ml/processing/output"
_MM_BASELINE = "/opt/ml/processing/baseline"


def version_prefix(bucket: str, output_prefix: str, group: str, version: int) -> S3Uri:
    """Where every output of one model version lies."""
    return S3Uri(bucket, "").join(output_prefix, group, f"v{version}")


def monitoring_prefix(bucket: str, output_prefix: str, group: str, version: int, run_id: str) -> S3Uri:
    return version_prefix(bucket, output_prefix, group, version).join(run_id, MONITORING)


def run_id_of(execution_arn: str) -> str:
    """The run's id: the name of its batch-inference execution (the ARN's last part). Step
    Functions keeps execution names unique per state machine, so no input can make two runs share
    their outputs (issue 13: a reused manual runId overwrote another run's predictions)."""
    name = execution_arn.rsplit(":", 1)[-1]
    if not execution_arn.startswith("arn:") or ":execution:" not in execution_arn or not name:
        raise ValueError(f"not a Step Functions execution ARN: {execution_arn!r}")
    return name


def job_name(kind: str, version: int, run_id: str) -> str:
    """`<kind>-v<version>-<run id>` within SageMaker's job-name rules: other characters become
    '-', cut to 63 characters, no trailing '-'."""
    raw = re.sub(r"[^a-zA-Z0-9-]", "-", f"{kind}-v{version}-{run_id}")
    return raw[:SAGEMAKER_NAME_MAX].rstrip("-")


def _folder(uri: S3Uri) -> str:
    return f"{uri}/"


def plan(
    *,
    bucket: str,
    output_prefix: str,
    group: str,
    version: int,
    run_id: str,
    batch_input_s3_uri: str,
    baseline_statistics_s3_uri: str,
    baseline_constraints_s3_uri: str,
    record_ids: bool = False,
) -> BatchRun:
    """`record_ids`: the batch's first column is each record's id (stack parameter BatchRecordIds)."""
    run = version_prefix(bucket, output_prefix, group, version).join(run_id)
    listing = run.join(BATCH)
    statistics_file = S3Uri.parse(baseline_statistics_s3_uri).key.rsplit("/", 1)[-1]
    constraints_file = S3Uri.parse(baseline_constraints_s3_uri).key.rsplit("/", 1)[-1]
    return BatchRun(
        run_id=run_id,
        batch_input_s3_uri=batch_input_s3_uri,
        batch_manifest_s3_uri=str(listing.join(MANIFEST)),
        batch_objects_bucket=listing.bucket,
        batch_objects_key=listing.join(OBJECTS).key,
        run_s3_uri=_folder(run),
        predictions_s3_uri=_folder(run.join(PREDICTIONS)),
        monitoring_s3_uri=_folder(run.join(MONITORING)),
        transform_job_name=job_name("bt", version, run_id),
        processing_job_name=job_name("mm", version, run_id),
        record_ids=record_ids,
        data_processing=dict(IDS_IN_FIRST_COLUMN if record_ids else NO_DATA_PROCESSING),
        model_monitor_environment={
            "dataset_format": '{"csv": {"header": false}}',
            "dataset_source": _MM_BATCH,
            "output_path": _MM_OUTPUT,
            "publish_cloudwatch_metrics": "Disabled",
            "baseline_statistics": f"{_MM_BASELINE}/statistics/{statistics_file}",
            "baseline_constraints": f"{_MM_BASELINE}/constraints/{constraints_file}",
        },
    )
