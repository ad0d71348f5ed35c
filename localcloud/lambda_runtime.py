"""Run a Lambda function's real handler in this process, as the Lambda runtime would.

The handler comes from the function's CodeUri folder (recorded when the stack is deployed, keyed
by the S3 location of the uploaded code), the environment is the function's (from the template)
plus the variables the Lambda runtime sets, and the context is a small stand-in of LambdaContext.
Invocations are serialised: environment variables are process-wide.

Each function has its own modules, as each has its own process in AWS. The packages of the
stack's code and layer folders (`app`, `mlops_loop`, `dataquality`, ...) are imported afresh for
each function, with its environment set, and kept apart: while a function runs, `sys.modules`
holds *its* copies of them (the host's are put back when it returns), so module-level singletons
(Powertools' Logger and Metrics, cached settings and clients) and imports made at run time are
the function's own. Libraries from the environment (boto3, msgspec, Powertools, numpy) are shared.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from localcloud import patching


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


@dataclass
class _Capture:
    buffer: io.StringIO
    echo: bool


# The capture of each thread that is inside an invocation, one table for the whole process. A
# stream installed by an earlier local cloud lives on in `logging` handlers: Powertools' Logger
# reuses the configured `logging` logger of its service name, whose handler holds the sys.stdout
# of the day. Routing through one table sends such a handler's lines to the invocation all the same.
_CAPTURES: dict[int, _Capture] = {}


class _CapturingStream(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: writes to the capture of the thread, or through."""

    def __init__(self, target: TextIO, fallback: TextIO | None) -> None:
        self._target = target
        self._fallback = fallback

    @property
    def target(self) -> TextIO:
        """Where lines outside an invocation go: the stream this one stood in for or, once that is
        closed (a test's capture ends while a `logging` handler or a later cloud still holds this
        stream), the process's own stream, so nothing is written to a closed file."""
        if getattr(self._target, "closed", False) and self._fallback is not None:
            return self._fallback
        return self._target

    def write(self, text: str) -> int:
        capture = _CAPTURES.get(threading.get_ident())
        if capture is not None:
            capture.buffer.write(text)
            if not capture.echo:
                return len(text)
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


@dataclass
class _FunctionModules:
    """One function's execution environment: its own modules and its loaded handler."""

    modules: dict[str, ModuleType] = field(default_factory=dict)
    handler: Callable[[Any, Any], Any] | None = None
    # Powertools' cold-start flags as this function last left them (absent: never invoked).
    cold_start: dict[str, bool] = field(default_factory=dict)
    # boto3's default session of this function (`boto3.client(...)` caches credentials in it).
    boto3_session: Any = None


