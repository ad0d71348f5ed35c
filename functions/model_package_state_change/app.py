"""EventBridge `SageMaker Model Package State Change` for the configured group.

Approved -> record the live version in the SSM parameter (see mlops_loop.live for why SSM) and
notify (and start a batch run when RUN_ON_APPROVAL=true); Rejected -> notify (rolling the live
record back if the live version was rejected); PendingManualApproval -> ask approvers, with the
version's metrics compared to the live version's. Events of other groups -> `{"action": "ignored"}`.
Each event (EventBridge `id`) is handled once: a redelivery returns the first delivery's result
and tells nobody again (mlops_loop.once_per_event, records in STATE_TABLE_NAME). A malformed event
raises InvalidEvent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop import approvals
from mlops_loop.models.model_package import ModelPackageStateChangeEvent
from mlops_loop.models.parsing import parse_event
from mlops_loop.observability import logger, metrics
from mlops_loop.once_per_event import once_per_event
from mlops_loop.settings import ModelPackageStateChangeSettings, settings


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(ModelPackageStateChangeSettings)
    parsed = parse_event(event, ModelPackageStateChangeEvent)
    if (ignored := approvals.other_group(parsed, cfg)) is not None:
        return ignored.dump()
    return once_per_event(
        event,
        context,
        lambda: approvals.handle(parsed, cfg).dump(),
        table_name=cfg.state_table_name,
        name="model-package-state-change",
    )
