"""Changes to moto 5.2.5's behaviour, made from outside moto, each small and named.

`apply_all()` applies them once (idempotent). Each one acts on the local cloud only while one is
active (`localcloud.runtime`), except where moto's shipped behaviour is simply wrong for every
use (`$.List[0].Field`, JSONata missing, aws-sdk error names, `GetAtt StateMachine.Arn`, a Model
Registry ARN or a KMS key ARN served by another account than its owner's, no ModelPackageGroup in
CloudFormation)
and where the same work is only done once instead of many times (a JSON template read as JSON, an
ASL definition's syntax tree; botocore's data files, while a cloud is active).
moto's internals are private: `tests/localcloud/test_patches.py` has one test per patch (those
for several accounts are in `tests/localcloud/test_accounts.py`), so an upgrade that moves one of
these points fails loudly there.
"""

from __future__ import annotations

import gc
import importlib
import json
import pkgutil
import re
import sys
import threading
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

from localcloud import runtime
from localcloud.patching import on_close, replace

_lock = threading.Lock()
_applied: dict[str, bool] = {}


def _once(name: str, apply: Callable[[], None]) -> None:
    with _lock:
        if _applied.get(name):
            return
        apply()
        _applied[name] = True
        on_close(lambda: _forget(name))  # undone with its scope: may be applied again


def _forget(name: str) -> None:
    with _lock:
        _applied.pop(name, None)


def applied() -> list[str]:
    return sorted(name for name, done in _applied.items() if done)


# (a) -------------------------------------------------------------------------------------------
def patch_sagemaker_sync_integration() -> None:
    """`arn:aws:states:::sagemaker:*` (request-response and `.sync`) in moto's interpreter."""

    def apply() -> None:
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

        from localcloud.sfn_sagemaker import StateTaskServiceSageMaker

        original = state_task_factory.state_task_service_for

        def state_task_service_for(service_name: str) -> Any:
            if service_name == "sagemaker":
                return StateTaskServiceSageMaker()
            return original(service_name=service_name)

        replace(state_task_factory, "state_task_service_for", state_task_service_for)

    _once("sagemaker_sync_integration", apply)


# (b) -------------------------------------------------------------------------------------------
def patch_in_process_lambda() -> None:
    """Lambda invocations run the function's real handler in this process (no Docker)."""

    def apply() -> None:
        from moto.awslambda.models import LambdaFunction

        original = LambdaFunction._invoke_lambda

        def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
            active = runtime.current()
            if active is None:
                return original(self, event)
            code = active.functions.lookup(self.code or {})
            if code is None:
                payload = json.dumps(
                    {
                        "errorType": "LocalCloud.NoCode",
                        "errorMessage": f"no local code recorded for function {self.function_name}",
                        "stackTrace": [],
                    }
                )
                return payload, True, ""
            return active.functions.invoke(self, code, {} if event is None else event)

        replace(LambdaFunction, "_invoke_lambda", _invoke_lambda)

    _once("in_process_lambda", apply)


