"""Keeping moto's own chatter out of a command's output."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_moto_warnings() -> Iterator[None]:
    """moto's notes on what it does not model (e.g. CloudWatch alarms) and werkzeug's request log."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loggers = [logging.getLogger(name) for name in ("moto", "werkzeug")]
        levels = [each.level for each in loggers]
        for each in loggers:
            each.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for each, level in zip(loggers, levels, strict=True):
                each.setLevel(level)
