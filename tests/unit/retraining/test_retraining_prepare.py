"""PrepareTrainingData: all CSVs under the prefix, a deterministic stratified split, XGBoost's CSV shapes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import moto.s3.models
import pytest
from mlops_loop import settings as mlops_settings
from mlops_loop.retraining.errors import InsufficientTrainingData, InvalidTrainingData, NoTrainingData
from mlops_loop.retraining.prepare import LabelledData, TrainingObject, split, training_window

from functions.prepare_training_data import app
from tests.support.helpers import GROUP, REGION, FakeLambdaContext

HEADER = ["label", "f1", "f2", "f3"]


def rows(n: int, offset: int = 0) -> list[list[str]]:
    return [
        [str((i % 3 == 0 and 1) or 0), f"{i + offset}.5", str(i * 2), f"{(i % 7) / 7:.4f}"] for i in range(n)
    ]


def csv_text(data: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(data)
    return out.getvalue()


def put(bucket: str, key: str, body: str) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=body.encode())


def get(bucket: str, key: str) -> str:
    return boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def event(bucket: str, run: str = "retrain-e1") -> dict[str, Any]:
    return {
        "runId": run,
        "trainingDataS3Uri": f"s3://{bucket}/training-data/",
        "modelPackageGroupName": GROUP,
    }


def test_split_is_deterministic_stratified_and_complete() -> None:
    data = LabelledData(HEADER, rows(200))
    a, b = split(data), split(LabelledData(HEADER, rows(200)))
    assert (a.train, a.validation, a.test) == (b.train, b.validation, b.test)
    together = sorted(map(tuple, a.train + a.validation + a.test))
    assert together == sorted(map(tuple, data.rows))  # every row exactly once
    for part in (a.train, a.validation, a.test):
        assert {r[0] for r in part} == {"0", "1"}  # both classes everywhere
    assert len(a.test) == pytest.approx(30, abs=2)
    assert len(a.validation) == pytest.approx(30, abs=2)


def test_handler_concatenates_every_csv_and_writes_the_channels(
    bucket: str, function_env: dict[str, str]
) -> None:
    # Given: the original data and newly labelled data under the training prefix
    put(bucket, "training-data/part1.csv", csv_text(rows(120)))
    put(bucket, "training-data/new/part2.csv", csv_text(rows(40, offset=1000)))
    put(bucket, "training-data/README.txt", "not data")

    # When
    out = app.lambda_handler(event(bucket), FakeLambdaContext())

    # Then
    assert out["rows"]["train"] + out["rows"]["validation"] + out["rows"]["test"] == 160
    assert out["sourceObjects"] == [
        f"s3://{bucket}/training-data/new/part2.csv",
        f"s3://{bucket}/training-data/part1.csv",
    ]
    base = "retraining/retrain-e1"
    assert out["trainS3Uri"] == f"s3://{bucket}/{base}/train/"
    assert out["evaluationS3Uri"] == f"s3://{bucket}/{base}/evaluation/evaluation.json"
    train = list(csv.reader(io.StringIO(get(bucket, f"{base}/train/train.csv"))))
    assert len(train) == out["rows"]["train"]
    assert all(len(r) == 4 and r[0] in {"0", "1"} for r in train)  # label first, no header
    test = list(csv.reader(io.StringIO(get(bucket, f"{base}/test/test.csv"))))
    labels = get(bucket, f"{base}/test-labels/test-labels.csv").split()
    assert len(test) == len(labels) == out["rows"]["test"]
    assert all(len(r) == 3 for r in test)  # features only
    baseline = list(csv.reader(io.StringIO(get(bucket, f"{base}/baseline-data/baseline-data.csv"))))
    assert baseline[0] == ["f1", "f2", "f3"]
    assert len(baseline) == out["rows"]["train"] + 1
    assert [r[1:] for r in train] == baseline[1:]  # the training features, values copied as text
    assert out["trainingJobName"] == f"{GROUP}-retrain-e1"
    assert out["modelName"] == f"{GROUP}-retrain-e1-candidate"
    assert out["transformJobName"] == f"{GROUP}-retrain-e1-score"


def test_same_data_same_split_across_runs(bucket: str, function_env: dict[str, str]) -> None:
    put(bucket, "training-data/part1.csv", csv_text(rows(100)))
    app.lambda_handler(event(bucket, "run-a"), FakeLambdaContext())
    app.lambda_handler(event(bucket, "run-b"), FakeLambdaContext())
    assert get(bucket, "retraining/run-a/test/test.csv") == get(bucket, "retraining/run-b/test/test.csv")


def test_named_errors(bucket: str, function_env: dict[str, str]) -> None:
    with pytest.raises(NoTrainingData):
        app.lambda_handler(event(bucket), FakeLambdaContext())
    put(bucket, "training-data/a.csv", csv_text(rows(50)))
    put(bucket, "training-data/b.csv", csv_text(rows(50), header=["label", "f1", "f2", "other"]))
    with pytest.raises(InvalidTrainingData, match=r"b\.csv"):
        app.lambda_handler(event(bucket), FakeLambdaContext())
    put(bucket, "training-data/b.csv", csv_text([["2", "1", "1", "1"]]))
    with pytest.raises(InvalidTrainingData, match="label must be 0 or 1"):
        app.lambda_handler(event(bucket), FakeLambdaContext())
    put(bucket, "training-data/b.csv", csv_text([["1", "1", "1"]]))
    with pytest.raises(InvalidTrainingData, match="fields"):
        app.lambda_handler(event(bucket), FakeLambdaContext())
    boto3.client("s3", region_name=REGION).delete_object(Bucket=bucket, Key="training-data/b.csv")
    put(bucket, "training-data/a.csv", csv_text([["0", "1", "2", "3"]] * 40 + [["1", "1", "2", "3"]] * 2))
    with pytest.raises(InsufficientTrainingData, match="class 1"):
        app.lambda_handler(event(bucket), FakeLambdaContext())


T0 = datetime(2026, 11, 1, tzinfo=UTC)
ROWS = f"training-data/ground-truth/{GROUP}"


def obj(key: str, day: int) -> TrainingObject:
    return TrainingObject(key, T0 + timedelta(days=day))


def test_window_all_is_every_object_and_since_degradation_starts_at_the_newest_degraded_version() -> None:
    # Given: the original data, v1's degradation rows, later data, then two runs of v2 that degraded
    objects = [
        obj("training-data/part1.csv", 0),
        obj(f"{ROWS}/v1/run-a.csv", 3),
        obj("training-data/new/part2.csv", 5),
        obj(f"{ROWS}/v2/run-c.csv", 9),
        obj(f"{ROWS}/v2/run-b.csv", 8),
        obj("training-data/new/part3.csv", 10),
        obj(f"{ROWS}/v10-notes.csv", 1),  # not a version folder
    ]
    # When / Then: All is everything, in key order
    assert [o.key for o in training_window(objects, ROWS, "All").objects] == sorted(o.key for o in objects)
    # the window starts at v2's first rows (v2 > v1 by number, not by text), and keeps what came since
    window = training_window(objects, ROWS, "SinceModelQualityDegradation")
    assert (window.start, window.degraded_version) == (T0 + timedelta(days=8), 2)
    assert [o.key for o in window.objects] == [
        f"{ROWS}/v2/run-b.csv",
        f"{ROWS}/v2/run-c.csv",
        "training-data/new/part3.csv",
    ]
    # with no degradation yet nothing is known to be stale: every object
    plain = [o for o in objects if "/v1/" not in o.key and "/v2/" not in o.key]
    assert training_window(plain, ROWS, "SinceModelQualityDegradation").objects == sorted(
        plain, key=lambda o: o.key
    )


@pytest.fixture
def s3_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """moto's S3 stamps LastModified from this clock (S3 lists whole seconds)."""
    now = [datetime(2026, 11, 1)]
    monkeypatch.setattr(moto.s3.models, "utcnow", lambda: now[0])
    yield now


