"""What ModelPackageStateChange and NotifyFailure return (for logs and tests)."""

from __future__ import annotations

from typing import Literal

from mlops_loop.models.payloads import Payload


class StateChangeResult(Payload, kw_only=True):
    """What ModelPackageStateChange and NotifyFailure return (for logs and tests)."""

    action: Literal["ignored", "notified", "recorded_live_and_notified", "asked_approval"]
    reason: str | None = None
    message_id: str | None = None
    batch_execution_arn: str | None = None
