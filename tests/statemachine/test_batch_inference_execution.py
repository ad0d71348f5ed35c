"""The batch-inference state machine of the real template.yaml, EXECUTED on the local cloud: real
handlers in-process, the transform job really scoring with the seeded v1 XGBoost model, the real
dataquality analyzer, the drift event routed by the stack's own rules.

One stack (MonitoringEngine=Lambda, the default) for the whole module; every test has its own run
id and batch prefix.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest

from sample.data import to_csv
from tests.support.state_machines import (
    ENVIRONMENT,
    GROUP,
    SHIFTED_FEATURES,
    Run,
    Stack,
    deployed,
    wait_until,
)

PREDICTIONS = f"batch-inference/{GROUP}/v1/{{run}}/predictions/"
MONITORING = f"batch-inference/{GROUP}/v1/{{run}}/monitoring/"
MONITORING_FILES = {"statistics.json", "constraint_violations.json", "report.html", "verdict.json"}
#: The batch is listed and checked before any transform (issue 13): a broken batch ends at CheckDataQuality.
LAMBDA_PATH_HEAD = ["ResolveModel", "ListBatch", "MonitorBatch", "AnalyzeBatch", "CheckDataQuality"]
LAMBDA_PATH_TAIL = ["RunBatchTransform", "ClassifyOutcome"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(tmp_path_factory.mktemp("sm-batch")) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults_left(stack: Stack) -> Iterator[None]:
    yield
    stack.cloud.faults.clear()


def assert_monitoring_path(run: Run) -> None:
    path = run.path
    head = len(LAMBDA_PATH_HEAD)
    assert path[:head] == LAMBDA_PATH_HEAD, path
    assert path[head] == "ModelExists", path
    # CreateModel runs once per version (the first run); later runs reuse the model.
    rest = path[head + 1 :]
    if rest and rest[0] == "CreateModel":
        rest = rest[1:]
    assert rest[: len(LAMBDA_PATH_TAIL)] == LAMBDA_PATH_TAIL, path


def transform_jobs(stack: Stack, run_id: str) -> list[str]:
    """The transform jobs of a run (named bt-v<version>-<execution name>)."""
    jobs = stack.cloud.client("sagemaker").list_transform_jobs(NameContains=run_id)["TransformJobSummaries"]
    return [j["TransformJobName"] for j in jobs]


def test_clean_batch_succeeds_with_versioned_predictions_and_monitoring_files(stack: Stack) -> None:
    run_id = "sm-clean"
    run = stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_clean))

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert_monitoring_path(run)
    assert run.path[-1] == "BatchClean"
    assert run.task_failures() == []
    output = run.output
    assert output["model"]["modelPackageArn"] == stack.v1_arn
    assert output["model"]["modelPackageVersion"] == 1
    assert output["monitoring"]["verdict"] == "clean"
    assert output["monitoring"]["violations"] == []

    predictions = stack.keys(PREDICTIONS.format(run=run_id))
    assert predictions == [PREDICTIONS.format(run=run_id) + "batch.csv.out"]
    scores = stack.read(predictions[0]).decode().split()
    assert len(scores) == len(stack.data.batch_clean)
    assert all(0.0 <= float(s) <= 1.0 for s in scores)
    assert output["transform"]["predictionsS3Uri"] == f"s3://{stack.bucket}/{PREDICTIONS.format(run=run_id)}"

    monitoring = MONITORING.format(run=run_id)
    assert {k.removeprefix(monitoring) for k in stack.keys(monitoring)} == MONITORING_FILES
    assert json.loads(stack.read(monitoring + "verdict.json"))["verdict"] == "clean"
    assert output["monitoring"]["reportS3Uri"] == f"s3://{stack.bucket}/{monitoring}report.html"

    assert stack.drift_events(run_id) == []
    assert not stack.notifications(run_id)  # a clean run tells nobody anything


def test_drift_batch_puts_the_drift_event_notifies_and_starts_one_retraining(stack: Stack) -> None:
    run_id = "sm-drift"
    run = stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_drift))

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert_monitoring_path(run)
    assert run.path[-3:] == ["PublishDriftEvent", "NotifyDrift", "DriftReported"]
    monitoring = run.output["monitoring"]
    assert monitoring["verdict"] == "drift"
    assert set(monitoring["driftedFeatures"]) >= SHIFTED_FEATURES
    assert {v["constraint_check_type"] for v in monitoring["violations"]} == {"baseline_drift_check"}

    # The event, as EventBridge routed it (the stack's rule for it is the retraining trigger).
    events = stack.drift_events(run_id)
    assert len(events) == 1, events
    event = events[0]
    assert event["source"] == "mlops.monitoring"
    detail = event["detail"]
    assert detail["modelPackageArn"] == stack.v1_arn
    assert detail["modelPackageGroupName"] == GROUP
    assert detail["modelPackageVersion"] == 1
    assert detail["executionArn"] == run.arn
    assert detail["environment"] == ENVIRONMENT
    assert set(detail["driftedFeatures"]) == set(monitoring["driftedFeatures"])
    assert detail["reportS3Uri"] == monitoring["reportS3Uri"]
    assert run.output["driftEvent"]["eventId"] == event["id"]
    retraining_function = stack.cloud.function_name("StartRetrainingFunction")
    deliveries = [d for d in stack.cloud.router.deliveries if d.event_id == event["id"]]
    assert [d.target_arn.rsplit(":", 1)[-1] for d in deliveries] == [retraining_function]
    assert deliveries[0].ok and deliveries[0].function_error is None

    notes = [
        n for n in stack.cloud.outbox.messages if n.subject == f"[{ENVIRONMENT}] Drift detected: {GROUP} v1"
    ]
    assert len(notes) == 1, [n.subject for n in stack.cloud.outbox.messages]
    assert run.arn in notes[0].message
    assert monitoring["reportS3Uri"] in notes[0].message

    # Exactly one retraining for this episode; let it finish so it does not run into other tests.
    retraining = stack.finished(stack.retraining_execution(run_id))
    assert retraining.status == "SUCCEEDED", (retraining.error, retraining.cause)
    assert json.loads(retraining.described["input"])["episodeId"] == run_id


@pytest.mark.parametrize(
    ("case", "damage"),
    [
        ("missing-column", lambda rows: [r[:-1] for r in rows]),
        (
            "empty-values",
            lambda rows: [
                ["" if i == 0 and n % 2 == 0 else v for i, v in enumerate(r)] for n, r in enumerate(rows)
            ],
        ),
    ],
)
def test_data_quality_failure_fails_without_drift_event_or_retraining(
    stack: Stack, case: str, damage
) -> None:
    run_id = f"sm-dq-{case}"
    before = {e["name"] for e in stack.cloud.executions("RetrainingStateMachine")}
    run = stack.run_batch(run_id, stack.put_batch(run_id, damage(stack.data.batch_clean)))

    assert run.status == "FAILED"
    assert run.error == "DataQualityFailure"
    # found before any transform: no model, no transform job, no predictions were paid for
    assert run.path == [*LAMBDA_PATH_HEAD, "DataQualityFailure"]
    assert transform_jobs(stack, run_id) == []
    assert stack.keys(PREDICTIONS.format(run=run_id)) == []
    # The cause is MonitorBatch's FailureCause, as JSON the failure notification parses.
    cause = json.loads(run.cause)
    assert (cause["step"], cause["error"], cause["runId"]) == ("MonitorBatch", "DataQualityFailure", run_id)
    assert (cause["modelPackageGroupName"], cause["modelPackageVersion"]) == (GROUP, 1)
    expected_check = {"missing-column": "missing_column_check", "empty-values": "completeness_check"}[case]
    assert expected_check in {v["constraint_check_type"] for v in cause["violations"]}
    assert f"s3://{stack.bucket}/{MONITORING.format(run=run_id)}report.html" in cause["s3Uris"]
    assert stack.drift_events(run_id) == []
    assert {e["name"] for e in stack.cloud.executions("RetrainingStateMachine")} == before
    # People are told, by the execution-failed notification (NotifyFailureFunction).
    wait_until(lambda: stack.notifications(run_id), what="the data-quality failure notification")


@pytest.fixture(scope="module")
def transform_failure(stack: Stack) -> Run:
    """A run whose transform job ends Failed (the job runner's injected failure)."""
    run_id = "sm-transform-fails"
    stack.cloud.faults.fail_job(f"bt-v1-{run_id}", "ClientError: injected: the instance ran out of disk")
    try:
        return stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_clean))
    finally:
        stack.cloud.faults.clear()


