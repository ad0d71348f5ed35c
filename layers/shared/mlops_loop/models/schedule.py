"""EventBridge Scheduler input (ScheduleV2 target Input with context attributes)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ScheduledInvocation(BaseModel):
    """The Input the template gives the schedule's Lambda target:

    `{"scheduledTime": "<aws.scheduler.scheduled-time>", "scheduleArn": "<aws.scheduler.schedule-arn>",
    "executionId": "<aws.scheduler.execution-id>"}`; Scheduler fills in the context attributes.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    scheduled_time: datetime = Field(alias="scheduledTime")
    schedule_arn: str = Field(
        alias="scheduleArn", pattern=r"^arn:aws[a-z\-]*:scheduler:[a-z0-9\-]+:\d{12}:schedule/"
    )
    execution_id: str = Field(alias="executionId", min_length=1)

    @field_validator("scheduled_time")
    @classmethod
    def _must_be_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("scheduledTime must carry a time zone (Scheduler sends UTC, e.g. ...Z)")
        return value
