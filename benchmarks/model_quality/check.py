"""One model-quality check of a run laid out as in S3, on local files: `service.check` itself (the join,
the statistics, the comparison, statistics.json, constraint_violations.json, report.html), with a
directory standing in for the bucket and a one-version registry. Prints the verdict and counts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_loop.model_quality.service import Listed, RunRef, Settings, check
from mlops_loop.ports import ArtifactNotFound, ArtifactTooLarge
from mlops_loop.s3uri import S3Uri

BUCKET = "bench"
GROUP = "bench-group"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/1"


class Directory:
    """ArtifactStore over a local folder: s3://<bucket>/<key> is <root>/<bucket>/<key>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, uri: S3Uri) -> Path:
        return self.root / uri.bucket / uri.key

    def read(self, uri: S3Uri, *, max_bytes: int | None = None) -> bytes:
        path = self._path(uri)
        if not path.is_file():
            raise ArtifactNotFound(str(uri))
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise ArtifactTooLarge(f"{uri} holds {path.stat().st_size} bytes, more than {max_bytes}")
        return path.read_bytes()

    def write(self, uri: S3Uri, body: bytes, content_type: str) -> None:
        path = self._path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def keys(self, prefix: S3Uri) -> Iterator[S3Uri]:
        base = self.root / prefix.bucket
        for path in sorted(base.rglob("*")):
            key = path.relative_to(base).as_posix()
            if path.is_file() and key.startswith(prefix.key):
                yield S3Uri(prefix.bucket, key)

    def listed(self, prefix: S3Uri) -> list[Listed]:
        return [
            Listed(
                u.key, f"{self._path(u).stat().st_size}-{self._path(u).stat().st_mtime_ns}", datetime.now(UTC)
            )
            for u in self.keys(prefix)
        ]


class OneVersion:
    """The registry as the check reads it: v1, Approved, with its model-quality baseline."""

    def approved_version_pages(
        self, group_api_name: str, region: str | None
    ) -> Iterator[list[dict[str, Any]]]:
        yield [
            {
                "ModelPackageArn": ARN,
                "CreationTime": datetime(2026, 12, 1, tzinfo=UTC),
                "ModelPackageVersion": 1,
            }
        ]

    def group_exists(self, group_api_name: str, region: str | None) -> bool:
        return True

    def describe_package(self, model_package_arn: str, region: str | None) -> dict[str, Any]:
        source = {"ContentType": "application/json"}
        return {
            "ModelPackageArn": ARN,
            "ModelPackageGroupName": GROUP,
            "ModelPackageVersion": 1,
            "CreationTime": datetime(2026, 12, 1, tzinfo=UTC),
            "ModelMetrics": {
                "ModelQuality": {
                    "Statistics": source | {"S3Uri": f"s3://{BUCKET}/baseline/statistics.json"},
                    "Constraints": source | {"S3Uri": f"s3://{BUCKET}/baseline/constraints.json"},
                }
            },
        }

    def model_exists(self, name: str) -> bool:
        return True

    def model_package_of(self, name: str) -> str | None:
        return ARN

    def newest_pending_version(self, group_api_name: str, region: str | None) -> dict[str, Any] | None:
        return None


def main(root: str, run_id: str) -> int:
    store = Directory(Path(root))
    cfg = Settings(
        artifacts_bucket=BUCKET,
        output_prefix="batch-inference",
        ground_truth_prefix="ground-truth",
        model_package_group=GROUP,
    )
    ref = RunRef(GROUP, 1, run_id)
    outcome = check(ref, cfg, store, store.listed, OneVersion())
    assert outcome.joined is not None
    print(json.dumps({"verdict": outcome.verdict, **outcome.joined.counts.to_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
