"""`python -m localcloud`: serve the stack locally, or invoke one function (no Docker).

The engine's command line knows templates, not apps. An app adds its own set-up of a fresh stack
(registering a sample model, upserting a pipeline) with a `Setup`: `main(argv, setup=...)` adds the
setup's options to `serve` and `invoke` and runs it once the stack is up (`story/local.py` is this
repository's).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.stack import StackDeployError, TemplateError


def _parameters(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    parameters: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--parameter-overrides: {item!r} is not Key=Value")
        parameters[key] = value
    return parameters


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-t", "--template", default="template.yaml", help="SAM template (default: template.yaml)"
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="template parameters (default: samconfig.toml [single-account] parameter_overrides)",
    )
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--output-dir", help="where notifications and Lambda logs go")
    parser.add_argument(
        "--no-iam",
        action="store_true",
        help="debugging only: let every call through (each one AWS would deny is logged as such)",
    )


class SetupError(RuntimeError):
    """An app's set-up of the fresh stack could not be done; the message says what and why."""


@dataclass(frozen=True)
class Setup:
    """An app's set-up of a freshly deployed stack, before `serve` serves it or `invoke` invokes.

    `add_arguments(command, parser)` adds the app's options to `serve` and to `invoke`;
    `run(cloud, args)` runs once the stack is up and returns lines to print (what it did). It raises
    SetupError when it cannot be done; the command then exits 2 with that message. `args.empty` is true for
    `serve --empty` (no stack)."""

    add_arguments: Callable[[str, argparse.ArgumentParser], None]
    run: Callable[[Any, argparse.Namespace], list[str]]


def build_parser(setup: Setup | None = None, prog: str = "python -m localcloud") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="The whole stack on this machine: moto, in-process Lambda, no AWS account, no Docker.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="stand the stack up and serve its AWS APIs on 127.0.0.1")
    _common(serve)
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    serve.add_argument(
        "--empty",
        action="store_true",
        help="deploy no stack: an empty account that `sam deploy` deploys into (AWS_ENDPOINT_URL=<endpoint>)",
    )

    invoke = commands.add_parser(
        "invoke", help="invoke one function with an event file (like sam local invoke)"
    )
    _common(invoke)
    invoke.add_argument("function", help="logical id (e.g. ResolveModelFunction) or function name")
    invoke.add_argument("-e", "--event", help="event JSON file (default: {})")
    invoke.add_argument("--quiet-logs", action="store_true", help="do not print the function's logs")
    if setup is not None:
        setup.add_arguments("serve", serve)
        setup.add_arguments("invoke", invoke)

    report = commands.add_parser(
        "iam-report",
        help="least-privilege report of earlier runs: per role, actions used, grants unused, calls denied",
    )
    report.add_argument(
        "paths", nargs="*", default=["demo-output", "build/iam"], help="folders holding iam-decisions.json"
    )
    report.add_argument("--markdown", help="also write the report as Markdown to this file")
    report.add_argument(
        "-t",
        "--template",
        default="template.yaml",
        help="only the runs of this template (default: template.yaml)",
    )
    report.add_argument(
        "--check",
        action="store_true",
        help="exit 1 on a denied call or a grant unused without a written reason",
    )
    return parser


def _start(args: argparse.Namespace) -> Any:
    from localcloud.cloud import LocalCloud

    return LocalCloud.start(
        template=None if getattr(args, "empty", False) else args.template,
        parameters=_parameters(args.parameter_overrides),
        region=args.region,
        output_dir=args.output_dir,
        enforce_iam=not args.no_iam,
    )


