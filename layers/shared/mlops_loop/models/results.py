"""What ModelPackageStateChange and NotifyFailure return (for logs and tests)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlops_loop.models.payloads import Payload


class StateChangeResult(Payload):
    """What ModelPackageStateChange and NotifyFailure return (for logs and tests)."""

    action: Literal["ignored", "notified", "recorded_live_and_notified", "asked_approval"]
    reason: str | None = None
    message_id: str | None = Field(None, alias="messageId")
    batch_execution_arn: str | None = Field(None, alias="batchExecutionArn")
