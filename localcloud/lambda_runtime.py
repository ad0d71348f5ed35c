"""Run a Lambda function's real handler in this process, as the Lambda runtime would.

The handler comes from the function's CodeUri folder (recorded when the stack is deployed, keyed
by the S3 location of the uploaded code), the environment is the function's (from the template)
plus the variables the Lambda runtime sets, and the context is a small stand-in of LambdaContext.
Invocations are serialised: environment variables are process-wide.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO


@dataclass(frozen=True)
class FunctionCode:
    """Where a function's code lives on this machine."""

    logical_id: str
    code_dir: Path
    handler: str
    layer_dirs: tuple[Path, ...] = ()


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "localcloud/[$LATEST]0"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        left = self.timeout_seconds - (time.monotonic() - self._started)
        return max(0, int(left * 1000))


class HandlerNotFoundError(RuntimeError):
    """The handler named in the template does not exist in the function's code folder."""


class _CapturingStream(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: writes through, and also to the capture of the thread."""

    def __init__(self, target: TextIO, captures: dict[int, io.StringIO], echo: bool) -> None:
        self.target = target
        self.captures = captures
        self.echo = echo

    def write(self, text: str) -> int:
        buffer = self.captures.get(threading.get_ident())
        if buffer is not None:
            buffer.write(text)
            if not self.echo:
                return len(text)
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


class FunctionRegistry:
    """Maps uploaded code locations to folders, loads handlers and invokes them in-process."""

    def __init__(self, log_dir: Path | None = None, echo_logs: bool = False) -> None:
        self._by_location: dict[tuple[str, str], FunctionCode] = {}
        self._modules: dict[tuple[Path, str], ModuleType] = {}
        self._lock = threading.RLock()
        self._captures: dict[int, io.StringIO] = {}
        self._log_dir = log_dir
        self._echo_logs = echo_logs
        self._saved_streams: tuple[TextIO, TextIO] | None = None

    # -- registry ---------------------------------------------------------------------------
    def register(self, bucket: str, key: str, code: FunctionCode) -> None:
        self._by_location[(bucket, key)] = code

    def lookup(self, code_spec: dict[str, Any]) -> FunctionCode | None:
        return self._by_location.get((code_spec.get("S3Bucket", ""), code_spec.get("S3Key", "")))

    def codes(self) -> list[FunctionCode]:
        return list(self._by_location.values())

    # -- stdout/stderr capture --------------------------------------------------------------
    def install_capture(self) -> None:
        if self._saved_streams is not None:
            return
        self._saved_streams = (sys.stdout, sys.stderr)
        sys.stdout = _CapturingStream(sys.stdout, self._captures, self._echo_logs)
        sys.stderr = _CapturingStream(sys.stderr, self._captures, self._echo_logs)

    def remove_capture(self) -> None:
        if self._saved_streams is None:
            return
        sys.stdout, sys.stderr = self._saved_streams
        self._saved_streams = None

    # -- invocation -------------------------------------------------------------------------
    def invoke(self, function: Any, code: FunctionCode, event: Any) -> tuple[str, bool, str]:
        """Run the handler; returns (payload JSON, errored, logs) like moto's `_invoke_lambda`."""
        with self._lock:
            context = LambdaContext(
                function_name=function.function_name,
                function_version=str(function.version),
                invoked_function_arn=function.function_arn,
                memory_limit_in_mb=int(function.memory_size),
                timeout_seconds=int(function.timeout),
                log_group_name=f"/aws/lambda/{function.function_name}",
            )
            buffer = io.StringIO()
            self._captures[threading.get_ident()] = buffer
            started = time.monotonic()
            try:
                with _lambda_environment(function, code), _on_sys_path(code):
                    payload, errored = self._call(code, event, context)
            finally:
                self._captures.pop(threading.get_ident(), None)
            elapsed_ms = (time.monotonic() - started) * 1000
            logs = (
                f"START RequestId: {context.aws_request_id} Version: {context.function_version}\n"
                f"{buffer.getvalue()}"
                f"END RequestId: {context.aws_request_id}\n"
                f"REPORT RequestId: {context.aws_request_id}\tDuration: {elapsed_ms:.2f} ms\n"
            )
            self._append_log_file(function.function_name, logs)
            return payload, errored, logs

    def _call(self, code: FunctionCode, event: Any, context: LambdaContext) -> tuple[str, bool]:
        try:
            handler = self._handler(code)
            result = handler(event, context)
        except Exception as error:  # noqa: BLE001 - the handler's failure is the invocation's result
            return _error_payload(type(error).__name__, str(error), error), True
        try:
            return json.dumps(result), False
        except (TypeError, ValueError) as error:
            return _error_payload("Runtime.MarshalError", f"Unable to marshal response: {error}", error), True

    def _handler(self, code: FunctionCode) -> Any:
        module_path, _, function_name = code.handler.rpartition(".")
        if not module_path or not function_name:
            raise HandlerNotFoundError(f"bad handler {code.handler!r} for {code.logical_id}")
        key = (code.code_dir, module_path)
        module = self._modules.get(key)
        if module is None:
            file = code.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
            if not file.is_file():
                raise HandlerNotFoundError(f"{code.logical_id}: no module {file}")
            unique = re.sub(r"\W", "_", f"localcloud_fn_{code.logical_id}_{module_path}")
            spec = importlib.util.spec_from_file_location(unique, file)
            if spec is None or spec.loader is None:
                raise HandlerNotFoundError(f"{code.logical_id}: cannot load {file}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique] = module
            spec.loader.exec_module(module)
            self._modules[key] = module
        handler = getattr(module, function_name, None)
        if not callable(handler):
            raise HandlerNotFoundError(f"{code.logical_id}: {code.handler} is not a function")
        return handler

    def _append_log_file(self, function_name: str, logs: str) -> None:
        if self._log_dir is None:
            return
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with (self._log_dir / f"{function_name}.log").open("a", encoding="utf-8") as handle:
            handle.write(logs)


def _error_payload(error_type: str, message: str, error: BaseException) -> str:
    trace = error.__traceback__
    # The first frame is the runtime's own call of the handler; Lambda shows the handler's frames.
    stack = traceback.format_tb(trace.tb_next if trace is not None and trace.tb_next else trace)
    return json.dumps({"errorType": error_type, "errorMessage": message, "stackTrace": stack})


@contextmanager
def _lambda_environment(function: Any, code: FunctionCode) -> Iterator[None]:
    saved = dict(os.environ)
    region = function.region
    os.environ.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "localcloud/[$LATEST]0",
            "LAMBDA_TASK_ROOT": str(code.code_dir),
            "_HANDLER": code.handler,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    os.environ.update({k: str(v) for k, v in (function.environment_vars or {}).items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _on_sys_path(code: FunctionCode) -> Iterator[None]:
    added = [str(p) for p in (code.code_dir, *code.layer_dirs) if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            if entry in sys.path:
                sys.path.remove(entry)
