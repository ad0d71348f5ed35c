"""Did one of this stack's batch-inference runs put this `Data Drift Detected` event?

Anyone allowed to put events on the default bus can send `source: mlops.monitoring`. Only the batch
run that found drift may start a retraining, so the event is checked against that run before
anything starts (docs/retraining.md, "Only the stack's own runs start training"):

1. `detail.executionArn` names an execution of this stack's batch-inference state machine;
2. that execution exists (GetExecutionHistory answers; ExecutionDoesNotExist otherwise);
3. its history holds a `TaskScheduled` event of the EventBridge integration (`resourceType`
   `events`, `resource` `putEvents`, Step Functions API Reference, TaskScheduledEventDetails) whose
   `parameters` carry an entry with this event's source, detail-type and exactly this detail. The
   batch state machine puts that entry only after its verdict was drift, and Step Functions records
   `TaskScheduled` before it calls EventBridge, so the entry is there while the run is still ending.

Matching the detail itself (not only the execution's name) means a real run's ARN with a changed
detail (another group, other features) is refused too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from mlops_loop import aws

# A batch run's history is short (tens of events; a distributed map adds its own per-item events to
# the map run, not here). Newest first, the drift event's TaskScheduled is in the first page.
_MAX_PAGES = 20


class StepFunctionsHistory(Protocol):
    """The one Step Functions call the check makes: the typed boto3 client (mlops_loop.aws), or a fake
    in tests. Its errors are Step Functions' own (ExecutionDoesNotExist, InvalidArn)."""

    def get_execution_history(  # boto3's parameter names, so the typed client is one
        self,
        *,
        executionArn: str,  # noqa: N803
        reverseOrder: bool,  # noqa: N803
        includeExecutionData: bool,  # noqa: N803
        nextToken: str = ...,  # noqa: N803
    ) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Provenance:
    """`verified` when the event is one the named batch run put; else `why` says what failed."""

    verified: bool
    why: str = ""


def execution_prefix(batch_state_machine_arn: str) -> str:
    """`arn:...:execution:<machine name>:`: the ARNs of that state machine's executions start so."""
    return batch_state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":"


def _as_object(value: Any) -> Any:
    """An entry's Detail as the run passed it: an object (JSONata) or a JSON string (JSONPath)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _puts_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The PutEvents entries of a `TaskScheduled` history event of the EventBridge integration."""
    if event.get("type") != "TaskScheduled":
        return []
    scheduled = event.get("taskScheduledEventDetails") or {}
    if (scheduled.get("resourceType"), scheduled.get("resource")) != ("events", "putEvents"):
        return []
    try:
        parameters = json.loads(scheduled.get("parameters") or "{}")
    except ValueError:
        return []
    entries = parameters.get("Entries") if isinstance(parameters, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def verify_drift_event(
    *,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    batch_state_machine_arn: str,
    sfn: StepFunctionsHistory | None = None,
) -> Provenance:
    """Whether the batch run named by `detail["executionArn"]` put exactly this event."""
    execution_arn = str(detail.get("executionArn", ""))
    if not execution_arn.startswith(execution_prefix(batch_state_machine_arn)):
        return Provenance(False, f"{execution_arn!r} is not an execution of {batch_state_machine_arn}")
    client: StepFunctionsHistory = sfn or aws.stepfunctions()
    token: str | None = None
    for _ in range(_MAX_PAGES):
        try:
            if token is None:
                page = client.get_execution_history(
                    executionArn=execution_arn, reverseOrder=True, includeExecutionData=True
                )
            else:
                page = client.get_execution_history(
                    executionArn=execution_arn, reverseOrder=True, includeExecutionData=True, nextToken=token
                )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("ExecutionDoesNotExist", "InvalidArn"):
                return Provenance(False, f"no execution {execution_arn} ({code})")
            raise
        for event in page.get("events", []):
            for entry in _puts_of(event):
                if (
                    entry.get("Source") == source
                    and entry.get("DetailType") == detail_type
                    and _as_object(entry.get("Detail")) == detail
                ):
                    return Provenance(True)
        token = page.get("nextToken")
        if not token:
            break
    return Provenance(False, f"execution {execution_arn} put no {detail_type!r} event with this detail")
