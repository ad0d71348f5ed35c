"""EventBridge Scheduler input (ScheduleV2 target Input with context attributes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta


class ScheduledInvocation(msgspec.Struct, kw_only=True, rename="camel"):
    """The Input the template gives the schedule's Lambda target:

    `{"scheduledTime": "<aws.scheduler.scheduled-time>", "scheduleArn": "<aws.scheduler.schedule-arn>",
    "executionId": "<aws.scheduler.execution-id>"}`; Scheduler fills in the context attributes.
    """

    # Must carry a time zone (Scheduler sends UTC, e.g. ...Z): the run is named from it.
    scheduled_time: Annotated[datetime, Meta(tz=True)]
    schedule_arn: Annotated[str, Meta(pattern=r"^arn:aws[a-z\-]*:scheduler:[a-z0-9\-]+:\d{12}:schedule/")]
    execution_id: Annotated[str, Meta(min_length=1)]