class FunctionRegistry:
    """Maps uploaded code locations to folders, loads handlers and invokes them in-process."""

    def __init__(self, log_dir: Path | None = None, echo_logs: bool = False) -> None:
        # role ARN + function name -> AWS_ACCESS_KEY_ID etc., as Lambda hands a function its role's
        # session (the local cloud's IAM knows the caller by them); None: the host's credentials.
        self.role_credentials: Callable[[str, str], dict[str, str]] | None = None
        self._by_location: dict[tuple[str, str], FunctionCode] = {}
        self._environments: dict[str, _FunctionModules] = {}
        self._owned: frozenset[str] | None = None
        self._lock = threading.RLock()
        self._log_dir = log_dir
        self._echo_logs = echo_logs
        self._saved_streams: tuple[TextIO, TextIO] | None = None

    # -- registry ---------------------------------------------------------------------------
    def register(self, bucket: str, key: str, code: FunctionCode) -> None:
        self._by_location[(bucket, key)] = code
        self._owned = None

    def owned_packages(self) -> frozenset[str]:
        """Top-level modules of every registered code and layer folder: each function's own."""
        if self._owned is None:
            folders = {
                folder for code in self._by_location.values() for folder in (code.code_dir, *code.layer_dirs)
            }
            self._owned = frozenset(name for folder in folders for name in _top_level_modules(folder))
        return self._owned

    def lookup(self, code_spec: dict[str, Any]) -> FunctionCode | None:
        return self._by_location.get((code_spec.get("S3Bucket", ""), code_spec.get("S3Key", "")))

    def codes(self) -> list[FunctionCode]:
        return list(self._by_location.values())

    # -- stdout/stderr capture --------------------------------------------------------------
    def install_capture(self) -> None:
        if self._saved_streams is not None:
            return
        self._saved_streams = (sys.stdout, sys.stderr)
        sys.stdout = _CapturingStream(sys.stdout, sys.__stdout__)
        sys.stderr = _CapturingStream(sys.stderr, sys.__stderr__)

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
            thread = threading.get_ident()
            outer = _CAPTURES.get(thread)  # an invocation made synchronously from a handler
            _CAPTURES[thread] = _Capture(buffer, self._echo_logs)
            environment = self._environments.setdefault(function.function_arn, _FunctionModules())
            started = time.monotonic()
            try:
                with (
                    _capturing_std_streams(),
                    _lambda_environment(function, code),
                    _role_credentials(self._credentials(function)),
                    _own_boto3_session(environment),
                    _on_sys_path(code),
                    _own_modules(environment, self.owned_packages()),
                    _own_cold_start(environment),
                ):
                    payload, errored = self._call(code, environment, event, context)
            finally:
                if outer is None:
                    _CAPTURES.pop(thread, None)
                else:
                    _CAPTURES[thread] = outer
            elapsed_ms = (time.monotonic() - started) * 1000
            logs = (
                f"START RequestId: {context.aws_request_id} Version: {context.function_version}\n"
                f"{buffer.getvalue()}"
                f"END RequestId: {context.aws_request_id}\n"
                f"REPORT RequestId: {context.aws_request_id}\tDuration: {elapsed_ms:.2f} ms\n"
            )
            self._append_log_file(function.function_name, logs)
            return payload, errored, logs

    def _credentials(self, function: Any) -> dict[str, str]:
        if self.role_credentials is None or not getattr(function, "role", None):
            return {}
        return self.role_credentials(str(function.role), str(function.function_name))

    def _call(
        self, code: FunctionCode, environment: _FunctionModules, event: Any, context: LambdaContext
    ) -> tuple[str, bool]:
        try:
            if environment.handler is None:
                environment.handler = _load_handler(code)  # the init phase, once per environment
            result = environment.handler(event, context)
        except Exception as error:  # noqa: BLE001 - the handler's failure is the invocation's result
            return _error_payload(type(error).__name__, str(error), error), True
        try:
            return json.dumps(result), False
        except (TypeError, ValueError) as error:
            return _error_payload("Runtime.MarshalError", f"Unable to marshal response: {error}", error), True

    def _append_log_file(self, function_name: str, logs: str) -> None:
        if self._log_dir is None:
            return
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with (self._log_dir / f"{function_name}.log").open("a", encoding="utf-8") as handle:
            handle.write(logs)


def _load_handler(code: FunctionCode) -> Callable[[Any, Any], Any]:
    """Import the handler's module by its name from the code folder (first on sys.path)."""
    module_path, _, function_name = code.handler.rpartition(".")
    if not module_path or not function_name:
        raise HandlerNotFoundError(f"bad handler {code.handler!r} for {code.logical_id}")
    file = code.code_dir.joinpath(*module_path.split("."))
    if not file.with_suffix(".py").is_file() and not (file / "__init__.py").is_file():
        raise HandlerNotFoundError(f"{code.logical_id}: no module {file.with_suffix('.py')}")
    module = importlib.import_module(module_path)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise HandlerNotFoundError(f"{code.logical_id}: {code.handler} is not a function")
    return handler


def _top_level_modules(folder: Path) -> set[str]:
    """What `import NAME` finds in a code or layer folder: packages and modules."""
    if not folder.is_dir():
        return set()
    names = set()
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name.isidentifier() and entry.name != "__pycache__":
            names.add(entry.name)
        elif entry.suffix == ".py" and entry.stem.isidentifier() and entry.stem != "__init__":
            names.add(entry.stem)
    return names


