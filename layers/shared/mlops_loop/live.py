"""The live model version, recorded in an SSM parameter (LIVE_MODEL_PARAMETER_NAME).

Why SSM and not a table: the live version is one small value per environment, read rarely and
written only on approval. A String parameter holds it with no capacity to plan, and SSM keeps
every previous value with its modification time and IAM identity (GetParameterHistory, up to 100
versions): that history IS the audit log of what went live when, with nothing more to build.

Value (JSON): `{"modelPackageArn": ..., "modelPackageGroupName": ..., "modelPackageVersion": 3,
"recordedAt": "<ISO time>", "reason": "approved|rejected|..."}`; `modelPackageArn` is null when no
version is approved. A value that is not such JSON (e.g. the template's placeholder) means "none".
The parameter is read and written through the ParameterStore port (SSM's adapter by default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mlops_loop import adapters
from mlops_loop.observability import logger

if TYPE_CHECKING:
    from mlops_loop.ports import ParameterStore


@dataclass(frozen=True)
class LiveModel:
    model_package_arn: str | None
    group_name: str | None
    version: int | None
    recorded_at: str | None

    @property
    def label(self) -> str | None:
        return f"{self.group_name} v{self.version}" if self.model_package_arn else None


def read(parameter_name: str, parameters: ParameterStore | None = None) -> LiveModel | None:
    value = (parameters or adapters.parameter_store()).get(parameter_name)
    if value is None:
        return None
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
    *,
    parameters: ParameterStore | None = None,
) -> None:
    value = {
        "modelPackageArn": model_package_arn,
        "modelPackageGroupName": group_name,
        "modelPackageVersion": version,
        "recordedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": reason,
    }
    (parameters or adapters.parameter_store()).put(parameter_name, json.dumps(value, sort_keys=True))
    logger.info("Live model recorded", extra={"parameter": parameter_name, "live": value})
