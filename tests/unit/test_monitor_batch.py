"""MonitorBatch with the real dataquality analyzer: clean, drift, data-quality failure, files, metrics."""

from __future__ import annotations

import io
import json

import boto3
import dataquality
import msgspec
import numpy as np
import pytest
from mlops_loop.errors import (
    BaselineObjectNotFound,
    BatchInputNotFound,
    InvalidEvent,
    MonitoringOutputNotFound,
)
from mlops_loop.models.drift import DataDriftDetectedDetail

from functions.monitor_batch import app
from tests.support.helpers import REGION, FakeLambdaContext, emf_metrics, load_event

FEATURES = ["mean_radius", "mean_texture", "mean_smoothness"]


def _csv(rows: np.ndarray, header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    if header:
        out.write(",".join(header) + "\n")
    for row in rows:
        out.write(",".join(f"{v:.5f}" for v in row) + "\n")
    return out.getvalue().encode()


def _rows(n: int, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    data = np.column_stack([rng.normal(14.0, 3.0, n), rng.normal(19.0, 4.0, n), rng.normal(0.1, 0.01, n)])
    data[:, 0] += shift
    return data


def _put(uri: str, body: bytes) -> None:
    bucket, key = uri[5:].split("/", 1)
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=body)


def _get(uri: str) -> bytes:
    bucket, key = uri[5:].split("/", 1)
    return boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()


def _keys(prefix_uri: str) -> list[str]:
    bucket, key = prefix_uri[5:].split("/", 1)
    got = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket, Prefix=key)
    return sorted(o["Key"][len(key) :] for o in got.get("Contents", []))


@pytest.fixture
def baseline(function_env, tmp_path):
    """A baseline suggested by the analyzer from 2,000 training rows, registered where the event says."""
    event = load_event("monitor_batch_analyze")
    train = tmp_path / "train.csv"
    train.write_bytes(_csv(_rows(2000, seed=1), header=FEATURES))
    made = dataquality.suggest_baseline(str(train), has_header=True)
    _put(event["model"]["baselineStatisticsS3Uri"], json.dumps(made.statistics).encode())
    _put(event["model"]["baselineConstraintsS3Uri"], json.dumps(made.constraints).encode())
    return made


def list_batch() -> dict:
    """ListBatch, the step before every engine: the run's listing of its batch."""
    return app.lambda_handler({**load_event("monitor_batch_analyze"), "mode": "list"}, FakeLambdaContext())


def put_batch(rows: np.ndarray) -> None:
    _put(load_event("monitor_batch_analyze")["run"]["batchInputS3Uri"] + "batch.csv", _csv(rows))
    list_batch()


def test_clean_batch_writes_the_four_files_under_the_versions_prefix(baseline, lambda_context, capsys):
    # Given a batch like the training data
    put_batch(_rows(800, seed=2))
    event = load_event("monitor_batch_analyze")

    # When the workflow monitors it
    out = app.lambda_handler(event, lambda_context)

    # Then it is clean, and the files sit under .../v<version>/<run>/monitoring/ (lineage)
    assert out["verdict"] == "clean"
    assert out["driftedFeatures"] == []
    assert set(out["featureDistances"]) == set(FEATURES)
    prefix = event["run"]["monitoringS3Uri"]
    assert _keys(prefix) == ["constraint_violations.json", "report.html", "statistics.json", "verdict.json"]
    assert out["statisticsS3Uri"] == prefix + "statistics.json"
    assert out["violationsS3Uri"] == prefix + "constraint_violations.json"
    assert out["reportS3Uri"] == prefix + "report.html"
    version = event["model"]["modelPackageVersion"]
    assert f"/v{version}/{event['run']['runId']}/monitoring/" in prefix
    assert json.loads(_get(prefix + "verdict.json"))["modelPackageVersion"] == version == 1
    assert b"<html" in _get(prefix + "report.html").lower()
    # and the drift distance of every feature is a metric
    drift = [m for m in emf_metrics(capsys.readouterr().out) if m["name"] == "DriftDistance"]
    assert sorted(m["dimensions"]["Feature"] for m in drift) == sorted(FEATURES)


def test_shifted_feature_is_drift(baseline, lambda_context, capsys):
    put_batch(_rows(800, seed=3, shift=6.0))

    out = app.lambda_handler(load_event("monitor_batch_analyze"), lambda_context)

    assert out["verdict"] == "drift"
    assert out["driftedFeatures"] == ["mean_radius"]
    assert out["featureDistances"]["mean_radius"] > 0.5
    assert {"feature_name": "mean_radius", "constraint_check_type": "baseline_drift_check"}.items() <= out[
        "violations"
    ][0].items()
    metrics = emf_metrics(capsys.readouterr().out)
    assert [m["value"] for m in metrics if m["name"] == "ConstraintViolations"] == [len(out["violations"])]


