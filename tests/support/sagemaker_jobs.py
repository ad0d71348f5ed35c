"""Shared helpers for the local SageMaker job runner tests (data, requests, event-shape checks)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

from localcloud.sagemaker_jobs.events import OPTIONAL_DETAIL_KEYS

FIXTURES = Path(__file__).resolve().parents[1] / "localcloud" / "fixtures" / "sagemaker_jobs"
REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "artifacts"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ANALYZER_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"

FIXTURE_BY_DETAIL_TYPE = {
    "SageMaker Training Job State Change": "training_job_state_change.json",
    "SageMaker Transform Job State Change": "transform_job_state_change.json",
    "SageMaker Processing Job State Change": "processing_job_state_change.json",
    "SageMaker Model Package State Change": "model_package_state_change.json",
    "SageMaker Model Building Pipeline Execution Status Change": "pipeline_execution_status_change.json",
}


def separable(n: int, seed: int, features: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A linearly separable-ish binary problem: label = x0 + x1 > 0 (2% label noise)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    flip = rng.random(n) < 0.02
    y[flip] = 1 - y[flip]
    return x, y


def csv_bytes(rows: np.ndarray) -> bytes:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in rows).encode() + b"\n"


def labelled_csv(x: np.ndarray, y: np.ndarray) -> bytes:
    return csv_bytes(np.column_stack([y, x]))


def training_request(name: str, *, validation: bool = True, **overrides: Any) -> dict[str, Any]:
    channels = [_channel("train", f"s3://{BUCKET}/data/train/")]
    if validation:
        channels.append(_channel("validation", f"s3://{BUCKET}/data/validation/"))
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "HyperParameters": {
            "objective": "binary:logistic",
            "num_round": "40",
            "max_depth": "3",
            "eta": "0.3",
            "eval_metric": "auc",
        },
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    request.update(overrides)
    return request


def _channel(name: str, uri: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "ContentType": "text/csv",
        "CompressionType": "None",
    }


def transform_request(
    name: str, model_name: str, input_uri: str, output_uri: str, **extra: Any
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TransformJobName": name,
        "ModelName": model_name,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": output_uri, "AssembleWith": "Line", "Accept": "text/csv"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    request.update(extra)
    return request


def read_model_file(s3: Any, uri: str) -> bytes:
    bucket, key = uri[len("s3://") :].split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        assert tar.getnames() == ["xgboost-model"]
        member = tar.extractfile("xgboost-model")
        assert member is not None
        return member.read()


def assert_documented_shape(event: dict[str, Any]) -> None:
    """Same envelope keys as the documented sample; detail keys documented, required ones present."""
    sample = json.loads((FIXTURES / FIXTURE_BY_DETAIL_TYPE[event["detail-type"]]).read_text())
    assert set(event) == set(sample), event["detail-type"]
    assert event["source"] == "aws.sagemaker"
    assert event["version"] == "0"
    assert isinstance(event["resources"], list) and event["resources"]
    detail = set(event["detail"])
    documented = set(sample["detail"])
    missing = documented - OPTIONAL_DETAIL_KEYS - detail
    assert not missing, f"{event['detail-type']}: missing {missing}"
    undocumented = detail - documented - OPTIONAL_DETAIL_KEYS
    assert not undocumented, f"{event['detail-type']}: undocumented {undocumented}"
    json.dumps(event)  # JSON-safe: no datetimes left


def statuses(
    events: list[dict[str, Any]], detail_type: str, name_key: str, status_key: str, name: str
) -> list[str]:
    return [
        e["detail"][status_key]
        for e in events
        if e["detail-type"] == detail_type and e["detail"].get(name_key) == name
    ]
