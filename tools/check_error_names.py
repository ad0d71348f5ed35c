"""Every error a Retry or Catch names can be raised by the state it is on.

    python -m tools.check_error_names [FILE ...]     (default: statemachines/*.asl.json)

Prints one line per name no integration of the state can raise and exits 1; exits 0 otherwise.
What each task integration raises comes from `localcloud.sfn_errors` (Step Functions' documented
naming, botocore's error shapes, the SDKs' base exceptions), the same rules the local cloud raises by.

`States.*` names are allowed where the Step Functions Developer Guide ("concepts-error-handling",
Error names) lets them happen:
- everywhere: `States.ALL` and `States.TaskFailed` (wildcards), `States.DataLimitExceeded`;
- Task: `States.Timeout`, `States.Permissions`, `States.HeartbeatTimeout` (only with
  HeartbeatSeconds/HeartbeatSecondsPath), `States.Http.Socket` (only on `http:invoke`);
- JSONPath states: `States.ParameterPathFailure`, `States.ResultPathMatchFailure`,
  `States.IntrinsicFailure`; JSONata states: `States.QueryEvaluationError`;
- Parallel: `States.BranchFailed`; Map: `States.ItemReaderFailed` (with ItemReader),
  `States.ResultWriterFailed` (with ResultWriter), `States.ExceedToleratedFailureThreshold`
  (distributed);
- never: `States.Runtime` ("not retriable, and will always cause the execution to fail") and
  `States.NoChoiceMatched` (a Choice state's, which has no Retry or Catch).
A `lambda:invoke` task also raises the function's own errors, named by their errorType (a Python
exception class name: no dot). A Map or Parallel state raises what the states inside it raise,
including a Fail state's Error (any name when the Error is computed).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.sfn_errors import UnknownIntegrationError, integration

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GLOB = "statemachines/*.asl.json"

WILDCARDS = frozenset({"States.ALL", "States.TaskFailed"})
JSONPATH_ONLY = frozenset(
    {"States.ParameterPathFailure", "States.ResultPathMatchFailure", "States.IntrinsicFailure"}
)
JSONATA_ONLY = frozenset({"States.QueryEvaluationError"})
# A function's errorType: a class name (Python, Node, Java simple names), never dotted.
_FUNCTION_ERROR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Raisable:
    """What a state can raise: exact names, and whether any undotted name (a function's) or any
    name at all (a computed Fail Error) can come out too."""

    names: frozenset[str]
    function_errors: bool = False
    anything: bool = False

    def __or__(self, other: Raisable) -> Raisable:
        return Raisable(
            self.names | other.names,
            self.function_errors or other.function_errors,
            self.anything or other.anything,
        )

    def allows(self, name: str) -> bool:
        if self.anything or name in self.names:
            return True
        return self.function_errors and not name.startswith("States.") and bool(_FUNCTION_ERROR.match(name))


def _states_names(state: dict[str, Any], language: str) -> set[str]:
    names = set(WILDCARDS) | {"States.DataLimitExceeded"}
    names |= JSONATA_ONLY if language == "JSONata" else JSONPATH_ONLY
    kind = state.get("Type")
    if kind == "Task":
        names |= {"States.Timeout", "States.Permissions"}
        if "HeartbeatSeconds" in state or "HeartbeatSecondsPath" in state:
            names.add("States.HeartbeatTimeout")
        if str(state.get("Resource", "")).startswith("arn:aws:states:::http:invoke"):
            names.add("States.Http.Socket")
    elif kind == "Parallel":
        names.add("States.BranchFailed")
    elif kind == "Map":
        if "ItemReader" in state:
            names.add("States.ItemReaderFailed")
        if "ResultWriter" in state:
            names.add("States.ResultWriterFailed")
        processor = state.get("ItemProcessor") or {}
        if (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED":
            names.add("States.ExceedToleratedFailureThreshold")
    return names


def _language(state: dict[str, Any], inherited: str) -> str:
    return str(state.get("QueryLanguage", inherited))


def _children(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("ItemProcessor", "Iterator"):
        if key in state:
            yield state[key]
    yield from state.get("Branches", [])


def raisable(state: dict[str, Any], language: str) -> Raisable:
    """Everything `state` can fail with (what a Retry or Catch on it can ever match)."""
    kind = state.get("Type")
    found = Raisable(frozenset(_states_names(state, language)))
    if kind == "Task":
        task = integration(str(state.get("Resource", "")))  # UnknownIntegrationError: reported by check()
        found = found | Raisable(frozenset(task.raisable()), function_errors=task.is_lambda_invoke)
    elif kind == "Fail":
        error = state.get("Error")
        if "ErrorPath" in state or (isinstance(error, str) and error.startswith("{%")):
            return Raisable(frozenset(), anything=True)
        return Raisable(frozenset({error}) if isinstance(error, str) else frozenset())
    for machine in _children(state):
        for child in machine.get("States", {}).values():
            found = found | raisable(child, _language(child, language))
    return found


def _problems_in(
    states: dict[str, Any], language: str, where: str, path: tuple[str, ...] = ()
) -> Iterator[str]:
    for name, state in states.items():
        here = "/".join((*path, name))
        state_language = _language(state, language)
        handlers = [("Retry", r) for r in state.get("Retry", [])]
        handlers += [("Catch", c) for c in state.get("Catch", [])]
        if handlers:
            try:
                can_raise = raisable(state, state_language)
            except UnknownIntegrationError as unknown:
                yield f"{where}: {here}: cannot tell what it raises: {unknown}"
                can_raise = None
            if can_raise is not None:
                counters = {"Retry": 0, "Catch": 0}
                for field, handler in handlers:
                    index = counters[field]
                    counters[field] += 1
                    for error in handler.get("ErrorEquals", []):
                        if not can_raise.allows(error):
                            yield (
                                f"{where}: {here}: {field}[{index}] names {error!r}, which "
                                f"{_what(state)} can never raise"
                            )
        for machine in _children(state):
            yield from _problems_in(machine.get("States", {}), state_language, where, (*path, name))


def _what(state: dict[str, Any]) -> str:
    if state.get("Type") == "Task":
        return str(state.get("Resource"))
    return f"this {state.get('Type')} state"


def check(path: Path) -> list[str]:
    """The problems of one ASL file (empty when every ErrorEquals name can happen)."""
    definition = json.loads(path.read_text())
    language = str(definition.get("QueryLanguage", "JSONPath"))
    try:
        where = str(path.resolve().relative_to(REPO))
    except ValueError:
        where = str(path)
    return list(_problems_in(definition.get("States", {}), language, where))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    files = [Path(a) for a in args] or sorted(REPO.glob(DEFAULT_GLOB))
    if not files:
        print(f"no state machine definitions found ({DEFAULT_GLOB})", file=sys.stderr)
        return 2
    problems = [problem for file in files for problem in check(file)]
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"ErrorEquals names: all raisable ({len(files)} files)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