# (c) -------------------------------------------------------------------------------------------
def _jsonata_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonata_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonata_value(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def patch_jsonata() -> None:
    """JSONata expressions (`{% ... %}`, QueryLanguage JSONata) evaluated by jsonata-python."""

    def apply() -> None:
        import jsonata
        from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

        def eval_jsonata(expression: str) -> Any:
            try:
                result = jsonata.Jsonata(expression).evaluate(None)
            except Exception as error:  # surfaced as States.QueryEvaluationError by moto
                raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from error
            return _jsonata_value(result)

        replace(moto_jsonata, "_eval_jsonata", eval_jsonata)

    _once("jsonata", apply)


# (d) -------------------------------------------------------------------------------------------
_INDEFINITE = re.compile(r"\*|\.\.|\[\?|\[[^\]]*[:,][^\]]*\]")


def fixed_extract_json(path: str, data: Any) -> Any:
    """JSONPath as Step Functions reads it: a definite path gives its value, an indefinite one
    (wildcard, slice, filter, union, deep scan) a list. moto gives `$.List[0].Field` as a list."""
    from jsonpath_ng.ext import parse
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    matches = parse(path).find(data)
    indefinite = bool(_INDEFINITE.search(path))
    if not matches:
        if indefinite:
            return []
        raise NoSuchJsonPathError(json_path=path, data=data)
    if indefinite:
        return [match.value for match in matches]
    return matches[0].value


def patch_jsonpath_list_index() -> None:
    """`$.List[0].Field` gives the field's value (moto 5.2.5 gives a one-element list)."""

    def apply() -> None:
        import moto.stepfunctions.parser as parser_package
        from moto.stepfunctions.parser.asl.utils import json_path

        original = json_path.extract_json
        # Every module of the interpreter that imported the function by name gets the fixed one.
        for info in pkgutil.walk_packages(parser_package.__path__, parser_package.__name__ + "."):
            if ".test_state" in info.name or info.name.endswith("provider"):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:  # noqa: BLE001, S112 - a module moto never imports on its own
                continue
        for module in list(sys.modules.values()):
            name = getattr(module, "__name__", "")
            if (
                name.startswith("moto.stepfunctions.parser")
                and getattr(module, "extract_json", None) is original
            ):
                replace(module, "extract_json", fixed_extract_json)

    _once("jsonpath_list_index", apply)


# (e) -------------------------------------------------------------------------------------------
def patch_cloudformation_state_machines() -> None:
    """State machines made by CloudFormation land where executions read them, and have `Arn`."""

    def apply() -> None:
        # Imported first: it takes `stepfunctions_backends` by name at import, and must keep moto's
        # own (plain moto after the cloud keeps executions RUNNING, as shipped).
        import moto.stepfunctions.responses  # noqa: F401
        from moto.stepfunctions import models
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        # create/update/delete_from_cloudformation_json look this name up at call time.
        replace(models, "stepfunctions_backends", stepfunctions_parser_backends)

        state_machine = models.StateMachine
        original_has = state_machine.has_cfn_attr.__func__  # type: ignore[attr-defined]
        original_get = state_machine.get_cfn_attribute

        def has_cfn_attr(cls: Any, attr: str) -> bool:
            return attr in ("Arn", "StateMachineRevisionId") or original_has(cls, attr)

        def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
            if attribute_name == "Arn":
                return self.arn
            if attribute_name == "StateMachineRevisionId":
                return self.revision_id or self.arn
            return original_get(self, attribute_name)

        replace(state_machine, "has_cfn_attr", classmethod(has_cfn_attr))
        replace(state_machine, "get_cfn_attribute", get_cfn_attribute)

    _once("cloudformation_state_machines", apply)


# (f) -------------------------------------------------------------------------------------------
def patch_put_events_router() -> None:
    """PutEvents (boto3 in handlers, the `events:putEvents` task, `serve`) goes to the router."""

    def apply() -> None:
        from moto.events.models import EventsBackend

        original = EventsBackend.put_events

        def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            active = runtime.current()
            if active is None or active.router is None:
                return original(self, events)
            return active.router.put_events(self, events)

        replace(EventsBackend, "put_events", put_events)

    _once("put_events_router", apply)


# (g) -------------------------------------------------------------------------------------------
def _millis(value: Any) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return None


def execution_status_change_event(execution: Any) -> dict[str, Any]:
    """The `Step Functions Execution Status Change` event of an ended execution."""
    described = execution.to_describe_output()
    raw_status = described["status"]
    status = str(getattr(raw_status, "value", raw_status))  # moto keeps an enum here
    detail = {
        "executionArn": described["executionArn"],
        "stateMachineArn": described["stateMachineArn"],
        "name": described["name"],
        "status": status,
        "startDate": _millis(described.get("startDate")),
        "stopDate": _millis(described.get("stopDate")),
        "input": described.get("input"),
        "output": described.get("output"),
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if described.get("output") is not None else None,
        "error": described.get("error"),
        "cause": described.get("cause"),
    }
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "resources": [described["executionArn"]],
        "account": execution.account_id,
        "region": execution.region_name,
        "detail": detail,
    }


def patch_execution_status_events() -> None:
    """Ended executions emit `Step Functions Execution Status Change` (source aws.states)."""

    def apply() -> None:
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

        original = BaseExecutionWorkerCommunication.terminated

        def terminated(self: Any) -> None:
            active = runtime.current()
            if active is None or active.router is None:
                original(self)
                return
            # The execution reads as ended from here, its event not yet routed: count it as a route in
            # progress from before the end (LocalCloud.wait_quiescent), so the end implies the event.
            with active.router.busy():
                original(self)
                active.router.emit(execution_status_change_event(self.execution))

        replace(BaseExecutionWorkerCommunication, "terminated", terminated)

    _once("execution_status_events", apply)


# (h) -------------------------------------------------------------------------------------------
def patch_sns_outbox() -> None:
    """Every message published to a topic is recorded in the outbox."""

    def apply() -> None:
        from moto.sns.models import Topic

        original = Topic.publish

        def publish(
            self: Any, message: str, subject: str | None = None, message_attributes: Any = None, **kw: Any
        ) -> str:
            message_id = original(self, message, subject=subject, message_attributes=message_attributes, **kw)
            active = runtime.current()
            if active is not None and active.outbox is not None:
                active.outbox.record(self.arn, message, subject, message_attributes, message_id)
            return message_id

        replace(Topic, "publish", publish)

    _once("sns_outbox", apply)


# (i) -------------------------------------------------------------------------------------------
def patch_throttling_faults() -> None:
    """`cloud.faults.throttle(...)`: the API answers its throttling error (Lambda: TooManyRequests);
    `fail_call` another declared error; `lose_answer` makes the call, then answers an error."""

    def apply() -> None:
        from moto.core.exceptions import ServiceException
        from moto.core.responses import ActionResult, BaseResponse

        from localcloud.faults import throttle_error_codes

        def throttle_error(service: str, code: str) -> ServiceException:
            message = "Rate exceeded" if code in throttle_error_codes(service) else f"{code} (injected fault)"
            return type(code, (ServiceException,), {"code": code, "message": message})()

        original = BaseResponse.call_action

        def call_action(self: Any) -> Any:
            active = runtime.current()
            service = getattr(self, "service_name", None) or ""
            # Naming the call is done only when a throttle is pending for the service (S3, whose
            # naming has side effects that break its handlers, cannot be throttled: see Faults).
            if active is not None and active.faults.has_throttle(service):
                try:
                    action = self._get_action()
                except Exception:  # noqa: BLE001 - not an API call moto can name
                    action = ""
                fault = active.faults.take_fault(service, action) if action else None
                if fault is not None:
                    code, after_call = fault
                    if after_call:  # Faults.lose_answer: the work is done, the answer lost
                        original(self)
                    with warnings.catch_warnings():  # not every service model declares the error
                        warnings.simplefilter("ignore")
                        status, headers, body = self.serialized(ActionResult(throttle_error(service, code)))
                    headers, body = self._enrich_response(headers, body)  # request id, as moto does
                    headers["status"] = str(status)
                    return status, headers, body
            return original(self)

        replace(BaseResponse, "call_action", call_action)

    _once("throttling_faults", apply)


