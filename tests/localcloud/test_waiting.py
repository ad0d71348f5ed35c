"""`localcloud.waiting.wait_until`: the one poll loop of the engine, the stories and the tests."""

from __future__ import annotations

import time

import pytest

from localcloud.waiting import WaitTimeoutError, wait_until


def test_returns_the_conditions_first_true_value():
    # Given a condition that holds on its third call
    answers = iter([None, [], ["run-1"]])
    # When waited for, then its true value is returned
    assert wait_until(lambda: next(answers), 5, "a run", poll=0.001) == ["run-1"]


def test_a_condition_that_never_holds_is_a_timeout_naming_what_was_awaited():
    # Given a condition that never holds
    started = time.monotonic()
    # When waited for briefly, then the error names what and how long, and it is a TimeoutError
    with pytest.raises(
        WaitTimeoutError, match=r"timed out after 0.2s waiting for the approval notice"
    ) as raised:
        wait_until(lambda: None, 0.2, "the approval notice")
    assert isinstance(raised.value, TimeoutError)
    assert (raised.value.what, raised.value.timeout) == ("the approval notice", 0.2)
    assert 0.2 <= time.monotonic() - started < 2


def test_the_condition_is_asked_once_more_at_the_deadline():
    # Given a condition whose only poll before the deadline is slow and false, and true after it
    calls: list[float] = []

    def slow_then_true() -> bool:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.15)
            return False
        return True

    # When waited for with a deadline that passes during the first poll
    # Then the answer after the deadline counts, not a timeout
    assert wait_until(slow_then_true, 0.1, "the slow condition", poll=0.001) is True
    assert len(calls) == 2
