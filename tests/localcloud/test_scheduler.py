"""EventBridge Scheduler on the caller's clock: expressions, time zones, state, targets, retries."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from localcloud.scheduler import ScheduleExpressionError, fill_context, occurrences
from tests.support.local_cloud import service_role

PARIS = ZoneInfo("Europe/Paris")


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _list(
    expression: str, tz: str, after: datetime, until: datetime, anchor: datetime | None = None
) -> list[datetime]:
    return list(occurrences(expression, tz, after, until, anchor or after))


def test_cron_in_a_time_zone_follows_daylight_saving():
    winter = _list("cron(0 2 * * ? *)", "Europe/Paris", _utc(2026, 11, 24), _utc(2026, 11, 26))
    assert winter == [_utc(2026, 11, 24, 1), _utc(2026, 11, 25, 1)]
    summer = _list("cron(0 2 * * ? *)", "Europe/Paris", _utc(2026, 7, 1), _utc(2026, 7, 2))
    assert summer == [_utc(2026, 7, 2, 0)]  # (after, until]: 02:00 CEST is 00:00 UTC


def test_cron_weekdays_lists_ranges_steps_and_last_day():
    week = _list("cron(0 9 ? * MON-FRI *)", "UTC", _utc(2026, 11, 22), _utc(2026, 11, 29))  # Sun..Sun
    assert [d.strftime("%a") for d in week] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    steps = _list("cron(0/15 10 * * ? *)", "UTC", _utc(2026, 11, 24), _utc(2026, 11, 25))
    assert [d.minute for d in steps] == [0, 15, 30, 45]
    last = _list("cron(0 0 L * ? *)", "UTC", _utc(2026, 1, 1), _utc(2026, 4, 1))
    assert [d.date().isoformat() for d in last] == ["2026-01-31", "2026-02-28", "2026-03-31"]
    sundays = _list("cron(0 0 ? * 1 *)", "UTC", _utc(2026, 11, 22), _utc(2026, 12, 1))
    assert [d.day for d in sundays] == [29]  # after is exclusive: the 22nd at 00:00 does not count


def test_rate_counts_from_the_anchor_and_at_fires_once():
    anchor = _utc(2026, 11, 24, 0, 0)
    rates = _list("rate(6 hours)", "UTC", _utc(2026, 11, 24, 7), _utc(2026, 11, 25, 1), anchor)
    assert rates == [_utc(2026, 11, 24, 12), _utc(2026, 11, 24, 18), _utc(2026, 11, 25, 0)]
    assert _list("rate(1 day)", "UTC", anchor, anchor + timedelta(days=3)) == [
        anchor + timedelta(days=n) for n in (1, 2, 3)
    ]
    at = _list("at(2026-12-01T09:00:00)", "America/New_York", _utc(2026, 11, 1), _utc(2027, 1, 1))
    assert at == [_utc(2026, 12, 1, 14)]


@pytest.mark.parametrize(
    "expression", ["cron(0 2 * * *)", "cron(0 2 * * * *)", "rate(0 hours)", "every day", "cron(0 25 * * ? *)"]
)
def test_bad_expressions_are_named_errors(expression):
    with pytest.raises(ScheduleExpressionError):
        _list(expression, "UTC", _utc(2026, 1, 1), _utc(2026, 1, 3))


def test_context_attributes_are_filled():
    text = fill_context(
        '{"t": "<aws.scheduler.scheduled-time>", "a": "<aws.scheduler.schedule-arn>", '
        '"n": "<aws.scheduler.attempt-number>", "id": "<aws.scheduler.execution-id>"}',
        _utc(2026, 11, 24, 2),
        "arn:s",
        attempt=3,
        execution_id="x-1",
    )
    assert json.loads(text) == {"t": "2026-11-24T02:00:00Z", "a": "arn:s", "n": "3", "id": "x-1"}


def _fired(firings, logical_id_or_name: str):
    return [f for f in firings if f.schedule_arn.endswith("/" + logical_id_or_name)]


def test_advancing_a_day_fires_the_nightly_schedule_once_in_its_time_zone(cloud):
    start = cloud.clock.now
    fired = cloud.clock.advance(timedelta(days=1))
    [nightly] = _fired(fired, "EchoFunctionNightly")
    assert nightly.scheduled_time.astimezone(PARIS).hour == 2
    assert start < nightly.scheduled_time <= cloud.clock.now
    assert (nightly.error, nightly.attempts) == (None, 1)
    payload = json.loads(nightly.input)
    assert payload["scheduledTime"] == nightly.scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert payload["scheduleArn"] == cloud.stack.physical_id("EchoFunctionNightly")
    assert payload["attempt"] == "1"
    uuid.UUID(payload["executionId"])
    assert _fired(fired, "EchoFunctionHourly") == []  # State: DISABLED in the template


def test_weekly_schedule_starts_the_state_machine(cloud):
    fired = cloud.clock.advance(timedelta(days=7))
    [weekly] = _fired(fired, "FlowStateMachineWeekly")
    assert weekly.result and weekly.result.startswith("arn:aws:states:")
    described = cloud.wait_for_execution(weekly.result)
    assert json.loads(described["input"])["trigger"] == "schedule"
    assert described["status"] == "SUCCEEDED"
    assert len(_fired(fired, "EchoFunctionNightly")) == 7


def test_a_schedule_disabled_through_the_api_stops_firing(cloud):
    scheduler = cloud.client("scheduler")
    current = scheduler.get_schedule(Name="EchoFunctionNightly")
    update = {k: current[k] for k in ("Name", "ScheduleExpression", "FlexibleTimeWindow", "Target")}
    scheduler.update_schedule(**update, State="DISABLED")
    try:
        assert _fired(cloud.clock.advance(timedelta(days=2)), "EchoFunctionNightly") == []
    finally:
        scheduler.update_schedule(**update, State="ENABLED", ScheduleExpressionTimezone="Europe/Paris")
    assert len(_fired(cloud.clock.advance(timedelta(days=1)), "EchoFunctionNightly")) == 1


def test_failed_delivery_is_retried_with_the_attempt_number_then_dead_lettered(cloud):
    scheduler = cloud.client("scheduler")
    dlq_url = cloud.stack.physical_id("EventsDeadLetterQueue")
    dlq_arn = cloud.client("sqs").get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    at = (cloud.clock.now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.create_schedule(
        Name="to-nowhere",
        ScheduleExpression=f"at({at})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": f"arn:aws:lambda:{cloud.region}:{cloud.account}:function:no-such-function",
            "RoleArn": service_role(
                cloud, "to-nowhere", "scheduler.amazonaws.com", ["lambda:InvokeFunction", "sqs:SendMessage"]
            ),
            "Input": '{"attempt": "<aws.scheduler.attempt-number>"}',
            "RetryPolicy": {"MaximumRetryAttempts": 2},
            "DeadLetterConfig": {"Arn": dlq_arn},
        },
    )
    [firing] = _fired(cloud.clock.advance(timedelta(hours=2)), "to-nowhere")
    assert (firing.attempts, firing.dead_lettered) == (3, True)
    assert json.loads(firing.input) == {"attempt": "3"}
    messages = cloud.client("sqs").receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"])[
        "Messages"
    ]
    [dead] = [
        m
        for m in messages
        if m["MessageAttributes"].get("SCHEDULE_ARN", {}).get("StringValue", "").endswith("to-nowhere")
    ]
    assert dead["MessageAttributes"]["ATTEMPTS"]["StringValue"] == "3"
    assert _fired(cloud.clock.advance(timedelta(days=1)), "to-nowhere") == []  # at() fires once


def test_throttled_start_execution_is_retried_by_the_scheduler(cloud):
    cloud.faults.throttle("states", "StartExecution", times=1)
    fired = cloud.clock.advance(timedelta(days=7))
    [weekly] = _fired(fired, "FlowStateMachineWeekly")
    assert weekly.attempts == 2 and weekly.error is None
    assert cloud.wait_for_execution(weekly.result)["status"] == "SUCCEEDED"


def test_the_clock_does_not_go_back(cloud):
    with pytest.raises(ValueError, match="does not go back"):
        cloud.clock.advance_to(cloud.clock.now - timedelta(seconds=1))
