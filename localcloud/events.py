"""An EventBridge router: every rule's real event pattern, delivered to Lambda, Step Functions,
SNS and SQS targets, with Input/InputPath/InputTransformer, retries and dead-letter queues.

Deliveries happen on the caller's thread, before `put_events` (or `emit`) returns; a Step
Functions target starts an execution, which then runs on its own thread.

Delivery to a Lambda target is Lambda's asynchronous invocation (`invoke_async`): a function
error does not fail the delivery; Lambda runs the function again up to the function's
`EventInvokeConfig.MaximumRetryAttempts` times (AWS default 2; here at once, without AWS's
one- and two-minute pauses), then sends the event to its OnFailure destination or its
dead-letter queue. A delivery that fails (no such function or state machine, a throttled
target API, a bad input) is retried `RetryPolicy.MaximumRetryAttempts` times (default 2 here,
185 in AWS) and then sent to the target's `DeadLetterConfig` queue with the attributes
EventBridge sets (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jsonpath_ng.ext import parse as jsonpath_parse

from localcloud.faults import Faults

LOG = logging.getLogger(__name__)

DEFAULT_RETRY_ATTEMPTS = 2
LAMBDA_ASYNC_RETRY_ATTEMPTS = 2  # Lambda's default for asynchronous invocations


class DeliveryError(RuntimeError):
    """A target could not be reached; `code` is the error code EventBridge would report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Delivery:
    """One attempt to hand an event to a target (kept for tests and the timeline)."""

    rule_arn: str
    target_arn: str
    event_id: str
    detail_type: str
    ok: bool
    error: str | None = None
    dead_lettered: bool = False
    function_error: str | None = None


@dataclass(frozen=True)
class Targets:
    """How the router reaches targets, the router's one dependency on the rest of the cloud: the
    cloud supplies these (its in-process backends), a test can supply its own. `invoke_lambda`
    answers (payload, function errored); `start_execution` the execution ARN; `publish_sns` the
    message id."""

    invoke_lambda: Callable[[str, Any], tuple[str, bool]]
    start_execution: Callable[[str, str], str]
    publish_sns: Callable[[str, str, str | None], str]
    send_sqs: Callable[[str, str, dict[str, Any] | None], None]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_time(value: Any) -> str:
    if value is None or value == "":
        return now_iso()
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def envelope(  # noqa: PLR0917 - the envelope's fields, in their order
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    account: str,
    region: str,
    resources: list[str] | None = None,
    time: Any = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An event as EventBridge hands it to targets."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": _iso_time(time),
        "region": region,
        "resources": list(resources or []),
        "detail": detail,
    }


