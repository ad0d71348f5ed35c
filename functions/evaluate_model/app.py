"""Retraining state machine, EvaluateModel: metrics of the candidate on the held-out test set.

Input `{"runId", "predictionsS3Uri", "testLabelsS3Uri", "evaluationS3Uri", "problemType"?, "reason"?}`; writes
evaluation.json and the version's model-quality baseline (`model-quality/statistics.json`,
`constraints.json`; Model Monitor's formats) and returns `$.evaluation` `{"auc", "accuracy",
"precision", "recall", "f1", "itemCount", "evaluationS3Uri", "modelQualityStatisticsS3Uri",
"modelQualityConstraintsS3Uri", "modelPackageDescription"}` (the description RegisterModelPackage
sends).
Named errors: PredictionsNotFound, PredictionCountMismatch, InvalidPredictions, InvalidEvent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop.models.parsing import parse_event
from mlops_loop.models.retraining import EvaluateRequest
from mlops_loop.observability import logger, metrics
from mlops_loop.retraining.evaluate import evaluate
from mlops_loop.tracing import tracer


@logger.inject_lambda_context(correlation_id_path="runId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, EvaluateRequest)
    result = evaluate(request)
    if result.auc is not None:
        metrics.add_metric(name="CandidateAuc", unit=MetricUnit.NoUnit, value=result.auc)
    logger.info("Candidate evaluated", extra={"auc": result.auc, "itemCount": result.item_count})
    return result.dump()
