"""Count a state machine definition's expressions and their length: how much logic its ASL holds.

An expression is a JSONata `{% ... %}` string, a JSONPath reference (a `.$` field's value, a
`...Path` field such as `CausePath` or `NumericGreaterThanEqualsPath`, `Variable`, `InputPath`,
`OutputPath`, `ResultPath`) or an intrinsic function call (`States.Format(...)`).
`${Placeholders}` filled by DefinitionSubstitutions are not expressions.

    python -m tools.asl_expressions statemachines/*.asl.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PATH_FIELDS = {"Variable"}


@dataclass(frozen=True)
class Figures:
    count: int
    total_chars: int
    longest: int

    def line(self, name: str) -> str:
        return f"{name}: {self.count} expressions, {self.total_chars} characters, longest {self.longest}"


def _is_path_field(key: str) -> bool:
    """`"x.$"`, `InputPath`, `ResultPath`, `CausePath`, `...Path` comparisons, `Variable`."""
    return key.endswith(".$") or key.endswith("Path") or key in _PATH_FIELDS


def expressions(node: Any, key: str = "") -> Iterator[str]:
    """Every expression of a definition (or a part of one), in document order."""
    if isinstance(node, dict):
        for child_key, value in node.items():
            yield from expressions(value, child_key)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value, key)
    elif isinstance(node, str):
        text = node.strip()
        if text.startswith("{%") and text.endswith("%}"):
            yield text[2:-2].strip()
        elif _is_path_field(key) and text:
            yield text


def measure(definition: dict[str, Any]) -> Figures:
    found = list(expressions(definition))
    lengths = [len(e) for e in found]
    return Figures(count=len(found), total_chars=sum(lengths), longest=max(lengths, default=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.asl_expressions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("definitions", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.definitions:
        print(measure(json.loads(path.read_text())).line(str(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