def test_transform_job_failure_is_caught_and_notified(stack: Stack, transform_failure: Run) -> None:
    run = transform_failure
    assert run.status == "FAILED"
    assert run.path[: len(LAMBDA_PATH_HEAD)] == LAMBDA_PATH_HEAD
    # the failed job was looked at (it had ended: nothing to stop) before the run failed
    assert run.path[-5:] == [
        "RunBatchTransform",
        "DescribeTransformJob",
        "TransformJobEnded",
        "RunBatchTransformFailed",
        "BatchInferenceFailed",
    ]
    assert run.task_failures() == [("RunBatchTransform", "States.TaskFailed")]
    job = stack.cloud.client("sagemaker").describe_transform_job(TransformJobName=f"bt-v1-{run.name}")
    assert job["TransformJobStatus"] == "Failed"
    assert "ran out of disk" in job["FailureReason"]
    assert stack.keys(PREDICTIONS.format(run=run.name)) == []
    # the batch was checked before the transform: its report is there, no drift was told
    assert json.loads(stack.read(MONITORING.format(run=run.name) + "verdict.json"))["verdict"] == "clean"
    assert stack.drift_events(run.name) == []
    wait_until(lambda: stack.notifications(run.name), what="the workflow-failed notification")


def test_transform_job_failure_ends_with_a_clear_error_and_cause(transform_failure: Run) -> None:
    run = transform_failure
    assert run.error == "RunBatchTransformFailed"
    cause = json.loads(run.cause)
    assert (cause["step"], cause["error"]) == ("RunBatchTransform", "States.TaskFailed")
    assert cause["runId"] == run.name
    assert (cause["modelPackageGroupName"], cause["modelPackageVersion"]) == (GROUP, 1)
    assert "ran out of disk" in cause["detail"]


