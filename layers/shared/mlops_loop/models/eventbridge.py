"""The EventBridge envelope, as AWS documents it ("Amazon EventBridge events", event structure).

Our own small model instead of Powertools' `EventBridgeModel`: importing that one means importing
`aws_lambda_powertools.utilities.parser.models`, Powertools' whole catalogue of AWS event models
(tens of pydantic classes built at import), which costs about a quarter of an `import boto3` on
every cold start of every function that parses an EventBridge event. The envelope is nine fields.

Subclasses pin `source` / `detail-type` with `Literal`s and give `detail` its model, so a single
`model_validate` checks the whole event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class EventBridgeEvent(BaseModel):
    """Top-level fields every EventBridge event carries; unknown top-level keys are ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    version: str = Field(description='"0" in every event today')
    id: str = Field(min_length=1, description="UUID of this event; a redelivery carries the same id")
    detail_type: str = Field(alias="detail-type", min_length=1)
    source: str = Field(min_length=1)
    account: str = Field(pattern=r"^\d{12}$", description="account of the emitting service")
    time: datetime
    region: str = Field(min_length=1)
    resources: list[str] = Field(default_factory=list)
    detail: Any
    replay_name: str | None = Field(None, alias="replay-name", description="set when an archive is replayed")


class AwsShape(BaseModel):
    """A documented AWS `detail` shape: extra fields are kept (AWS adds fields over time)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


ModelPackageArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:\d{12}:model-package/")
]
StateMachineArn = Annotated[str, Field(pattern=r"^arn:aws[a-z\-]*:states:[a-z0-9\-]+:\d{12}:stateMachine:")]
ExecutionArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z\-]*:states:[a-z0-9\-]+:\d{12}:(execution|express):")
]