def test_handler_trains_since_the_degradation_when_the_stack_says_so(
    bucket: str, function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, s3_clock: list[datetime]
) -> None:
    # Given: the old rule's data, then (a day later) the labelled rows of v1's degradation and new data
    put(bucket, "training-data/part1.csv", csv_text(rows(120)))
    s3_clock[0] += timedelta(days=1)
    put(bucket, f"{ROWS}/v1/run-a.csv", csv_text(rows(60, offset=500)))
    put(bucket, "training-data/new/part2.csv", csv_text(rows(40, offset=1000)))
    # When: the default window, then the stack's SinceModelQualityDegradation
    everything = app.lambda_handler(event(bucket, "run-all"), FakeLambdaContext())
    monkeypatch.setenv("TRAINING_DATA_WINDOW", "SinceModelQualityDegradation")
    mlops_settings.reset()  # a new environment: the stack's parameter changed
    windowed = app.lambda_handler(event(bucket, "run-window"), FakeLambdaContext())
    # Then: the default reads every object; the window leaves the old rule's data out
    assert sum(everything["rows"].values()) == 220 and everything["trainingWindow"] == "All"
    assert sum(windowed["rows"].values()) == 100
    assert windowed["sourceObjects"] == [
        f"s3://{bucket}/{ROWS}/v1/run-a.csv",
        f"s3://{bucket}/training-data/new/part2.csv",
    ]
    assert windowed["trainingWindow"].startswith("since 2026-11-02T00:00:00")