def test_throttled_create_transform_job_is_retried_then_succeeds(stack: Stack) -> None:
    run_id = "sm-throttled-transform"
    batch = stack.put_batch(run_id, stack.data.batch_clean)
    stack.cloud.faults.throttle("sagemaker", "CreateTransformJob", times=2)
    run = stack.run_batch(run_id, batch)

    assert stack.cloud.faults.throttled_count("sagemaker", "CreateTransformJob") == 2
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.attempts("RunBatchTransform") == 3
    failures = run.task_failures()
    assert [state for state, _ in failures] == ["RunBatchTransform", "RunBatchTransform"], failures
    assert run.path[-1] == "BatchClean"
    assert stack.keys(PREDICTIONS.format(run=run_id)) == [PREDICTIONS.format(run=run_id) + "batch.csv.out"]


def test_throttled_lambda_invoke_is_retried_then_succeeds(stack: Stack) -> None:
    run_id = "sm-throttled-lambda"
    batch = stack.put_batch(run_id, stack.data.batch_clean)
    stack.cloud.faults.throttle("lambda", "Invoke", times=2)
    run = stack.run_batch(run_id, batch)

    assert stack.cloud.faults.throttled_count("lambda", "Invoke") == 2
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.attempts("ResolveModel") == 3
    assert run.task_failures() == [
        ("ResolveModel", "Lambda.TooManyRequestsException"),
        ("ResolveModel", "Lambda.TooManyRequestsException"),
    ]
    assert run.path[-1] == "BatchClean"


def to_csv_bytes(rows: list[list[str]]) -> bytes:
    return to_csv(rows).encode()


def put_objects(stack: Stack, run_id: str, objects: dict[str, bytes]) -> str:
    """Objects under a batch prefix of their own (relative key -> body); returns the prefix URI."""
    prefix = f"batch-input/test-batches/{run_id}/"
    for rel, body in objects.items():
        stack.cloud.client("s3").put_object(Bucket=stack.bucket, Key=prefix + rel, Body=body)
    return f"s3://{stack.bucket}/{prefix}"


@pytest.mark.parametrize(
    ("case", "batch"),
    [
        # issue 13: each made the transform job fail first, reported as RunBatchTransformFailed
        ("non-numeric", lambda rows, names: [[*r[:-1], "n/a"] if n == 3 else r for n, r in enumerate(rows)]),
        ("header-only", lambda rows, names: [names]),
    ],
)
def test_a_broken_batch_fails_as_data_quality_before_any_transform(stack: Stack, case: str, batch) -> None:
    run_id = f"sm-broken-{case}"
    rows = batch(stack.data.batch_clean, stack.data.feature_names)
    run = stack.run_batch(run_id, stack.put_batch(run_id, rows))

    assert run.status == "FAILED" and run.error == "DataQualityFailure", (run.error, run.cause)
    assert run.path == [*LAMBDA_PATH_HEAD, "DataQualityFailure"]
    cause = json.loads(run.cause)
    assert "data_type_check" in {v["constraint_check_type"] for v in cause["violations"]}
    assert transform_jobs(stack, run_id) == []
    assert stack.drift_events(run_id) == []
    note = wait_until(
        lambda: [n for n in stack.notifications(run_id) if "Data-quality failure" in (n.subject or "")],
        what="the data-quality failure notification",
    )
    assert "data_type_check" in note[0].message


