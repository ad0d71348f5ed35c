"""The SageMaker Pipeline retraining target, run for real on the local cloud.

One stack for the module: the real template with `RetrainingPipelineName` set, seeded with the
sample's v1 (Approved, with its baseline) and the newly labelled part 2 of the training data; the
committed `pipelines/retraining-pipeline.json` created by the deploy (template.yaml's
RetrainingPipeline) with its placeholders filled from the stack, its steps run as its own role.
Then: a drift event -> StartRetrainingFunction ->
StartPipelineExecution (the episode's deterministic token) -> the pipeline's Lambda steps run our
real handlers, training and transform run as jobs, the AUC gate passes -> v2 PendingManualApproval
with its metrics and DriftCheckBaselines -> approvers notified. Other deliveries of the episode and
other episodes start no second execution. A failing step -> the execution fails -> the status
change event -> PipelineFailedRule -> NotifyFailureFunction -> a notification naming the step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from mlops_loop.retraining import names
from mlops_loop.retraining.evaluate import model_package_description
from test_event_shapes import shape_problems

from pipelines.local import upsert_retraining_pipeline
from tests.support.state_machines import (
    DRIFT_DETAIL_TYPE,
    DRIFT_SOURCE,
    GROUP,
    SHIFTED_FEATURES,
    Stack,
    deployed,
    wait_until,
)

pytestmark = pytest.mark.integration

PIPELINE = "mlops-loop-retraining"
PIPELINE_STATUS = "SageMaker Model Building Pipeline Execution Status Change"
PACKAGE_STATE = "SageMaker Model Package State Change"
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    out = tmp_path_factory.mktemp("pipeline-target")
    with deployed(out, with_part2=True, RetrainingPipelineName=PIPELINE) as seeded:
        assert seeded.cloud.sagemaker_jobs.wait_idle(TIMEOUT)  # v1's approval is told before we start
        yield seeded


def test_the_stack_created_the_pipeline_from_the_committed_definition_with_its_role(stack: Stack) -> None:
    from pipelines.local import DEFINITION, fill, stack_values

    described = stack.cloud.client("sagemaker").describe_pipeline(PipelineName=PIPELINE)
    role = stack.cloud.stack.resources["RetrainingPipelineRole"]
    assert described["RoleArn"] == f"arn:aws:iam::{stack.cloud.account}:role/{role}"
    assert json.loads(described["PipelineDefinition"]) == json.loads(
        fill(DEFINITION.read_text(), stack_values(stack.cloud.stack))
    )
    assert described["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 2}


def drift_run(stack: Stack, episode: str) -> dict[str, Any]:
    """A batch run named `episode` on the sample's drifted batch, run to its end; its drift event
    (StartRetraining starts only for events a batch run of the stack put) was delivered while it ran.
    Returns that event's entry as the run put it."""
    run = stack.run_batch(episode, stack.put_batch(episode, stack.data.batch_drift))
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    [event] = stack.drift_events(episode)
    return {"Source": DRIFT_SOURCE, "DetailType": DRIFT_DETAIL_TYPE, "Detail": json.dumps(event["detail"])}


def put(stack: Stack, *entries: dict[str, Any]) -> None:
    answer = stack.cloud.client("events").put_events(Entries=list(entries))
    assert answer["FailedEntryCount"] == 0, answer


def executions(stack: Stack) -> list[dict[str, Any]]:
    sagemaker = stack.cloud.client("sagemaker")
    found = sagemaker.list_pipeline_executions(PipelineName=PIPELINE)["PipelineExecutionSummaries"]
    return sorted(found, key=lambda e: e["StartTime"])


def finished(stack: Stack, execution_arn: str) -> dict[str, Any]:
    sagemaker = stack.cloud.client("sagemaker")

    def ended() -> dict[str, Any] | None:
        described: dict[str, Any] = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        return described if described["PipelineExecutionStatus"] != "Executing" else None

    result: dict[str, Any] = wait_until(ended, timeout=TIMEOUT, what=f"pipeline execution {execution_arn}")
    assert stack.cloud.sagemaker_jobs.wait_idle(TIMEOUT)  # its closing events are delivered
    return result


def backend_execution(stack: Stack, execution_arn: str) -> Any:
    """moto's record of the execution (the only place that keeps the ClientRequestToken)."""
    pipeline = stack.cloud.sagemaker_jobs.backend().pipelines[PIPELINE]
    return pipeline.pipeline_executions[execution_arn]


