"""PrepareTrainingData: all CSVs under the prefix, a deterministic stratified split, XGBoost's CSV shapes."""

from __future__ import annotations

import csv
import io
from typing import Any

import boto3
import pytest
from mlops_loop.retraining.errors import InsufficientTrainingData, InvalidTrainingData, NoTrainingData
from mlops_loop.retraining.prepare import LabelledData, split

from functions.prepare_training_data import app
from tests.helpers import GROUP, REGION, FakeLambdaContext

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
