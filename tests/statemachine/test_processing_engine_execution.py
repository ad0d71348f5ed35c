"""The batch-inference state machine with MonitoringEngine=ModelMonitorProcessing: monitoring runs as
a `createProcessingJob.sync` task with the Model Monitor analyzer image and its environment
contract (the local job runner runs the dataquality analyzer behind it), then MonitorBatchFunction
classifies the files the job wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.state_machines import GROUP, SHIFTED_FEATURES, Stack, deployed

PROCESSING_PATH = [
    "ResolveModel",
    "ListBatch",
    "MonitorBatch",
    "RunModelMonitorJob",
    "JudgeModelMonitorResults",
    "CheckDataQuality",
    "ModelExists",
    "CreateModel",
    "RunBatchTransform",
    "ClassifyOutcome",
]
MONITORING = f"batch-inference/{GROUP}/v1/{{run}}/monitoring/"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(
        tmp_path_factory.mktemp("sm-processing"), MonitoringEngine="ModelMonitorProcessing"
    ) as running:
        yield running


def without_create_model(path: list[str]) -> list[str]:
    return [state for state in path if state != "CreateModel"]


def test_clean_batch_through_the_processing_job(stack: Stack) -> None:
    run_id = "sm-mm-clean"
    run = stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_clean))

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert without_create_model(run.path) == [*without_create_model(PROCESSING_PATH), "BatchClean"]
    assert "AnalyzeBatch" not in run.path
    job_name = run.output["processing"]["processingJobName"]
    job = stack.cloud.client("sagemaker").describe_processing_job(ProcessingJobName=job_name)
    assert job["ProcessingJobStatus"] == "Completed"
    assert job["AppSpecification"]["ImageUri"].split("/")[-1].startswith("sagemaker-model-monitor-analyzer")
    assert job["Environment"]["dataset_source"] == "/opt/ml/processing/input/batch"
    # the job reads exactly the run's listing of its batch, as the transform does
    [batch] = [i["S3Input"] for i in job["ProcessingInputs"] if i["InputName"] == "batch"]
    assert (batch["S3DataType"], batch["S3Uri"]) == ("ManifestFile", run.output["batch"]["manifestS3Uri"])
    assert run.output["monitoring"]["verdict"] == "clean"
    monitoring = MONITORING.format(run=run_id)
    files = {k.removeprefix(monitoring) for k in stack.keys(monitoring)}
    assert {"statistics.json", "constraint_violations.json", "report.html", "verdict.json"} <= files
    assert json.loads(stack.read(monitoring + "constraint_violations.json"))["violations"] == []
    assert stack.drift_events(run_id) == []


def test_drift_batch_through_the_processing_job(stack: Stack) -> None:
    run_id = "sm-mm-drift"
    run = stack.run_batch(run_id, stack.put_batch(run_id, stack.data.batch_drift))

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert without_create_model(run.path) == [
        *without_create_model(PROCESSING_PATH),
        "PublishDriftEvent",
        "NotifyDrift",
        "DriftReported",
    ]
    monitoring = run.output["monitoring"]
    assert monitoring["verdict"] == "drift"
    assert set(monitoring["driftedFeatures"]) >= SHIFTED_FEATURES
    violations = json.loads(stack.read(MONITORING.format(run=run_id) + "constraint_violations.json"))[
        "violations"
    ]
    assert {v["feature_name"] for v in violations} >= SHIFTED_FEATURES
    # the distances come from the job's statistics.json against the baseline's (not from the
    # descriptions' wording), and agree with the job's violations: no disagreement on record
    assert all(monitoring["featureDistances"][name] > 0.1 for name in SHIFTED_FEATURES)
    verdict = json.loads(stack.read(MONITORING.format(run=run_id) + "verdict.json"))
    assert verdict["engine"] == "model-monitor" and "driftDisagreements" not in verdict
    # every compared feature has its distance, also those within the threshold
    within = {k: v for k, v in verdict["featureDistances"].items() if k not in monitoring["driftedFeatures"]}
    assert within and all(d <= 0.1 for d in within.values())
    events = stack.drift_events(run_id)
    assert len(events) == 1
    assert events[0]["detail"]["executionArn"] == run.arn
    # The drift started one retraining: let it end inside this module's stack.
    retraining = stack.finished(stack.retraining_execution(run_id))
    assert retraining.status in {
        "SUCCEEDED",
        "FAILED",
    }  # training data is part 1 only here; either way it ends


def test_a_processing_job_whose_create_answer_was_lost_is_attached_to_and_classified(stack: Stack) -> None:
    # Given CreateProcessingJob creates the Model Monitor job, then its answer is lost
    run_id = "sm-mm-lost-answer"
    batch = stack.put_batch(run_id, stack.data.batch_clean)
    stack.cloud.faults.lose_answer("sagemaker", "CreateProcessingJob")
    try:
        run = stack.run_batch(run_id, batch)
    finally:
        stack.cloud.faults.clear()
    # Then the retried create meets the name in use, waits for that job and classifies its files
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.task_failures()[-1] == ("RunModelMonitorJob", "SageMaker.ResourceInUseException")
    after = run.path[run.path.index("RunModelMonitorJob") :]
    assert after[:2] == ["RunModelMonitorJob", "DescribeProcessingJob"], run.path
    assert "AttachedProcessingJob" in after and after[-1] == "BatchClean", run.path
    job_name = run.output["processing"]["processingJobName"]
    jobs = stack.cloud.client("sagemaker").list_processing_jobs(NameContains=run_id)["ProcessingJobSummaries"]
    assert [j["ProcessingJobName"] for j in jobs] == [job_name]
    assert run.output["monitoring"]["verdict"] == "clean"
