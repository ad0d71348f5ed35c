"""The EventBridge envelope, as AWS documents it ("Amazon EventBridge events", event structure).

Our own small model instead of Powertools' `EventBridgeModel`: importing that one means importing
`aws_lambda_powertools.utilities.parser.models`, Powertools' whole catalogue of AWS event models
(tens of pydantic classes built at import), which costs about a quarter of an `import boto3` on
every cold start of every function that parses an EventBridge event. The envelope is nine fields.

Subclasses pin `source` / `detail-type` with `Literal`s and give `detail` its model, so a single
`msgspec.convert` (through `parse_event`) checks the whole event. `detail-type` stays an ordinary
field rather than a msgspec tag: a lone tagged Struct accepts an event without its tag, and a
missing `detail-type` must be rejected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta, field


class EventBridgeEvent(msgspec.Struct, kw_only=True):
    """Top-level fields every EventBridge event carries; unknown top-level keys are ignored."""

    version: str  # "0" in every event today
    id: Annotated[str, Meta(min_length=1)]  # UUID of this event; a redelivery carries the same id
    detail_type: Annotated[str, Meta(min_length=1)] = field(name="detail-type")
    source: Annotated[str, Meta(min_length=1)]
    account: Annotated[str, Meta(pattern=r"^\d{12}$")]  # account of the emitting service
    time: datetime
    region: Annotated[str, Meta(min_length=1)]
    resources: list[str] = field(default_factory=list)
    detail: Any
    replay_name: str | None = field(default=None, name="replay-name")  # set when an archive is replayed


class AwsShape(msgspec.Struct, kw_only=True):
    """A documented AWS `detail` shape. AWS adds fields over time: unknown ones are ignored (nothing
    reads them; a field we need is declared). Subclasses set `rename` to AWS's naming style."""


ModelPackageArn = Annotated[
    str, Meta(pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:\d{12}:model-package/")
]
StateMachineArn = Annotated[str, Meta(pattern=r"^arn:aws[a-z\-]*:states:[a-z0-9\-]+:\d{12}:stateMachine:")]
ExecutionArn = Annotated[
    str, Meta(pattern=r"^arn:aws[a-z\-]*:states:[a-z0-9\-]+:\d{12}:(execution|express):")
]
