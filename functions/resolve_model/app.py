"""Batch-inference step ResolveModel: the latest Approved model package version of the group, with
its baseline, image and artifact, and the deterministic SageMaker Model name (`model`); and the
run's places and job names under that version (`run`, run_layout.py).

With `{"action": "adoptModel", model, failures}` (CreateModel was refused), it decides whether the
run goes on with the model of its name (it serves this package), creates it again (a transient
refusal) or fails (resolve.adopt_model).

Named failures (errorType): NoApprovedModel, MissingBaseline, ModelPackageGroupNotFound, InvalidEvent,
ModelNameInUse, ModelNotCreated.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop import resolve
from mlops_loop.models.parsing import parse_event
from mlops_loop.models.resolved import AdoptModelRequest, ResolveModelRequest
from mlops_loop.observability import logger, metrics
from mlops_loop.settings import ResolveModelSettings, settings


@logger.inject_lambda_context(correlation_id_path="runId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("action") == "adoptModel":  # CreateModel was refused
        return resolve.adopt_model(parse_event(event, AdoptModelRequest)).dump()
    cfg = settings(ResolveModelSettings)
    request = parse_event(event, ResolveModelRequest)
    return resolve.resolve_run(request, cfg).dump()
