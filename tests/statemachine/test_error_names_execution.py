"""Errors named as AWS names them, EXECUTED: the real template.yaml on the local cloud, each fixed
ErrorEquals name raised by the local integration AWS's way (localcloud.sfn_errors) and retried by
the real state machines.

One drift run covers four names: its PutEvents is throttled once (EventBridge.ThrottlingException;
before, a throttled putEvents became States.Runtime and the drift event was lost), its Publish once
(SNS.AmazonSNSException: SNS answers Throttling, which it does not model); the retraining run the
drift event starts has its registration throttled once (aws-sdk: SageMaker.SageMakerException)
and its lock release refused once with DynamoDB's RequestLimitExceeded
(DynamoDB.RequestLimitExceededException). A quota error of a `.sync` job is
SageMaker.ResourceLimitExceededException (the local emulation said SageMaker.ResourceLimitExceeded).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest
from mlops_loop import monitoring, run_layout

from localcloud import sfn_errors
from tests.support.state_machines import GROUP, REPO, Run, Stack, deployed, wait_until

BATCH_ASL = json.loads((REPO / "statemachines" / "batch_inference.asl.json").read_text())
RETRAINING_ASL = json.loads((REPO / "statemachines" / "retraining.asl.json").read_text())
RUN_ID = "sm-names-drift"


def retried(definition: dict, state: str) -> set[str]:
    return {name for rule in definition["States"][state]["Retry"] for name in rule["ErrorEquals"]}


def raisable(definition: dict, state: str) -> set[str]:
    return set(sfn_errors.integration(definition["States"][state]["Resource"]).raisable())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(tmp_path_factory.mktemp("sm-error-names"), with_part2=True) as running:
        yield running


@pytest.fixture(scope="module")
def runs(stack: Stack) -> tuple[Run, Run]:
    """The drift run and the retraining run its drift event started, each with its faults."""
    faults = stack.cloud.faults
    batch = stack.put_batch(RUN_ID, stack.data.batch_drift)
    # The seed's approval of v1 is announced asynchronously: let that Publish happen before
    # throttling the next one, which must be NotifyDrift's.
    wait_until(lambda: stack.notifications("Approved, now live"), what="the seed's approval notice")
    faults.throttle("events", "PutEvents", times=1)
    faults.throttle("sns", "Publish", times=1)
    faults.throttle("sagemaker", "CreateModelPackage", times=1)
    faults.throttle("dynamodb", "DeleteItem", times=1, code="RequestLimitExceeded")
    try:
        drift = stack.run_batch(RUN_ID, batch)
        retraining = stack.finished(stack.retraining_execution(RUN_ID))
    finally:
        faults.clear()
    return drift, retraining


def test_throttled_drift_event_is_retried_and_reaches_retraining(stack: Stack, runs: tuple[Run, Run]) -> None:
    drift, retraining = runs
    assert drift.status == "SUCCEEDED", (drift.error, drift.cause)
    assert ("PublishDriftEvent", "EventBridge.ThrottlingException") in drift.task_failures()
    assert "EventBridge.ThrottlingException" in retried(BATCH_ASL, "PublishDriftEvent")
    assert drift.attempts("PublishDriftEvent") == 2
    events = stack.drift_events(RUN_ID)
    assert len(events) == 1  # not lost: delivered once, by the retried attempt
    assert drift.output["driftEvent"]["eventId"] == events[0]["id"]
    assert retraining.status == "SUCCEEDED", (retraining.error, retraining.cause)


def test_throttled_drift_notification_is_retried_as_snss_base_exception(
    stack: Stack, runs: tuple[Run, Run]
) -> None:
    drift, _ = runs
    assert ("NotifyDrift", "SNS.AmazonSNSException") in drift.task_failures()
    assert "SNS.AmazonSNSException" in retried(BATCH_ASL, "NotifyDrift")
    assert drift.attempts("NotifyDrift") == 2
    assert drift.path[-1] == "DriftReported"
    assert stack.notifications(f"episode {RUN_ID}")  # the drift notice went out, once retried


def test_throttled_registration_is_retried_as_sagemakers_sdk_exception(
    stack: Stack, runs: tuple[Run, Run]
) -> None:
    _, retraining = runs
    assert ("RegisterModelPackage", "SageMaker.SageMakerException") in retraining.task_failures()
    assert "SageMaker.SageMakerException" in retried(RETRAINING_ASL, "RegisterModelPackage")
    assert retraining.attempts("RegisterModelPackage") == 2
    package = stack.versions()[-1]
    assert package["ModelPackageArn"] == retraining.output["registration"]["modelPackageArn"]
    assert package["CustomerMetadataProperties"]["episodeId"] == RUN_ID


def test_refused_lock_release_is_retried_as_request_limit_exceeded_exception(
    stack: Stack, runs: tuple[Run, Run]
) -> None:
    _, retraining = runs
    assert ("ReleaseLock", "DynamoDB.RequestLimitExceededException") in retraining.task_failures()
    assert "DynamoDB.RequestLimitExceededException" in retried(RETRAINING_ASL, "ReleaseLock")
    assert retraining.attempts("ReleaseLock") == 2
    assert retraining.path[-1] == "RetrainingSucceeded"
    assert "lockRelease" not in retraining.output  # released by the retried attempt, not caught
    assert stack.state_item(f"retraining-lock#{GROUP}") is None


def test_every_failure_the_local_cloud_raised_is_a_name_aws_raises(runs: tuple[Run, Run]) -> None:
    drift, retraining = runs
    for run, definition in ((drift, BATCH_ASL), (retraining, RETRAINING_ASL)):
        for state, error in run.task_failures():
            assert error in raisable(definition, state), (state, error)


def test_transform_job_quota_error_is_named_with_exception_and_retried(
    stack: Stack, runs: tuple[Run, Run]
) -> None:
    # The real RunBatchTransform state (as deployed, substitutions applied), its retriers' waits
    # shortened to 1 s (60 s in the template), run with the batch state machine's own role.
    drift, _ = runs
    sfn = stack.cloud.client("stepfunctions")
    deployed_machine = sfn.describe_state_machine(
        stateMachineArn=stack.cloud.stack.outputs["BatchInferenceStateMachineArn"]
    )
    state = copy.deepcopy(json.loads(deployed_machine["definition"])["States"]["RunBatchTransform"])
    for retrier in state["Retry"]:
        retrier.update(IntervalSeconds=1, MaxDelaySeconds=1)
    state["Catch"][0]["Next"] = "Caught"
    state["Next"] = "Done"
    # The state reads $model and $run, as ResolveModel assigns them in the whole machine.
    given = {"model": "{% $states.input.model %}", "run": "{% $states.input.run %}"}
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Given",
        "States": {
            "Given": {"Type": "Pass", "Assign": given, "Next": "RunBatchTransform"},
            "RunBatchTransform": state,
            "Done": {"Type": "Succeed"},
            "Caught": {"Type": "Fail"},
        },
    }
    machine = sfn.create_state_machine(
        name="names-transform-quota", definition=json.dumps(definition), roleArn=deployed_machine["roleArn"]
    )["stateMachineArn"]
    run_id = "sm-names-quota"
    payload = {"runId": run_id, "batchInputS3Uri": stack.put_batch(run_id, stack.data.batch_clean)}
    model = payload["model"] = drift.output["model"]
    payload["run"] = run_layout.plan(
        bucket=stack.bucket,
        output_prefix="batch-inference",
        group=model["modelPackageGroupName"],
        version=model["modelPackageVersion"],
        run_id=run_id,
        batch_input_s3_uri=payload["batchInputS3Uri"],
        baseline_statistics_s3_uri=model["baselineStatisticsS3Uri"],
        baseline_constraints_s3_uri=model["baselineConstraintsS3Uri"],
    ).dump()
    # The run's manifest, as ListBatch writes it before the transform (the transform scores it)
    batch = payload["batchInputS3Uri"]
    objects = [f"s3://{stack.bucket}/{k}" for k in stack.keys(batch.removeprefix(f"s3://{stack.bucket}/"))]
    manifest_key = str(payload["run"]["batchManifestS3Uri"]).removeprefix(f"s3://{stack.bucket}/")
    body = json.dumps(monitoring.manifest(batch, objects)).encode()
    stack.cloud.client("s3").put_object(Bucket=stack.bucket, Key=manifest_key, Body=body)
    stack.cloud.faults.fail_call("sagemaker", "CreateTransformJob", "ResourceLimitExceeded", times=1)
    execution = sfn.start_execution(stateMachineArn=machine, name=run_id, input=json.dumps(payload))
    run = stack.finished(execution["executionArn"])

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.task_failures() == [("RunBatchTransform", "SageMaker.ResourceLimitExceededException")]
    assert "SageMaker.ResourceLimitExceededException" in retried(BATCH_ASL, "RunBatchTransform")
    assert run.attempts("RunBatchTransform") == 2
    assert run.output["transform"]["transformJobName"] == f"bt-v1-{run_id}"
