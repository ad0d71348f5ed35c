"""ComputeBaseline: Model Monitor statistics.json + constraints.json of the training features."""

from __future__ import annotations

import json

import boto3
import pytest
from mlops_loop.errors import InvalidEvent

from functions.compute_baseline import app
from tests.support.helpers import REGION, FakeLambdaContext


def test_handler_writes_statistics_and_constraints(bucket: str) -> None:
    # Given: baseline data as PrepareTrainingData writes it (features with header)
    s3 = boto3.client("s3", region_name=REGION)
    rows = "\n".join(f"{i * 0.5},{i % 4},{10 - i % 3}" for i in range(60))
    s3.put_object(
        Bucket=bucket, Key="retraining/r1/baseline-data/baseline-data.csv", Body=f"a,b,c\n{rows}\n".encode()
    )

    # When
    out = app.lambda_handler(
        {
            "runId": "r1",
            "baselineDataS3Uri": f"s3://{bucket}/retraining/r1/baseline-data/",
            "outputS3Uri": f"s3://{bucket}/retraining/r1/baseline/",
        },
        FakeLambdaContext(),
    )

    # Then
    assert out["statisticsS3Uri"] == f"s3://{bucket}/retraining/r1/baseline/statistics.json"
    assert out["constraintsS3Uri"] == f"s3://{bucket}/retraining/r1/baseline/constraints.json"
    stats = json.loads(
        s3.get_object(Bucket=bucket, Key="retraining/r1/baseline/statistics.json")["Body"].read()
    )
    cons = json.loads(
        s3.get_object(Bucket=bucket, Key="retraining/r1/baseline/constraints.json")["Body"].read()
    )
    assert [f["name"] for f in stats["features"]] == ["a", "b", "c"]
    assert stats["dataset"]["item_count"] == 60
    assert [f["name"] for f in cons["features"]] == ["a", "b", "c"]
    assert out["features"] == 3 and out["itemCount"] == 60


def test_malformed_request_is_a_named_error(bucket: str) -> None:
    with pytest.raises(InvalidEvent):
        app.lambda_handler({"runId": "r1", "baselineDataS3Uri": "/tmp/x"}, FakeLambdaContext())
