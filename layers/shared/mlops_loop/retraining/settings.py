"""Settings of the retraining state machine's functions (the start functions use mlops_loop.settings)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from mlops_loop.retraining.prepare import TrainingDataWindow
from mlops_loop.settings import FunctionSettings


class ArtifactsSettings(FunctionSettings, kw_only=True, frozen=True):
    """PrepareTrainingData writes the run's channels under `retraining/<runId>/` of this bucket."""

    artifacts_bucket: Annotated[str, Meta(min_length=3)]
    #: Stack parameter TrainingDataWindow (mlops_loop.retraining.prepare.training_window).
    training_data_window: TrainingDataWindow = "All"