def test_drift_comes_with_the_event_detail_and_the_mail_the_state_machine_publishes(baseline, lambda_context):
    # Given a drifting batch
    put_batch(_rows(800, seed=3, shift=6.0))
    event = load_event("monitor_batch_analyze")

    # When the workflow monitors it
    out = app.lambda_handler(event, lambda_context)

    # Then the drift event's detail is the one StartRetraining parses (same model), episode = execution
    detail = msgspec.convert(out["driftEvent"], DataDriftDetectedDetail)
    assert detail.drift_episode_id == event["executionArn"].rsplit(":", 1)[-1]
    assert detail.execution_arn == event["executionArn"]
    assert detail.drifted_features == out["driftedFeatures"] == ["mean_radius"]
    assert detail.report_s3_uri == out["reportS3Uri"]
    assert detail.environment == "dev"
    assert (detail.model_package_arn, detail.model_package_version) == (
        event["model"]["modelPackageArn"],
        event["model"]["modelPackageVersion"],
    )
    # and the mail is notifications.drift_detected's: execution, report and predictions named
    mail = out["notification"]
    assert mail["subject"] == "[dev] Drift detected: breast-cancer-classifier v1"
    for named in (event["executionArn"], out["reportS3Uri"], event["run"]["predictionsS3Uri"], "mean_radius"):
        assert named in mail["message"]
    assert out["failure"] is None


def test_clean_batch_asks_for_no_event_no_mail_no_failure(baseline, lambda_context):
    put_batch(_rows(800, seed=2))

    out = app.lambda_handler(load_event("monitor_batch_analyze"), lambda_context)

    assert out["verdict"] == "clean"
    assert (out["driftEvent"], out["notification"], out["failure"]) == (None, None, None)


def test_broken_columns_are_a_data_quality_failure(baseline, lambda_context):
    rows = _rows(300, seed=4)
    put_batch(np.column_stack([rows, rows[:, 0]]))  # one column too many
    event = load_event("monitor_batch_analyze")

    out = app.lambda_handler(event, lambda_context)

    assert out["verdict"] == "data_quality_failure"
    assert out["driftedFeatures"] == []
    # The Fail state's cause is ready-made: which checks failed, in which run, where to look
    failure = out["failure"]
    assert (failure["step"], failure["error"], failure["runId"]) == (
        "MonitorBatch",
        "DataQualityFailure",
        event["run"]["runId"],
    )
    assert {v["constraint_check_type"] for v in failure["violations"]} == {
        v["constraint_check_type"] for v in out["violations"]
    }
    assert failure["s3Uris"] == [out["reportS3Uri"], out["violationsS3Uri"]]
    assert (out["driftEvent"], out["notification"]) == (None, None)


def test_judge_reads_what_model_monitor_wrote(baseline, lambda_context, tmp_path):
    # Given a listed drifting batch, and a Model Monitor processing job wrote its files into the
    # monitoring prefix (the local cloud's job runs this analyzer, as here)
    put_batch(_rows(800, seed=3, shift=6.0))
    event = load_event("monitor_batch_judge")
    prefix = event["run"]["monitoringS3Uri"]
    local = tmp_path / "batch.csv"
    local.write_bytes(_csv(_rows(800, seed=3, shift=6.0)))
    batch = dataquality.check(
        str(local),
        baseline_statistics=baseline.statistics,
        baseline_constraints=baseline.constraints,
    )
    _put(prefix + "statistics.json", json.dumps(batch.statistics).encode())
    _put(prefix + "constraint_violations.json", json.dumps(batch.violations).encode())

    # When the workflow classifies them
    out = app.lambda_handler(event, lambda_context)

    # Then the verdict is the analyzer's, and every distance is computed from statistics.json as
    # the analyzer computes it from the data
    assert (out["verdict"], out["driftedFeatures"]) == ("drift", ["mean_radius"])
    assert out["featureDistances"] == {k: v["distance"] for k, v in batch.feature_distances.items()}
    assert _keys(prefix) == ["constraint_violations.json", "report.html", "statistics.json", "verdict.json"]


def test_missing_baseline_object_is_a_named_failure(function_env, lambda_context):
    put_batch(_rows(100, seed=6))
    event = load_event("monitor_batch_analyze")
    with pytest.raises(BaselineObjectNotFound, match="baseline statistics not found"):
        app.lambda_handler(event, lambda_context)
    assert _keys(event["run"]["monitoringS3Uri"]) == []