def emitted(stack: Stack, detail_type: str) -> list[dict[str, Any]]:
    return [e for e in stack.cloud.router.emitted if e["detail-type"] == detail_type]


def test_the_committed_definition_is_deployed_with_the_stack_values(stack: Stack) -> None:
    sagemaker = stack.cloud.client("sagemaker")
    body = sagemaker.describe_pipeline(PipelineName=PIPELINE)["PipelineDefinition"]
    assert "${" not in body
    steps = json.loads(body)["Steps"]
    lambdas = {s["Name"]: s["FunctionArn"] for s in steps if s["Type"] == "Lambda"}
    functions = stack.cloud.stack.functions
    assert lambdas == {
        "PrepareTrainingData": f"arn:aws:lambda:us-east-1:{stack.cloud.account}:function:"
        f"{functions['PrepareTrainingDataFunction']}",
        "EvaluateModel": f"arn:aws:lambda:us-east-1:{stack.cloud.account}:function:"
        f"{functions['EvaluateModelFunction']}",
    }
    train = next(s for s in steps if s["Name"] == "TrainModel")["Arguments"]
    assert train["RoleArn"] == stack.cloud.stack.outputs["SageMakerExecutionRoleArn"]
    assert train["AlgorithmSpecification"]["TrainingImage"] == stack.cloud.stack.outputs["XGBoostImageUri"]
    assert train["OutputDataConfig"]["KmsKeyId"] == stack.cloud.stack.outputs["KmsKeyArn"]