@dataclass
class EventRouter:
    """Routes events on the local cloud's event buses."""

    account: str
    region: str
    faults: Faults
    targets: Targets
    function_dead_letter_queues: dict[str, str] = field(default_factory=dict)
    function_async_retries: dict[str, int] = field(default_factory=dict)
    function_on_failure: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    # The local cloud's IAM for deliveries (localcloud.iam.deliveries.DeliveryAuthorizer); None: off.
    authorizer: Any = None
    emitted: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Routes in progress (deliveries run on the emitting thread): `wait_idle` waits them out.
    _busy: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Counts as a route in progress (also held by an execution between its end and its event)."""
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once no route is in progress (False after `timeout` seconds)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    # -- entry points ----------------------------------------------------------------------
    def put_events(self, backend: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The PutEvents API (moto's EventsBackend.put_events is routed here)."""
        if len(entries) > 10:
            from moto.events.exceptions import ValidationException

            raise ValidationException(
                "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed "
                "to satisfy constraint: Member must have length less than or equal to 10"
            )
        results: list[dict[str, Any]] = []
        for entry in entries:
            problem = _entry_problem(entry)
            if problem is not None:
                results.append(problem)
                continue
            detail = json.loads(entry["Detail"])
            event = envelope(
                source=entry["Source"],
                detail_type=entry["DetailType"],
                detail=detail,
                account=backend.account_id,
                region=backend.region_name,
                resources=entry.get("Resources"),
                time=entry.get("Time"),
            )
            results.append({"EventId": event["id"]})
            self.route(event, bus=entry.get("EventBusName"), backend=backend)
        return results

    def emit(self, event: dict[str, Any], bus: str | None = None) -> dict[str, Any]:
        """Route an AWS-service event (SageMaker or Step Functions state changes, ...).

        `event` is an EventBridge event: `source`, `detail-type`, `detail`, and optionally
        `resources`, `time`, `id`, `account`, `region`; missing envelope fields are filled in.
        """
        for key in ("source", "detail-type", "detail"):
            if key not in event:
                raise ValueError(f"event has no {key!r}: {sorted(event)}")
        full = envelope(
            source=event["source"],
            detail_type=event["detail-type"],
            detail=event["detail"],
            account=event.get("account", self.account),
            region=event.get("region", self.region),
            resources=event.get("resources"),
            time=event.get("time"),
            event_id=event.get("id"),
        )
        self.route(full, bus=bus)
        return full

    # -- routing ---------------------------------------------------------------------------
    def route(self, event: dict[str, Any], bus: str | None = None, backend: Any = None) -> None:
        with self.busy():
            self._route(event, bus, backend)

    def _route(self, event: dict[str, Any], bus: str | None, backend: Any) -> None:
        from moto.events.models import events_backends

        with self._lock:
            self.emitted.append(event)
        if bus and str(bus).startswith("arn:"):
            # A bus named by ARN is that account's bus, also when another account puts on it
            # (EventBridge User Guide, eb-event-bus-perms: the APIs accept a bus ARN "to reference
            # cross-account or cross-Region event buses").
            parts = str(bus).split(":")
            backend = events_backends[parts[4]][parts[3]]
        elif backend is None:
            backend = events_backends[event["account"]][event["region"]]
        bus_name = backend._normalize_event_bus_arn(bus)
        event_bus = backend.describe_event_bus(bus_name)
        copies = self.faults.copies_for(event)
        for rule in list(event_bus.rules.values()):
            if rule.state != "ENABLED" or not rule.event_pattern.matches_event(event):
                continue
            for target in list(rule.targets):
                for _ in range(copies):
                    self._deliver(rule, target, event)

    def _deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        arn = target["Arn"]
        attempts = 1 + int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS))
        error: DeliveryError | None = None
        for _ in range(attempts):
            try:
                payload = target_input(target, event, rule)
                if self.authorizer is not None:
                    self._authorized(lambda: self.authorizer.rule_target(rule.arn, target, event))
                function_error = self._send(arn, payload, target, event)
            except DeliveryError as failure:
                error = failure
                continue
            except Exception as failure:  # noqa: BLE001 - the target's API refused: no such resource, bad input
                code = getattr(failure, "code", None) or type(failure).__name__
                error = DeliveryError(str(code), str(failure))
                continue
            self._record(
                Delivery(rule.arn, arn, event["id"], event["detail-type"], True, None, False, function_error)
            )
            return
        assert error is not None
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        if dead_letter and not self._may_send(
            lambda: self.authorizer.rule_dead_letter(rule.arn, dead_letter)
        ):
            dead_letter = None
        if dead_letter:
            self.targets.send_sqs(
                dead_letter,
                json.dumps(event),
                {
                    "RULE_ARN": rule.arn,
                    "TARGET_ARN": arn,
                    "ERROR_CODE": error.code,
                    "ERROR_MESSAGE": str(error),
                },
            )
        else:
            LOG.warning("event %s to %s not delivered: %s", event["id"], arn, error)
        self._record(
            Delivery(rule.arn, arn, event["id"], event["detail-type"], False, str(error), bool(dead_letter))
        )

    def _send(self, arn: str, payload: Any, target: dict[str, Any], event: dict[str, Any]) -> str | None:
        service = arn.split(":")[2]
        if service == "events":
            # Another event bus (another account's, say): the event goes through that bus's rules
            # as it is, its envelope unchanged (EventBridge User Guide, eb-cross-account; a bus target
            # takes no Input, InputPath or InputTransformer).
            self._maybe_throttle("events", "PutEvents")
            if payload is not event:
                raise DeliveryError("InvalidInput", f"an event bus target ({arn}) takes the event as it is")
            self.route(event, bus=arn)
            return None
        if service == "lambda":
            self._maybe_throttle("lambda", "Invoke")
            return self.invoke_async(arn, payload)
        if service == "states":
            self._maybe_throttle("stepfunctions", "StartExecution")
            self.targets.start_execution(arn, payload if isinstance(payload, str) else json.dumps(payload))
            return None
        if service == "sns":
            self._maybe_throttle("sns", "Publish")
            message = payload if isinstance(payload, str) else json.dumps(payload)
            self.targets.publish_sns(arn, message, None)
            return None
        if service == "sqs":
            self._maybe_throttle("sqs", "SendMessage")
            body = payload if isinstance(payload, str) else json.dumps(payload)
            self.targets.send_sqs(arn, body, None)
            return None
        raise DeliveryError("UnsupportedTarget", f"the local router does not deliver to {arn}")

    def invoke_async(self, function_arn: str, payload: Any) -> str | None:
        """Lambda's asynchronous invocation: retries on function error, then the function's
        OnFailure destination or dead-letter queue. Returns the last errorType, None on success."""
        function_name = function_arn.split(":")[6] if function_arn.startswith("arn:") else function_arn
        retries = self.function_async_retries.get(function_name, LAMBDA_ASYNC_RETRY_ATTEMPTS)
        request_id = str(uuid.uuid4())
        result = ""
        attempts = 0
        for attempts in range(1, retries + 2):  # noqa: B007 - the count is reported below
            result, errored = self.targets.invoke_lambda(function_arn, payload)
            if not errored:
                return None
        error_type = _error_type(result)
        on_failure = self.function_on_failure.get(function_name)
        dead_letter = self.function_dead_letter_queues.get(function_name)
        # Lambda writes both with the function's execution role.
        if on_failure and not self._may_send(
            lambda: self.authorizer.function_destination(function_arn, on_failure)
        ):
            on_failure = None
        if dead_letter and not self._may_send(
            lambda: self.authorizer.function_destination(function_arn, dead_letter)
        ):
            dead_letter = None
        if on_failure and on_failure.split(":")[2] == "sqs":
            record = {
                "version": "1.0",
                "timestamp": now_iso(),
                "requestContext": {
                    "requestId": request_id,
                    "functionArn": f"{function_arn}:$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": attempts,
                },
                "requestPayload": payload,
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": "$LATEST",
                    "functionError": "Unhandled",
                },
                "responsePayload": json.loads(result) if result else None,
            }
            self.targets.send_sqs(on_failure, json.dumps(record), None)
        elif dead_letter:
            message = json.loads(result).get("errorMessage", "") if result else ""
            self.targets.send_sqs(
                dead_letter,
                json.dumps(payload),
                {"RequestID": request_id, "ErrorCode": "200", "ErrorMessage": str(message)[:1000]},
            )
        return error_type

    def _authorized(self, check: Any) -> None:
        """Run an authorizer check; a denial is a failed delivery with AWS's NO_PERMISSIONS code."""
        try:
            check()
        except Exception as denied:
            code = getattr(denied, "code", None)
            if code is None:
                raise
            raise DeliveryError(str(code), str(denied)) from denied

    def _may_send(self, check: Any) -> bool:
        if self.authorizer is None:
            return True
        try:
            self._authorized(check)
        except DeliveryError as denied:
            LOG.error("dead-letter message not sent: %s", denied)
            return False
        return True

    def _maybe_throttle(self, service: str, operation: str) -> None:
        code = self.faults.take_throttle_code(service, operation)
        if code is not None:  # the target service's own throttling code (faults.throttle_error_code)
            raise DeliveryError(code, f"{service} {operation} throttled (injected fault)")

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)