def _snapshot_modules() -> dict[str, ModuleType]:
    while True:
        try:
            return dict(sys.modules)
        except RuntimeError:  # another thread imported something meanwhile
            continue


@contextmanager
def _own_modules(environment: _FunctionModules, owned: frozenset[str]) -> Iterator[None]:
    """While the block runs, `sys.modules` holds the function's copies of the `owned` packages.

    The host's entries of those packages are taken out and put back afterwards; whatever the
    function imported of them (at init or at run time) is kept for its next invocation. Threads of
    the host that import one of these packages while a function runs get the function's copy.
    """

    def mine(name: str) -> bool:
        return name.partition(".")[0] in owned

    host = {name: module for name, module in _snapshot_modules().items() if mine(name)}
    for name in host:
        sys.modules.pop(name, None)
    sys.modules.update(environment.modules)
    try:
        yield
    finally:
        environment.modules = {name: module for name, module in _snapshot_modules().items() if mine(name)}
        for name in environment.modules:
            sys.modules.pop(name, None)
        sys.modules.update(host)


# Module globals in which Powertools remembers that the process had its first invocation (Logger's
# `cold_start` key, Metrics' ColdStart metric, Tracer's annotation). Powertools is shared by every
# function here, so each function gets its own values while it runs.
POWERTOOLS_COLD_START_FLAGS = (
    "aws_lambda_powertools.logging.logger",
    "aws_lambda_powertools.metrics.provider.cold_start",
    "aws_lambda_powertools.metrics.base",
    "aws_lambda_powertools.tracing.tracer",
)


@contextmanager
def _own_cold_start(environment: _FunctionModules) -> Iterator[None]:
    """Powertools sees this function's own cold start: True on its first invocation, then False."""

    def loaded() -> list[Any]:  # modules; Any, since `is_cold_start` is set at run time
        return [
            module
            for name in POWERTOOLS_COLD_START_FLAGS
            if (module := sys.modules.get(name)) is not None and hasattr(module, "is_cold_start")
        ]

    host = {module.__name__: module.is_cold_start for module in loaded()}
    for module in loaded():
        module.is_cold_start = environment.cold_start.get(module.__name__, True)
    try:
        yield
    finally:
        for module in loaded():  # including what the function imported for the first time
            environment.cold_start[module.__name__] = module.is_cold_start
            module.is_cold_start = host.get(module.__name__, True)


@contextmanager
def _capturing_std_streams() -> Iterator[None]:
    """sys.stdout/sys.stderr are capturing streams while a handler runs.

    Something else may have replaced the streams since the cloud started (pytest does, per test);
    a `logging` handler a function creates at init binds to the stream of that moment, so it must
    be ours, which routes by thread to the invocation's capture.
    """
    saved = (sys.stdout, sys.stderr)
    if not isinstance(sys.stdout, _CapturingStream):
        sys.stdout = _CapturingStream(sys.stdout, sys.__stdout__)
    if not isinstance(sys.stderr, _CapturingStream):
        sys.stderr = _CapturingStream(sys.stderr, sys.__stderr__)
    ours = (sys.stdout, sys.stderr)
    try:
        yield
    finally:
        # Only where ours are still in place: an invocation on another thread, or the host (a test's
        # capture), may have set a stream since, and the one saved here may be closed by now.
        if sys.stdout is ours[0]:
            sys.stdout = saved[0]
        if sys.stderr is ours[1]:
            sys.stderr = saved[1]


def _error_payload(error_type: str, message: str, error: BaseException) -> str:
    trace = error.__traceback__
    # The first frame is the runtime's own call of the handler; Lambda shows the handler's frames.
    stack = traceback.format_tb(trace.tb_next if trace is not None and trace.tb_next else trace)
    return json.dumps({"errorType": error_type, "errorMessage": message, "stackTrace": stack})


# os.environ is the process's: switching it for an invocation (update, then clear and restore)
# while another thread iterates it raises KeyError there. botocore iterates it whenever a client
# is created (its proxy lookup, urllib's getproxies_environment), and clients are created on many
# threads (executions, job and pipeline runners, other invocations): both hold this lock.
ENVIRON_LOCK = threading.RLock()