# (j) -------------------------------------------------------------------------------------------
def task_failure_event(
    service_task: Any, env: Any, name: str, cause: str, *, resource_type: str | None = None
) -> Any:
    """A TaskFailed failure event of an integration task, with AWS's error name."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    return FailureEvent(
        env=env,
        error_name=CustomErrorName(name),
        event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(  # type: ignore[typeddict-item]
            taskFailedEventDetails=TaskFailedEventDetails(
                error=name,
                cause=cause,
                resource=service_task._get_sfn_resource(),
                resourceType=resource_type or service_task._get_sfn_resource_type(),
            )
        ),
    )


def sdk_v1_cause(service_label: str, error: Any) -> str:
    """The Cause an optimized integration gives a refused call (AWS SDK for Java 1.x message form)."""
    details, metadata = error.response["Error"], error.response.get("ResponseMetadata", {})
    return (
        f"{details.get('Message', '')} (Service: {service_label}; "
        f"Status Code: {metadata.get('HTTPStatusCode', 400)}; Error Code: {details.get('Code', '')}; "
        f"Request ID: {metadata.get('RequestId', '')}; Proxy: null)"
    )


# moto's optimized integration classes -> (the ARN's service, the SDK client's service label in a Cause)
_OPTIMIZED_TASK_SERVICES = {
    "state_task_service_lambda.StateTaskServiceLambda": ("lambda", "AWSLambda"),
    "state_task_service_sns.StateTaskServiceSns": ("sns", "AmazonSNS"),
    "state_task_service_events.StateTaskServiceEvents": ("events", "AmazonEventBridge"),
    "state_task_service_dynamodb.StateTaskServiceDynamoDB": ("dynamodb", "AmazonDynamoDBv2"),
    "state_task_service_sfn.StateTaskServiceSfn": ("states", "AWSStepFunctions"),
    "state_task_service_sqs.StateTaskServiceSqs": ("sqs", "AmazonSQS"),
}


def patch_task_error_names() -> None:
    """Task errors are named as Step Functions names them (`localcloud.sfn_errors`): a refused call
    of an `aws-sdk:` task is `<Prefix>.<Shape>Exception` for an error the service models and
    `<Prefix>.<Prefix>Exception` otherwise (moto names it `<service>.<ErrorCode>`, lower-cased,
    so a throttled call was `sagemaker.ThrottlingException`); an optimized task's is
    `<Prefix>.<Shape>Exception` or the SDK's base exception (`SNS.AmazonSNSException`,
    `DynamoDB.AmazonDynamoDBException`, ...), where moto gave `<Prefix>.<ErrorCode>` or, for
    events:putEvents, States.Runtime (a throttled PutEvents lost the drift event)."""

    def apply() -> None:
        from botocore.exceptions import ClientError
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import service as services
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
            state_task_service_aws_sdk as aws_sdk,
        )

        from localcloud import sfn_errors

        # The Cause's "Service:" names the exception prefix ([SDK-DG] table).
        aws_sdk._SERVICE_ERROR_NAMES.update({svc: prefix for svc, (_, prefix) in sfn_errors.AWS_SDK.items()})
        sdk_class = aws_sdk.StateTaskServiceAwsSdk
        sdk_original = sdk_class._from_error

        def sdk_from_error(self: Any, env: Any, ex: Exception) -> Any:
            if isinstance(ex, ClientError) and self.resource.api_name in sfn_errors.AWS_SDK:
                task = sfn_errors.aws_sdk(self.resource.api_name, self.resource.api_action)
                metadata = ex.response.get("ResponseMetadata", {})
                cause = (
                    f"{ex.response['Error'].get('Message', '')} (Service: {task.prefix}, "
                    f"Status Code: {metadata.get('HTTPStatusCode', 400)}, "
                    f"Request ID: {metadata.get('RequestId', '')})"
                )
                return task_failure_event(self, env, task.error_name(ex.response["Error"]["Code"]), cause)
            return sdk_original(self, env, ex)

        replace(sdk_class, "_from_error", sdk_from_error)

        for dotted, (service, label) in _OPTIMIZED_TASK_SERVICES.items():
            module_name, class_name = dotted.split(".")
            module = importlib.import_module(f"{services.__name__}.{module_name}")
            cls = getattr(module, class_name)
            _name_optimized_errors(cls, service, label, ClientError)

    _once("task_error_names", apply)


def _name_optimized_errors(cls: Any, service: str, label: str, client_error: type[Exception]) -> None:
    from localcloud import sfn_errors

    original = cls._from_error

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, client_error):
            task = sfn_errors.optimized(service, self.resource.api_action)
            code = ex.response["Error"]["Code"]  # type: ignore[attr-defined]
            return task_failure_event(self, env, task.error_name(code), sdk_v1_cause(label, ex))
        return original(self, env, ex)

    replace(cls, "_from_error", from_error)


# (k) -------------------------------------------------------------------------------------------
def patch_cloudformation_no_value() -> None:
    """`AWS::NoValue` removes a list element, as in CloudFormation. moto leaves a None there:
    `Policies: [!If [Cond, {...}, !Ref AWS::NoValue]]` then breaks IAM roles."""

    def apply() -> None:
        from moto.cloudformation import parsing

        original = parsing.clean_json

        def clean_json(resource_json: Any, resources_map: Any) -> Any:
            result = original(resource_json, resources_map)
            if isinstance(resource_json, list) and isinstance(result, list):
                return [
                    item
                    for item, raw in zip(result, resource_json, strict=True)
                    if item is not None or raw is None
                ]
            return result

        # clean_json calls itself through this module name, so nested values are cleaned too.
        replace(parsing, "clean_json", clean_json)

    _once("cloudformation_no_value", apply)


# (l) -------------------------------------------------------------------------------------------
def patch_execution_default_name() -> None:
    """StartExecution without a name gets a generated one (moto names the execution `None`)."""

    def apply() -> None:
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        original = StepFunctionsParserBackend.start_execution

        def start_execution(
            self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
        ) -> Any:
            return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

        replace(StepFunctionsParserBackend, "start_execution", start_execution)

    _once("execution_default_name", apply)


# Speed: the same work done once instead of again and again (no change of behaviour) ----------
# (m) -------------------------------------------------------------------------------------------
def patch_cloudformation_json_template() -> None:
    """A stack's JSON template body is read as JSON (moto reads every body with PyYAML's pure-Python
    loader first: about a second for the translated template). JSON is YAML, so what comes out is
    the same; a body that is not JSON still goes to moto's YAML reading."""

    def apply() -> None:
        from moto.cloudformation.models import Stack

        original = Stack.parse_template

        def parse_template(template: str) -> dict[str, Any]:
            if template.lstrip().startswith("{"):
                try:
                    parsed = json.loads(template)
                except ValueError:
                    parsed = None
                if isinstance(parsed, dict):
                    return parsed
            return original(template)

        replace(Stack, "parse_template", staticmethod(parse_template))

    _once("cloudformation_json_template", apply)


