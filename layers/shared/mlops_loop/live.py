"""The live model version, recorded in an SSM parameter (LIVE_MODEL_PARAMETER_NAME).

Why SSM and not a table: the live version is one small value per environment, read rarely and
written only on approval. A String parameter holds it with no capacity to plan, and SSM keeps
every previous value with its modification time and IAM identity (GetParameterHistory, up to 100
versions): that history IS the audit log of what went live when, with nothing more to build.

Value (JSON): `{"modelPackageArn": ..., "modelPackageGroupName": ..., "modelPackageVersion": 3,
"recordedAt": "<ISO time>", "reason": "approved|rejected|..."}`; `modelPackageArn` is null when no
version is approved. A value that is not such JSON (e.g. the template's placeholder) means "none".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from mlops_loop import aws
from mlops_loop.observability import logger


@dataclass(frozen=True)
class LiveModel:
    model_package_arn: str | None
    group_name: str | None
    version: int | None
    recorded_at: str | None

    @property
    def label(self) -> str | None:
        return f"{self.group_name} v{self.version}" if self.model_package_arn else None


def read(parameter_name: str) -> LiveModel | None:
    try:
        value = aws.client("ssm").get_parameter(Name=parameter_name)["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not doc.get("modelPackageArn"):
        return None
    return LiveModel(
        doc.get("modelPackageArn"),
        doc.get("modelPackageGroupName"),
        doc.get("modelPackageVersion"),
        doc.get("recordedAt"),
    )


def record(
    parameter_name: str,
    model_package_arn: str | None,
    group_name: str | None,
    version: int | None,
    reason: str,
) -> None:
    value = {
        "modelPackageArn": model_package_arn,
        "modelPackageGroupName": group_name,
        "modelPackageVersion": version,
        "recordedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": reason,
    }
    aws.client("ssm").put_parameter(
        Name=parameter_name, Value=json.dumps(value, sort_keys=True), Type="String", Overwrite=True
    )
    logger.info("Live model recorded", extra={"parameter": parameter_name, "live": value})
