"""Retraining state machine, ComputeBaseline: the candidate's data-quality baseline.

Input `{"runId", "baselineDataS3Uri", "outputS3Uri"}`; writes statistics.json and constraints.json
(Model Monitor's formats, by the dataquality analyzer) under `outputS3Uri` and returns `$.baseline`
`{"statisticsS3Uri", "constraintsS3Uri", "features", "itemCount"}`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop.models.parsing import parse_event
from mlops_loop.models.retraining import BaselineRequest
from mlops_loop.observability import logger, metrics
from mlops_loop.retraining.baseline import compute_baseline
from mlops_loop.tracing import tracer


@logger.inject_lambda_context(correlation_id_path="runId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, BaselineRequest)
    result = compute_baseline(request)
    logger.info(
        "Baseline computed", extra={"features": result.features, "statistics": result.statistics_s3_uri}
    )
    return result.dump()
