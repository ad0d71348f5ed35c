"""What the loop's logic needs from AWS, as small typed ports.

The logic (monitoring.py, resolve.py, failures.py) takes these; the boto3 adapters behind them are
in adapters.py (typed with the services' mypy-boto3 stubs); unit tests pass in-memory fakes
(tests/unit/fakes.py), and the adapters and whole flows are tested on moto and the local cloud.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from mlops_loop.models.notification import Notification
from mlops_loop.s3uri import S3Uri


class ArtifactNotFound(Exception):
    """No object at that key (S3's NoSuchKey / 404): the one answer that means "absent"."""


class ArtifactUnreadable(Exception):
    """The object may exist but cannot be read (AccessDenied, 403, NoSuchBucket, a KMS error...)."""


class ArtifactStore(Protocol):
    """A run's files: baselines, monitoring outputs, reports, partial profiles."""

    def read(self, uri: S3Uri) -> bytes:
        """The object's bytes; ArtifactNotFound or ArtifactUnreadable otherwise."""
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
