"""In-memory stand-ins for the ports (mlops_loop.ports): the logic's unit tests run without moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mlops_loop.errors import ModelPackageNotFound
from mlops_loop.models.notification import Notification
from mlops_loop.ports import ArtifactNotFound, ArtifactUnreadable
from mlops_loop.s3uri import S3Uri


@dataclass
class FakeArtifactStore:
    """Objects by URI; `refused` URIs answer as an S3 refusal would (AccessDenied, NoSuchBucket)."""

    objects: dict[str, bytes] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)

    def put_json(self, uri: str, doc: Any) -> None:
        self.objects[uri] = json.dumps(doc).encode()

    def read(self, uri: S3Uri) -> bytes:
        if str(uri) in self.refused:
            raise ArtifactUnreadable(f"{uri} cannot be read (AccessDenied)")
        if str(uri) not in self.objects:
            raise ArtifactNotFound(f"{uri} does not exist (NoSuchKey)")
        return self.objects[str(uri)]

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
class FakeRegistry:
    """Approved version summaries served in pages; packages by ARN; existing SageMaker Models."""

    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: set[str] = field(default_factory=set)
    #: SageMaker Model name -> the model package it serves (a model created meanwhile)
    model_packages: dict[str, str] = field(default_factory=dict)

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
