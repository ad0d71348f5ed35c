"""``python -m benchmarks [NAME [ARGS...]]``: run every benchmark found under benchmarks/*/ (or one).

A benchmark is a folder ``benchmarks/<name>/`` holding ``__init__.py`` and ``bench.py`` with
``main(argv: list[str]) -> int``. Drop a new folder in and it is picked up.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(
        p.parent.name
        for p in HERE.glob("*/bench.py")
        if (p.parent / "__init__.py").exists() and not p.parent.name.startswith(("_", "."))
    )


def main(argv: list[str]) -> int:
    names = discover()
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("found:", ", ".join(names) or "none")
        return 0
    if argv and not argv[0].startswith("-"):
        if argv[0] not in names:
            print(f"error: no benchmark {argv[0]!r} (found: {', '.join(names) or 'none'})", file=sys.stderr)
            return 2
        selected, rest = [argv[0]], argv[1:]
    else:
        selected, rest = names, argv
    worst = 0
    for name in selected:
        print(f"== benchmark: {name}", flush=True)
        module = importlib.import_module(f"benchmarks.{name}.bench")
        worst = max(worst, int(module.main(list(rest))))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
