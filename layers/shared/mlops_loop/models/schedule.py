"""What a scheduled handler receives: the template's Input, or AWS's default `Scheduled Event`.

The template gives each schedule an Input (`ScheduledInvocation`). A schedule created without one
(by hand, or by another template) sends AWS's default envelope instead (`ScheduledEvent`), and so
does a classic EventBridge rule with a schedule expression. Both name one tick; `parse_tick`
accepts either and returns the tick as `ScheduledInvocation`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, field

from mlops_loop.models.eventbridge import EventBridgeEvent
from mlops_loop.models.parsing import parse_event

# A Scheduler schedule (`...:schedule/<group>/<name>`) or an EventBridge rule (`...:rule/<name>`).
ScheduleOrRuleArn = Annotated[
    str,
    Meta(pattern=r"^arn:aws[a-z\-]*:(scheduler:[a-z0-9\-]+:\d{12}:schedule|events:[a-z0-9\-]+:\d{12}:rule)/"),
]


class ScheduledInvocation(msgspec.Struct, kw_only=True, rename="camel"):
    """The Input the template gives the schedule's Lambda target:

    `{"scheduledTime": "<aws.scheduler.scheduled-time>", "scheduleArn": "<aws.scheduler.schedule-arn>",
    "executionId": "<aws.scheduler.execution-id>"}`; Scheduler fills in the context attributes.
    """

    # Must carry a time zone (Scheduler sends UTC, e.g. ...Z): the run is named from it.
    scheduled_time: Annotated[datetime, Meta(tz=True)]
    schedule_arn: Annotated[str, Meta(pattern=r"^arn:aws[a-z\-]*:scheduler:[a-z0-9\-]+:\d{12}:schedule/")]
    execution_id: Annotated[str, Meta(min_length=1)]


class ScheduledEvent(EventBridgeEvent, kw_only=True):
    """AWS's default `Scheduled Event` envelope.

    From EventBridge Scheduler (a schedule without Input): `source` `aws.scheduler`, `resources` the
    schedule's ARN, `detail` the string "{}". From a classic rule (Lambda Developer Guide, "Using
    Lambda with EventBridge" schedule example): `source` `aws.events`, `resources` the rule's ARN,
    `detail` the object {}. `time` is the tick's time (UTC, `...Z`).
    """

    detail_type: Literal["Scheduled Event"] = field(name="detail-type")
    source: Literal["aws.scheduler", "aws.events"]
    time: Annotated[datetime, Meta(tz=True)]
    resources: Annotated[list[ScheduleOrRuleArn], Meta(min_length=1)]
    detail: dict[str, Any] | str


def parse_tick(event: Any) -> ScheduledInvocation:
    """The template's Input or AWS's default envelope, as one tick; else `InvalidEvent`.

    An event with `detail-type` is an EventBridge envelope (the template's Input never has one):
    its `time` is the scheduled time, its first resource the schedule (or rule), its `id` the
    invocation's id. The result's `schedule_arn` may then be a rule's ARN.
    """
    if isinstance(event, dict) and "detail-type" in event:
        envelope = parse_event(event, ScheduledEvent)
        return ScheduledInvocation(
            scheduled_time=envelope.time, schedule_arn=envelope.resources[0], execution_id=envelope.id
        )
    return parse_event(event, ScheduledInvocation)
