"""Waiting for something the local cloud does on its own threads: one poll loop for the engine,
the stories and the tests.

    from localcloud.waiting import wait_until
    [execution] = wait_until(lambda: cloud.executions(arn), 30, "the batch run")

Work a call starts (an execution, a job, an event's deliveries) ends on the cloud's threads; a
caller waits for the state it needs, never for a quiet period. Where the cloud tracks the work
itself, its own waits say more: `LocalCloud.wait_for_execution`, `wait_jobs_idle`, `wait_quiescent`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.05
DEFAULT_TIMEOUT = 30.0


class WaitTimeoutError(TimeoutError):
    """The condition still did not hold when the wait ended; `what` names what was awaited."""

    def __init__(self, what: str, timeout: float) -> None:
        super().__init__(f"timed out after {timeout:g}s waiting for {what}")
        self.what = what
        self.timeout = timeout


def wait_until(
    condition: Callable[[], T | None],
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "the condition",
    *,
    poll: float = POLL_SECONDS,
) -> T:
    """Call `condition` every `poll` seconds until it returns a true value, and return that value.

    Raises WaitTimeoutError naming `what` when it is still false (or None, empty) after `timeout`
    seconds; the condition is asked once more at the deadline, so a slow last poll is not lost."""
    deadline = time.monotonic() + timeout
    while True:
        late = time.monotonic() >= deadline
        value = condition()
        if value:
            return value
        if late:
            raise WaitTimeoutError(what, timeout)
        time.sleep(poll)