def _error_type(payload: str) -> str:
    try:
        return str(json.loads(payload).get("errorType", "Unhandled"))
    except (ValueError, AttributeError):
        return "Unhandled"


def _entry_problem(entry: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": f"Parameter {key} is not valid. Reason: {key} is a required argument.",
            }
    try:
        json.loads(entry["Detail"])
    except ValueError:
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


# -- target input -----------------------------------------------------------------------------
def target_input(target: dict[str, Any], event: dict[str, Any], rule: Any = None) -> Any:
    """What a target receives: the event, `Input`, the `InputPath` of it, or the transformer's output."""
    if target.get("Input") is not None:
        try:
            return json.loads(target["Input"])
        except ValueError as error:
            raise DeliveryError("InvalidInput", f"target Input is not JSON: {error}") from error
    if target.get("InputPath"):
        return _first(target["InputPath"], event)
    transformer = target.get("InputTransformer")
    if transformer:
        return transform_input(
            transformer.get("InputTemplate", ""), transformer.get("InputPathsMap") or {}, event, rule
        )
    return event


def _first(path: str, data: Any) -> Any:
    matches = jsonpath_parse(path).find(data)
    return matches[0].value if matches else None


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def transform_input(template: str, paths: dict[str, str], event: dict[str, Any], rule: Any = None) -> Any:
    """EventBridge's InputTransformer: `<name>` placeholders filled from `InputPathsMap`.

    Inside a JSON string a value is inserted as text; elsewhere as JSON. The result is parsed
    as JSON when it is JSON, else delivered as a string.
    """
    values: dict[str, Any] = {name: _first(path, event) for name, path in paths.items()}
    values["aws.events.event.json"] = event
    values["aws.events.event"] = {k: v for k, v in event.items() if k != "detail"}
    values["aws.events.event.ingestion-time"] = event.get("time")
    if rule is not None:
        values["aws.events.rule-arn"] = rule.arn
        values["aws.events.rule-name"] = rule.name

    out: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in values:
            continue
        out.append(template[position : match.start()])
        value = values[name]
        in_string = _inside_json_string(template, match.start())
        if in_string:
            text = value if isinstance(value, str) else json.dumps(value)
            out.append(json.dumps(text)[1:-1])
        elif isinstance(value, str):
            out.append(json.dumps(value) if template.lstrip().startswith(("{", "[")) else value)
        else:
            out.append(json.dumps(value))
        position = match.end()
    out.append(template[position:])
    text = "".join(out)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _inside_json_string(text: str, index: int) -> bool:
    quotes = 0
    escaped = False
    for char in text[:index]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quotes += 1
    return quotes % 2 == 1
