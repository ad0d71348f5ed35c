"""Retraining state machine, PrepareTrainingData: every labelled CSV under the training prefix ->
train / validation / test / test-labels / baseline-data of the run, plus the run's job names.

Input `{"runId", "trainingDataS3Uri", "modelPackageGroupName"}`; the objects read are those of the
stack's TrainingDataWindow (mlops_loop.retraining.prepare.training_window); output: `$.prepared`
(mlops_loop.models.retraining.PreparedData). Named errors: NoTrainingData, InvalidTrainingData,
InsufficientTrainingData, InvalidEvent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop.models.parsing import parse_event
from mlops_loop.models.retraining import PrepareRequest
from mlops_loop.observability import logger, metrics
from mlops_loop.retraining.prepare import prepare
from mlops_loop.retraining.settings import ArtifactsSettings
from mlops_loop.settings import settings
from mlops_loop.tracing import tracer


@logger.inject_lambda_context(correlation_id_path="runId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(ArtifactsSettings)
    request = parse_event(event, PrepareRequest)
    prepared = prepare(request, cfg.artifacts_bucket, cfg.training_data_window)
    logger.info(
        "Training data prepared",
        extra={
            "rows": prepared.rows,
            "objects": len(prepared.source_objects),
            "window": prepared.training_window,
        },
    )
    return prepared.dump()
