"""Base of the state-machine payloads (docs/architecture.md), the field types they share, and
`Violation` (used by the monitoring payloads and the drift event alike).

The payloads themselves live one family per module (batch, resolved, monitoring, retraining,
results). They are msgspec Structs: Python attribute names are snake_case, the names Step Functions
sees are the camelCase ones the ASL reads (`rename="camel"`: `batch_input_s3_uri` <->
`batchInputS3Uri`). Building a Struct instance by keyword does not validate it;
`msgspec.convert(data, Model)` (or `parse_event`) does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

S3UriStr = Annotated[str, msgspec.Meta(pattern=r"^s3://[^/]+(/.*)?$")]
Verdict = Literal["clean", "drift", "data_quality_failure"]
Trigger = Literal["schedule", "approval", "manual"]

__all__ = ["Payload", "S3UriStr", "Trigger", "Verdict", "Violation"]


class Payload(msgspec.Struct, kw_only=True, rename="camel"):
    """Inputs: camelCase names, unknown keys ignored (the ASL may pass the whole state)."""

    def dump(self) -> dict[str, Any]:
        """JSON-safe dict with the camelCase names, as Step Functions receives it (datetimes as
        RFC 3339 strings, UTC as `Z`)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out


class Violation(Payload, kw_only=True, rename=None):
    """One entry of constraint_violations.json (Model Monitor's own snake_case field names)."""

    feature_name: str
    constraint_check_type: str
    description: str = ""