# (n) -------------------------------------------------------------------------------------------
ASL_PARSE_CACHE_SIZE = 32


def patch_asl_parse_tree_cache() -> None:
    """The ASL parser's syntax tree is made once per definition text. moto runs its ANTLR parser (pure
    Python, ~0.2 s for our definitions) when a state machine is created and again at the start of
    every execution; the tree is only read afterwards, and each parse still builds fresh evaluation
    components from it. Definitions with syntax errors are parsed (and refused) every time.

    Also: moto's Preprocessor keeps its query-language scope stack in a class attribute, one list
    shared by every thread, so a JSONata and a JSONPath machine starting at once could read each
    other's scope ("Unsupported declaration in QueryLanguage=JSONPath block") and the execution hung
    unparsed. Each Preprocessor gets a stack of its own."""

    def apply() -> None:
        from collections import OrderedDict

        from moto.stepfunctions.parser.asl.parse import asl_parser
        from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

        def own_scope_stack(self: Any, *args: Any, **kwargs: Any) -> None:
            super(Preprocessor, self).__init__(*args, **kwargs)
            self._query_language_per_scope = []

        replace(Preprocessor, "__init__", own_scope_stack)

        cls = asl_parser.AmazonStateLanguageParser
        original = cls.parse
        trees: OrderedDict[str, Any] = OrderedDict()
        trees_lock = threading.Lock()

        def parse(definition: str) -> tuple[Any, Any]:
            with trees_lock:
                tree = trees.get(definition)
                if tree is not None:
                    trees.move_to_end(definition)
            if tree is None:
                program, tree = original(definition)
                with trees_lock:
                    trees[definition] = tree
                    while len(trees) > ASL_PARSE_CACHE_SIZE:
                        trees.popitem(last=False)
                return program, tree
            return Preprocessor().visit(tree), tree

        replace(cls, "parse", staticmethod(parse))

    _once("asl_parse_tree_cache", apply)


# (o) -------------------------------------------------------------------------------------------
_BOTOCORE_SHARED: dict[tuple[Any, ...], Any] = {}
_sharing_while_applying = False


def patch_botocore_shared_models() -> None:
    """botocore's data files (service models, endpoint rules, partitions) are parsed once per process.

    botocore caches them per Loader, and every `boto3.session.Session()` has its own Loader: each
    client made from a new session (the shared layer makes its clients so, once per function, as in
    a Lambda cold start) parses the service's JSON model again, 0.1-0.3 s each. While a local cloud
    is active, Loaders share one cache, keyed as botocore keys its own plus the Loader's search
    paths and extras; what a Loader returns is what it returned before, now from one parse.
    So do they while `apply_all` imports moto's backends (moto.ec2 makes three Sessions at import).
    """

    def apply() -> None:
        from botocore import loaders

        cls = loaders.Loader
        for name in (
            "list_available_services",
            "determine_latest_version",
            "list_api_versions",
            "load_service_model",
            "load_data_with_path",
        ):
            replace(cls, name, _shared_loader_method(name, getattr(cls, name)))

    _once("botocore_shared_models", apply)


