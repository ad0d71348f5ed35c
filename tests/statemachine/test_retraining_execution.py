"""The retraining state machine of the real template.yaml, EXECUTED on the local cloud. The first run
starts the way production starts it: a batch run finds drift, its `Data Drift Detected` event is
routed by the stack's rule to StartRetrainingFunction (lock + deterministic execution name). Its
candidate then awaits approval, so later drifts of v1 start nothing (one retraining per drift
condition); the retry and failure tests start their runs as StartRetraining does (lock, then the
run with its input), by hand. Training really runs XGBoost on part 1 + part 2 of the sample,
scoring and evaluation are real, the baseline is the analyzer's.

One stack (default parameters: QualityGateMinAuc 0.80) for the module; one drift episode per test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.state_machines import ENVIRONMENT, GROUP, REPO, Run, Stack, deployed, wait_until

HAPPY_PATH = [
    "ReadInput",
    "PrepareTrainingData",
    "TrainModel",
    "CreateCandidateModel",
    "ScoreTestSet",
    "EvaluateModel",
    "QualityGate",
    "ComputeBaseline",
    "RegisterModelPackage",
    "ReleaseLock",
    "RetrainingSucceeded",
]
LOCK = f"retraining-lock#{GROUP}"
ASL = REPO / "statemachines" / "retraining.asl.json"


def retried_errors(state: str) -> set[str]:
    """The error names a task's Retry matches (so a failure with one of them was retried)."""
    retry = json.loads(ASL.read_text())["States"][state]["Retry"]
    return {name for rule in retry for name in rule["ErrorEquals"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(tmp_path_factory.mktemp("sm-retraining"), with_part2=True) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults_left(stack: Stack) -> Iterator[None]:
    yield
    stack.cloud.faults.clear()


def retrain(stack: Stack, episode: str, *, by_hand: bool = False) -> Run:
    """A batch run finds drift and its event starts the retraining (or the run is started as
    StartRetraining starts it, by hand); the run holds the group's lock; wait for it."""
    if by_hand:
        arn = stack.start_retraining_by_hand(episode)
    else:
        stack.drift_run(episode)  # its event was delivered before the run ended: lock taken, run started
        arn = stack.retraining_execution(episode)
    lock = stack.state_item(LOCK)
    assert lock is not None and lock["holder"] == f"retrain-{episode}", lock  # seconds before it ends
    return stack.finished(arn)


def test_gate_passes_registers_a_version_pending_approval_with_metrics_and_baselines(stack: Stack) -> None:
    episode = "sm-retrain-pass"
    before = [p["ModelPackageVersion"] for p in stack.versions()]
    run = retrain(stack, episode)

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.path == HAPPY_PATH
    assert run.task_failures() == []
    output = run.output
    assert output["args"]["reason"] == "drift"
    assert output["args"]["episodeId"] == episode
    assert output["args"]["baseModelPackageArn"] == stack.v1_arn
    rows = output["prepared"]["rows"]
    part1, part2 = len(stack.data.part1), len(stack.data.part2)
    assert rows["train"] + rows["validation"] + rows["test"] == part1 + part2  # old + newly labelled data
    evaluation = output["evaluation"]
    assert evaluation["auc"] >= 0.80

    versions = stack.versions()
    assert [p["ModelPackageVersion"] for p in versions] == [*before, before[-1] + 1]
    package = versions[-1]
    assert package["ModelPackageArn"] == output["registration"]["modelPackageArn"]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    # the description EvaluateModel shaped, passed as is
    assert package["ModelPackageDescription"] == evaluation["modelPackageDescription"]
    assert package["ModelPackageDescription"] == (
        f"Retrained (drift) by run retrain-{episode}: "
        f"AUC {evaluation['auc']} on {evaluation['itemCount']} held-out rows."
    )
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == output["training"]["modelDataUrl"]
    assert stack.read(container["ModelDataUrl"])[:2] == b"\x1f\x8b"  # the trained model.tar.gz is there

    quality = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    report = json.loads(stack.read(quality))
    assert report["binary_classification_metrics"]["auc"]["value"] == pytest.approx(evaluation["auc"])
    # the version's model-quality baseline: the constraints the check compares a batch's labels with
    assert package["DriftCheckBaselines"]["ModelQuality"] == package["ModelMetrics"]["ModelQuality"]
    quality_constraints = json.loads(
        stack.read(package["ModelMetrics"]["ModelQuality"]["Constraints"]["S3Uri"])
    )
    auc_constraint = quality_constraints["binary_classification_constraints"]["auc"]
    assert auc_constraint == {
        "threshold": pytest.approx(evaluation["auc"]),
        "comparison_operator": "LessThanThreshold",
    }
    data_quality = package["ModelMetrics"]["ModelDataQuality"]
    assert package["DriftCheckBaselines"]["ModelDataQuality"] == data_quality
    statistics = json.loads(stack.read(data_quality["Statistics"]["S3Uri"]))
    constraints = json.loads(stack.read(data_quality["Constraints"]["S3Uri"]))
    names = [f["name"] for f in statistics["features"]]
    assert names == stack.data.feature_names
    assert [f["name"] for f in constraints["features"]] == names
    assert statistics["dataset"]["item_count"] == rows["train"]  # the training features

    metadata = package["CustomerMetadataProperties"]
    assert metadata["reason"] == "drift"
    assert metadata["episodeId"] == episode
    assert metadata["baseModelPackageArn"] == stack.v1_arn
    assert metadata["retrainingExecutionArn"] == run.arn
    assert metadata["trainingJobName"] == output["training"]["trainingJobName"]
    assert float(metadata["auc"]) == pytest.approx(evaluation["auc"])
    assert metadata["sourceExecutionArn"].endswith(f":{episode}")

    assert stack.state_item(LOCK) is None  # released
    assert stack.state_item(f"retraining-episode#{GROUP}#{episode}") is not None  # the episode is spent
    version = package["ModelPackageVersion"]
    wait_until(
        lambda: [
            n
            for n in stack.cloud.outbox.messages
            if n.subject == f"[{ENVIRONMENT}] Approval needed: {GROUP} v{version}"
        ],
        what="the approvers' notification",
    )


def test_throttled_create_training_job_is_retried_then_registers(stack: Stack) -> None:
    episode = "sm-retrain-throttled"
    stack.cloud.faults.throttle("sagemaker", "CreateTrainingJob", times=2)
    run = retrain(stack, episode, by_hand=True)

    assert stack.cloud.faults.throttled_count("sagemaker", "CreateTrainingJob") == 2
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.path == HAPPY_PATH
    assert run.attempts("TrainModel") == 3
    failures = run.task_failures()
    assert [state for state, _ in failures] == ["TrainModel", "TrainModel"], failures
    assert {error for _, error in failures} <= retried_errors("TrainModel"), failures
    assert stack.versions()[-1]["CustomerMetadataProperties"]["episodeId"] == episode
    assert stack.state_item(LOCK) is None


@pytest.fixture(scope="module")
def training_failure(stack: Stack) -> tuple[Run, list[int]]:
    """A retraining run whose training job ends Failed; and the registry's versions before it."""
    episode = "sm-retrain-train-fails"
    before = [int(p["ModelPackageVersion"]) for p in stack.versions()]
    stack.cloud.faults.fail_job(f"{GROUP}-retrain-{episode}", "AlgorithmError: injected: out of memory")
    try:
        return retrain(stack, episode, by_hand=True), before
    finally:
        stack.cloud.faults.clear()


def test_training_failure_registers_nothing_releases_the_lock_and_notifies(
    stack: Stack, training_failure: tuple[Run, list[int]]
) -> None:
    run, before = training_failure
    assert run.status == "FAILED"
    assert run.path == [
        "ReadInput",
        "PrepareTrainingData",
        "TrainModel",
        "DescribeTrainingJob",  # the job has ended (Failed): nothing to stop before the lock goes
        "TrainingJobEnded",
        "ReleaseLockAfterError",
        "RetrainingFailed",
    ]
    assert run.task_failures() == [("TrainModel", "States.TaskFailed")]
    job = stack.cloud.client("sagemaker").describe_training_job(TrainingJobName=f"{GROUP}-{run.name}")
    assert job["TrainingJobStatus"] == "Failed"
    assert [int(p["ModelPackageVersion"]) for p in stack.versions()] == before
    assert stack.state_item(LOCK) is None
    notes = wait_until(
        lambda: [
            n
            for n in stack.cloud.outbox.messages
            if n.subject == f"[{ENVIRONMENT}] Workflow failed: {stack.cloud.stack.name}-retraining {run.name}"
        ],
        what="the retraining-failed notification (Step Functions status change -> NotifyFailureFunction)",
    )
    assert len(notes) == 1
    assert run.arn in notes[0].message


def test_training_failure_ends_with_the_steps_error_and_cause(
    training_failure: tuple[Run, list[int]],
) -> None:
    run, _ = training_failure
    assert run.error == "TrainModelFailed"
    cause = json.loads(run.cause)  # FailureCause, for NotifyFailure
    assert (cause["step"], cause["error"]) == ("TrainModel", "States.TaskFailed")
    assert (cause["runId"], cause["modelPackageGroupName"], cause["reason"]) == (run.name, GROUP, "drift")
    assert "out of memory" in cause["detail"]


# -- item 5: a create whose answer was lost, and a job still running when a step fails ------------------
def retrain_by_hand(stack: Stack, episode: str, timeout: float = 240.0) -> Run:
    """As `retrain(by_hand=True)`, with room for the backoff of a retried create."""
    arn = stack.start_retraining_by_hand(episode)
    return Run(stack.cloud.wait_for_execution(arn, timeout=timeout), stack.cloud.execution_history(arn))


def jobs_named(stack: Stack, kind: str, part: str) -> list[str]:
    """The names of the `kind` jobs whose name holds `part` (every job of that run)."""
    sagemaker = stack.cloud.client("sagemaker")
    listed = getattr(sagemaker, f"list_{kind}_jobs")(NameContains=part, MaxResults=100)
    summaries = listed["TrainingJobSummaries" if kind == "training" else "TransformJobSummaries"]
    return [s[f"{kind.capitalize()}JobName"] for s in summaries]


def test_a_training_job_whose_create_answer_was_lost_is_attached_to_and_the_run_registers(
    stack: Stack,
) -> None:
    # Given: CreateTrainingJob creates the job, then its answer is lost (HTTP error after the work)
    episode = "sm-retrain-train-lost-answer"
    stack.cloud.faults.lose_answer("sagemaker", "CreateTrainingJob")
    # When
    run = retrain_by_hand(stack, episode)
    # Then: the retried create finds the name in use and the run waits for that job, not a second one
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    failures = run.task_failures()
    assert failures[-1] == ("TrainModel", "SageMaker.ResourceInUseException"), failures
    attached = run.path[run.path.index("TrainModel") + 1 : run.path.index("CreateCandidateModel")]
    assert attached[:2] == ["DescribeTrainingJob", "TrainingJobEnded"], run.path
    assert set(attached) <= {"DescribeTrainingJob", "TrainingJobEnded", "WaitForTrainingJob"}, run.path
    assert run.path[-3:] == ["RegisterModelPackage", "ReleaseLock", "RetrainingSucceeded"]
    job = run.output["prepared"]["trainingJobName"]
    assert jobs_named(stack, "training", episode) == [job]
    assert run.output["training"]["trainingJobName"] == job
    assert stack.versions()[-1]["CustomerMetadataProperties"]["trainingJobName"] == job
    assert stack.state_item(LOCK) is None


def test_a_transform_job_whose_create_answer_was_lost_is_attached_to_and_scored(stack: Stack) -> None:
    episode = "sm-retrain-score-lost-answer"
    stack.cloud.faults.lose_answer("sagemaker", "CreateTransformJob")
    run = retrain_by_hand(stack, episode)

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert ("ScoreTestSet", "SageMaker.ResourceInUseException") in run.task_failures()
    assert "DescribeTransformJob" in run.path and run.path[-1] == "RetrainingSucceeded", run.path
    job = run.output["prepared"]["transformJobName"]
    assert jobs_named(stack, "transform", "sm-retrain-score-lost") == [job]  # the name is cut to 63
    assert run.output["scoring"]["transformJobName"] == job
    assert run.output["evaluation"]["itemCount"] == run.output["prepared"]["rows"]["test"]
    assert stack.state_item(LOCK) is None


def test_a_candidate_model_created_before_a_lost_answer_is_this_runs_and_the_run_goes_on(
    stack: Stack,
) -> None:
    # Given: CreateModel creates the model, then its answer is lost; SageMaker then refuses the name
    episode = "sm-retrain-model-lost-answer"
    stack.cloud.faults.lose_answer("sagemaker", "CreateModel")
    run = retrain_by_hand(stack, episode)

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    states = run.path
    assert states[states.index("CreateCandidateModel") + 1 :][:3] == [
        "DescribeCandidateModel",
        "CandidateModelIsThisRuns",
        "ScoreTestSet",
    ], states
    assert {state for state, _ in run.task_failures()} == {"CreateCandidateModel"}
    assert stack.state_item(LOCK) is None


def test_a_failed_step_stops_its_running_job_and_releases_the_lock_only_once_it_has_ended(
    stack: Stack,
) -> None:
    # Given: the training job runs on (held), and TrainModel's poll fails with an error it does not retry
    episode = "sm-retrain-poll-fails"
    job = f"{GROUP}-retrain-{episode}"
    stack.cloud.faults.hold_job(job)
    stack.cloud.faults.fail_call("sagemaker", "DescribeTrainingJob", "ResourceNotFound")
    # When
    run = retrain_by_hand(stack, episode)
    # Then: the job was stopped and had ended before the lock went; the run reports the poll's error
    assert run.status == "FAILED"
    assert run.error == "SageMaker.ResourceNotFoundException", (run.error, run.cause)
    assert run.path[run.path.index("TrainModel") :][:4] == [
        "TrainModel",
        "DescribeTrainingJob",
        "TrainingJobEnded",
        "StopTrainingJob",  # it still ran
    ]
    assert run.path[-2:] == ["ReleaseLockAfterError", "RetrainingFailed"]
    described = stack.cloud.client("sagemaker").describe_training_job(TrainingJobName=job)
    assert described["TrainingJobStatus"] == "Stopped"
    entered = {
        e["stateEnteredEventDetails"]["name"]: e["timestamp"]
        for e in run.history
        if "stateEnteredEventDetails" in e
    }
    assert described["LastModifiedTime"] <= entered["ReleaseLockAfterError"]  # it ended (Stopped) before
    assert stack.state_item(LOCK) is None
