"""One retraining per drift condition (docs/retraining.md, "One retraining per drift condition").

The episode (a batch run's name) keys one retraining run, but drift persists: every scheduled run
of the same live version drifts again, each a new episode. What one drift condition has already
produced is read from the registry: the versions this loop trained FROM the drifting live version
(their `baseModelPackageArn` metadata). The rule, for a drift of live version B:

1. a candidate trained from B awaits approval -> start nothing: "drift persists since <its episode>;
   v<N> awaits approval since <its creation>". People decide on that candidate; once a version is
   approved it is live and ITS runs decide (their drift has another base).
2. the newest candidate trained from B was rejected -> start only when something changed: training
   data newer than that candidate (an object under the training prefix modified after it was
   registered), or the cool-down (RETRAINING_COOLDOWN_DAYS) since its rejection has passed.
3. otherwise -> start.

`hold_for` is the rule (no AWS); `candidates_from` and `newest_training_data` read what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from mlops_loop import aws, registry
from mlops_loop.s3uri import S3Uri

# Statuses a candidate of this loop can be in before it is live, and how many of each (newest first)
# are read per drift event: a condition's candidates are the group's newest versions.
_READ_PER_STATUS = 10
# What a retraining of the loop records as its reason (CustomerMetadataProperties `reason`).
# data_quality_failure: RetrainOnDataQualityFailure; model_quality: a degradation (docs/model-quality.md)
_RETRAINED_FOR = ("drift", "stale", "data_quality_failure", "model_quality")


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _at(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Candidate:
    """A version this loop registered from a live version (its lineage metadata)."""

    arn: str
    version: int
    status: str  # ModelApprovalStatus
    created: datetime  # CreationTime: registered at the end of its retraining run
    decided: datetime  # LastModifiedTime: when its approval status last changed
    reason: str
    episode_id: str
    base_arn: str


@dataclass(frozen=True)
class Hold:
    """Why a drift of `base_arn` starts no retraining now."""

    kind: Literal["awaiting_approval", "rejected"]
    candidate: Candidate
    retry_after: datetime | None = None  # rejected: when the cool-down has passed

    @property
    def detail(self) -> str:
        c = self.candidate
        if self.kind == "awaiting_approval":
            return f"drift persists since {c.episode_id}; v{c.version} awaits approval since {_at(c.created)}"
        assert self.retry_after is not None
        return (
            f"v{c.version}, trained for this drift (since {c.episode_id}), was rejected at {_at(c.decided)}; "
            f"no training data is newer than it: retraining waits for new data or {_at(self.retry_after)}"
        )


def hold_for(
    *,
    base_arn: str,
    episode_id: str,
    candidates: list[Candidate],
    now: datetime,
    cooldown: timedelta,
    newest_training_data: datetime | None,
) -> Hold | None:
    """The rule above: a Hold when this drift of `base_arn` must start nothing, else None.

    A candidate of this very episode is left to the starter (its redelivery is a `duplicate`).
    """
    mine = sorted(
        (c for c in candidates if c.base_arn == base_arn and c.reason in _RETRAINED_FOR),
        key=lambda c: (_utc(c.created), c.version),
        reverse=True,
    )
    pending = next((c for c in mine if c.status == "PendingManualApproval"), None)
    if pending is not None and pending.episode_id != episode_id:
        return Hold("awaiting_approval", pending)
    newest = mine[0] if mine else None
    if newest is None or newest.status != "Rejected":
        return None
    # S3's LastModified has whole seconds: an object of the candidate's own second counts as new.
    if newest_training_data is not None and _utc(newest_training_data) >= _utc(newest.created).replace(
        microsecond=0
    ):
        return None  # new training data since the rejected version was trained
    retry_after = _utc(newest.decided) + cooldown
    if now >= retry_after:
        return None
    return Hold("rejected", newest, retry_after)


# -- what the rule reads ------------------------------------------------------------------------------
def _candidate(raw: dict[str, Any]) -> Candidate:
    metadata = raw.get("CustomerMetadataProperties") or {}
    created = _utc(raw["CreationTime"])
    return Candidate(
        arn=raw["ModelPackageArn"],
        version=int(raw.get("ModelPackageVersion", 0)),
        status=raw.get("ModelApprovalStatus", ""),
        created=created,
        decided=_utc(raw.get("LastModifiedTime") or created),
        reason=str(metadata.get("reason", "")),
        episode_id=str(metadata.get("episodeId", "")),
        base_arn=str(metadata.get("baseModelPackageArn", "")),
    )


def candidates_from(group: registry.GroupRef, base_arn: str) -> list[Candidate]:
    """The group's newest PendingManualApproval and Rejected versions trained from `base_arn`."""
    sagemaker = aws.sagemaker(group.region)
    found: list[Candidate] = []
    for status in ("PendingManualApproval", "Rejected"):
        summaries = sagemaker.list_model_packages(
            ModelPackageGroupName=group.api_name,
            ModelApprovalStatus=status,
            ModelPackageType="Versioned",
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=_READ_PER_STATUS,
        ).get("ModelPackageSummaryList", [])
        for summary in summaries:
            raw = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            candidate = _candidate(dict(raw))
            if candidate.base_arn == base_arn:
                found.append(candidate)
    return found


def newest_training_data(training_data_s3_uri: str) -> datetime | None:
    """The newest LastModified of the `.csv` objects under the training prefix (what PrepareTrainingData
    reads), or None when there is none."""
    prefix = S3Uri.parse(training_data_s3_uri)
    s3 = aws.s3()
    newest: datetime | None = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key):
        for item in page.get("Contents", []):
            if item["Key"].lower().endswith(".csv") and (newest is None or item["LastModified"] > newest):
                newest = item["LastModified"]
    return newest