def _shared_loader_method(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def shared(self: Any, *args: Any, **kwargs: Any) -> Any:
        if runtime.current() is None and not _sharing_while_applying:
            return method(self, *args, **kwargs)
        key = (name, tuple(self.search_paths), tuple(self.extras_types), args, tuple(sorted(kwargs.items())))
        try:
            return _BOTOCORE_SHARED[key]
        except KeyError:
            pass
        value = method(self, *args, **kwargs)
        _BOTOCORE_SHARED[key] = value
        return value

    shared.__wrapped__ = method  # type: ignore[attr-defined]
    return shared


# (p) -------------------------------------------------------------------------------------------
# Name limits of the resources CloudFormation names for us (IAM CreateRole RoleName max 64, Lambda
# FunctionName 64, SQS QueueName 80, Step Functions name 80, EventBridge rule Name 64: botocore's
# input shapes). CloudFormation shortens "<stack>-<logicalId>" to fit before the random suffix.
GENERATED_NAME_LIMITS = {
    "AWS::IAM::Role": 64,
    "AWS::Lambda::Function": 64,
    "AWS::SQS::Queue": 80,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::Events::Rule": 64,
}


def patch_cloudformation_generated_names() -> None:
    """Generated physical names fit the service's limit, as CloudFormation's do: moto's do not
    (a 65-character role name), and the local cloud's request validation then refuses every call
    that names the role."""

    def apply() -> None:
        from moto.cloudformation import parsing

        original = parsing.generate_resource_name

        def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
            name = str(original(resource_type, stack_name, logical_id))
            limit = GENERATED_NAME_LIMITS.get(resource_type)
            if limit is None or len(name) <= limit:
                return name
            head, _, suffix = name.rpartition("-")
            return f"{head[: limit - len(suffix) - 1].rstrip('-')}-{suffix}"

        replace(parsing, "generate_resource_name", generate_resource_name)

    _once("cloudformation_generated_names", apply)


# (q) -------------------------------------------------------------------------------------------
def patch_iam_inline_policy_documents() -> None:
    """A role's inline policy is kept as JSON text, as IAM keeps it: moto's CloudFormation stores
    the template's mapping, and GetRolePolicy then answers its Python repr, which no JSON reader
    (nor an operator's script editing the policy) can read."""

    def apply() -> None:
        import json

        from moto.iam.models import Role

        original = Role.put_policy

        def put_policy(self: Any, policy_name: str, policy_json: Any) -> None:
            text = policy_json if isinstance(policy_json, str) else json.dumps(policy_json)
            original(self, policy_name, text)

        replace(Role, "put_policy", put_policy)

    _once("iam_inline_policy_documents", apply)


# (r) -------------------------------------------------------------------------------------------
def patch_account_from_access_key() -> None:
    """A request is served from the backends of its caller's account, as in AWS. moto finds the
    account of an access key among the keys its IAM issued (`moto.iam.models.get_account_id_from`,
    read by `BaseResponse.get_current_account` at each request; STS AssumeRole of a role ARN in
    another account issues the key in that account) and falls back to its default account. The
    local cloud issues its own keys (a role session per function, state machine and job, an operator
    per account): while one is active, its keys name their principal's account."""

    def apply() -> None:
        from moto.iam import models as iam_models

        original = iam_models.get_account_id_from

        def get_account_id_from(access_key: str) -> str:
            active = runtime.current()
            lookup = active.account_of_key if active is not None else None
            account = lookup(access_key) if lookup is not None else None
            return account if account else original(access_key)

        replace(iam_models, "get_account_id_from", get_account_id_from)

    _once("account_from_access_key", apply)


# The SageMaker requests that name a Model Registry resource by ARN, and the parameter naming it.
# AWS serves such a request from the account in the ARN (SageMaker Developer Guide, "Deploy a Model
# Version from a Different Account" and "Register a Model Version from a Different Account": the
# other account calls DescribeModelPackage, ListModelPackages and CreateModelPackage with the ARN);
# a name resolves in the caller's account.
SAGEMAKER_ARN_PARAMETERS = {
    "DescribeModelPackage": "ModelPackageName",
    "UpdateModelPackage": "ModelPackageArn",
    "ListModelPackages": "ModelPackageGroupName",
    "CreateModelPackage": "ModelPackageGroupName",
    "DescribeModelPackageGroup": "ModelPackageGroupName",
}


def patch_sagemaker_cross_account() -> None:
    """A Model Registry request naming a group or version by ARN is served by the backend of the
    ARN's account and region (moto serves every request from the caller's backend, so another
    account's group "does not exist"); CreateModelPackage and DescribeModelPackageGroup take the
    group's ARN as well as its name (botocore: ModelPackageGroupName is `ArnOrName`; moto looks the
    ARN up as a name)."""

    def apply() -> None:
        from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends
        from moto.sagemaker.responses import SageMakerResponse

        def sagemaker_backend(self: Any) -> Any:
            owner = _arn_owner(self)
            if owner is not None:
                return sagemaker_backends[owner[0]][owner[1]]
            return sagemaker_backends[self.current_account][self.region]

        def _arn_owner(response: Any) -> tuple[str, str] | None:
            name = SAGEMAKER_ARN_PARAMETERS.get(response._get_action())
            value = response._get_param(name) if name else None
            if not isinstance(value, str) or not value.startswith("arn:"):
                return None
            parts = value.split(":")
            if len(parts) < 6 or not parts[4] or not parts[3]:
                return None
            return parts[4], parts[3]

        replace(SageMakerResponse, "sagemaker_backend", property(sagemaker_backend))

        for method, parameter in (
            ("create_model_package", "model_package_group_name"),
            ("describe_model_package_group", "model_package_group_name"),
        ):
            wrapped = _group_name_from_arn(getattr(SageMakerModelBackend, method), parameter)
            replace(SageMakerModelBackend, method, wrapped)

    _once("sagemaker_cross_account", apply)


def patch_kms_cross_account() -> None:
    """A KMS request whose KeyId is a key or alias ARN of another account is served by that
    account's KMS (KMS Developer Guide, "Allowing users in other accounts to use a KMS key": "specify
    the key ARN or alias ARN of the KMS key" in the other account); moto looks the key up in the
    caller's account. A KeyId that is not an ARN names the caller's own key, as in AWS."""

    def apply() -> None:
        from moto.kms.models import kms_backends
        from moto.kms.responses import KmsResponse

        def kms_backend(self: Any) -> Any:
            key_id = self._get_param("KeyId")
            if isinstance(key_id, str) and key_id.startswith("arn:"):
                parts = key_id.split(":")
                if len(parts) > 5 and parts[3] and parts[4]:
                    return kms_backends[parts[4]][parts[3]]
            return kms_backends[self.current_account][self.region]

        replace(KmsResponse, "kms_backend", property(kms_backend))

    _once("kms_cross_account", apply)


def _group_name_from_arn(original: Callable[..., Any], parameter: str) -> Callable[..., Any]:
    import functools
    import inspect

    signature = inspect.signature(original)

    @functools.wraps(original)
    def wrapper(backend: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(backend, *args, **kwargs)
        value = bound.arguments.get(parameter)
        if isinstance(value, str) and value.startswith("arn:") and ":model-package-group/" in value:
            bound.arguments[parameter] = value.rsplit("/", 1)[-1]
        return original(*bound.args, **bound.kwargs)

    return wrapper


_CLOUDFORMATION_MODELS: list[type] = []


def patch_cloudformation_model_package_group() -> None:
    """`AWS::SageMaker::ModelPackageGroup` in moto's CloudFormation (moto skips the type, so the
    registry account's template had no group): created in the stack's account and region with its
    name, description and tags; `Ref` and `GetAtt ModelPackageGroupArn` give its ARN (CloudFormation
    Template Reference, AWS::SageMaker::ModelPackageGroup, Return values). moto has no group policy
    (no PutModelPackageGroupPolicy): `ModelPackageGroupPolicy` is read from the template by
    `localcloud.stack` and held by the local cloud's IAM."""

    def apply() -> None:
        from moto.cloudformation import parsing
        from moto.core.common_models import CloudFormationModel
        from moto.sagemaker.models import sagemaker_backends

        class ModelPackageGroupResource(CloudFormationModel):
            def __init__(self, arn: str, name: str) -> None:
                self.arn = arn
                self.name = name

            @property
            def physical_resource_id(self) -> str:
                return self.arn

            @staticmethod
            def cloudformation_name_type() -> str:
                return "ModelPackageGroupName"

            @staticmethod
            def cloudformation_type() -> str:
                return "AWS::SageMaker::ModelPackageGroup"

            @classmethod
            def has_cfn_attr(cls, attr: str) -> bool:
                return attr in ("ModelPackageGroupArn", "ModelPackageGroupName")

            def get_cfn_attribute(self, attribute_name: str) -> Any:
                return self.arn if attribute_name == "ModelPackageGroupArn" else self.name

            @classmethod
            def create_from_cloudformation_json(
                cls,
                resource_name: str,
                cloudformation_json: Any,
                account_id: str,
                region_name: str,
                **kwargs: Any,
            ) -> ModelPackageGroupResource:
                props = cloudformation_json.get("Properties", {})
                name = props.get("ModelPackageGroupName") or resource_name
                backend = sagemaker_backends[account_id][region_name]
                arn = backend.create_model_package_group(
                    model_package_group_name=name,
                    model_package_group_description=props.get("ModelPackageGroupDescription"),
                    tags=props.get("Tags"),
                )
                return cls(str(arn), str(name))

        caches = (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map)
        # CloudFormationModel.__subclasses__() holds its subclasses weakly: keep this one alive.
        _CLOUDFORMATION_MODELS.append(ModelPackageGroupResource)
        for cached in caches:
            cached.cache_clear()  # the model list is read from CloudFormationModel's subclasses

        def forget() -> None:
            # Let the class go, then moto reads its own list again: no reference may be left, so that
            # it is collected and leaves CloudFormationModel.__subclasses__(). moto's model tracker
            # (InstanceTrackerMeta) registered it by module part and name: that entry goes too.
            from moto.core.model_instances import model_data

            while _CLOUDFORMATION_MODELS:
                resource = _CLOUDFORMATION_MODELS.pop()
                tracked = model_data.get(resource.__module__.split(".")[1], {})
                if tracked.get(resource.__name__) is resource:
                    del tracked[resource.__name__]
                del resource  # this frame's reference too, before the collection below
            for cached in caches:
                cached.cache_clear()
            gc.collect()

        on_close(forget)

    _once("cloudformation_model_package_group", apply)


def patch_dynamodb_atomic_writes() -> None:
    """A conditional write to one DynamoDB item is atomic in AWS (Developer Guide, "Condition
    expressions": the condition is checked and the write made as one operation, so concurrent
    writers cannot both pass `attribute_not_exists`). moto checks and then writes with no lock: two
    threads taking the retraining lock at once both got it. moto's item writes are serialized."""

    def apply() -> None:
        from moto.dynamodb.models import DynamoDBBackend

        writes_lock = threading.RLock()
        for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
            original = getattr(DynamoDBBackend, name)

            def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                with writes_lock:
                    return _original(self, *args, **kwargs)

            replace(DynamoDBBackend, name, locked)

    _once("dynamodb_atomic_writes", apply)


# (w) -------------------------------------------------------------------------------------------
def patch_sagemaker_models_and_job_stops() -> None:
    """SageMaker answers as AWS does where moto does not:

    * CreateModel of a name in use is refused with ValidationException `Cannot create already
      existing model "<arn>".` (moto replaced the model silently). The message is the one the
      SageMaker Python SDK matches to reuse a model (sagemaker/session.py, `create_model`).
    * StopTrainingJob and StopTransformJob (moto has neither): an InProgress job becomes Stopping
      (the local job runner then ends it Stopped); any other status is a ValidationException; an
      unknown name ResourceNotFound, the one error botocore's model declares for both.
    """

    def apply() -> None:
        from moto.core.responses import EmptyResult
        from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
        from moto.sagemaker.models import SageMakerModelBackend, arn_formatter
        from moto.sagemaker.responses import SageMakerResponse

        original_create_model = SageMakerModelBackend.create_model

        def create_model(self: Any, model_name: str, *args: Any, **kwargs: Any) -> Any:
            if model_name in self._models:
                arn = arn_formatter("model", model_name, self.account_id, self.region_name)
                raise ValidationError(message=f'Cannot create already existing model "{arn}".')
            return original_create_model(self, model_name, *args, **kwargs)

        replace(SageMakerModelBackend, "create_model", create_model)

        def stopper(kind: str) -> Callable[..., None]:
            def stop(self: Any, name: str) -> None:
                job = getattr(self, f"{kind}_jobs").get(name)
                if job is None:
                    arn = arn_formatter(f"{kind}-job", name, self.account_id, self.region_name)
                    raise ResourceNotFound(message=f"Requested resource not found: {arn}")
                status = getattr(job, f"{kind}_job_status")
                if status != "InProgress":
                    raise ValidationError(
                        message=f"The request was rejected because the {kind} job is in status {status}."
                    )
                setattr(job, f"{kind}_job_status", "Stopping")

            return stop

        def responder(kind: str, parameter: str) -> Callable[[Any], Any]:
            def respond(self: Any) -> Any:
                getattr(self.sagemaker_backend, f"stop_{kind}_job")(self._get_param(parameter))
                return EmptyResult()

            return respond

        for kind, parameter in (("training", "TrainingJobName"), ("transform", "TransformJobName")):
            replace(SageMakerModelBackend, f"stop_{kind}_job", stopper(kind))
            replace(SageMakerResponse, f"stop_{kind}_job", responder(kind, parameter))

    _once("sagemaker_models_and_job_stops", apply)


# (s3) ------------------------------------------------------------------------------------------
#: S3's EventBridge `reason` per moto event name (S3 User Guide, "EventBridge event message structure").
_S3_REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "PostObject",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}


def s3_eventbridge_event(account: str, region: str, bucket: Any, event_name: str, key: Any) -> dict[str, Any]:
    """S3's event on EventBridge as AWS documents it ("EventBridge event message structure": the
    `Object Created` example): `detail.object.etag` (moto writes `eTag`) and the API as `reason`."""
    from moto.s3.notifications import _detail_type

    return {
        "source": "aws.s3",
        "detail-type": _detail_type(event_name),
        "account": account,
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket.name}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": {
                "key": key.name,
                "size": key.size,
                "etag": key.etag.replace('"', ""),
                **({"version-id": key.version_id} if key.version_id else {}),
                "sequencer": f"{int(datetime.now().timestamp() * 1e6):018X}",
            },
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account,
            "source-ip-address": "127.0.0.1",
            "reason": _S3_REASONS.get(event_name, event_name.rsplit(":", 1)[-1]),
        },
    }


