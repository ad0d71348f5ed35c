"""Seeding a moto Model Registry for the unit tests."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.support.helpers import BUCKET, GROUP, REGION

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def create_group(name: str = GROUP, region: str = REGION) -> str:
    sm = boto3.client("sagemaker", region_name=region)
    return str(sm.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"])


def register(
    *,
    group: str = GROUP,
    region: str = REGION,
    status: str = "Approved",
    run: str = "r1",
    baseline: str | None = "drift",
    quality_uri: str | None = None,
    metadata: dict[str, str] | None = None,
) -> str:
    """Register one version; `baseline` = 'drift' (DriftCheckBaselines), 'metrics' (ModelMetrics) or None."""
    sm = boto3.client("sagemaker", region_name=region)
    prefix = f"s3://{BUCKET}/retraining/{run}"
    dq = {
        "Statistics": {"ContentType": "application/json", "S3Uri": f"{prefix}/baseline/statistics.json"},
        "Constraints": {"ContentType": "application/json", "S3Uri": f"{prefix}/baseline/constraints.json"},
    }
    kwargs: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ModelApprovalStatus": status,
        "InferenceSpecification": {
            "Containers": [{"Image": IMAGE, "ModelDataUrl": f"{prefix}/model/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    }
    metrics: dict[str, Any] = {}
    if quality_uri:
        metrics["ModelQuality"] = {"Statistics": {"ContentType": "application/json", "S3Uri": quality_uri}}
    if baseline == "drift":
        kwargs["DriftCheckBaselines"] = {"ModelDataQuality": dq}
    elif baseline == "metrics":
        metrics["ModelDataQuality"] = dq
    if metrics:
        kwargs["ModelMetrics"] = metrics
    if metadata:
        kwargs["CustomerMetadataProperties"] = metadata
    return str(sm.create_model_package(**kwargs)["ModelPackageArn"])


def put_evaluation(run: str, auc: float, accuracy: float) -> str:
    key = f"retraining/{run}/evaluation/evaluation.json"
    doc = {"binary_classification_metrics": {"auc": {"value": auc}, "accuracy": {"value": accuracy}}}
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=json.dumps(doc).encode())
    return f"s3://{BUCKET}/{key}"


def set_status(arn: str, status: str, description: str | None = None) -> None:
    kwargs = {"ModelPackageArn": arn, "ModelApprovalStatus": status}
    if description:
        kwargs["ApprovalDescription"] = description
    boto3.client("sagemaker", region_name=REGION).update_model_package(**kwargs)
