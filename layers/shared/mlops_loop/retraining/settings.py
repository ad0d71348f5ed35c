"""Settings of the retraining state machine's functions (the start functions use mlops_loop.settings)."""

from __future__ import annotations

from pydantic import Field

from mlops_loop.settings import FunctionSettings


class ArtifactsSettings(FunctionSettings):
    """PrepareTrainingData writes the run's channels under `retraining/<runId>/` of this bucket."""

    artifacts_bucket: str = Field(alias="ARTIFACTS_BUCKET", min_length=3)
