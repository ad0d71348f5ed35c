"""What the loop's logic needs from AWS, as small typed ports.

The logic (monitoring.py, resolve.py, failures.py, approvals.py, live.py, scheduling.py and the
retraining starter) takes these; the boto3 adapters behind them are in adapters.py (typed with the
services' mypy-boto3 stubs); unit tests pass in-memory fakes
(tests/support/fakes.py), and the adapters and whole flows are tested on moto and the local cloud.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mlops_loop.models.notification import Notification
from mlops_loop.s3uri import S3Uri


class ArtifactNotFound(Exception):
    """No object at that key (S3's NoSuchKey / 404): the one answer that means "absent"."""


class ArtifactUnreadable(Exception):
    """The object may exist but cannot be read (AccessDenied, 403, NoSuchBucket, a KMS error...)."""


class ArtifactTooLarge(ArtifactUnreadable):
    """The object is larger than its reader takes (`read`'s max_bytes): it was not downloaded."""


class ArtifactStore(Protocol):
    """A run's files: baselines, monitoring outputs, reports, partial profiles, a version's metrics."""

    def read(self, uri: S3Uri, *, max_bytes: int | None = None) -> bytes:
        """The object's bytes; ArtifactNotFound or ArtifactUnreadable otherwise (ArtifactTooLarge,
        before any download, for an object of more than `max_bytes`)."""
        ...

    def write(self, uri: S3Uri, body: bytes, content_type: str) -> None: ...

    def keys(self, prefix: S3Uri) -> Iterator[S3Uri]:
        """Every object whose key starts with `prefix.key` (a folder: end it with '/')."""
        ...


class Notifier(Protocol):
    """Tells people: one message on the stack's topic."""

    def publish(self, topic_arn: str, note: Notification) -> str:
        """Publish; returns the message id."""
        ...


class ModelRegistry(Protocol):
    """The Model Registry as ResolveModel reads it (raw SageMaker shapes, reduced by registry.py)."""

    def approved_version_pages(
        self, group_api_name: str, region: str | None
    ) -> Iterator[list[dict[str, Any]]]:
        """The group's Approved versions (ListModelPackages summaries), page by page."""
        ...

    def group_exists(self, group_api_name: str, region: str | None) -> bool: ...

    def describe_package(self, model_package_arn: str, region: str | None) -> dict[str, Any]:
        """DescribeModelPackage's answer; ModelPackageNotFound when it does not exist."""
        ...

    def model_exists(self, name: str) -> bool: ...

    def model_package_of(self, name: str) -> str | None:
        """The model package a SageMaker Model serves (its container's ModelPackageName, "" when it
        names none); None when there is no model of that name."""
        ...

    def newest_pending_version(self, group_api_name: str, region: str | None) -> dict[str, Any] | None:
        """The group's newest PendingManualApproval version (a ListModelPackages summary), or None."""
        ...


#: A state-table item: attribute name -> a string (DynamoDB `S`) or an integer (`N`).
Item = dict[str, str | int]


class StateTable(Protocol):
    """The stack's state table (partition key `id`, TTL attribute `expiration`): the retraining lock
    and episode markers. A conditional write whose condition does not hold answers False (DynamoDB's
    ConditionalCheckFailedException); every other error propagates."""

    def get(self, key: str) -> Item | None:
        """The item of that `id` (a consistent read), None when there is none."""
        ...

    def put(self, item: Item) -> None: ...

    def put_if_absent(self, item: Item, *, or_expired_before: int | None = None) -> bool:
        """Write `item` if no item has its `id` (or, with `or_expired_before`, the one there has an
        `expiration` below it)."""
        ...

    def replace_if(self, item: Item, expected: Item) -> bool:
        """Overwrite the item of `item`'s `id` if it holds every attribute value of `expected`."""
        ...

    def update_if(self, key: str, changes: Item, expected: Item) -> bool:
        """Set `changes` on the item of `key` if it holds every attribute value of `expected`."""
        ...

    def delete_if(self, key: str, expected: Item, *, without: tuple[str, ...] = ()) -> bool:
        """Delete the item of `key` if it holds `expected` and has none of the attributes `without`."""
        ...


class ExecutionAlreadyExists(Exception):
    """StartExecution refused the name: a closed execution has it, or a running one with another
    input (Step Functions' ExecutionAlreadyExists)."""


@dataclass(frozen=True)
class StartedExecution:
    """StartExecution's answer: with the name and input of a RUNNING execution, that execution
    (its start date then lies before the call)."""

    execution_arn: str
    start_date: datetime


@dataclass(frozen=True)
class PipelineStart:
    """StartPipelineExecution's request, as the retraining starter makes it."""

    pipeline_name: str
    display_name: str
    description: str
    parameters: list[dict[str, str]]
    client_request_token: str
    max_parallel_steps: int


class Workflows(Protocol):
    """Runs of the stack's workflows: Step Functions executions and SageMaker Pipeline executions."""

    def start_execution(self, state_machine_arn: str, name: str, input_json: str) -> StartedExecution:
        """Start (idempotent for a running execution of that name and input); ExecutionAlreadyExists."""
        ...

    def execution_status(self, execution_arn: str) -> str | None:
        """DescribeExecution's status (RUNNING, SUCCEEDED...), None when no such execution exists."""
        ...

    def start_pipeline_execution(self, start: PipelineStart) -> str:
        """The pipeline execution's ARN (the same for a repeated ClientRequestToken)."""
        ...

    def pipeline_execution_status(self, pipeline_execution_arn: str) -> str | None:
        """PipelineExecutionStatus (Executing, Stopping, Succeeded...), None when it does not exist."""
        ...


class EventNotPublished(Exception):
    """PutEvents answered but did not take the event: its entry carries an ErrorCode (botocore's
    events model, PutEventsResultEntry: InternalFailure and ThrottlingException are retryable;
    AccessDeniedException, InvalidArgument, MalformedDetail, NotAuthorizedForSourceException...
    are not). PutEvents reports this in FailedEntryCount, not as an exception."""

    def __init__(self, error_code: str, error_message: str) -> None:
        super().__init__(f"PutEvents refused the event: {error_code} {error_message}".rstrip())
        self.error_code = error_code
        self.error_message = error_message


class EventBus(Protocol):
    """The account's default EventBridge bus: the loop's own events (Model Quality Degraded)."""

    def put(self, source: str, detail_type: str, detail: dict[str, Any]) -> str:
        """Publish one event; returns its EventId. EventNotPublished when its entry failed."""
        ...


class ParameterStore(Protocol):
    """SSM Parameter Store's String parameters (the live-model record)."""

    def get(self, name: str) -> str | None:
        """The parameter's value, None when there is no such parameter (ParameterNotFound)."""
        ...

    def put(self, name: str, value: str) -> None:
        """Write (overwrite) a String parameter."""
        ...
