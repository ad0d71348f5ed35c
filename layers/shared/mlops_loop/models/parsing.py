"""Parse an event at the handler edge: a malformed event becomes one logged, named error."""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

import msgspec

from mlops_loop.errors import InvalidEvent
from mlops_loop.observability import logger
from mlops_loop.validation import describe

M = TypeVar("M", bound=msgspec.Struct)


def describe_error(exc: msgspec.ValidationError) -> dict[str, str]:
    """Field path + problem; never the offending value (it may be data)."""
    path, problem = describe(exc)
    return {"field": path or "<event>", "problem": problem}


def reject(model_name: str, problems: list[dict[str, str]]) -> NoReturn:
    """Log the problems and raise `InvalidEvent("<Model>: <field>: <problem>")`."""
    logger.error("Rejected malformed event", extra={"model": model_name, "problems": problems})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    raise InvalidEvent(f"{model_name}: {summary}") from None


def parse_event(event: Any, model: type[M]) -> M:
    """Validate `event` against `model`, or log and raise `InvalidEvent` naming the bad field.

    msgspec stops at the first problem, so one field is named even when several are wrong.
    """
    try:
        return msgspec.convert(event, model)
    except msgspec.ValidationError as exc:
        reject(model.__name__, [describe_error(exc)])
