"""Small S3 helpers used by the job runners (through boto3, which moto intercepts in-process)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

from localcloud.sagemaker_jobs.errors import JobFailedError


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        if not isinstance(uri, str) or not uri.startswith("s3://"):
            raise JobFailedError(f"ClientError: not an S3 URI: {uri!r}")
        rest = uri[len("s3://") :]
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise JobFailedError(f"ClientError: S3 URI without a bucket: {uri!r}")
        return cls(bucket, key)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, name: str) -> S3Location:
        base = self.key.rstrip("/")
        return S3Location(self.bucket, f"{base}/{name}" if base else name)


class S3:
    """Reads and writes objects; errors become a ``JobFailedError`` naming the URI."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def list_objects(self, prefix_uri: str) -> list[S3Location]:
        """Every object whose key starts with the prefix (S3Prefix semantics), sorted, no folders."""
        loc = S3Location.parse(prefix_uri)
        found: list[S3Location] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=loc.bucket, Prefix=loc.key):
                for obj in page.get("Contents", []):
                    if not obj["Key"].endswith("/"):
                        found.append(S3Location(loc.bucket, obj["Key"]))
        except self._client.exceptions.NoSuchBucket as exc:
            raise JobFailedError(f"ClientError: bucket {loc.bucket!r} does not exist ({prefix_uri})") from exc
        except self._client.exceptions.ClientError as exc:
            raise JobFailedError(_denied(exc, prefix_uri)) from exc
        return sorted(found, key=lambda o: o.key)

    def read(self, loc: S3Location, *, gunzip: bool = False) -> bytes:
        try:
            body = self._client.get_object(Bucket=loc.bucket, Key=loc.key)["Body"].read()
        except self._client.exceptions.NoSuchKey as exc:
            raise JobFailedError(f"ClientError: object not found: {loc.uri}") from exc
        except self._client.exceptions.NoSuchBucket as exc:
            raise JobFailedError(f"ClientError: bucket {loc.bucket!r} does not exist ({loc.uri})") from exc
        except self._client.exceptions.ClientError as exc:
            raise JobFailedError(_denied(exc, loc.uri)) from exc
        data: bytes = body
        if gunzip:
            try:
                data = gzip.decompress(data)
            except OSError as exc:
                raise JobFailedError(f"ClientError: {loc.uri} is not valid gzip: {exc}") from exc
        return data

    def write(self, loc: S3Location, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        try:
            self._client.put_object(Bucket=loc.bucket, Key=loc.key, Body=data, **extra)
        except self._client.exceptions.NoSuchBucket as exc:
            raise JobFailedError(f"ClientError: bucket {loc.bucket!r} does not exist ({loc.uri})") from exc
        except self._client.exceptions.ClientError as exc:
            raise JobFailedError(_denied(exc, loc.uri)) from exc

    def read_prefix(self, prefix_uri: str, *, gunzip: bool = False) -> list[tuple[S3Location, bytes]]:
        objects = self.list_objects(prefix_uri)
        if not objects:
            raise JobFailedError(f"ClientError: no objects found under {prefix_uri}")
        return [(o, self.read(o, gunzip=gunzip)) for o in objects]

    def read_manifest(self, manifest_uri: str) -> tuple[str, list[S3Location]]:
        """A ``ManifestFile`` data source: ``[{"prefix": "s3://b/p/"}, "suffix", ...]``, each object
        being prefix + suffix (SageMaker API Reference, TransformS3DataSource / ProcessingS3Input /
        S3DataSource). Returns the prefix's key and the objects, in the manifest's order."""
        raw = self.read(S3Location.parse(manifest_uri))
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise JobFailedError(f"ClientError: manifest {manifest_uri} is not JSON: {exc}") from exc
        head = doc[0] if isinstance(doc, list) and doc else None
        prefix = head.get("prefix") if isinstance(head, dict) else None
        if not isinstance(prefix, str) or not prefix.startswith("s3://"):
            raise JobFailedError(
                f"ClientError: manifest {manifest_uri} must be a JSON array whose first element is "
                '{"prefix": "s3://..."}'
            )
        suffixes = doc[1:]
        if not suffixes or not all(isinstance(x, str) and x for x in suffixes):
            raise JobFailedError(f"ClientError: manifest {manifest_uri} lists no object (suffix strings)")
        base = S3Location.parse(prefix)
        return base.key, [S3Location(base.bucket, base.key + suffix) for suffix in suffixes]


def _denied(error: Any, uri: str) -> str:
    """SageMaker's FailureReason for a refused S3 call names the error and the object."""
    details = error.response.get("Error", {})
    return f"ClientError: {details.get('Code', 'Unknown')}: {details.get('Message', '')} ({uri})"
