"""Batch-inference steps ListBatch and MonitorBatch, before any transform: `list` lists the batch
once into the run's manifest; then data-quality monitoring of those objects against the version's
baseline (`analyze`: the dataquality analyzer; `sketch`/`merge`: the same, distributed; `judge`:
files a Model Monitor Processing job wrote). Writes statistics.json, constraint_violations.json,
report.html and verdict.json under the run's monitoring prefix, emits drift metrics (EMF) and
returns `$.monitoring`.

Named failures (errorType): BatchInputNotFound, BaselineObjectNotFound, BaselineUnreadable,
InvalidBaseline, MonitoringOutputNotFound, MonitoringOutputUnreadable, MonitoringOutputInvalid,
InvalidEvent, and the analyzer's own (EmptyBatch, UnknownFormat, UnreadableInput, SchemaMismatch,
DriftNotComparable, ...).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop import monitoring
from mlops_loop.models.monitoring import MonitorBatchRequest
from mlops_loop.models.parsing import parse_event
from mlops_loop.observability import logger, metrics
from mlops_loop.settings import MonitorBatchSettings, settings
from mlops_loop.tracing import tracer


@logger.inject_lambda_context(correlation_id_path="runId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(MonitorBatchSettings)
    request = parse_event(event, MonitorBatchRequest)
    return monitoring.monitor(request, cfg).dump()
