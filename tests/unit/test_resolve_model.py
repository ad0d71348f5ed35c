"""ResolveModel: latest Approved version (never the oldest), baselines, names, named failures."""

from __future__ import annotations

import boto3
import pytest
from mlops_loop.errors import (
    ConfigurationError,
    InvalidEvent,
    MissingBaseline,
    ModelPackageGroupNotFound,
    NoApprovedModel,
)

from functions.resolve_model import app
from tests.support.helpers import ACCOUNT, BUCKET, GROUP, REGION, load_event, logged
from tests.support.registry_seed import IMAGE, create_group, register


def invoke_run(context):
    return app.lambda_handler(load_event("resolve_model"), context)


def invoke(context):
    """The resolved version (`model` of the answer)."""
    return invoke_run(context)["model"]


def test_latest_approved_version_with_its_baseline_image_and_artifact(function_env, lambda_context):
    # Given a group with v1 Approved, v2 Approved, v3 PendingManualApproval
    create_group()
    register(run="r1")
    v2 = register(run="r2")
    register(run="r3", status="PendingManualApproval")

    # When the state machine resolves the model
    out = invoke(lambda_context)

    # Then v2 (the newest Approved) with its drift-check baseline comes back, in the ASL's shape
    assert out["modelPackageArn"] == v2
    assert out["modelPackageVersion"] == 2
    assert out["modelPackageGroupName"] == GROUP
    assert out["modelName"] == f"{GROUP}-v2"
    assert out["modelExists"] is False
    assert out["imageUri"] == IMAGE
    assert out["modelDataUrl"] == f"s3://{BUCKET}/retraining/r2/model/model.tar.gz"
    assert out["baselineStatisticsS3Uri"] == f"s3://{BUCKET}/retraining/r2/baseline/statistics.json"
    assert out["baselineConstraintsS3Uri"] == f"s3://{BUCKET}/retraining/r2/baseline/constraints.json"
    assert set(out) == {
        "modelPackageArn", "modelPackageGroupName", "modelPackageVersion", "modelName", "modelExists",
        "imageUri", "modelDataUrl", "baselineStatisticsS3Uri", "baselineConstraintsS3Uri", "creationTime",
    }  # fmt: skip


def test_the_run_is_laid_out_under_the_resolved_version_once(function_env, lambda_context):
    # Given v2 is the newest Approved version
    create_group()
    register(run="r1")
    register(run="r2")
    event = load_event("resolve_model")

    # When the state machine resolves the model for its run
    run = invoke_run(lambda_context)["run"]

    # Then the run's places and job names lie under v2 (lineage); the state machine builds none of them
    run_id = event["executionArn"].rsplit(":", 1)[-1]
    prefix = f"s3://{BUCKET}/batch-inference/{GROUP}/v2/{run_id}/"
    assert run["runId"] == run_id
    assert run["runS3Uri"] == prefix
    assert run["predictionsS3Uri"] == prefix + "predictions/"
    assert run["monitoringS3Uri"] == prefix + "monitoring/"
    assert run["transformJobName"] == f"bt-v2-{run_id}"
    assert run["processingJobName"] == f"mm-v2-{run_id}"
    assert run["batchInputS3Uri"] == event["batchInputS3Uri"]
    # the run's listing of its batch: the manifest the jobs read, the items the Distributed Map reads
    assert run["batchManifestS3Uri"] == prefix + "batch/manifest.json"
    assert (run["batchObjectsBucket"], run["batchObjectsKey"]) == (
        BUCKET,
        f"batch-inference/{GROUP}/v2/{run_id}/batch/objects.json",
    )
    # Model Monitor's analyzer reads the baseline files where the processing job mounts them
    assert run["modelMonitorEnvironment"]["baseline_statistics"] == (
        "/opt/ml/processing/baseline/statistics/statistics.json"
    )
    assert run["modelMonitorEnvironment"]["dataset_source"] == "/opt/ml/processing/input/batch"


