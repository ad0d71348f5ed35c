"""`LocalCloud`: the whole stack on this machine, no AWS account, no Docker.

    with LocalCloud.start(template="template.yaml", output_dir=tmp) as cloud:
        cloud.invoke("ResolveModelFunction", event)
        cloud.clock.advance_to(datetime(2026, 11, 25, 2, tzinfo=UTC))
        cloud.wait_for_execution(arn)
        cloud.outbox.messages

Everything runs in this process on moto (pinned), extended by `localcloud.patches`. Only one
local cloud runs per process at a time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from localcloud import cfn_front, patches, patching, runtime
from localcloud.events import DeliveryError, EventRouter, Targets
from localcloud.faults import Faults, throttle_error_code
from localcloud.iam import enforcer as iam
from localcloud.iam import sfn_credentials
from localcloud.lambda_runtime import FunctionRegistry
from localcloud.outbox import Outbox
from localcloud.scheduler import Clock
from localcloud.stack import DeployedStack, StackDeployError, deploy, deploy_template
from localcloud.waiting import WaitTimeoutError, wait_until

LOG = logging.getLogger(__name__)

_NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
_TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class InvokeResult:
    """The outcome of one Lambda invocation."""

    payload: Any
    error_type: str | None
    error_message: str | None
    logs: str

    @property
    def ok(self) -> bool:
        return self.error_type is None


class UnsupportedTargetError(RuntimeError):
    """A schedule names a target kind the local cloud does not deliver to."""


class ExecutionTimeoutError(TimeoutError):
    """An execution was still RUNNING when the wait ended."""


class LocalCloud:
    """A running local cloud; make one with `LocalCloud.start(...)`."""

    def __init__(
        self,
        region: str,
        output_dir: Path,
        functions: FunctionRegistry,
        faults: Faults,
        outbox: Outbox,
        *,
        enforce_iam: bool = True,
    ) -> None:
        self.region = region
        self.output_dir = output_dir
        self.functions = functions
        self.faults = faults
        self.outbox = outbox
        self.account = ""
        self.stack: DeployedStack
        # Every stack deployed, in order; `stack` is the last one of this cloud's own account.
        self.stacks: list[DeployedStack] = []
        self.router: EventRouter
        self.clock: Clock
        self.sagemaker_jobs: Any = None
        self._server: Any = None
        self.endpoint_url: str | None = None
        self._clients = threading.local()
        self.iam = iam.Enforcer(region=region, enabled=enforce_iam)
        self._job_runners: dict[str, Any] = {}  # account -> its SageMaker job runner
        self._job_runner_wanted = False
        self.template_path = Path()
        if not enforce_iam:
            LOG.warning("IAM NOT ENFORCED: every call is allowed; each one AWS would deny is logged")

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def start(  # noqa: PLR0915 - one sequence, in the order it must run
        cls,
        template: str | Path | None = "template.yaml",
        *,
        parameters: dict[str, str] | None = None,
        region: str = "us-east-1",
        output_dir: str | Path | None = None,
        stack_name: str = "mlops-loop-local",
        now: datetime | None = None,
        echo_logs: bool = False,
        job_runner: bool = True,
        enforce_iam: bool = True,
    ) -> Iterator[LocalCloud]:
        """Stand the stack up from `template`; everything is gone when the block ends.

        template: None starts an empty cloud; `deploy(...)` then deploys stacks, into this cloud's
        account or into others (several accounts on one machine).
        parameters: template parameters; None reads samconfig.toml's `[single-account]` overrides
        (`stack.LOCAL_ENVIRONMENT`).
        output_dir: where notifications.jsonl and lambda-logs/ go (default: build/localcloud/<time>
        next to the template, or under the current folder). now: the scheduler clock's start
        (default: the current time). job_runner: attach the SageMaker job runner of
        `localcloud.sagemaker_jobs` when present. enforce_iam: IAM and resource policies decide every
        call (default). False is for debugging only: every call goes through, and each one that AWS
        would deny is logged as such.
        """
        from moto import mock_aws

        template_path = Path(template).resolve() if template is not None else None
        if template_path is not None and not template_path.is_file():
            raise FileNotFoundError(f"no template at {template_path}")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        base = template_path.parent if template_path is not None else Path.cwd()
        out = Path(output_dir) if output_dir else base / "build" / "localcloud" / stamp
        out.mkdir(parents=True, exist_ok=True)

        functions = FunctionRegistry(log_dir=out / "lambda-logs", echo_logs=echo_logs)
        faults = Faults()
        outbox = Outbox(out / "notifications.jsonl")
        cloud = cls(region, out, functions, faults, outbox, enforce_iam=enforce_iam)
        active = runtime.Runtime(functions=functions, faults=faults, outbox=outbox)
        runtime.activate(active)  # first: a second cloud in this process fails before patching
        # Every change to moto, botocore and boto3 from here on is undone as the cloud stops
        # (localcloud.patching): after it, they are as shipped, for whatever else the process runs.
        patching.open_scope()
        try:
            patches.apply_all()
        except BaseException:
            patching.close_scope()
            runtime.deactivate(active)
            raise
        saved_env = {k: os.environ.get(k) for k in _SESSION_ENV}
        mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        mock.start()
        os.environ.update(
            {
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_DEV": os.environ.get("POWERTOOLS_DEV", "false"),
            }
        )
        functions.install_capture()
        runtime.run_resets()  # a new cloud is a cold start for the host's caches too
        # moto's interpreter logs every caught task failure at ERROR with a dump of the state;
        # failures are ordinary flow here and the execution history has them.
        interpreter_log = logging.getLogger("moto.stepfunctions.parser")
        saved_level = interpreter_log.level
        interpreter_log.setLevel(logging.CRITICAL)
        unmark_logs = _mark_logs_iam_off() if not enforce_iam else None
        try:
            cloud.account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
            cloud._prepare_iam()
            active.account_of_key = cloud.iam.account_of_key
            cloud.router = EventRouter(cloud.account, region, faults, cloud._targets())
            active.router = cloud.router
            cloud._job_runner_wanted = job_runner
            if job_runner:
                cloud._attach_job_runner(cloud.account)
            cloud.clock = Clock(
                now or datetime.now(UTC), cloud.account, region, cloud._deliver_scheduled, cloud._send_sqs
            )
            if template_path is not None:
                cloud.deploy(template_path, parameters=parameters, stack_name=stack_name)
            else:
                cloud._enforce_iam()
            yield cloud
        finally:
            cloud._shutdown(active)
            if unmark_logs is not None:
                unmark_logs()
            functions.remove_capture()
            runtime.run_resets()
            interpreter_log.setLevel(saved_level)
            mock.stop()
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            patching.close_scope()

    # -- accounts and stacks -------------------------------------------------------------------
    def session(self, account: str | None = None) -> boto3.session.Session:
        """A boto3 session as the operator (an administrator) of `account` (default: this cloud's
        own account, the host's credentials)."""
        if account is None or account == self.account:
            return boto3.session.Session(region_name=self.region)
        credentials = self.iam.operator_credentials(account).client_kwargs()
        return boto3.session.Session(region_name=self.region, **credentials)

    def add_account(self, account: str) -> None:
        """Host another account: its operator's keys, its SageMaker jobs, its schedules. Idempotent."""
        if len(account) != 12 or not account.isdigit():
            raise ValueError(f"an AWS account id is 12 digits, not {account!r}")
        if account == self.account or account in self._job_runners or account in self.clock.other_accounts:
            return
        self.iam.operator_credentials(account)
        self.clock.other_accounts.append(account)
        if self._job_runner_wanted:
            self._attach_job_runner(account)

    @property
    def accounts(self) -> list[str]:
        return [self.account, *self.clock.other_accounts]

    def deploy(
        self,
        template: str | Path,
        *,
        parameters: dict[str, str] | None = None,
        stack_name: str = "mlops-loop-local",
        account: str | None = None,
    ) -> DeployedStack:
        """Deploy `template` into `account` (default: this cloud's) as that account's operator, as
        `sam deploy` with its credentials would; returns the stack. Deploying is CloudFormation's work:
        the emulator completes what moto's CloudFormation skips without deciding each call."""
        template_path = Path(template).resolve()
        if not template_path.is_file():
            raise FileNotFoundError(f"no template at {template_path}")
        stack = self._deploy_as_operator(
            account,
            lambda session: deploy(
                template_path, self.functions, parameters, self.region, stack_name, session=session
            ),
        )
        if stack.account == self.account:
            self.template_path = template_path
        return stack

    def deploy_packaged(
        self,
        template: dict[str, Any],
        parameters: dict[str, str],
        stack_name: str,
        account: str | None = None,
    ) -> DeployedStack:
        """Deploy a template whose code and definitions `sam package` put in S3 (what `sam deploy`
        sends to the served CloudFormation API, `localcloud.cfn_front`). The code is unpacked under
        the output directory and runs from there."""
        code_dir = self.output_dir / "deployed" / stack_name
        return self._deploy_as_operator(
            account,
            lambda session: deploy_template(
                template, code_dir, self.functions, parameters, self.region, stack_name, session
            ),
        )

    def _deploy_as_operator(
        self, account: str | None, run: Callable[[boto3.session.Session], DeployedStack]
    ) -> DeployedStack:
        account = account or self.account
        self.add_account(account)
        enforcer = iam.active()
        iam.deactivate()
        try:
            stack = run(self.session(account))
        finally:
            if enforcer is not None:
                iam.activate(enforcer)
        self.stacks.append(stack)
        self.router.function_dead_letter_queues.update(stack.function_dead_letter_queues)
        self.router.function_async_retries.update(stack.function_async_retries)
        self.router.function_on_failure.update(stack.function_on_failure)
        if stack.account == self.account:
            self.stack = stack
        self._enforce_iam()
        return stack

    def _attach_job_runner(self, account: str) -> None:
        """The SageMaker job runner of `account`: its jobs run, its registry's events reach its bus."""
        try:
            from localcloud.sagemaker_jobs import JobRunner
        except ImportError as error:
            LOG.info("no SageMaker job runner attached: %s", error)
            return
        internal = self.iam.internal_credentials(account).client_kwargs()
        runner = JobRunner(
            emit=self._emit_from_jobs,
            faults=self.faults,
            region=self.region,
            account=account,
            # The runner's own reads of job and model descriptions are SageMaker's, not a caller's.
            client_factory=lambda service: boto3.session.Session(**internal).client(
                service, region_name=self.region
            ),
            role_credentials=lambda role: self.iam.credentials_for_role(role, "SageMaker").client_kwargs(),
        )
        runner.install()
        runner.start()
        self._job_runners[account] = runner
        if account == self.account:
            self.sagemaker_jobs = runner

    def wait_jobs_idle(self, timeout: float = 60.0) -> bool:
        """Every account's job runner has handled every queued job and event."""
        deadline = time.monotonic() + timeout
        return all(r.wait_idle(max(0.0, deadline - time.monotonic())) for r in self._job_runners.values())

    def wait_quiescent(self, timeout: float = 120.0) -> None:
        """Wait until nothing is happening: no execution RUNNING, every job runner idle, no event being
        routed, and the counts of executions, events and notifications unchanged over one more such
        check. All work is tracked (the router counts its routes, and an execution counts as one from
        before its end until its status event is routed), so no quiet period is slept: after this,
        counting what happened is exact. Raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout

        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the local cloud was still busy after {timeout}s")
            return left

        sfn = self.client("stepfunctions")

        def executions(machine: str, **status: str) -> list[dict[str, Any]]:
            pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, **status)
            return [e for page in pages for e in page["executions"]]

        previous: tuple[int, int, int] | None = None
        while True:
            if not self.router.wait_idle(remaining()) or not self.wait_jobs_idle(remaining()):
                remaining()
                continue
            machines = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
            running = [e["executionArn"] for arn in machines for e in executions(arn, statusFilter="RUNNING")]
            for execution_arn in running:
                self.wait_for_execution(execution_arn, timeout=remaining())
            started = sum(len(executions(arn)) for arn in machines)
            seen = (started, len(self.router.emitted), len(self.outbox.messages))
            if not running and seen == previous:
                return
            previous = seen

    def _prepare_iam(self) -> None:
        """Principals before anything runs; enforcement starts once the stack is deployed."""
        # The host's credentials (fresh from the environment, and any the default session cached)
        # are the operator's: an administrator of the account, as a developer's own would be.
        for session in (boto3.session.Session(), boto3.DEFAULT_SESSION):
            host_credentials = session.get_credentials() if session is not None else None
            if host_credentials is not None:
                self.iam.register_operator(host_credentials.access_key, self.account)
        self.functions.role_credentials = self._function_credentials
        sfn_credentials.install()

    def _enforce_iam(self) -> None:
        from localcloud.iam.deliveries import DeliveryAuthorizer

        for stack in self.stacks:
            self.iam.bucket_policies.update(stack.bucket_policies)
            self.iam.group_policies.update(stack.group_policies)
        if self.router.authorizer is None:
            authorizer = DeliveryAuthorizer(self.iam, self.account, self._function_role)
            self.router.authorizer = authorizer
            self.clock.authorizer = authorizer
        iam.activate(self.iam)
        if self.stacks:
            self._check_state_machine_roles(self.stacks[-1])

    def _check_state_machine_roles(self, stack: DeployedStack) -> None:
        """CloudFormation's CreateStateMachine is refused when the role may not manage the `.sync`
        rules (localcloud.iam.managed_rules): the stack would not deploy."""
        from localcloud.iam import managed_rules

        sfn = self.client("stepfunctions", account=stack.account)
        for logical_id, arn in stack.state_machines.items():
            described = sfn.describe_state_machine(stateMachineArn=arn)
            decision = managed_rules.denial(
                self.iam, described["roleArn"], described["definition"], self.region, stack.account
            )
            if decision is not None and self.iam.enabled:
                raise StackDeployError(
                    f"{logical_id}: CreateStateMachine: AccessDeniedException: "
                    f"{managed_rules.message(described['roleArn'])} ({decision.message()})"
                )

    def _function_role(self, function: str) -> str | None:
        from moto.awslambda.models import lambda_backends

        try:
            return str(lambda_backends[self._account_of(function)][self.region].get_function(function).role)
        except Exception:  # noqa: BLE001 - no such function: no role
            return None

    def write_iam_log(self) -> Path:
        """This cloud's decisions and its roles' grants, for `python -m localcloud iam-report`."""
        from localcloud.iam.report import LOG_NAME, grant_reasons

        # The grants of every stack's roles (each account's), their kept ones' reasons read from the
        # stack's own template; roles made outside a stack are reported by their ARN.
        if not self.stacks:
            return self.output_dir / LOG_NAME
        roles: dict[str, str] = {}
        reasons: dict[str, dict[str, str]] = {}
        for stack in self.stacks:
            roles.update(
                {name.rsplit("/", 1)[-1]: lid for lid, name in stack.of_type("AWS::IAM::Role").items()}
            )
            for role, written in grant_reasons(stack.template).items():
                reasons.setdefault(role, {}).update(written)
        log = {**self.iam.log(roles, reasons), "template": str(self.template_path)}
        text = json.dumps(log, indent=1, sort_keys=True)
        path = self.output_dir / LOG_NAME
        path.write_text(text, encoding="utf-8")
        # A test suite collects every cloud's log in one folder for the report (make test).
        collect = os.environ.get("LOCALCLOUD_IAM_LOG_DIR")
        if collect:
            copy = Path(collect) / uuid.uuid4().hex / LOG_NAME
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(text, encoding="utf-8")
        return path

    def _function_credentials(self, role_arn: str, function_name: str) -> dict[str, str]:
        return self.iam.credentials_for_role(role_arn, function_name).as_environment()

    def _emit_from_jobs(self, event: dict[str, Any]) -> None:
        self.router.emit(event)

    def _shutdown(self, active: runtime.Runtime) -> None:
        if iam.active() is self.iam:
            with contextlib.suppress(Exception):
                self.write_iam_log()
        iam.deactivate()
        self.functions.role_credentials = None
        for runner in self._job_runners.values():
            with contextlib.suppress(Exception):
                runner.stop()
            with contextlib.suppress(Exception):
                runner.uninstall()
        if self._server is not None:
            cfn_front.detach(self)
            self._server.stop()
            self._server = None
        runtime.deactivate(active)
        # Executions still running would go on calling APIs after the mock ends: abort them.
        with contextlib.suppress(Exception):
            self._abort_running_executions()

    def _abort_running_executions(self) -> None:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        for account in self.accounts:
            backend = stepfunctions_parser_backends[account][self.region]
            for machine in backend.state_machines:
                for execution in list(getattr(machine, "executions", [])):
                    if getattr(execution, "exec_status", None) == "RUNNING":  # a str enum
                        with contextlib.suppress(Exception):
                            backend.stop_execution(execution.exec_arn)

    # -- clients -------------------------------------------------------------------------------
    def client(self, service: str, account: str | None = None) -> Any:
        """A boto3 client on the local cloud (in-process; no retries, so faults show), as the
        operator of `account` (default: this cloud's own, the host's credentials). One per service,
        account and thread, made on first use (making one takes tens of milliseconds)."""
        cache: dict[tuple[str, str | None], Any] = self._clients.__dict__.setdefault("by_service", {})
        key = (service, None if account == self.account else account)
        if key not in cache:
            if key[1] is None:
                cache[key] = boto3.client(service, region_name=self.region, config=_NO_RETRIES)
            else:
                cache[key] = self.session(account).client(service, config=_NO_RETRIES)
        return cache[key]

    @contextlib.contextmanager
    def acting_as(self, account: str) -> Iterator[None]:
        """Code in the block that makes its own boto3 sessions (a command-line tool's code, as
        `sample.seed`) runs with `account`'s operator credentials, on this thread only."""
        from localcloud.lambda_runtime import thread_credentials

        with thread_credentials(self.iam.operator_credentials(account).as_environment()):
            yield

    def _account_of(self, arn: str) -> str:
        parts = arn.split(":")
        return parts[4] if arn.startswith("arn:") and len(parts) > 5 and parts[4] else self.account

    # -- Lambda --------------------------------------------------------------------------------
    def function_name(self, logical_id_or_name: str) -> str:
        return self.stack.functions.get(logical_id_or_name, logical_id_or_name)

    def invoke(self, logical_id_or_name: str, event: Any) -> InvokeResult:
        """Invoke a function (logical id or name) synchronously with `event`, like `sam local invoke`."""
        import base64

        response = self.client("lambda").invoke(
            FunctionName=self.function_name(logical_id_or_name),
            Payload=json.dumps(event).encode(),
            LogType="Tail",
        )
        raw = response["Payload"].read().decode()
        payload = json.loads(raw) if raw else None
        logs = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
        if response.get("FunctionError"):
            body = payload if isinstance(payload, dict) else {}
            return InvokeResult(payload, body.get("errorType", "Unhandled"), body.get("errorMessage"), logs)
        return InvokeResult(payload, None, None, logs)

    # -- events --------------------------------------------------------------------------------
    def emit(self, event: dict[str, Any]) -> dict[str, Any]:
        """Put an AWS-service event on the default bus (SageMaker, Step Functions state changes)."""
        return self.router.emit(event)

    # -- Step Functions ------------------------------------------------------------------------
    def start_execution(self, state_machine: str, payload: Any, name: str | None = None) -> str:
        """Start an execution of a state machine (logical id or ARN); returns its ARN."""
        arn = self.stack.state_machines.get(state_machine, state_machine)
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=arn, name=name or str(uuid.uuid4()), input=json.dumps(payload)
        )
        return str(response["executionArn"])

    def wait_for_execution(
        self, execution_arn: str, timeout: float = 60.0, poll: float = 0.05
    ) -> dict[str, Any]:
        """Poll until the execution leaves RUNNING; returns describe_execution's answer."""
        sfn = self.client("stepfunctions")
        last: dict[str, Any] = {}

        def ended() -> dict[str, Any] | None:
            last.update(sfn.describe_execution(executionArn=execution_arn))
            last.pop("ResponseMetadata", None)
            return dict(last) if last["status"] in _TERMINAL else None

        try:
            return wait_until(ended, timeout, f"execution {execution_arn} to end", poll=poll)
        except WaitTimeoutError:
            raise ExecutionTimeoutError(f"{execution_arn} still {last['status']} after {timeout}s") from None

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events

    def executions(self, state_machine: str) -> list[dict[str, Any]]:
        arn = self.stack.state_machines.get(state_machine, state_machine)
        sfn = self.client("stepfunctions")
        found: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
            found.extend(page["executions"])
        return found

    # -- serve ---------------------------------------------------------------------------------
    def serve(self, port: int = 0) -> str:
        """Serve the AWS APIs of this cloud on 127.0.0.1 (same backends); returns the endpoint URL."""
        if self._server is None:
            from moto.moto_server.threaded_moto_server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            host, bound = server.get_host_and_port()
            self._server = server
            self.endpoint_url = f"http://{host}:{bound}"
            cfn_front.attach(self)  # `sam deploy` pointed here deploys into this cloud
        assert self.endpoint_url is not None
        return self.endpoint_url

    # -- targets (router and scheduler) --------------------------------------------------------
    def _targets(self) -> Targets:
        return Targets(
            invoke_lambda=self._invoke_lambda_arn,
            start_execution=self._start_execution_arn,
            publish_sns=self._publish_sns,
            send_sqs=self._send_sqs,
        )

    def _invoke_lambda_arn(self, arn: str, payload: Any) -> tuple[str, bool]:
        from moto.awslambda.models import lambda_backends

        function = lambda_backends[self._account_of(arn)][self.region].get_function(arn)
        result, errored, _logs = function._invoke_lambda(event=payload)
        return result, errored

    def _start_execution_arn(self, arn: str, payload: str) -> str:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[self._account_of(arn)][self.region]
        execution = backend.start_execution(arn, name=str(uuid.uuid4()), execution_input=payload)
        return str(execution.exec_arn)

    def _publish_sns(self, arn: str, message: str, subject: str | None) -> str:
        from moto.sns.models import sns_backends

        backend = sns_backends[self._account_of(arn)][self.region]
        return str(backend.publish(message, arn=arn, subject=subject))

    def _send_sqs(self, arn: str, body: str, attributes: dict[str, Any] | None) -> None:
        from moto.sqs.models import sqs_backends

        queue_name = arn.rsplit(":", 1)[-1]
        message_attributes = {
            key: {"DataType": "String", "StringValue": str(value)}
            for key, value in (attributes or {}).items()
        }
        sqs_backends[self._account_of(arn)][self.region].send_message(
            queue_name=queue_name, message_body=body, message_attributes=message_attributes or None
        )

    def _deliver_scheduled(self, target_arn: str, payload: str) -> str | None:
        service = target_arn.split(":")[2]
        if service == "lambda":
            if self.faults.take_throttle("lambda", "Invoke"):
                raise DeliveryError(throttle_error_code("lambda"), "lambda Invoke throttled (injected fault)")
            error_type = self.router.invoke_async(target_arn, json.loads(payload))
            return f"function error {error_type}" if error_type else None
        if service == "states":
            if self.faults.take_throttle("stepfunctions", "StartExecution"):
                raise DeliveryError("ThrottlingException", "states StartExecution throttled (injected fault)")
            return self._start_execution_arn(target_arn, payload)
        raise UnsupportedTargetError(
            f"the local scheduler delivers to Lambda and Step Functions targets, not to {target_arn}"
        )


_SESSION_ENV = ("AWS_DEFAULT_REGION", "AWS_REGION", "POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_DEV")


IAM_OFF_MARK = "[IAM NOT ENFORCED] "


def _mark_logs_iam_off() -> Callable[[], None]:
    """While IAM is switched off, every log record of the process (the cloud's, the handlers'
    Powertools JSON, moto's) starts with IAM_OFF_MARK, so no log of a debugging run can pass for an
    enforced one. Returns what restores the previous record factory."""
    previous = logging.getLogRecordFactory()

    def marked(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if isinstance(record.msg, str) and not record.msg.startswith(IAM_OFF_MARK):
            record.msg = IAM_OFF_MARK + record.msg
        return record

    logging.setLogRecordFactory(marked)
    return lambda: logging.setLogRecordFactory(previous)
