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
_resets: list[Callable[[], None]] = []


def register_reset(hook: Callable[[], None]) -> None:
    """Run `hook` as each local cloud starts and again as it stops (once per registration).

    For code of the host process that caches what a cloud hands out: settings parsed from the
    cloud's environment, boto3 clients signed with its credentials. Its owner registers how to
    forget them (the test suite does, for the shared layer it imports: tests/conftest.py), so
    nothing cached before a cloud, or in another one, is used in it. The engine resets no module
    by name. A function's own modules need no hook: each function imports them afresh per cloud
    (`lambda_runtime`)."""
    with _lock:
        if hook not in _resets:
            _resets.append(hook)


def unregister_reset(hook: Callable[[], None]) -> None:
    with _lock:
        if hook in _resets:
            _resets.remove(hook)


def run_resets() -> None:
    """Each registered hook, in the order registered (the cloud calls this as it starts and stops)."""
    with _lock:
        hooks = list(_resets)
    for hook in hooks:
        hook()


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