@pytest.mark.parametrize(
    ("record_ids", "data_processing"),
    [
        (None, {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"}),  # AWS's defaults
        ("None", {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"}),
        ("FirstColumn", {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}),
    ],
)
def test_the_transforms_data_processing_follows_the_stacks_batch_record_ids(
    function_env, monkeypatch, lambda_context, record_ids, data_processing
):
    # Given the stack's BatchRecordIds (unset: an older stack's function)
    create_group()
    register(run="r1")
    if record_ids is not None:
        monkeypatch.setenv("BATCH_RECORD_IDS", record_ids)
    from mlops_loop import settings

    settings.reset()
    # When a run is planned
    run = invoke_run(lambda_context)["run"]
    # Then its transform's DataProcessing and its monitoring's record-id flag follow it
    assert run["dataProcessing"] == data_processing
    assert run["recordIds"] is (record_ids == "FirstColumn")


def test_a_reused_input_run_id_never_keys_the_outputs_the_execution_name_does(function_env, lambda_context):
    # Given two executions started by hand with the same runId in their input
    create_group()
    register(run="r1")
    event = load_event("resolve_model")
    arn = event["executionArn"].rsplit(":", 1)[0]
    runs = [
        app.lambda_handler({**event, "runId": "manual-1", "executionArn": f"{arn}:{name}"}, lambda_context)[
            "run"
        ]
        for name in ("manual-a", "manual-b")
    ]
    # Then each run's places and job names are its execution's: neither overwrites the other
    assert [r["runId"] for r in runs] == ["manual-a", "manual-b"]
    assert runs[0]["runS3Uri"] != runs[1]["runS3Uri"]
    assert runs[0]["transformJobName"] == "bt-v1-manual-a"
    assert {r["runS3Uri"].rstrip("/").rsplit("/", 1)[-1] for r in runs} == {"manual-a", "manual-b"}


def test_model_exists_once_created(function_env, lambda_context):
    # Given the SageMaker Model for v1 was created by an earlier run
    create_group()
    arn = register()
    boto3.client("sagemaker", region_name=REGION).create_model(
        ModelName=f"{GROUP}-v1",
        PrimaryContainer={"ModelPackageName": arn},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution",
    )
    # When resolving, Then the state machine is told to reuse it
    assert invoke(lambda_context)["modelExists"] is True


def test_more_than_100_versions_picks_the_latest_approved_not_the_oldest(
    function_env, lambda_context, caplog
):
    # Given 130 versions: 1..120 Approved, 121..130 waiting for approval (two pages of 100)
    create_group()
    for i in range(1, 131):
        register(run=f"r{i}", status="Approved" if i <= 120 else "PendingManualApproval")

    # When resolving
    out = invoke(lambda_context)

    # Then v120 is picked, after reading both pages
    assert out["modelPackageVersion"] == 120
    assert out["modelPackageArn"].endswith(f"/{GROUP}/120")
    assert [r["pages"] for r in logged(caplog, "Latest approved model package")] == [2]


def test_baseline_from_model_metrics_when_no_drift_check_baseline(function_env, lambda_context):
    create_group()
    register(run="r1", baseline="metrics")
    out = invoke(lambda_context)
    assert out["baselineStatisticsS3Uri"] == f"s3://{BUCKET}/retraining/r1/baseline/statistics.json"


def test_version_without_baseline_is_a_named_failure(function_env, lambda_context):
    create_group()
    register(run="r1", baseline=None)
    with pytest.raises(MissingBaseline, match=r"v1 .* has no data-quality baseline"):
        invoke(lambda_context)


def test_no_approved_version_is_a_named_failure(function_env, lambda_context):
    create_group()
    register(status="PendingManualApproval")
    register(status="Rejected")
    with pytest.raises(NoApprovedModel, match=GROUP):
        invoke(lambda_context)


def test_missing_group_is_a_named_failure(function_env, lambda_context):
    with pytest.raises(ModelPackageGroupNotFound, match=GROUP):
        invoke(lambda_context)


def test_cross_account_group_arn_reads_the_registry_in_the_arns_region(
    function_env, monkeypatch, lambda_context
):
    # Given the group lives in us-west-2 (the registry), given by full ARN, and nothing in us-east-1
    arn = create_group(region="us-west-2")
    register(region="us-west-2", run="w1")
    monkeypatch.setenv("MODEL_PACKAGE_GROUP", arn)
    from mlops_loop import settings

    settings.reset()

    # When resolving from the workload region (us-east-1)
    out = invoke(lambda_context)

    # Then the package comes from us-west-2, and the model name uses the group NAME
    assert out["modelPackageArn"].startswith("arn:aws:sagemaker:us-west-2:")
    assert out["modelName"] == f"{GROUP}-v1"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({}, "executionArn"),
        ({"executionArn": "scheduled-20261124T020000Z"}, "executionArn"),
        ({"runId": "r-1", "batchInputS3Uri": "s3://b/batch-input/"}, "executionArn"),
        (["not", "an", "object"], None),
    ],
)
def test_malformed_input_is_a_clear_validation_error(function_env, lambda_context, event, field, caplog):
    create_group()
    register()
    with pytest.raises(InvalidEvent, match="ResolveModelRequest") as info:
        app.lambda_handler(event, lambda_context)
    if field:
        assert field in str(info.value)
    records = logged(caplog, "Rejected malformed event")
    assert records and records[0]["problems"]


def test_missing_setting_names_the_variable(function_env, monkeypatch, lambda_context):
    monkeypatch.delenv("MODEL_PACKAGE_GROUP")
    from mlops_loop import settings

    settings.reset()
    with pytest.raises(ConfigurationError, match="missing environment variable MODEL_PACKAGE_GROUP"):
        invoke(lambda_context)
