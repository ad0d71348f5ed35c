"""Parse an event at the handler edge: a malformed event becomes one logged, named error."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mlops_loop.errors import InvalidEvent
from mlops_loop.observability import logger

M = TypeVar("M", bound=BaseModel)


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "<event>"


def describe_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Field path + problem for each error; never the offending value (it may be data)."""
    return [{"field": _field_path(err["loc"]), "problem": err["msg"]} for err in exc.errors()]


def parse_event(event: Any, model: type[M]) -> M:
    """Validate `event` against `model`, or log and raise `InvalidEvent` naming the bad fields."""
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        problems = describe_errors(exc)
        logger.error("Rejected malformed event", extra={"model": model.__name__, "problems": problems})
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InvalidEvent(f"{model.__name__}: {summary}{more}") from None
