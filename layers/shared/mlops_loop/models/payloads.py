"""Base of the state-machine payloads (docs/architecture.md), the field types they share, and
`Violation` (used by the monitoring payloads and the drift event alike).

The payloads themselves live one family per module (batch, resolved, monitoring, retraining,
results), so a handler builds only the pydantic classes it uses: every class costs its schema
build at import, on every cold start. Field aliases are the camelCase names the ASL reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

S3UriStr = Annotated[str, Field(pattern=r"^s3://[^/]+(/.*)?$")]
Verdict = Literal["clean", "drift", "data_quality_failure"]
Trigger = Literal["schedule", "approval", "manual"]

if TYPE_CHECKING:
    from mlops_loop.models.retraining import RetrainingInput

__all__ = ["Payload", "RetrainingInput", "S3UriStr", "Trigger", "Verdict", "Violation"]


class Payload(BaseModel):
    """Inputs: camelCase aliases, unknown keys ignored (the ASL may pass the whole state)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def dump(self) -> dict:
        """JSON-safe dict with the camelCase names, as Step Functions receives it."""
        return self.model_dump(mode="json", by_alias=True)


class Violation(Payload):
    """One entry of constraint_violations.json (Model Monitor's own field names)."""

    feature_name: str
    constraint_check_type: str
    description: str = ""


def __getattr__(name: str) -> Any:
    # RetrainingInput moved to mlops_loop.models.retraining; this keeps the old import path working
    # without building it for every importer of this module.
    if name == "RetrainingInput":
        from mlops_loop.models.retraining import RetrainingInput

        return RetrainingInput
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
