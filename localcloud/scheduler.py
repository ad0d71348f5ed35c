"""EventBridge Scheduler on a clock the caller moves.

`Clock.advance_to(when)` fires, in time order, every occurrence of every ENABLED schedule in
(now, when]: `cron(...)` and `at(...)` in the schedule's `ScheduleExpressionTimezone`, `rate(...)`
every period from the schedule's StartDate (or the clock's start, standing for the schedule's
creation). The target gets its `Input` with the Scheduler's context attributes filled in.
Schedules are read from moto's Scheduler backend at each step, so schedules created or disabled
through the API while the cloud runs count too. Targets: Lambda (Lambda's asynchronous
invocation, see `EventRouter.invoke_async`: a function error is Lambda's to retry, not the
Scheduler's) and Step Functions (StartExecution). A delivery that fails is tried again up to the
target's `RetryPolicy.MaximumRetryAttempts` (AWS default 185), with
<aws.scheduler.attempt-number> counting up, then sent to the target's `DeadLetterConfig` queue.
Retries happen at once (AWS backs off). Flexible time windows are treated as OFF.
"""

from __future__ import annotations

import calendar
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


class ScheduleExpressionError(ValueError):
    """A schedule expression that is not at(...), rate(...) or a six-field cron(...)."""


DEFAULT_RETRY_ATTEMPTS = 185  # EventBridge Scheduler's default MaximumRetryAttempts

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_AT = re.compile(r"^at\(\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _field_values(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for raw in text.split(","):
        part, _, step_text = raw.strip().upper().partition("/")
        step = int(step_text) if step_text else 1
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleExpressionError(f"value out of range in {text!r}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise ScheduleExpressionError(f"not a value: {text!r}")
    return int(text)


@dataclass(frozen=True)
class Cron:
    """AWS cron: minutes hours day-of-month month day-of-week year (one of the days is `?`)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: any; -1 in the set: the month's last day
    months: frozenset[int]
    weekdays: frozenset[int] | None  # AWS numbering, 1 = Sunday
    years: frozenset[int] | None

    @classmethod
    def parse(cls, body: str) -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise ScheduleExpressionError(f"cron needs 6 fields, got {len(fields)}: {body!r}")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ScheduleExpressionError("cron: exactly one of day-of-month and day-of-week must be '?'")
        days: set[int] | None = None
        if dom not in ("?", "*"):
            days = {-1} if dom.upper() == "L" else _field_values(dom, 1, 31)
        weekdays = None if dow in ("?", "*") else _field_values(dow, 1, 7, _DAYS)
        return cls(
            minutes=frozenset(_field_values(minute, 0, 59)),
            hours=frozenset(_field_values(hour, 0, 23)),
            days=None if days is None else frozenset(days),
            months=frozenset(_field_values(month, 1, 12, _MONTHS)),
            weekdays=None if weekdays is None else frozenset(weekdays),
            years=None if year == "*" else frozenset(_field_values(year, 1970, 2199)),
        )

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        if self.days is not None:
            last = calendar.monthrange(day.year, day.month)[1]
            if day.day not in self.days and not (-1 in self.days and day.day == last):
                return False
        aws_weekday = (day.isoweekday() % 7) + 1  # Monday=1 -> 2, Sunday=7 -> 1
        return self.weekdays is None or aws_weekday in self.weekdays


def occurrences(
    expression: str,
    timezone: str,
    after: datetime,
    until: datetime,
    anchor: datetime,
) -> Iterator[datetime]:
    """The times (UTC, ascending) in (after, until] at which `expression` fires."""
    tz = ZoneInfo(timezone or "UTC")
    expression = expression.strip()
    if match := _RATE.match(expression):
        amount, unit = int(match.group(1)), match.group(2).rstrip("s")
        period = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}[unit]
        period *= amount
        if period <= timedelta(0):
            raise ScheduleExpressionError(f"rate must be positive: {expression!r}")
        steps = max(1, int((after - anchor) / period) + 1) if after > anchor else 1
        moment = anchor + steps * period
        while moment <= until:
            if moment > after:
                yield moment
            moment += period
        return
    if match := _AT.match(expression):
        moment = datetime.fromisoformat(match.group(1)).replace(tzinfo=tz).astimezone(UTC)
        if after < moment <= until:
            yield moment
        return
    if match := _CRON.match(expression):
        cron = Cron.parse(match.group(1))
        day = after.astimezone(tz).date()
        last_day = until.astimezone(tz).date()
        while day <= last_day:
            if cron.matches_day(day):
                for hour in sorted(cron.hours):
                    for minute in sorted(cron.minutes):
                        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
                        moment = local.astimezone(UTC)
                        if after < moment <= until:
                            yield moment
            day += timedelta(days=1)
        return
    raise ScheduleExpressionError(f"unsupported schedule expression {expression!r}")


def fill_context(
    text: str, scheduled: datetime, schedule_arn: str, attempt: int = 1, execution_id: str | None = None
) -> str:
    """Replace the Scheduler's context attributes in a target's Input."""
    replacements = {
        "<aws.scheduler.scheduled-time>": scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.execution-id>": execution_id or str(uuid.uuid4()),
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.attempt-number>": str(attempt),
    }
    for key, value in replacements.items():
        text = text.replace(key, value)
    return text


@dataclass
class Firing:
    """One delivered occurrence of a schedule."""

    schedule_arn: str
    scheduled_time: datetime
    target_arn: str
    input: str
    result: str | None = None
    error: str | None = None
    attempts: int = 0
    dead_lettered: bool = False


@dataclass
class Clock:
    """The time the schedules see; it moves only when told to."""

    now: datetime
    account: str
    region: str
    deliver: Callable[[str, str], str | None]
    dead_letter: Callable[[str, str, dict[str, Any] | None], None] | None = None
    # The local cloud's IAM (localcloud.iam.deliveries.DeliveryAuthorizer); None: no checks.
    authorizer: Any = None
    firings: list[Firing] = field(default_factory=list)
    # Further accounts the local cloud hosts: their schedules fire on this clock too.
    other_accounts: list[str] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.now = _utc(self.now)
        self.started = self.now

    def advance(self, delta: timedelta) -> list[Firing]:
        return self.advance_to(self.now + delta)

    def advance_to(self, when: datetime) -> list[Firing]:
        """Fire every occurrence due in (now, when], oldest first; returns what fired."""
        when = _utc(when)
        with self._lock:
            if when < self.now:
                raise ValueError(f"the clock does not go back: now {self.now}, asked {when}")
            due: list[tuple[datetime, Any]] = []
            for schedule in self._schedules():
                if schedule.state != "ENABLED":
                    continue
                anchor = _parse_time(schedule.start_date) or self.started
                for moment in occurrences(
                    schedule.schedule_expression,
                    schedule.schedule_expression_timezone,
                    self.now,
                    when,
                    anchor,
                ):
                    end = _parse_time(schedule.end_date)
                    if end is None or moment <= end:
                        due.append((moment, schedule))
            due.sort(key=lambda item: (item[0], item[1].arn))
            fired: list[Firing] = []
            for moment, schedule in due:
                self.now = moment
                if schedule.state != "ENABLED":  # disabled by an earlier firing
                    continue
                fired.append(self._fire(schedule, moment))
            self.now = when
            self.firings.extend(fired)
            return fired

    def _may_dead_letter(self, target: dict[str, Any], queue_arn: str) -> bool:
        from localcloud.iam.deliveries import DeliveryDeniedError

        try:
            self.authorizer.schedule_dead_letter(target, queue_arn)
        except DeliveryDeniedError:  # logged by the authorizer; the message is not sent
            return False
        return True

    def _fire(self, schedule: Any, moment: datetime) -> Firing:
        target = schedule.target
        execution_id = str(uuid.uuid4())
        attempts = 1 + int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS))
        firing = Firing(schedule.arn, moment, target["Arn"], "")
        code = "DeliveryFailed"
        for attempt in range(1, attempts + 1):
            firing.attempts = attempt
            firing.input = fill_context(
                target.get("Input") or "{}", moment, schedule.arn, attempt, execution_id
            )
            try:
                json.loads(firing.input)
                if self.authorizer is not None:
                    self.authorizer.schedule_target(target)
                firing.result = self.deliver(target["Arn"], firing.input)
                firing.error = None
                return firing
            except ValueError as error:
                code, firing.error = "InvalidInput", f"Input is not JSON: {error}"
                break
            except Exception as error:  # noqa: BLE001 - a failed delivery is retried, then dead-lettered
                code = str(getattr(error, "code", None) or type(error).__name__)
                firing.error = f"{type(error).__name__}: {error}"
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        if dead_letter and self.authorizer is not None and not self._may_dead_letter(target, dead_letter):
            dead_letter = None
        if dead_letter and self.dead_letter is not None:
            self.dead_letter(
                dead_letter,
                firing.input,
                {
                    "ERROR_CODE": code,
                    "ERROR_MESSAGE": firing.error or "",
                    "EXECUTION_ID": execution_id,
                    "SCHEDULE_ARN": schedule.arn,
                    "TARGET_ARN": target["Arn"],
                    "ATTEMPTS": str(firing.attempts),
                },
            )
            firing.dead_lettered = True
        return firing

    def _schedules(self) -> list[Any]:
        from moto.scheduler.models import scheduler_backends

        found: list[Any] = []
        for account in (self.account, *self.other_accounts):
            backend = scheduler_backends[account][self.region]
            found.extend(s for group in backend.schedule_groups.values() for s in group.schedules.values())
        return found


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    return _utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
