"""`make demo`'s story as a test, with the checks a user would make.

One local cloud for the module: the real template.yaml with the demo's parameters, v1 seeded by
`python -m sample.seed` against the served APIs, then the story of story.demo (schedule ticks,
drift, retraining, approval, the v2 run). The drift event is delivered twice (EventBridge delivers
at least once): one retraining must come of it. The assertions read the cloud itself (bucket,
registry, executions, jobs, outbox), not only what the story recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_event_shapes import shape_problems, unique_kinds

from story import demo

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the story's ticks: Nov 24, 25, 26 at 02:00 UTC
BATCH_ROWS = 113

pytestmark = pytest.mark.integration


@dataclass
class Played:
    cloud: Any
    record: demo.StoryRecord
    error: demo.StoryStepError | None


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    # Given the stack on a fresh local cloud, and EventBridge delivering the drift event twice
    out = tmp_path_factory.mktemp("demo-story")
    with demo.demo_cloud(TEMPLATE, out, now=START) as (cloud, _endpoint, seed):
        cloud.faults.duplicate_events(detail_type="Data Drift Detected", copies=2)
        story = demo.Story(cloud, demo.Timeline(quiet=True), seed)
        error = None
        # When the story is played
        try:
            story.run()
        except demo.StoryStepError as failure:
            error = failure
        story.settle("after the story")
        yield Played(cloud, story.record, error)


@pytest.fixture
def story(played: Played) -> Played:
    if played.error is not None:
        pytest.fail(f"the story stopped at '{played.error.step}': {played.error.message}")
    return played


def _keys(cloud: Any, bucket: str, prefix: str) -> list[str]:
    s3 = cloud.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _read(cloud: Any, bucket: str, key: str) -> str:
    return cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()


# -- the story ---------------------------------------------------------------------------------
def test_every_step_of_the_story_happens(played: Played) -> None:
    assert played.error is None, f"stopped at '{played.error.step}': {played.error.message}"
    assert played.record.steps == list(demo.ORDER)


def test_each_run_is_traceable_to_the_version_that_made_its_predictions(story: Played) -> None:
    cloud, record = story.cloud, story.record
    runs = {run.execution_name: run for run in record.runs}
    # Then the three scheduled runs are the three ticks, in order
    assert list(runs) == [
        "scheduled-20261124T020000Z",
        "scheduled-20261125T020000Z",
        "scheduled-20261126T020000Z",
    ]
    expected = {
        "scheduled-20261124T020000Z": (1, "clean"),
        "scheduled-20261125T020000Z": (1, "drift"),
        "scheduled-20261126T020000Z": (2, "clean"),
    }
    sagemaker = cloud.client("sagemaker")
    prefix = f"batch-inference/{record.group}/"
    for name, (version, verdict) in expected.items():
        assert (runs[name].model_version, runs[name].verdict) == (version, verdict)
        # and the predictions sit under v<version>/<run id>/, one score per batch row
        predictions = _keys(cloud, record.bucket, f"{prefix}v{version}/{name}/predictions/")
        assert [Path(k).name for k in predictions] == [
            "batch-drift.csv.out" if verdict == "drift" else "batch-clean.csv.out"
        ]
        scores = [float(x) for x in _read(cloud, record.bucket, predictions[0]).split()]
        assert len(scores) == BATCH_ROWS
        assert all(0.0 <= s <= 1.0 for s in scores)
        # and the transform job that wrote them ran the model of that version
        job = sagemaker.describe_transform_job(TransformJobName=f"bt-v{version}-{name}")
        assert job["ModelName"] == f"{record.group}-v{version}"
        assert job["TransformOutput"]["S3OutputPath"].endswith(f"/v{version}/{name}/predictions/")
    # and nothing was written under a version for a run that version did not make
    all_runs = {k.split("/")[3] for k in _keys(cloud, record.bucket, prefix)}
    assert all_runs == set(expected)
    assert {k.split("/")[2] for k in _keys(cloud, record.bucket, prefix)} == {"v1", "v2"}


def test_each_run_has_its_report_statistics_and_verdict(story: Played) -> None:
    cloud, record = story.cloud, story.record
    for run in record.runs:
        base = f"batch-inference/{record.group}/v{run.model_version}/{run.execution_name}/monitoring/"
        names = {Path(k).name for k in _keys(cloud, record.bucket, base)}
        assert {"report.html", "statistics.json", "constraint_violations.json", "verdict.json"} <= names
        html = _read(cloud, record.bucket, base + "report.html")
        assert "<html" in html.lower() and "mean_radius" in html
        violations = json.loads(_read(cloud, record.bucket, base + "constraint_violations.json"))
        drifted = sorted(
            v["feature_name"]
            for v in violations["violations"]
            if v["constraint_check_type"] == "baseline_drift_check"
        )
        assert drifted == sorted(run.drifted_features)
    # Then the shifted features, and only they, drifted
    assert sorted(record.runs[1].drifted_features) == ["mean_radius", "mean_texture", "worst_area"]
    assert record.runs[0].drifted_features == [] and record.runs[2].drifted_features == []


def test_what_people_were_told_in_order(story: Played) -> None:
    group = story.record.group
    assert [m.subject for m in story.cloud.outbox.messages] == [
        f"[dev] Approved, now live: {group} v1",
        f"[dev] Drift detected: {group} v1",
        f"[dev] Approval needed: {group} v2",
        f"[dev] Approved, now live: {group} v2",
    ]
    drift_message = story.cloud.outbox.messages[1].message
    assert story.record.runs[1].execution_arn in drift_message
    assert "report.html" in drift_message


def test_nothing_ran_twice_although_the_drift_event_came_twice(story: Played) -> None:
    cloud, record = story.cloud, story.record
    # Given the drift event reached StartRetrainingFunction twice
    start_retraining = cloud.function_name("StartRetrainingFunction")
    deliveries = [
        d
        for d in cloud.router.deliveries
        if d.detail_type == "Data Drift Detected" and d.target_arn.endswith(f":{start_retraining}")
    ]
    assert len(deliveries) == 2 and all(d.ok and d.function_error is None for d in deliveries)
    # Then one retraining ran, one training job, one new version; three batch runs, one per tick
    retraining = cloud.executions(cloud.stack.outputs["RetrainingStateMachineArn"])
    assert [(e["name"], e["status"]) for e in retraining] == [
        ("retrain-scheduled-20261125T020000Z", "SUCCEEDED")
    ]
    sagemaker = cloud.client("sagemaker")
    assert len(sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 1
    packages = sagemaker.list_model_packages(ModelPackageGroupName=record.group)["ModelPackageSummaryList"]
    assert sorted(p["ModelPackageVersion"] for p in packages) == [1, 2]
    batch = cloud.executions(cloud.stack.outputs["BatchInferenceStateMachineArn"])
    assert sorted(e["name"] for e in batch) == [r.execution_name for r in record.runs]
    assert {e["status"] for e in batch} == {"SUCCEEDED"}
    # and the retraining lock was released
    table = cloud.client("dynamodb").scan(TableName=cloud.stack.outputs["StateTableName"])
    assert not [i for i in table["Items"] if i["id"]["S"].startswith("retraining-lock#")]


def test_v2_names_the_drift_episode_it_was_trained_for(story: Played) -> None:
    cloud, record = story.cloud, story.record
    v2 = cloud.client("sagemaker").describe_model_package(ModelPackageName=record.v2_arn)
    metadata = v2["CustomerMetadataProperties"]
    drift_run = record.runs[1]
    assert metadata["reason"] == "drift"
    assert metadata["episodeId"] == drift_run.execution_name
    assert metadata["sourceExecutionArn"] == drift_run.execution_arn
    assert metadata["baseModelPackageArn"] == record.v1_arn
    retraining = cloud.executions(cloud.stack.outputs["RetrainingStateMachineArn"])[0]
    assert metadata["retrainingExecutionArn"] == retraining["executionArn"]
    assert float(metadata["auc"]) >= 0.8
    # and it carries its own baseline, which the v2 run was checked against
    baseline = v2["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    assert "/retraining/" in baseline and baseline != ""
    assert v2["ModelApprovalStatus"] == "Approved"


def test_v2_was_trained_on_part_1_and_part_2(story: Played) -> None:
    from sample.data import breast_cancer

    data = breast_cancer()
    cloud, record = story.cloud, story.record
    run_id = cloud.executions(cloud.stack.outputs["RetrainingStateMachineArn"])[0]["name"]
    rows = 0
    for channel in ("train", "validation", "test"):
        for key in _keys(cloud, record.bucket, f"retraining/{run_id}/{channel}/"):
            rows += len([line for line in _read(cloud, record.bucket, key).splitlines() if line.strip()])
    assert rows == len(data.part1) + len(data.part2)
    training = cloud.client("sagemaker").list_training_jobs()["TrainingJobSummaries"][0]
    assert training["TrainingJobStatus"] == "Completed"


def test_the_approved_version_is_recorded_live(story: Played) -> None:
    live = story.record.live_after_approval
    assert live["modelPackageArn"] == story.record.v2_arn
    assert live["modelPackageVersion"] == 2
    assert "update-model-package" in story.record.approve_command
    assert story.record.v2_arn in story.record.approve_command


def test_every_event_emitted_during_the_story_has_the_documented_shape(story: Played) -> None:
    emitted = story.cloud.router.emitted
    kinds = unique_kinds(emitted)
    # Then the story produced the kinds the loop lives on
    assert {k[1] for k in kinds} >= {
        "Data Drift Detected",
        "SageMaker Model Package State Change",
        "Step Functions Execution Status Change",
        "SageMaker Transform Job State Change",
        "SageMaker Training Job State Change",
    }
    bad: dict[str, str] = {}
    for event in emitted:
        problems = shape_problems(event)
        if problems:
            bad.setdefault("; ".join(problems), f"{event['detail-type']} {event['id']}")
    assert not bad, "\n".join(f"{where}: {problems}" for problems, where in bad.items())


# -- the command ---------------------------------------------------------------------------------
def test_make_demo_names_the_step_that_did_not_happen(tmp_path: Path) -> None:
    # Given the app deployed with its batch schedule switched off (the story cannot go on)
    broken = tmp_path / "app"
    shutil_copy_app(broken)
    (broken / "samconfig.toml").write_text(
        (broken / "samconfig.toml").read_text().replace("ScheduleState=ENABLED", "ScheduleState=DISABLED")
    )
    # When the demo runs on it
    done = subprocess.run(
        [sys.executable, "-m", "story.demo", "--quiet", "-t", str(broken / "template.yaml"),
         "--output", str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    # Then it exits 1 and says which step did not happen
    assert done.returncode == 1, done.stdout + done.stderr
    assert "demo FAILED at step 'scheduled run 1 (clean batch)'" in done.stderr
    assert "v1 trained and approved" in done.stderr


def shutil_copy_app(target: Path) -> None:
    """A copy of what the template refers to (functions, layers, state machines, sample)."""
    import shutil

    target.mkdir(parents=True)
    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy(REPO / name, target / name)
    for folder in ("functions", "layers", "statemachines", "sample"):
        shutil.copytree(REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