@pytest.mark.parametrize(
    ("case", "objects", "error", "said"),
    [
        ("missing", {}, "BatchInputNotFound", "No batch for run"),
        ("empty", {"_SUCCESS": b"", "part-0.csv": b""}, "EmptyBatch", "Empty batch for run"),
        ("unknown-format", {"part-0.csv": b"1,2\n", "rows.txt": b"1,2\n"}, "UnknownFormat", "rows.txt"),
    ],
)
def test_a_missing_empty_or_unreadable_batch_is_named_and_costs_no_transform(
    stack: Stack, case: str, objects: dict[str, bytes], error: str, said: str
) -> None:
    run_id = f"sm-nobatch-{case}"
    run = stack.run_batch(run_id, put_objects(stack, run_id, objects))

    assert run.status == "FAILED" and run.error == error, (run.error, run.cause)
    assert run.path == ["ResolveModel", "ListBatch", "BatchInferenceFailed"]
    cause = json.loads(run.cause)
    assert (cause["step"], cause["error"], cause["runId"]) == ("ListBatch", error, run_id)
    assert transform_jobs(stack, run_id) == []
    notes = wait_until(lambda: stack.notifications(run_id), what="the failure notification")
    assert said in notes[0].subject + notes[0].message
    if case != "unknown-format":
        assert "nothing scored" in notes[0].subject


def test_the_transform_scores_exactly_the_objects_monitoring_read(stack: Stack) -> None:
    # Given a batch prefix as producers leave it: data beside markers, an unfinished write, a hidden file
    run_id = "sm-one-batch"
    rows = to_csv_bytes(stack.data.batch_clean)
    batch = put_objects(
        stack,
        run_id,
        {
            "part-0.csv": rows,
            "day=2/part-1.csv": rows,
            "_SUCCESS": b"",
            "_temporary/0/part-9.csv": b"1,2,3\n",
            ".hidden.csv": b"not,a,row\n",
        },
    )
    run = stack.run_batch(run_id, batch)

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    # Then the transform scored the two data objects only (S3Prefix would have scored all five)
    predictions = PREDICTIONS.format(run=run_id)
    assert stack.keys(predictions) == [predictions + "day=2/part-1.csv.out", predictions + "part-0.csv.out"]
    # And monitoring read the same objects, and the report counts them
    verdict = json.loads(stack.read(MONITORING.format(run=run_id) + "verdict.json"))
    assert verdict["batchObjects"] == 2
    statistics = json.loads(stack.read(run.output["monitoring"]["statisticsS3Uri"]))
    assert statistics["dataset"]["item_count"] == 2 * len(stack.data.batch_clean)


def test_two_runs_given_one_run_id_keep_their_own_outputs(stack: Stack) -> None:
    # Given two executions started by hand with the same runId in their input
    batch = stack.put_batch("sm-same-run-id", stack.data.batch_clean)
    runs = []
    for name in ("sm-same-run-id-a", "sm-same-run-id-b"):
        arn = stack.cloud.start_execution(
            "BatchInferenceStateMachine",
            {"runId": "sm-same-run-id", "batchInputS3Uri": batch, "trigger": "manual"},
            name=name,
        )
        runs.append(stack.finished(arn))
    # Then each keyed its outputs and its jobs by its execution name: neither overwrote the other
    for run in runs:
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        assert run.output["transform"]["transformJobName"] == f"bt-v1-{run.name}"
        assert stack.keys(PREDICTIONS.format(run=run.name)) == [
            PREDICTIONS.format(run=run.name) + "batch.csv.out"
        ]
    assert stack.keys(PREDICTIONS.format(run="sm-same-run-id")) == []


