"""The batch-inference state machine with MonitoringEngine=DistributedLambda: a Distributed Map lists
the batch's objects and runs MonitorBatchFunction (mode sketch) on each in its own child execution;
MergeSketches (mode merge) checks the merged profile. Executed on the local cloud with the real
handlers; the verdict must be the one a single pass over the same rows gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import dataquality
import pytest

from sample.data import to_csv
from tests.support.state_machines import GROUP, SHIFTED_FEATURES, Stack, deployed

MONITORING = f"batch-inference/{GROUP}/v1/{{run}}/monitoring/"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(tmp_path_factory.mktemp("sm-distributed"), MonitoringEngine="DistributedLambda") as running:
        yield running


def put_split_batch(stack: Stack, run_id: str, rows: list[list[str]], parts: int) -> str:
    """`rows` as `parts` headerless CSV objects under one prefix, plus a `_SUCCESS` marker."""
    s3 = stack.cloud.client("s3")
    prefix = f"batch-input/test-batches/{run_id}/"
    size = -(-len(rows) // parts)
    for number in range(parts):
        chunk = rows[number * size : (number + 1) * size]
        s3.put_object(Bucket=stack.bucket, Key=f"{prefix}part-{number}.csv", Body=to_csv(chunk).encode())
    s3.put_object(Bucket=stack.bucket, Key=f"{prefix}_SUCCESS", Body=b"")
    return f"s3://{stack.bucket}/{prefix}"


def one_pass(stack: Stack, batch_uri: str, model: dict[str, str]) -> dataquality.CheckResult:
    return dataquality.check(
        batch_uri,
        baseline_statistics=json.loads(stack.read(model["baselineStatisticsS3Uri"])),
        baseline_constraints=json.loads(stack.read(model["baselineConstraintsS3Uri"])),
        has_header=False,
    )


def test_drift_batch_in_three_objects_is_sketched_per_object_and_merged(stack: Stack) -> None:
    # Given the shifted batch split into three objects (and a _SUCCESS marker) under one prefix
    run_id = "sm-dist-drift"
    batch_uri = put_split_batch(stack, run_id, stack.data.batch_drift, parts=3)
    # When the batch-inference state machine runs with the distributed engine
    run = stack.run_batch(run_id, batch_uri)
    # Then it sketches, merges and reports the drift
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert "AnalyzeBatch" not in run.path
    assert run.path[: run.path.index("MonitorBatch")] == ["ResolveModel", "ListBatch"]
    after_check = [s for s in run.path[run.path.index("MonitorBatch") :] if s != "CreateModel"]
    assert after_check == [
        "MonitorBatch",
        "SketchBatch",
        "MergeSketches",
        "CheckDataQuality",
        "ModelExists",
        "RunBatchTransform",
        "ClassifyOutcome",
        "PublishDriftEvent",
        "NotifyDrift",
        "DriftReported",
    ]
    monitoring = run.output["monitoring"]
    assert monitoring["verdict"] == "drift"
    assert set(monitoring["driftedFeatures"]) >= SHIFTED_FEATURES
    # one partial per data object (the marker is not data), and the files of every engine
    prefix = MONITORING.format(run=run_id)
    files = {key.removeprefix(prefix) for key in stack.keys(prefix)}
    assert len([name for name in files if name.startswith("partials/")]) == 3
    assert {"statistics.json", "constraint_violations.json", "report.html", "verdict.json"} <= files
    assert json.loads(stack.read(prefix + "verdict.json"))["engine"] == "dataquality-distributed"
    # and the verdict is the one pass's over the same rows, to the sketches' error
    single = one_pass(stack, batch_uri, run.output["model"])
    assert monitoring["driftedFeatures"] == single.summary()["driftedFeatures"]
    for feature, distance in single.summary()["featureDistances"].items():
        assert monitoring["featureDistances"][feature] == pytest.approx(distance, abs=0.01)
    merged_rows = json.loads(stack.read(prefix + "statistics.json"))["dataset"]["item_count"]
    assert merged_rows == len(stack.data.batch_drift)
    assert len(stack.drift_events(run_id)) == 1
    stack.finished(stack.retraining_execution(run_id))  # let the retraining it started end here


def test_clean_batch_in_two_objects_is_clean(stack: Stack) -> None:
    run_id = "sm-dist-clean"
    run = stack.run_batch(run_id, put_split_batch(stack, run_id, stack.data.batch_clean, parts=2))

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.path[-4:] == ["ModelExists", "RunBatchTransform", "ClassifyOutcome", "BatchClean"]
    assert run.path[2:6] == ["MonitorBatch", "SketchBatch", "MergeSketches", "CheckDataQuality"]
    assert run.output["monitoring"]["verdict"] == "clean"
    assert stack.drift_events(run_id) == []