def patch_s3_eventbridge_notifications() -> None:
    """A bucket whose template enables EventBridge notifications (`NotificationConfiguration.
    EventBridgeConfiguration.EventBridgeEnabled`, which moto's CloudFormation ignores) sends its
    object events to the account's default bus through the router, in AWS's shape, as the stack's
    rules see them in AWS (moto sent its own shape to the rules' targets directly). Only events some
    enabled rule matches are routed: the rest would be dropped by EventBridge all the same."""

    def apply() -> None:
        from moto.events.models import events_backends
        from moto.s3 import notifications
        from moto.s3.models import FakeBucket

        original_create = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

        def create_from_cloudformation_json(
            cls: Any, resource_name: str, cloudformation_json: Any, *a: Any, **kw: Any
        ) -> Any:
            bucket = original_create(cls, resource_name, cloudformation_json, *a, **kw)
            config = (cloudformation_json.get("Properties") or {}).get("NotificationConfiguration") or {}
            enabled = (config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled", "")
            if str(enabled).lower() == "true":
                bucket.set_notification_configuration({"EventBridgeConfiguration": {}})
            return bucket

        replace(FakeBucket, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json))
        original_send = notifications._send_event_bridge_message

        def send(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
            active = runtime.current()
            if active is None or active.router is None:
                original_send(account_id, bucket, event_name, key)
                return
            event = s3_eventbridge_event(account_id, bucket.region_name, bucket, event_name, key)
            bus = events_backends[account_id][bucket.region_name].describe_event_bus("default")
            if any(
                rule.state == "ENABLED" and rule.event_pattern.matches_event(event)  # type: ignore[arg-type]
                for rule in bus.rules.values()
            ):
                active.router.emit(event)

        replace(notifications, "_send_event_bridge_message", send)

    _once("s3_eventbridge_notifications", apply)


# (x) -------------------------------------------------------------------------------------------
def patch_cloudformation_rules() -> None:
    """A template's `Rules` are evaluated before CreateStack, CreateChangeSet and UpdateStack (moto
    ignores them, so it created stacks CloudFormation refuses): a failed assertion, or a rule the
    local cloud cannot evaluate, is a ValidationError and nothing is created (`localcloud.cfn_rules`).
    ValidationError is CloudFormation's common error code for a refused request (botocore's
    cloudformation model lists no modelled error for it)."""

    def apply() -> None:
        from moto.cloudformation.exceptions import ValidationError
        from moto.cloudformation.models import CloudFormationBackend

        from localcloud import cfn_rules
        from localcloud.stack import parse_template

        create_stack = CloudFormationBackend.create_stack
        create_change_set = CloudFormationBackend.create_change_set
        update_stack = CloudFormationBackend.update_stack

        def evaluate(backend: Any, template: str, parameters: dict[str, Any], name: str, arns: Any) -> None:
            try:
                parsed = parse_template(template)
            except Exception:  # noqa: BLE001 - not a mapping: moto refuses it as before
                return
            context = cfn_rules.StackContext(backend.region_name, backend.account_id, name, tuple(arns or ()))
            try:
                cfn_rules.check(parsed, parameters, context)
            except cfn_rules.RuleAssertionError as error:
                raise ValidationError(message=error.description) from error
            except cfn_rules.RuleError as error:
                raise ValidationError(message=f"{type(error).__name__}: {error}") from error

        def checked_create_stack(
            self: Any, name: str, template: str, parameters: Any, *args: Any, **kwargs: Any
        ) -> Any:
            evaluate(self, template, dict(parameters or {}), name, kwargs.get("notification_arns"))
            return create_stack(self, name, template, parameters, *args, **kwargs)

        def checked_create_change_set(self: Any, **request: Any) -> Any:  # moto's responses pass keywords
            name = request["stack_name"]
            if name.startswith("arn:"):
                name = self.get_stack(name).name
            evaluate(
                self,
                request["template"],
                dict(request.get("parameters") or {}),
                name,
                request.get("notification_arns"),
            )
            return create_change_set(self, **request)

        def checked_update_stack(  # noqa: PLR0917 - moto's signature
            self: Any, name: str, template: str, role_arn: Any, parameters: Any, tags: Any
        ) -> Any:
            stack = self.get_stack(name)
            values = {  # moto's UpdateStack passes the request's list; UsePreviousValue keeps the stack's
                p["ParameterKey"]: stack.stack_parameters.get(p["ParameterKey"])
                if p.get("UsePreviousValue") in (True, "true")
                else p.get("ParameterValue")
                for p in parameters or []
            }
            evaluate(self, template, values, stack.name, stack.notification_arns)
            return update_stack(self, name, template, role_arn, parameters, tags)

        replace(CloudFormationBackend, "create_stack", checked_create_stack)
        replace(CloudFormationBackend, "create_change_set", checked_create_change_set)
        replace(CloudFormationBackend, "update_stack", checked_update_stack)

    _once("cloudformation_rules", apply)


ALL_PATCHES: tuple[Callable[[], None], ...] = (
    # First: the patches below import moto's backends, and moto.ec2 makes three boto3 Sessions
    # at import (each parsing endpoints.json); shared, that parse happens once.
    patch_botocore_shared_models,
    patch_sagemaker_sync_integration,
    patch_in_process_lambda,
    patch_jsonata,
    patch_jsonpath_list_index,
    patch_cloudformation_state_machines,
    patch_put_events_router,
    patch_execution_status_events,
    patch_sns_outbox,
    patch_throttling_faults,
    patch_task_error_names,
    patch_cloudformation_no_value,
    patch_execution_default_name,
    patch_cloudformation_json_template,
    patch_asl_parse_tree_cache,
    patch_cloudformation_generated_names,
    patch_iam_inline_policy_documents,
    patch_account_from_access_key,
    patch_sagemaker_cross_account,
    patch_kms_cross_account,
    patch_cloudformation_model_package_group,
    patch_dynamodb_atomic_writes,
    patch_s3_eventbridge_notifications,
    patch_sagemaker_models_and_job_stops,
    patch_cloudformation_rules,
)


def apply_all() -> None:
    """Apply every patch (once per process; calling again does nothing).

    botocore's data files are shared while the patches are applied too: that is when moto's
    backends are imported, and some of them make Sessions at import.
    """
    global _sharing_while_applying  # noqa: PLW0603 - one flag, set only here
    _sharing_while_applying = True
    try:
        for patch in ALL_PATCHES:
            patch()
    finally:
        _sharing_while_applying = False