def test_drift_runs_the_pipeline_once_and_registers_v2_awaiting_approval(stack: Stack) -> None:
    cloud = stack.cloud
    notes_before = len(cloud.outbox.messages)

    # When a batch run finds drift, and its event is put once more while the pipeline runs
    entry = drift_run(stack, "pl-drift-1")
    put(stack, entry)

    # Then exactly one pipeline execution started, for the episode, with the episode's token
    started = executions(stack)
    assert [e["PipelineExecutionDisplayName"] for e in started] == ["retrain-pl-drift-1"]
    arn = started[0]["PipelineExecutionArn"]
    record = backend_execution(stack, arn)
    assert record.client_request_token == names.client_request_token(GROUP, "pl-drift-1")
    assert {p["Name"]: p["Value"] for p in record.pipeline_parameters} == {
        "RunId": "retrain-pl-drift-1",
        "Reason": "drift",
        "EpisodeId": "pl-drift-1",
        "ModelPackageGroupName": GROUP,
        "TrainingDataS3Uri": cloud.stack.outputs["TrainingDataS3Uri"],
        "SourceExecutionArn": json.loads(entry["Detail"])["executionArn"],
        "BaseModelPackageArn": stack.v1_arn,
        "QualityGateMinAuc": "0.8",  # the stack's QualityGateMinAuc (default 0.80), not the pipeline's 0.9
    }
    lock = stack.state_item(names.lock_key(GROUP))
    assert lock is not None
    assert (lock["holder"], lock["target"], lock["executionArn"]) == ("retrain-pl-drift-1", "pipeline", arn)

    # And the execution ran every step and succeeded
    described = finished(stack, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    run_prefix = "retraining/retrain-pl-drift-1/"
    keys = stack.keys(run_prefix)
    for produced in ("evaluation/evaluation.json", "baseline/statistics.json", "baseline/constraints.json"):
        assert f"{run_prefix}{produced}" in keys, keys
    execution_id = arn.rsplit("/", 1)[-1]
    sagemaker = cloud.client("sagemaker")
    jobs = [
        j
        for j in sagemaker.list_training_jobs()["TrainingJobSummaries"]
        if execution_id in j["TrainingJobName"]
    ]
    assert [j["TrainingJobStatus"] for j in jobs] == ["Completed"]
    # the step's job is billed to the stack, as the state machine's are (cost tags from the definition)
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=jobs[0]["TrainingJobArn"])["Tags"]}
    expected = {
        "CostCenter": stack.cloud.stack.parameters.get("CostCenterTag"),
        "mlops:stack": stack.cloud.stack.name,
    }
    assert {k: tags.get(k) for k in expected} == expected, tags
    assert tags["sagemaker:pipeline-step-name"] == "TrainModel"

    # And v2 awaits approval, with the evaluation, the baseline and the lineage attached
    versions = stack.versions()
    assert [(v["ModelPackageVersion"], v["ModelApprovalStatus"]) for v in versions] == [
        (1, "Approved"),
        (2, "PendingManualApproval"),
    ]
    v2 = versions[1]
    # the model-quality baseline (statistics and constraints), as the state machine registers it
    model_quality = v2["ModelMetrics"]["ModelQuality"]
    assert v2["DriftCheckBaselines"]["ModelQuality"] == model_quality
    quality = model_quality["Statistics"]["S3Uri"]
    assert quality == f"s3://{stack.bucket}/{run_prefix}evaluation/model-quality/statistics.json"
    constraints = model_quality["Constraints"]["S3Uri"]
    assert constraints == f"s3://{stack.bucket}/{run_prefix}evaluation/model-quality/constraints.json"
    evaluation = json.loads(stack.read(quality))["binary_classification_metrics"]
    auc_constraint = json.loads(stack.read(constraints))["binary_classification_constraints"]["auc"]
    assert auc_constraint["threshold"] == pytest.approx(evaluation["auc"]["value"])
    metadata = v2["CustomerMetadataProperties"]
    assert float(metadata["auc"]) == pytest.approx(evaluation["auc"]["value"])
    assert float(metadata["auc"]) >= 0.8  # passed the stack's quality gate
    # the description EvaluateModel built (retraining/evaluate.py), the text the state machine
    # registers for the same run, reason, AUC and rows (tests/statemachine/test_retraining_execution.py)
    statistics_doc = json.loads(stack.read(quality))
    assert v2["ModelPackageDescription"] == model_package_description(
        "drift", "retrain-pl-drift-1", evaluation["auc"]["value"], statistics_doc["dataset"]["item_count"]
    )
    assert v2["ModelPackageDescription"].startswith("Retrained (drift) by run retrain-pl-drift-1: AUC 0.")
    baselines = v2["DriftCheckBaselines"]["ModelDataQuality"]
    assert baselines == v2["ModelMetrics"]["ModelDataQuality"]
    statistics = json.loads(stack.read(baselines["Statistics"]["S3Uri"]))
    assert {f["name"] for f in statistics["features"]} >= SHIFTED_FEATURES
    assert baselines["Constraints"]["S3Uri"] == f"s3://{stack.bucket}/{run_prefix}baseline/constraints.json"
    assert json.loads(stack.read(baselines["Constraints"]["S3Uri"]))["features"]
    assert {k: metadata[k] for k in ("reason", "episodeId", "baseModelPackageArn")} == {
        "reason": "drift",
        "episodeId": "pl-drift-1",
        "baseModelPackageArn": stack.v1_arn,
    }
    assert metadata["trainingJobName"].startswith(f"pipelines-{execution_id}-TrainModel-")
    model_data = v2["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert model_data.startswith(f"s3://{stack.bucket}/{run_prefix}model/")
    assert model_data.endswith("/output/model.tar.gz")

    # And the registry said so, and the approvers were asked, with the candidate's metrics
    pending = [e for e in emitted(stack, PACKAGE_STATE) if e["detail"]["ModelPackageVersion"] == 2]
    assert [e["detail"]["ModelApprovalStatus"] for e in pending] == ["PendingManualApproval"]
    asks = wait_until(lambda: stack.notifications(f"Approval needed: {GROUP} v2"), what="approval request")
    assert len(asks) == 1
    # (the metrics compared are read from the evaluation.json the pipeline registered)
    assert "It was trained because: drift (episode pl-drift-1)." in asks[0].message
    assert "Metrics (this version vs the live version):" in asks[0].message
    # nothing else but the run's drift mail: no failure, no second run
    assert len(cloud.outbox.messages) - notes_before == 2

    # And the execution's events are Executing then Succeeded; the closing one and the registry's have
    # the documented shapes (the samples are of ended executions: Executing has no previous status
    # and no end time yet)
    mine = [e for e in emitted(stack, PIPELINE_STATUS) if e["detail"]["pipelineExecutionArn"] == arn]
    assert [e["detail"]["currentPipelineExecutionStatus"] for e in mine] == ["Executing", "Succeeded"]
    assert "previousPipelineExecutionStatus" not in mine[0]["detail"]
    for event in [mine[1], *pending]:
        assert shape_problems(event) == [], event

    # When the episode is delivered again after its run ended (delivered before put_events returns)
    put(stack, entry)

    # Then nothing starts again
    assert [e["PipelineExecutionArn"] for e in executions(stack)] == [arn]


def test_a_failing_step_fails_the_execution_and_people_are_told(stack: Stack) -> None:
    cloud = stack.cloud
    # Given the training job of the next pipeline execution fails
    cloud.faults.fail_job("pipelines-*-TrainModel-*", "AlgorithmError: injected: no space left on device")
    before = {e["PipelineExecutionArn"] for e in executions(stack)}
    # (v2, the candidate of v1's drift, was rejected and newly labelled data arrived: v1's drift
    # retrains again; docs/retraining.md, "One retraining per drift condition")
    sagemaker = cloud.client("sagemaker")
    v2 = stack.versions()[1]["ModelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=v2, ModelApprovalStatus="Rejected")
    source = {"Bucket": stack.bucket, "Key": "training-data/breast-cancer-part2.csv"}
    cloud.client("s3").copy_object(
        Bucket=stack.bucket, Key="training-data/breast-cancer-part3.csv", CopySource=source
    )
    assert cloud.wait_jobs_idle(TIMEOUT)  # the rejection's event is handled
    versions_before = len(stack.versions())
    try:
        # When a new drift episode arrives (the previous run has ended: its lock is taken over)
        drift_run(stack, "pl-drift-3")
        started = [e for e in executions(stack) if e["PipelineExecutionArn"] not in before]
        assert [e["PipelineExecutionDisplayName"] for e in started] == ["retrain-pl-drift-3"]
        arn = started[0]["PipelineExecutionArn"]
        described = finished(stack, arn)
    finally:
        cloud.faults.clear()

    # Then the execution failed at the training step, and nothing was registered
    assert described["PipelineExecutionStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("Step TrainModel (Training): job pipelines-")
    assert reason.endswith("Failed: AlgorithmError: injected: no space left on device")
    assert len(stack.versions()) == versions_before

    # And the failure event went through PipelineFailedRule to NotifyFailureFunction: one message
    failed = [
        e
        for e in emitted(stack, PIPELINE_STATUS)
        if e["detail"]["pipelineExecutionArn"] == arn
        and e["detail"]["currentPipelineExecutionStatus"] == "Failed"
    ]
    assert len(failed) == 1 and shape_problems(failed[0]) == []
    notes = wait_until(
        lambda: stack.notifications(f"Retraining pipeline failed: {PIPELINE}"), what="failure notification"
    )
    assert len(notes) == 1
    assert arn in notes[0].message
    assert "retrain-pl-drift-3" in notes[0].message
    assert "AlgorithmError: injected: no space left on device" in notes[0].message


def test_upsert_updates_in_place_and_refuses_an_unfillable_definition(stack: Stack, tmp_path: Any) -> None:
    from pipelines.local import DEFINITION, PipelineDefinitionError

    sagemaker = stack.cloud.client("sagemaker")
    # Given a pipeline created from the committed definition under another name
    arn = upsert_retraining_pipeline(stack.cloud, name="retraining-copy")
    # When it is upserted again from a changed definition
    changed = json.loads(DEFINITION.read_text())
    changed["Parameters"][-1]["DefaultValue"] = "ml.m5.xlarge"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    assert upsert_retraining_pipeline(stack.cloud, name="retraining-copy", definition=path) == arn

    # Then the same pipeline holds the new definition
    body = json.loads(sagemaker.describe_pipeline(PipelineName="retraining-copy")["PipelineDefinition"])
    assert body["Parameters"][-1] == {
        "DefaultValue": "ml.m5.xlarge",
        "Name": "TransformInstanceType",
        "Type": "String",
    }
    names_now = [p["PipelineName"] for p in sagemaker.list_pipelines()["PipelineSummaries"]]
    assert sorted(names_now) == [PIPELINE, "retraining-copy"]

    # And a placeholder the stack cannot fill is refused by name, creating nothing
    path.write_text(DEFINITION.read_text().replace("${KmsKeyArn}", "${AnotherAccountsKey}"))
    with pytest.raises(PipelineDefinitionError, match="no value for placeholder\\(s\\) AnotherAccountsKey"):
        upsert_retraining_pipeline(stack.cloud, name="refused", definition=path)
    assert "refused" not in [p["PipelineName"] for p in sagemaker.list_pipelines()["PipelineSummaries"]]
