"""Input of the retraining state machine (started by start_retraining / check_freshness)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mlops_loop.models.payloads import Payload, S3UriStr

#: Why a retraining runs (the run's input, its version's metadata and description).
RetrainingReason = Literal["drift", "stale", "manual", "data_quality_failure", "model_quality"]


class RetrainingInput(Payload, kw_only=True):
    """Input of the retraining state machine (started by start_retraining / check_freshness)."""

    run_id: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")]
    reason: RetrainingReason
    episode_id: Annotated[str, Meta(min_length=1)]
    model_package_group_name: Annotated[str, Meta(min_length=1)]
    training_data_s3_uri: S3UriStr
    source_execution_arn: str | None = None
    base_model_package_arn: str | None = None
