"""msgspec's validation errors as (field path, problem), never with the offending value.

msgspec says e.g. "Expected `str` matching regex '^arn:...' - at `$.detail.ModelPackageArn`" and
stops at the first error. `describe` turns that into `("detail.ModelPackageArn", "Expected ...")`.
A missing field is named in the path ("detail.ModelApprovalStatus"), and the messages that quote
the value itself ("Invalid enum value 'x'", a `Literal` or a tag) lose the quote: values may be data.
"""

from __future__ import annotations

import msgspec

_AT = " - at `$"
_MISSING = "Object missing required field `"
_QUOTES_VALUE = ("Invalid enum value", "Invalid value")


def describe(exc: msgspec.ValidationError) -> tuple[str, str]:
    """(dotted field path, or "" for the top level; the problem)."""
    message = str(exc)
    problem, at, path = message.rpartition(_AT)
    if not at:
        problem, path = message, ""
    path = path.removesuffix("`").removeprefix(".")
    if problem.startswith(_MISSING):
        name = problem.removeprefix(_MISSING).removesuffix("`")
        return (f"{path}.{name}" if path else name), "required field is missing"
    if problem.startswith(_QUOTES_VALUE):
        return path, "not one of the allowed values"
    return path, problem