def _with(key: str, **fields: object):
    """The request with some fields of its `run` or `model` changed."""
    return lambda event: event | {key: {**event[key], **fields}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda event: event | {"mode": "score"}, "mode"),
        (_with("model", baselineStatisticsS3Uri="statistics.json"), "baselineStatisticsS3Uri"),
        (lambda event: event | {"model": {"modelPackageVersion": 3}}, "model"),
        (_with("run", monitoringS3Uri="s3://mlops-loop-dev-artifacts-123456789012/elsewhere/"), "lineage"),
        (lambda event: {k: v for k, v in event.items() if k != "run"}, "run"),
    ],
)
def test_malformed_request_is_a_clear_error_that_writes_nothing(baseline, lambda_context, change, field):
    put_batch(_rows(100, seed=7))
    before = _keys("s3://mlops-loop-dev-artifacts-123456789012/batch-inference/")
    event = change(load_event("monitor_batch_analyze"))
    with pytest.raises(InvalidEvent, match=field):
        app.lambda_handler(event, lambda_context)
    assert _keys("s3://mlops-loop-dev-artifacts-123456789012/batch-inference/") == before


def _sketch_event(item_uri: str) -> dict:
    event = load_event("monitor_batch_analyze")
    return {**event, "mode": "sketch", "itemS3Uri": item_uri}


def test_sketch_then_merge_gives_the_one_pass_verdict(baseline, lambda_context):
    # Given a drifted batch in two objects, and objects one pass would not read
    event = load_event("monitor_batch_analyze")
    batch = event["run"]["batchInputS3Uri"]
    rows = _rows(1200, seed=5, shift=3.0)
    _put(batch + "part-0.csv", _csv(rows[:500]))
    _put(batch + "part-1.csv", _csv(rows[500:]))
    _put(batch + "_SUCCESS", b"")
    _put(batch.rstrip("/") + "-other/part-0.csv", _csv(rows[:10]))  # beside the prefix, not under it
    list_batch()
    # When each object is sketched (one of them twice: a retried child) and the sketches merged
    sketched = [
        app.lambda_handler(_sketch_event(batch + name), lambda_context)
        for name in ("part-0.csv", "part-1.csv", "part-1.csv", "_SUCCESS")
    ]
    beside = batch.rstrip("/") + "-other/part-0.csv"
    sketched.append(app.lambda_handler(_sketch_event(beside), lambda_context))
    merged = app.lambda_handler({**event, "mode": "merge"}, lambda_context)
    # Then the data objects left one partial each (a retry overwrites its own), the others none
    assert [s["rows"] for s in sketched] == [500, 700, 700, 0, 0]
    assert sketched[1]["partialS3Uri"] == sketched[2]["partialS3Uri"]
    assert sketched[3]["partialS3Uri"] is None and sketched[4]["partialS3Uri"] is None
    assert len([k for k in _keys(event["run"]["monitoringS3Uri"]) if k.startswith("partials/")]) == 2
    # and the merged verdict is the one pass's
    single = app.lambda_handler(event, lambda_context)
    assert merged["verdict"] == single["verdict"] == "drift"
    assert merged["driftedFeatures"] == single["driftedFeatures"] == ["mean_radius"]
    for feature, distance in single["featureDistances"].items():
        assert merged["featureDistances"][feature] == pytest.approx(distance, abs=0.01)


def test_merge_reads_the_partial_of_every_listed_object_or_fails_naming_the_one_missing(
    baseline, lambda_context
):
    # Given a run whose listing names two objects, only one of them sketched
    event = load_event("monitor_batch_analyze")
    batch = event["run"]["batchInputS3Uri"]
    _put(batch + "part-0.csv", _csv(_rows(100, seed=8)))
    _put(batch + "part-1.csv", _csv(_rows(100, seed=9)))
    list_batch()
    app.lambda_handler(_sketch_event(batch + "part-0.csv"), lambda_context)
    # When the sketches are merged, then the run fails naming the object: no verdict on part of it
    with pytest.raises(MonitoringOutputNotFound, match=r"no partial profile of .*part-1\.csv"):
        app.lambda_handler({**event, "mode": "merge"}, lambda_context)
    # And a run that was never listed has no batch to merge
    _delete_listing(event)
    with pytest.raises(MonitoringOutputNotFound, match="the run's batch listing not found"):
        app.lambda_handler({**event, "mode": "merge"}, lambda_context)


def _delete_listing(event: dict) -> None:
    run = event["run"]
    boto3.client("s3", region_name=REGION).delete_object(
        Bucket=run["batchObjectsBucket"], Key=run["batchObjectsKey"]
    )


