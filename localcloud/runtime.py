"""The one active local cloud of this process, which the moto patches consult.

The patches in `localcloud.patches` change moto classes for the whole process. They act only
while a local cloud is active (`activate`/`deactivate`); otherwise moto behaves as shipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localcloud.events import EventRouter
    from localcloud.faults import Faults
    from localcloud.lambda_runtime import FunctionRegistry
    from localcloud.outbox import Outbox


class Runtime:
    """What the patched moto internals need: code of the functions, the router, faults, outbox."""

    def __init__(
        self,
        functions: FunctionRegistry,
        faults: Faults,
        router: EventRouter | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.functions = functions
        self.faults = faults
        self.router = router
        self.outbox = outbox
        # access key -> the account its principal belongs to (None: not one of this cloud's keys);
        # moto then serves the request from that account's backends.
        self.account_of_key: Callable[[str], str | None] | None = None


class AlreadyActiveError(RuntimeError):
    """A second local cloud was started while one is running in this process."""


_lock = threading.Lock()
_active: list[Runtime] = []  # at most one


def activate(runtime: Runtime) -> None:
    with _lock:
        if _active and _active[0] is not runtime:
            raise AlreadyActiveError("a local cloud is already running in this process; stop it first")
        _active[:] = [runtime]


def deactivate(runtime: Runtime) -> None:
    with _lock:
        if _active and _active[0] is runtime:
            _active.clear()


def current() -> Runtime | None:
    return _active[0] if _active else None