def test_create_model_whose_answer_was_lost_is_adopted_not_retried_into_already_exists(stack: Stack) -> None:
    # Given the version's SageMaker Model does not exist yet, and CreateModel's answer is lost: it
    # creates the model, then answers InternalFailure (SageMaker.AmazonSageMakerException)
    sagemaker = stack.cloud.client("sagemaker")
    model_name = f"{GROUP}-v1"
    with contextlib.suppress(sagemaker.exceptions.ClientError):
        sagemaker.delete_model(ModelName=model_name)
    stack.cloud.faults.lose_answer("sagemaker", "CreateModel")
    run_id = "sm-create-model-lost-answer"
    run = stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_clean))

    # Then AdoptModel finds the model serving this package and the run goes on (before: the retry
    # met "Cannot create already existing model" six times and the run failed)
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.task_failures() == [("CreateModel", "SageMaker.AmazonSageMakerException")]
    index = run.path.index("CreateModel")
    assert run.path[index : index + 4] == ["CreateModel", "AdoptModel", "ModelAdopted", "RunBatchTransform"]
    described = sagemaker.describe_model(ModelName=model_name)
    assert described["PrimaryContainer"]["ModelPackageName"] == stack.v1_arn
    assert run.path[-1] == "BatchClean"


def test_a_throttled_create_model_is_created_again_after_adopt_model_decides(stack: Stack) -> None:
    # Given the version's SageMaker Model does not exist yet and CreateModel is throttled once
    sagemaker = stack.cloud.client("sagemaker")
    with contextlib.suppress(sagemaker.exceptions.ClientError):
        sagemaker.delete_model(ModelName=f"{GROUP}-v1")
    stack.cloud.faults.throttle("sagemaker", "CreateModel", times=1)
    run_id = "sm-create-model-throttled"
    run = stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_clean))

    # Then AdoptModel finds no model, reads the throttle, and the run creates it again after a wait
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert stack.cloud.faults.throttled_count("sagemaker", "CreateModel") == 1
    index = run.path.index("CreateModel")
    assert run.path[index : index + 6] == [
        "CreateModel",
        "AdoptModel",
        "ModelAdopted",
        "WaitToCreateModel",
        "CreateModel",
        "RunBatchTransform",
    ]
    assert sagemaker.describe_model(ModelName=f"{GROUP}-v1")["PrimaryContainer"]["ModelPackageName"] == (
        stack.v1_arn
    )


def test_a_transform_job_whose_create_answer_was_lost_is_attached_to_and_scored(stack: Stack) -> None:
    # Given CreateTransformJob creates the job, then its answer is lost (an HTTP error after the work)
    run_id = "sm-transform-lost-answer"
    batch = stack.put_batch(run_id, stack.data.batch_clean)
    stack.cloud.faults.lose_answer("sagemaker", "CreateTransformJob")
    run = stack.run_batch(run_id, batch)
    # Then the retried create meets the name in use and the run waits for that job, not a second one
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.task_failures()[-1] == ("RunBatchTransform", "SageMaker.ResourceInUseException")
    attached = run.path[run.path.index("RunBatchTransform") :]
    assert attached[:2] == ["RunBatchTransform", "DescribeTransformJob"], run.path
    assert run.attempts("RunBatchTransform") == 2
    assert attached[-3:] == ["AttachedTransformJob", "ClassifyOutcome", "BatchClean"], run.path
    assert transform_jobs(stack, run_id) == [f"bt-v1-{run_id}"]
    assert run.output["transform"]["transformJobName"] == f"bt-v1-{run_id}"
    assert stack.keys(PREDICTIONS.format(run=run_id)) == [PREDICTIONS.format(run=run_id) + "batch.csv.out"]


def test_a_failed_transform_step_stops_its_running_job_before_the_run_fails(stack: Stack) -> None:
    # Given the transform job runs on (held), and the .sync poll fails with an error it does not retry
    run_id = "sm-transform-poll-fails"
    batch = stack.put_batch(run_id, stack.data.batch_clean)
    stack.cloud.faults.hold_job(f"bt-v1-{run_id}")
    stack.cloud.faults.fail_call("sagemaker", "DescribeTransformJob", "ResourceNotFound", times=1)
    run = stack.run_batch(run_id, batch)
    # Then the job was stopped, and had ended, before the run failed with the poll's error
    assert run.status == "FAILED"
    assert "StopTransformJob" in run.path, run.path
    assert run.path[-2:] == ["RunBatchTransformFailed", "BatchInferenceFailed"], run.path
    job = stack.cloud.client("sagemaker").describe_transform_job(TransformJobName=f"bt-v1-{run_id}")
    assert job["TransformJobStatus"] == "Stopped"
    cause = json.loads(run.cause)
    assert (cause["step"], cause["error"]) == ("RunBatchTransform", "SageMaker.ResourceNotFoundException")
    assert stack.drift_events(run_id) == []
