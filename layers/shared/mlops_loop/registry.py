"""Model Registry access: the latest Approved version of a group, its baseline, image and artifact.

The group is given by NAME (same account and region as the function) or by full ARN
(`arn:aws:sagemaker:<region>:<account>:model-package-group/<name>`, possibly another account);
with an ARN the SageMaker client is made for the ARN's region and the ARN is what the API gets,
which is how a cross-account group (shared by a resource policy) is read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlops_loop.errors import MissingBaseline, ModelPackageGroupNotFound, NoApprovedModel
from mlops_loop.observability import logger

if TYPE_CHECKING:
    from mlops_loop.ports import ModelRegistry

_GROUP_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z\-]*):sagemaker:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
    r"model-package-group/(?P<name>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)
_PACKAGE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z\-]*):sagemaker:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[^/]+)/(?P<version>\d+)$"
)
_GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MODEL_NAME_MAX = 63


def _default_registry() -> ModelRegistry:
    """boto3's SageMaker adapter, imported only when no registry is given: logic that is handed one
    (the model-quality check, its benchmark, unit tests) does not load the AWS SDK."""
    from mlops_loop import adapters

    return adapters.model_registry()


@dataclass(frozen=True)
class GroupRef:
    """A model package group, by name (local) or by ARN (any account/region)."""

    name: str
    arn: str | None = None
    region: str | None = None
    account: str | None = None

    @classmethod
    def parse(cls, value: str) -> GroupRef:
        value = value.strip()
        match = _GROUP_ARN.match(value)
        if match:
            return cls(match["name"], value, match["region"], match["account"])
        if _GROUP_NAME.match(value):
            return cls(value)
        raise ValueError(f"not a model package group name or ARN: {value!r}")

    @property
    def api_name(self) -> str:
        """What SageMaker APIs take as ModelPackageGroupName (the ARN for a cross-account group)."""
        return self.arn or self.name

    def owns(self, model_package_arn: str, group_name: str) -> bool:
        """Whether a package (from an event) belongs to this group (and to its account/region if known)."""
        if group_name != self.name:
            return False
        match = _PACKAGE_ARN.match(model_package_arn)
        if match is None:
            return False
        if self.region and match["region"] != self.region:
            return False
        return not (self.account and match["account"] != self.account)


@dataclass(frozen=True)
class ModelPackageVersion:
    arn: str
    group_name: str
    version: int
    creation_time: datetime
    approval_status: str
    image_uri: str
    model_data_url: str
    baseline_statistics_s3_uri: str | None
    baseline_constraints_s3_uri: str | None
    model_quality_statistics_s3_uri: str | None
    raw: dict[str, Any]


def region_of_package(model_package_arn: str) -> str | None:
    match = _PACKAGE_ARN.match(model_package_arn)
    return match["region"] if match else None


def model_name(group_name: str, version: int) -> str:
    """Deterministic SageMaker Model name `<group>-v<version>`, within SageMaker's rules
    (`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, 63 chars). A group name too long to fit keeps a
    prefix plus a short hash of the full name, so two long groups never share a model name."""
    cleaned = re.sub(r"[^a-zA-Z0-9-]+", "-", group_name).strip("-") or "model"
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    suffix = f"-v{int(version)}"
    if len(cleaned) + len(suffix) <= MODEL_NAME_MAX and cleaned == group_name:
        return cleaned + suffix
    digest = hashlib.sha256(group_name.encode()).hexdigest()[:8]
    room = MODEL_NAME_MAX - len(suffix) - len(digest) - 1
    head = cleaned[:room].rstrip("-") or "m"
    return f"{head}-{digest}{suffix}"


def latest_approved(group: GroupRef, models: ModelRegistry | None = None) -> dict[str, Any]:
    """The ModelPackageSummary of the newest Approved version (by CreationTime, then version).

    Walks every page the registry gives, so the answer does not depend on the page size or on
    the service honouring the sort order (the adapter asks for CreationTime Descending).
    """
    models = models or _default_registry()
    best: dict[str, Any] | None = None
    pages = 0
    for page in models.approved_version_pages(group.api_name, group.region):
        pages += 1
        for summary in page:
            key = (summary["CreationTime"], summary.get("ModelPackageVersion", 0))
            if best is None or key > (best["CreationTime"], best.get("ModelPackageVersion", 0)):
                best = summary
    if best is None:
        if not models.group_exists(group.api_name, group.region):
            raise ModelPackageGroupNotFound(
                f"model package group {group.api_name} does not exist or is not shared"
            )
        raise NoApprovedModel(f"model package group {group.api_name} has no Approved version")
    logger.info(
        "Latest approved model package",
        extra={"modelPackageArn": best["ModelPackageArn"], "pages": pages, "group": group.api_name},
    )
    return best


def _s3(block: dict[str, Any] | None, key: str) -> str | None:
    uri = ((block or {}).get(key) or {}).get("S3Uri")
    return uri or None


def describe(model_package_arn: str, models: ModelRegistry | None = None) -> ModelPackageVersion:
    """DescribeModelPackage, in the package's own region, reduced to what the loop needs.

    A package that does not exist (or that this account may not read) is `ModelPackageNotFound`
    (the adapter reads SageMaker's ValidationException that says so)."""
    models = models or _default_registry()
    raw = models.describe_package(model_package_arn, region_of_package(model_package_arn))
    containers = (raw.get("InferenceSpecification") or {}).get("Containers") or [{}]
    drift_dq = (raw.get("DriftCheckBaselines") or {}).get("ModelDataQuality")
    metrics = raw.get("ModelMetrics") or {}
    metrics_dq = metrics.get("ModelDataQuality")
    # Prefer the drift-check baseline (what the package says to check drift against); fall back
    # to the data-quality metrics; take statistics and constraints from the same place.
    stats, cons = _s3(drift_dq, "Statistics"), _s3(drift_dq, "Constraints")
    if not (stats and cons):
        stats, cons = _s3(metrics_dq, "Statistics"), _s3(metrics_dq, "Constraints")
    return ModelPackageVersion(
        arn=raw["ModelPackageArn"],
        group_name=raw.get("ModelPackageGroupName", ""),
        version=int(raw.get("ModelPackageVersion", 0)),
        creation_time=raw["CreationTime"],
        approval_status=raw.get("ModelApprovalStatus", ""),
        image_uri=containers[0].get("Image", ""),
        model_data_url=containers[0].get("ModelDataUrl", ""),
        baseline_statistics_s3_uri=stats if stats and cons else None,
        baseline_constraints_s3_uri=cons if stats and cons else None,
        model_quality_statistics_s3_uri=_s3(metrics.get("ModelQuality"), "Statistics"),
        raw=raw,
    )


def require_baseline(package: ModelPackageVersion) -> tuple[str, str]:
    if not (package.baseline_statistics_s3_uri and package.baseline_constraints_s3_uri):
        raise MissingBaseline(
            f"{package.group_name} v{package.version} ({package.arn}) has no data-quality baseline: "
            "register DriftCheckBaselines.ModelDataQuality (or ModelMetrics.ModelDataQuality) "
            "Statistics and Constraints"
        )
    return package.baseline_statistics_s3_uri, package.baseline_constraints_s3_uri


def model_package_of(name: str, models: ModelRegistry | None = None) -> str | None:
    """The model package the SageMaker Model `name` serves ("" none); None: no such model."""
    return (models or _default_registry()).model_package_of(name)


def model_exists(name: str, models: ModelRegistry | None = None) -> bool:
    """Whether a SageMaker Model of that name exists in this account and region."""
    return (models or _default_registry()).model_exists(name)
