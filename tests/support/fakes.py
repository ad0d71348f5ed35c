"""In-memory stand-ins for the ports (mlops_loop.ports): the logic's unit tests run without moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops_loop.errors import ModelPackageNotFound
from mlops_loop.models.notification import Notification
from mlops_loop.ports import (
    ArtifactNotFound,
    ArtifactTooLarge,
    ArtifactUnreadable,
    EventNotPublished,
    ExecutionAlreadyExists,
    Item,
    PipelineStart,
    StartedExecution,
)
from mlops_loop.s3uri import S3Uri


@dataclass
class FakeArtifactStore:
    """Objects by URI; `refused` URIs answer as an S3 refusal would (AccessDenied, NoSuchBucket)."""

    objects: dict[str, bytes] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)

    def put_json(self, uri: str, doc: Any) -> None:
        self.objects[uri] = json.dumps(doc).encode()

    def read(self, uri: S3Uri, *, max_bytes: int | None = None) -> bytes:
        if str(uri) in self.refused:
            raise ArtifactUnreadable(f"{uri} cannot be read (AccessDenied)")
        if str(uri) not in self.objects:
            raise ArtifactNotFound(f"{uri} does not exist (NoSuchKey)")
        body = self.objects[str(uri)]
        if max_bytes is not None and len(body) > max_bytes:
            raise ArtifactTooLarge(f"{uri} holds {len(body)} bytes, more than {max_bytes}")
        return body

    def write(self, uri: S3Uri, body: bytes, content_type: str) -> None:
        self.objects[str(uri)] = body

    def keys(self, prefix: S3Uri) -> Iterator[S3Uri]:
        for uri in sorted(self.objects):
            if uri.startswith(str(prefix)):
                yield S3Uri.parse(uri)


@dataclass
class FakeNotifier:
    published: list[tuple[str, Notification]] = field(default_factory=list)

    def publish(self, topic_arn: str, note: Notification) -> str:
        self.published.append((topic_arn, note))
        return f"message-{len(self.published)}"


@dataclass
class FakeEventBus:
    """Events put, in order; `refuse_with` (an ErrorCode, an ErrorMessage) fails every entry as
    PutEvents reports a failed entry."""

    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    refuse_with: tuple[str, str] | None = None

    def put(self, source: str, detail_type: str, detail: dict[str, Any]) -> str:
        if self.refuse_with is not None:
            raise EventNotPublished(*self.refuse_with)
        self.events.append((source, detail_type, json.loads(json.dumps(detail))))
        return f"event-{len(self.events)}"


@dataclass
class FakeRegistry:
    """Approved version summaries served in pages; packages by ARN; existing SageMaker Models."""

    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: set[str] = field(default_factory=set)
    #: SageMaker Model name -> the model package it serves (a model created meanwhile)
    model_packages: dict[str, str] = field(default_factory=dict)
    #: the newest PendingManualApproval version's summary, if any
    pending: dict[str, Any] | None = None

    def approved_version_pages(
        self, group_api_name: str, region: str | None
    ) -> Iterator[list[dict[str, Any]]]:
        yield from self.pages

    def group_exists(self, group_api_name: str, region: str | None) -> bool:
        return group_api_name in self.groups

    def describe_package(self, model_package_arn: str, region: str | None) -> dict[str, Any]:
        if model_package_arn not in self.packages:
            raise ModelPackageNotFound(f"model package {model_package_arn} does not exist")
        return self.packages[model_package_arn]

    def model_exists(self, name: str) -> bool:
        return name in self.models or name in self.model_packages

    def model_package_of(self, name: str) -> str | None:
        if name in self.model_packages:
            return self.model_packages[name]
        return "" if name in self.models else None

    def newest_pending_version(self, group_api_name: str, region: str | None) -> dict[str, Any] | None:
        return self.pending


@dataclass
class FakeStateTable:
    """Items by `id`, with DynamoDB's conditional-write semantics (a failed condition: False)."""

    items: dict[str, Item] = field(default_factory=dict)
    #: called before each conditional write: a test plays a concurrent writer there
    before_write: Callable[[], None] | None = None

    def _race(self) -> None:
        if self.before_write is not None:
            self.before_write()

    def _holds(self, key: str, expected: Item, without: tuple[str, ...] = ()) -> bool:
        current = self.items.get(key)
        return (
            current is not None
            and all(current.get(name) == value for name, value in expected.items())
            and not any(name in current for name in without)
        )

    def get(self, key: str) -> Item | None:
        found = self.items.get(key)
        return dict(found) if found is not None else None

    def put(self, item: Item) -> None:
        self.items[str(item["id"])] = dict(item)

    def put_if_absent(self, item: Item, *, or_expired_before: int | None = None) -> bool:
        self._race()
        current = self.items.get(str(item["id"]))
        expired = (
            current is not None
            and or_expired_before is not None
            and "expiration" in current
            and int(current["expiration"]) < or_expired_before
        )
        if current is not None and not expired:
            return False
        self.put(item)
        return True

    def replace_if(self, item: Item, expected: Item) -> bool:
        self._race()
        if not self._holds(str(item["id"]), expected):
            return False
        self.put(item)
        return True

    def update_if(self, key: str, changes: Item, expected: Item) -> bool:
        self._race()
        if not self._holds(key, expected):
            return False
        self.items[key].update(changes)
        return True

    def delete_if(self, key: str, expected: Item, *, without: tuple[str, ...] = ()) -> bool:
        self._race()
        if not self._holds(key, expected, without):
            return False
        del self.items[key]
        return True


@dataclass
class FakeWorkflows:
    """Executions by ARN with their status; StartExecution's idempotency as Step Functions has it
    (same name and input while RUNNING: that execution; otherwise ExecutionAlreadyExists)."""

    executions: dict[str, dict[str, Any]] = field(default_factory=dict)
    pipeline_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)

    def start_execution(self, state_machine_arn: str, name: str, input_json: str) -> StartedExecution:
        arn = state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
        if arn in self.executions:
            known = self.executions[arn]
            if known["status"] == "RUNNING" and known["input"] == input_json:
                return StartedExecution(arn, known["startDate"])
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
        self.executions[arn] = {"status": "RUNNING", "input": input_json, "startDate": datetime.now(UTC)}
        self.started.append(arn)
        return StartedExecution(arn, self.executions[arn]["startDate"])

    def execution_status(self, execution_arn: str) -> str | None:
        known = self.executions.get(execution_arn)
        return None if known is None else str(known["status"])

    def start_pipeline_execution(self, start: PipelineStart) -> str:
        for arn, run in self.pipeline_runs.items():
            if run["start"].client_request_token == start.client_request_token:
                return arn
        pipeline = f"arn:aws:sagemaker:us-east-1:123456789012:pipeline/{start.pipeline_name}"
        arn = f"{pipeline}/execution/{len(self.pipeline_runs)}"
        self.pipeline_runs[arn] = {"status": "Executing", "start": start}
        self.started.append(arn)
        return arn

    def pipeline_execution_status(self, pipeline_execution_arn: str) -> str | None:
        run = self.pipeline_runs.get(pipeline_execution_arn)
        return None if run is None else str(run["status"])


@dataclass
class FakeParameterStore:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def put(self, name: str, value: str) -> None:
        self.values[name] = value
