"""Replacing attributes of other libraries (moto, botocore, boto3) for a local cloud's lifetime.

    open_scope()
    replace(LambdaFunction, "_invoke_lambda", in_process)   # recorded
    ...
    close_scope()                                            # moto's own method is back

Every change the local cloud makes to another library goes through `replace` (or `on_close` for
what is not an attribute), so that when the cloud stops, those libraries are exactly as shipped:
tests of plain moto can run in the same process after it (`make test` keeps two processes; the
scoping is what makes one possible). A change made outside every scope stays for the process:
tests/conftest.py applies the one moto fix the unit tests need that way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

_lock = threading.RLock()
_MISSING = object()


class _Scope:
    """What was changed inside one scope, to be undone when it closes."""

    def __init__(self) -> None:
        self.undo: list[Callable[[], None]] = []  # in the order done; undone in reverse


_scopes: list[_Scope] = []  # open scopes, innermost last


def replace(owner: Any, name: str, value: Any) -> None:
    """`owner.name = value` (a module's or a class's attribute), put back exactly when the open
    scope closes: the owner's own previous entry (a staticmethod, a classmethod, a property as
    stored), or none, so that an inherited one shows again. Outside any scope it stays."""
    with _lock:
        if _scopes:
            previous = vars(owner).get(name, _MISSING)

            def undo() -> None:
                if previous is _MISSING:
                    delattr(owner, name)
                else:
                    setattr(owner, name, previous)

            _scopes[-1].undo.append(undo)
        setattr(owner, name, value)


def on_close(undo: Callable[[], None]) -> None:
    """Run `undo` when the open scope closes (for what a change made that is not an attribute)."""
    with _lock:
        if _scopes:
            _scopes[-1].undo.append(undo)


def open_scope() -> None:
    """Changes made from now until `close_scope()` are undone then (a local cloud's lifetime).

    Scopes nest: a patch already applied in an outer scope is not applied again and stays until
    its own scope closes."""
    with _lock:
        _scopes.append(_Scope())


def close_scope() -> None:
    """Undo what was changed in the innermost scope, in reverse order."""
    with _lock:
        scope = _scopes.pop()
    for undo in reversed(scope.undo):  # outside the lock: an undo may take its patch's own lock
        undo()


def in_scope() -> bool:
    return bool(_scopes)


@contextlib.contextmanager
def scoped() -> Iterator[None]:
    """`open_scope()` ... `close_scope()` as a block."""
    open_scope()
    try:
        yield
    finally:
        close_scope()
