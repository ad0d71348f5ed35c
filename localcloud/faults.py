"""Fault injection: throttled APIs, duplicated events, failing SageMaker jobs."""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass


def _normalise(name: str) -> str:
    """`CreateTransformJob`, `createTransformJob` and `create_transform_job` compare equal."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# moto's service names differ from the ones people write (boto3 names, SDK prefixes).
_SERVICE_ALIASES = {
    "states": "stepfunctions",
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "awslambda": "lambda",
}


# moto's service names -> botocore's, where they differ.
_BOTOCORE_NAMES = {"awslambda": "lambda"}


def _service(name: str) -> str:
    key = _normalise(name)
    return _SERVICE_ALIASES.get(key, key)


@dataclass
class _Throttle:
    service: str
    operation: str
    remaining: int
    code: str
    hits: int = 0
    # The call is made, then its answer replaced by the error: the request reached the service and
    # did its work, the caller saw a failure (a lost answer), as a 5xx or a timeout after the write.
    after_call: bool = False


@dataclass(frozen=True)
class _Duplicate:
    detail_type: str | None
    source: str | None
    copies: int


@dataclass(frozen=True)
class _JobFailure:
    name_pattern: str
    reason: str


# The error code each service answers when it throttles a call (moto's service names).
# - lambda: TooManyRequestsException, the error botocore's Lambda model declares for Invoke (HTTP 429)
#   and the Step Functions guide names (Lambda.TooManyRequestsException, bp-lambda-serviceexception).
# - sns: Throttling ("Rate exceeded"), the query protocol's throttling code, which botocore's
#   _retry.json retries as "throttling" and SNS answers for Publish (amzn/smoke-aws#149: the SNS
#   client saw unrecognizedError("Throttling", "Rate exceeded")). SNS's modeled ThrottledException
#   (code "Throttled") is declared only by its SMS operations, never by Publish.
# - everything else: ThrottlingException, the throttling error of every API Reference's "Common
#   Errors" page (modeled by EventBridge and DynamoDB, not by SageMaker).
_THROTTLE_ERROR_CODES = {
    "lambda": "TooManyRequestsException",
    "awslambda": "TooManyRequestsException",
    "sns": "Throttling",
}
# What botocore models as throttling for some services besides the above, and a throttle may name:
# DynamoDB's RequestLimitExceeded and ProvisionedThroughputExceededException (declared by its item
# operations), SNS's KMSThrottling (declared by Publish), Lambda's EC2ThrottledException (Invoke).
_OTHER_THROTTLE_CODES = {
    "dynamodb": {"ThrottlingException", "RequestLimitExceeded", "ProvisionedThroughputExceededException"},
    "sns": {"KMSThrottling"},
    "lambda": {"EC2ThrottledException"},
}


def throttle_error_code(service: str) -> str:
    """The error code `service` (moto's name) answers a throttled call with."""
    return _THROTTLE_ERROR_CODES.get(_service(service), "ThrottlingException")


def throttle_error_codes(service: str) -> set[str]:
    """Every throttling code `service` can answer (a throttle may ask for any of them)."""
    key = _service(service)
    return {throttle_error_code(key), *_OTHER_THROTTLE_CODES.get(key, set())}


class Faults:
    """The faults a test or a demo asks for; the patches and the router consult it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._throttles: list[_Throttle] = []
        self._duplicates: list[_Duplicate] = []
        self._job_failures: list[_JobFailure] = []
        self._held_jobs: list[str] = []

    # -- throttling ------------------------------------------------------------------------
    def throttle(self, service: str, operation: str, times: int = 1, code: str | None = None) -> None:
        """The next `times` calls of `service` `operation` fail with the service's throttling error.

        Applies to every caller of the local cloud's APIs: boto3 in handlers, Step Functions
        optimised and SDK integrations, clients of `serve`. `service` is the boto3 name
        (`sagemaker`, `sns`, `stepfunctions`/`states`, `events`, ...); `operation` the API name.
        The error code is the service's own (`throttle_error_code`); `code` picks another of its
        throttling codes (`throttle_error_codes`, e.g. DynamoDB's RequestLimitExceeded).
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if _service(service) == "s3":
            raise ValueError("S3 calls cannot be throttled locally (naming them breaks moto's S3 handlers)")
        chosen = code or throttle_error_code(service)
        if chosen not in throttle_error_codes(service):
            raise ValueError(
                f"{service} does not throttle with {chosen}: one of {sorted(throttle_error_codes(service))}"
            )
        with self._lock:
            self._throttles.append(_Throttle(_service(service), _normalise(operation), times, chosen))

    def fail_call(self, service: str, operation: str, code: str, times: int = 1) -> None:
        """The next `times` calls of `service` `operation` are refused with `code`, an error that
        botocore's model declares for that operation (e.g. SageMaker's ResourceLimitExceeded for
        CreateTransformJob). Counted by `throttled_count` as throttles are."""
        from localcloud import sfn_errors

        if times < 1:
            raise ValueError("times must be at least 1")
        key, operation_key = _service(service), _normalise(operation)
        model_service = _BOTOCORE_NAMES.get(key, key)
        operation_name = operation[:1].upper() + operation[1:]
        declared = {
            sfn_errors.error_code(model_service, shape)
            for shape in sfn_errors.declared_errors(model_service, operation_name)
        }
        if code not in declared:
            raise ValueError(
                f"{service} {operation_name} declares no error {code}: one of {sorted(declared)}"
            )
        with self._lock:
            self._throttles.append(_Throttle(key, operation_key, times, code))

    def lose_answer(
        self, service: str, operation: str, code: str = "InternalFailure", times: int = 1
    ) -> None:
        """The next `times` calls of `service` `operation` do their work, then answer `code` (the
        common "InternalFailure", HTTP 500, by default): the caller retries something already done.
        Counted by `throttled_count` as throttles are."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if _service(service) == "s3":
            raise ValueError("S3 calls cannot be faulted locally (naming them breaks moto's S3 handlers)")
        with self._lock:
            self._throttles.append(
                _Throttle(_service(service), _normalise(operation), times, code, after_call=True)
            )

    def has_throttle(self, service: str) -> bool:
        """Whether any throttle is pending for this service (cheap; checked before naming the call)."""
        service_key = _service(service)
        with self._lock:
            return any(t.remaining > 0 and t.service == service_key for t in self._throttles)

    def take_throttle(self, service: str, operation: str) -> bool:
        """True (and one fewer left) when this call must be throttled."""
        return self.take_throttle_code(service, operation) is not None

    def take_throttle_code(self, service: str, operation: str) -> str | None:
        """The error code to answer (and one fewer left) when this call must be throttled, else None."""
        taken = self.take_fault(service, operation, lost_answers=False)
        return None if taken is None else taken[0]

    def take_fault(
        self, service: str, operation: str, *, lost_answers: bool = True
    ) -> tuple[str, bool] | None:
        """(error code, whether the call is made first) for this call (one fewer left), else None.
        `lost_answers=False`: only faults that refuse the call (callers that cannot make it first)."""
        service_key, operation_key = _service(service), _normalise(operation)
        with self._lock:
            for throttle in self._throttles:
                if (
                    throttle.remaining > 0
                    and throttle.service == service_key
                    and throttle.operation == operation_key
                    and (lost_answers or not throttle.after_call)
                ):
                    throttle.remaining -= 1
                    throttle.hits += 1
                    return throttle.code, throttle.after_call
        return None

    def throttled_count(self, service: str, operation: str) -> int:
        """How many calls were throttled so far for this service and operation."""
        service_key, operation_key = _service(service), _normalise(operation)
        with self._lock:
            return sum(
                t.hits for t in self._throttles if t.service == service_key and t.operation == operation_key
            )

    # -- duplicated events -----------------------------------------------------------------
    def duplicate_events(
        self, detail_type: str | None = None, copies: int = 2, source: str | None = None
    ) -> None:
        """The router delivers every matching event `copies` times to each target."""
        if copies < 1:
            raise ValueError("copies must be at least 1")
        with self._lock:
            self._duplicates.append(_Duplicate(detail_type, source, copies))

    def copies_for(self, event: dict) -> int:
        copies = 1
        with self._lock:
            for duplicate in self._duplicates:
                if duplicate.detail_type is not None and duplicate.detail_type != event.get("detail-type"):
                    continue
                if duplicate.source is not None and duplicate.source != event.get("source"):
                    continue
                copies = max(copies, duplicate.copies)
        return copies

    # -- SageMaker job failures ------------------------------------------------------------
    def fail_job(self, name_pattern: str, reason: str) -> None:
        """Jobs whose name matches the glob `name_pattern` end Failed with `reason`."""
        with self._lock:
            self._job_failures.append(_JobFailure(name_pattern, reason))

    def job_failure_for(self, job_name: str) -> str | None:
        """The failure reason registered for this job name, or None (read by the job runner)."""
        with self._lock:
            for failure in self._job_failures:
                if fnmatch.fnmatchcase(job_name, failure.name_pattern):
                    return failure.reason
        return None

    def hold_job(self, name_pattern: str) -> None:
        """Jobs whose name matches the glob stay InProgress until stopped (StopTrainingJob, ...) or
        released by `clear()`: a job still running while the workflow goes on."""
        with self._lock:
            self._held_jobs.append(name_pattern)

    def job_held(self, job_name: str) -> bool:
        """Whether this job must stay InProgress for now (read by the job runner)."""
        with self._lock:
            return any(fnmatch.fnmatchcase(job_name, pattern) for pattern in self._held_jobs)

    def clear(self) -> None:
        with self._lock:
            self._throttles.clear()
            self._duplicates.clear()
            self._job_failures.clear()
            self._held_jobs.clear()
