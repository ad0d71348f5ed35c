"""Input of the retraining state machine (started by start_retraining / check_freshness)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlops_loop.models.payloads import Payload, S3UriStr


class RetrainingInput(Payload):
    """Input of the retraining state machine (started by start_retraining / check_freshness)."""

    run_id: str = Field(alias="runId", min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    reason: Literal["drift", "stale", "manual"]
    episode_id: str = Field(alias="episodeId", min_length=1)
    model_package_group_name: str = Field(alias="modelPackageGroupName", min_length=1)
    training_data_s3_uri: S3UriStr = Field(alias="trainingDataS3Uri")
    source_execution_arn: str | None = Field(None, alias="sourceExecutionArn")
    base_model_package_arn: str | None = Field(None, alias="baseModelPackageArn")