def cmd_serve(args: argparse.Namespace, setup: Setup | None = None) -> int:
    stop = threading.Event()
    # Both stop it, also when SIGINT came in ignored (a background job of a non-interactive shell:
    # Python then installs no KeyboardInterrupt handler).
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with _start(args) as cloud:
        done = setup.run(cloud, args) if setup is not None else []
        endpoint = cloud.serve(port=args.port)
        print(f"local cloud up: {endpoint}")
        for line in done:
            print(f"  {line}")
        print(f"  e.g. aws --endpoint-url {endpoint} --region {cloud.region} s3 ls")
        if cloud.iam.enabled and cloud.iam.operator_keys:
            print(
                "  IAM enforced: sign as an account's operator (any secret); other keys are refused "
                "(--no-iam to debug)"
            )
            for key in cloud.iam.operator_keys:
                print(f"    account {cloud.iam.principals[key].account}: AWS_ACCESS_KEY_ID={key}")
        print(f"  notifications: {cloud.outbox.path}")
        if args.empty:
            print(f"  no stack: deploy one with AWS_ENDPOINT_URL={endpoint} sam deploy ...")
        else:
            _print_stack(cloud.stack)
        print("Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _print_stack(stack: Any) -> None:
    print("resources:")
    for logical_id, physical in sorted(stack.resources.items()):
        kind = stack.resource_types.get(logical_id, "")
        if physical and not kind.startswith(("AWS::IAM::", "AWS::Lambda::Permission")):
            print(f"  {logical_id:40s} {kind:34s} {physical}")
    if stack.outputs:
        print("outputs:")
        for key, value in sorted(stack.outputs.items()):
            print(f"  {key:40s} {value}")


def cmd_invoke(args: argparse.Namespace, setup: Setup | None = None) -> int:
    event: Any = {}
    if args.event:
        path = Path(args.event)
        if not path.is_file():
            raise SystemExit(f"no event file {path}")
        event = json.loads(path.read_text(encoding="utf-8"))
    from localcloud.quiet import quiet_moto_warnings

    # Standard error carries the function's logs: keep moto's notes on unmodelled resources out.
    with quiet_moto_warnings(), _start(args) as cloud:
        if args.function not in cloud.stack.functions and args.function not in cloud.stack.functions.values():
            known = ", ".join(sorted(cloud.stack.functions))
            print(f"no function {args.function!r} in the template; functions: {known}", file=sys.stderr)
            return 2
        for line in setup.run(cloud, args) if setup is not None else []:
            print(line, file=sys.stderr)
        result = cloud.invoke(args.function, event)
    if not args.quiet_logs:
        sys.stderr.write(result.logs)
    print(json.dumps(result.payload, indent=2))
    return 0 if result.ok else 1


def cmd_iam_report(args: argparse.Namespace) -> int:
    from localcloud.iam import report

    logs = report.read_logs((Path(p) for p in args.paths if Path(p).exists()), Path(args.template))
    if not logs:
        print(f"localcloud: no {report.LOG_NAME} under {', '.join(args.paths)}", file=sys.stderr)
        return 2
    template = Path(args.template)
    built = report.build(logs, report.template_reasons(template) if template.is_file() else None)
    text = built.markdown()
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    print(text)
    if args.check and (built.denied or built.unused_without_reason):
        print(f"localcloud: iam-report check failed: {built.summary()}", file=sys.stderr)
        return 1
    return 0


MOVED = {
    # The app's story left the engine (issue 12): a pointer for whoever still types the old command.
    "demo": "the demo is this app's story, not the engine's: run `python -m story.demo` (make demo)",
}


def main(
    argv: list[str] | None = None, setup: Setup | None = None, prog: str = "python -m localcloud"
) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given and given[0] in MOVED:
        print(f"{prog} {given[0]}: {MOVED[given[0]]}", file=sys.stderr)
        return 2
    args = build_parser(setup, prog).parse_args(given)
    if args.command == "iam-report":
        return cmd_iam_report(args)
    try:
        if args.command == "serve":
            return cmd_serve(args, setup)
        return cmd_invoke(args, setup)
    except (StackDeployError, TemplateError, FileNotFoundError, SetupError) as error:
        print(f"localcloud: {error}", file=sys.stderr)
        return 2


EXIT_GRACE_SECONDS = 10.0


def exit_now(code: int) -> None:
    """End the process once the command is done, without tearing the interpreter down.

    Exit handlers run and the standard streams are flushed, as at a normal exit; what is skipped is
    freeing every module and object one by one (moto's, xgboost's, scikit-learn's: 1-2 s after the
    demo). The command is done and its cloud shut down: threads still running (a server's, an
    execution's) get a bounded time to end, not the unbounded wait of a normal exit.
    """
    import atexit
    import os
    import time

    deadline = time.monotonic() + EXIT_GRACE_SECONDS
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
