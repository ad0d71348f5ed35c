"""S3 listings the check needs beyond the ArtifactStore port: ETags and times, and the sweep's markers."""

from __future__ import annotations

from mlops_loop import aws
from mlops_loop.model_quality.service import MARKER, Listed
from mlops_loop.s3uri import S3Uri


def list_objects(prefix: S3Uri) -> list[Listed]:
    """Every object under `prefix` with its ETag and LastModified (ListObjectsV2)."""
    out: list[Listed] = []
    for page in aws.s3().get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key):
        for item in page.get("Contents", []):
            out.append(Listed(item["Key"], item["ETag"], item["LastModified"]))
    return out


def markers(bucket: str, ground_truth_prefix: str) -> list[str]:
    """The keys of every label set's marker under the ground-truth prefix (the sweep's work list)."""
    prefix = S3Uri(bucket, ground_truth_prefix.strip("/") + "/")
    return [item.key for item in list_objects(prefix) if item.key.rsplit("/", 1)[-1] == MARKER]
