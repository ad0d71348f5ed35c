"""``python -m dataquality baseline|check|report|verdict`` (a contract others script against).

Exit codes: 0 clean, 4 violations found, 2 usage error, 1 any other error. Errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .engine import check, suggest_baseline, verdict_from_violations
from .errors import DataQualityError, UsageError
from .formats import CHECK_TYPES, DEFAULT_DRIFT_CHECK_TYPES
from .profile import DEFAULT_KLL_K
from .sources import read_json_doc, write_text

EXIT_CLEAN = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_VIOLATIONS = 4


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}"


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data", nargs="+", metavar="DATA", help="a file, a folder or an s3:// prefix (.csv, .parquet, .jsonl)"
    )
    p.add_argument("--no-header", action="store_true", help="CSV files have no header row")
    p.add_argument(
        "--format", dest="data_format", choices=["csv", "parquet", "jsonl"], help="override the extension"
    )
    p.add_argument("--delimiter", default=",", help="CSV field delimiter (default ,)")
    p.add_argument(
        "--kll-k", type=int, default=DEFAULT_KLL_K, help=f"KLL sketch size (default {DEFAULT_KLL_K})"
    )


def _names(value: str | None) -> list[str] | None:
    return [n.strip() for n in value.split(",")] if value else None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dataquality", description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("baseline", help="suggest statistics.json + constraints.json from training data")
    _data_args(b)
    b.add_argument("--out", required=True, help="folder or s3:// prefix for the two files")
    b.add_argument("--column-names", help="comma-separated names for headerless CSV (default _c0, _c1, ...)")

    c = sub.add_parser("check", help="check a batch against a baseline; exit 4 when violations are found")
    _data_args(c)
    c.add_argument("--baseline", help="folder or s3:// prefix holding statistics.json and constraints.json")
    c.add_argument("--statistics", help="baseline statistics.json (path or s3:// URI), instead of --baseline")
    c.add_argument(
        "--constraints", help="baseline constraints.json (path or s3:// URI), instead of --baseline"
    )
    c.add_argument(
        "--out", required=True, help="folder or s3:// prefix for statistics.json + constraint_violations.json"
    )
    c.add_argument("--report", action="store_true", help="also write report.html next to them")
    c.add_argument(
        "--drift-check-types",
        default=",".join(sorted(DEFAULT_DRIFT_CHECK_TYPES)),
        help=f"comma-separated check types that count as drift (of {', '.join(CHECK_TYPES)})",
    )

    r = sub.add_parser("report", help="write the HTML drift report from baseline and batch files")
    r.add_argument(
        "--baseline", required=True, help="folder or s3:// prefix with the baseline statistics.json"
    )
    r.add_argument(
        "--batch",
        required=True,
        help="folder or s3:// prefix with statistics.json + constraint_violations.json",
    )
    r.add_argument("--out", required=True, help="HTML file to write (local path or s3:// URI)")
    r.add_argument("--title", default="Data-quality report")

    v = sub.add_parser("verdict", help="classify a constraint_violations.json (exit 0 clean, 4 otherwise)")
    v.add_argument("violations", help="constraint_violations.json (path or s3:// URI)")
    v.add_argument("--drift-check-types", default=",".join(sorted(DEFAULT_DRIFT_CHECK_TYPES)))
    return parser


def _baseline_docs(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.baseline:
        return read_json_doc(_join(args.baseline, "statistics.json")), read_json_doc(
            _join(args.baseline, "constraints.json")
        )
    if args.statistics and args.constraints:
        return read_json_doc(args.statistics), read_json_doc(args.constraints)
    raise UsageError("give --baseline DIR, or both --statistics and --constraints")


def _write_html(dest: str, text: str) -> str:
    if dest.startswith("s3://"):
        folder, _, name = dest.rpartition("/")
        return write_text(folder, name, text, content_type="text/html; charset=utf-8")
    from pathlib import Path

    path = Path(dest)
    return write_text(str(path.parent), path.name, text, content_type="text/html; charset=utf-8")


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.command == "baseline":
        base = suggest_baseline(
            args.data,
            has_header=not args.no_header,
            column_names=_names(args.column_names),
            data_format=args.data_format,
            kll_k=args.kll_k,
            delimiter=args.delimiter,
        )
        where = base.write(args.out)
        print(
            f"baseline: {len(base.statistics['features'])} features, "
            f"{base.statistics['dataset']['item_count']} rows"
            f" -> {where['statistics']}, {where['constraints']}"
        )
        return EXIT_CLEAN
    if args.command == "check":
        stats, cons = _baseline_docs(args)
        result = check(
            args.data,
            baseline_statistics=stats,
            baseline_constraints=cons,
            has_header=not args.no_header,
            drift_check_types=_names(args.drift_check_types) or [],
            data_format=args.data_format,
            kll_k=args.kll_k,
            delimiter=args.delimiter,
        )
        where = result.write(args.out)
        if args.report:
            from .report import render_report  # imported on use: most checks write no report

            html = render_report(
                stats, result.statistics, result.violations, feature_distances=result.feature_distances
            )
            where["report"] = write_text(
                args.out, "report.html", html, content_type="text/html; charset=utf-8"
            )
        n = len(result.violations["violations"])
        drifted = ",".join(result.drifted_features) or "-"
        print(
            f"verdict: {result.verdict}; violations: {n}; drifted: {drifted} -> {', '.join(where.values())}"
        )
        return EXIT_VIOLATIONS if n else EXIT_CLEAN
    if args.command == "report":
        stats = read_json_doc(_join(args.baseline, "statistics.json"))
        batch = read_json_doc(_join(args.batch, "statistics.json"))
        viol = read_json_doc(_join(args.batch, "constraint_violations.json"))
        cons = read_json_doc(_join(args.baseline, "constraints.json"))
        from .report import render_report

        html = render_report(stats, batch, viol, title=args.title, baseline_constraints=cons)
        print(f"report -> {_write_html(args.out, html)}")
        return EXIT_CLEAN
    # verdict
    found = verdict_from_violations(read_json_doc(args.violations), _names(args.drift_check_types) or [])
    print(
        f"verdict: {found.verdict}; violations: {len(found.violations)}; "
        f"drifted: {','.join(found.drifted_features) or '-'}"
    )
    return EXIT_VIOLATIONS if found.violations else EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DataQualityError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the CLI contract: one line, never a traceback
        print(
            f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            file=sys.stderr,
        )
        return EXIT_ERROR