def _install_environ_guard() -> None:
    import botocore.endpoint

    original = botocore.endpoint.get_environ_proxies
    if getattr(original, "_localcloud", False):
        return

    def get_environ_proxies(url: str) -> Any:
        with ENVIRON_LOCK:
            return original(url)

    get_environ_proxies._localcloud = True  # type: ignore[attr-defined]
    patching.replace(botocore.endpoint, "get_environ_proxies", get_environ_proxies)


@contextmanager
def _lambda_environment(function: Any, code: FunctionCode) -> Iterator[None]:
    _install_environ_guard()
    with ENVIRON_LOCK:
        saved = dict(os.environ)
        _switch_to_function(function, code)
    try:
        yield
    finally:
        with ENVIRON_LOCK:
            os.environ.clear()
            os.environ.update(saved)


def _switch_to_function(function: Any, code: FunctionCode) -> None:
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


_INVOCATION_CREDENTIALS = threading.local()


@contextmanager
def _role_credentials(credentials: dict[str, str]) -> Iterator[None]:
    """The function's role session, as Lambda gives it in AWS_ACCESS_KEY_ID/_SECRET_/SESSION_TOKEN.

    Other threads (executions, the job runner, the test itself) call AWS at the same time and
    `os.environ` is the process's, so the credentials are the invoking thread's: botocore's
    environment provider reads them from here first (`_install_env_credentials`)."""
    if not credentials:
        yield
        return
    _install_env_credentials()
    saved = getattr(_INVOCATION_CREDENTIALS, "value", None)
    _INVOCATION_CREDENTIALS.value = credentials
    try:
        yield
    finally:
        _INVOCATION_CREDENTIALS.value = saved


def thread_credentials(credentials: dict[str, str]) -> contextlib.AbstractContextManager[None]:
    """The credentials botocore's environment provider finds on this thread inside the block
    (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), other threads unaffected."""
    return _role_credentials(credentials)


def _install_env_credentials() -> None:
    from botocore.credentials import Credentials, EnvProvider

    if getattr(EnvProvider.load, "_localcloud", False):
        return
    original = EnvProvider.load

    def load(self: Any) -> Any:
        values = getattr(_INVOCATION_CREDENTIALS, "value", None)
        if values:
            return Credentials(
                values["AWS_ACCESS_KEY_ID"],
                values["AWS_SECRET_ACCESS_KEY"],
                values["AWS_SESSION_TOKEN"],
                method="env",
            )
        return original(self)

    load._localcloud = True  # type: ignore[attr-defined]
    patching.replace(EnvProvider, "load", load)


_INVOCATION_SESSION = threading.local()


@contextmanager
def _own_boto3_session(environment: _FunctionModules) -> Iterator[None]:
    """`boto3.client(...)` in the handler uses the function's own default session (its credentials
    were resolved in its process), while other threads keep theirs: boto3's default-session lookup
    is answered per thread (`_install_default_session`)."""
    _install_default_session()
    saved = getattr(_INVOCATION_SESSION, "environment", None)
    _INVOCATION_SESSION.environment = environment
    try:
        yield
    finally:
        _INVOCATION_SESSION.environment = saved


def _install_default_session() -> None:
    import boto3

    if getattr(boto3._get_default_session, "_localcloud", False):
        return
    original = boto3._get_default_session

    def _get_default_session() -> Any:
        environment = getattr(_INVOCATION_SESSION, "environment", None)
        if environment is None:
            return original()
        if environment.boto3_session is None:
            environment.boto3_session = boto3.session.Session()
        return environment.boto3_session

    _get_default_session._localcloud = True  # type: ignore[attr-defined]
    patching.replace(boto3, "_get_default_session", _get_default_session)


@contextmanager
def _on_sys_path(code: FunctionCode) -> Iterator[None]:
    """The code folder, then the layers, first on sys.path (as /var/task and /opt/python)."""
    added = [str(p) for p in (code.code_dir, *code.layer_dirs)]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            if entry in sys.path:
                sys.path.remove(entry)  # the first occurrence: the one added here