def test_the_batch_is_listed_once_into_a_manifest_of_exactly_its_data_objects(baseline, lambda_context):
    # Given a batch prefix as producers leave it: data, markers, an empty object, a neighbour prefix
    event = load_event("monitor_batch_analyze")
    batch = event["run"]["batchInputS3Uri"]
    _put(batch + "part-0.csv", _csv(_rows(300, seed=10)))
    _put(batch + "day=2/part-1.csv", _csv(_rows(200, seed=11)))
    for marker in ("_SUCCESS", ".DS_Store", "day=2/", "late.csv"):
        _put(batch + marker, b"")
    _put(batch.rstrip("/") + "-other/part-0.csv", _csv(_rows(10, seed=12)))
    # When ListBatch lists it
    listed = list_batch()
    # Then SageMaker's manifest names exactly the two data objects (what the transform scores)
    run = event["run"]
    assert listed == {
        "objects": 2,
        "manifestS3Uri": run["batchManifestS3Uri"],
        "objectsS3Uri": f"s3://{run['batchObjectsBucket']}/{run['batchObjectsKey']}",
    }
    manifest = json.loads(_get(run["batchManifestS3Uri"]))
    assert manifest == [{"prefix": batch}, "day=2/part-1.csv", "part-0.csv"]
    # And an object arriving after the listing is not read: the check reads what the run listed
    _put(batch + "part-9.csv", _csv(_rows(5000, seed=13, shift=6.0)))
    out = app.lambda_handler(event, lambda_context)
    assert out["verdict"] == "clean"
    report = json.loads(_get(run["monitoringS3Uri"] + "verdict.json"))
    assert (report["batchObjects"], report["batchManifestS3Uri"]) == (2, run["batchManifestS3Uri"])
    assert json.loads(_get(out["statisticsS3Uri"]))["dataset"]["item_count"] == 500


def test_a_missing_an_empty_and_an_unreadable_batch_are_named_before_anything_is_checked(baseline):
    batch = load_event("monitor_batch_analyze")["run"]["batchInputS3Uri"]
    # Nothing under the prefix: BatchInputNotFound
    with pytest.raises(BatchInputNotFound, match="no objects under this prefix"):
        list_batch()
    # Only a marker and an empty object: EmptyBatch
    _put(batch + "_SUCCESS", b"")
    _put(batch + "late.csv", b"")
    with pytest.raises(dataquality.errors.EmptyBatch, match="no data objects"):
        list_batch()
    # An object of unknown format beside data: UnknownFormat naming it, never a partial listing
    _put(batch + "part-0.csv", _csv(_rows(100, seed=14)))
    _put(batch + "extra-rows.txt", _csv(_rows(1000, seed=15)))
    with pytest.raises(dataquality.UnknownFormat, match=r"extra-rows\.txt: unknown format"):
        list_batch()
    assert _keys("s3://mlops-loop-dev-artifacts-123456789012/batch-inference/") == []


def test_sketch_needs_the_item(baseline, lambda_context):
    event = {**load_event("monitor_batch_analyze"), "mode": "sketch"}
    with pytest.raises(InvalidEvent, match="itemS3Uri"):
        app.lambda_handler(event, lambda_context)


def _with_ids(rows: np.ndarray, first: int = 0) -> bytes:
    """The batch with each record's id first (BatchRecordIds=FirstColumn)."""
    lines = _csv(rows).decode().splitlines()
    return "".join(f"id-{first + i:05d},{line}\n" for i, line in enumerate(lines)).encode()


def test_record_ids_in_the_first_column_are_left_out_of_the_check_by_both_lambda_engines(
    baseline, lambda_context
):
    # Given a clean batch in two objects whose first column is each record's id, for a run that
    # ResolveModel planned with BatchRecordIds=FirstColumn
    event = load_event("monitor_batch_analyze")
    event["run"] |= {"recordIds": True}
    batch = event["run"]["batchInputS3Uri"]
    rows = _rows(1200, seed=11)
    _put(batch + "part-0.csv", _with_ids(rows[:500]))
    _put(batch + "part-1.csv", _with_ids(rows[500:], first=500))
    list_batch()
    # When the one-pass engine checks it, and the distributed one sketches and merges it
    single = app.lambda_handler(event, lambda_context)
    for name in ("part-0.csv", "part-1.csv"):
        app.lambda_handler({**event, "mode": "sketch", "itemS3Uri": batch + name}, lambda_context)
    merged = app.lambda_handler({**event, "mode": "merge"}, lambda_context)
    # Then both checked the features only, aligned with the baseline's: clean, no extra column
    for result in (single, merged):
        assert result["verdict"] == "clean", result
        statistics = json.loads(_get(result["statisticsS3Uri"]))
        assert [f["name"] for f in statistics["features"]] == FEATURES
        assert statistics["dataset"]["item_count"] == 1200
    # And without the run's flag the same batch fails: the ids shift every feature by one column
    event["run"]["recordIds"] = False
    assert app.lambda_handler(event, lambda_context)["verdict"] == "data_quality_failure"
