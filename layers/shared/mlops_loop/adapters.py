"""The boto3 adapters behind the ports (ports.py), typed with the services' mypy-boto3 stubs.

Each adapter is the only place its service's calls and error codes are known; the logic sees the
ports' results and named errors. boto3 is imported as before (mlops_loop.aws); the stubs are for
the type checker only.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from mlops_loop import aws
from mlops_loop.errors import ModelPackageNotFound
from mlops_loop.models.notification import Notification
from mlops_loop.ports import ArtifactNotFound, ArtifactUnreadable
from mlops_loop.s3uri import S3Uri

#: S3's answers for "no object at that key" (GetObject: NoSuchKey; HEAD-style and some proxies: 404).
_ABSENT = frozenset({"NoSuchKey", "404", "NotFound"})


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3ArtifactStore:
    """ArtifactStore on S3. Only NoSuchKey/404 is "not found"; every other refusal (AccessDenied,
    403, NoSuchBucket, a KMS error) is ArtifactUnreadable, so nothing reads a refusal as absence."""

    def read(self, uri: S3Uri) -> bytes:
        try:
            return aws.s3().get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
        except ClientError as exc:
            code = _code(exc)
            if code in _ABSENT:
                raise ArtifactNotFound(f"{uri} does not exist ({code})") from None
            raise ArtifactUnreadable(f"{uri} cannot be read ({code})") from None

    def write(self, uri: S3Uri, body: bytes, content_type: str) -> None:
        aws.s3().put_object(Bucket=uri.bucket, Key=uri.key, Body=body, ContentType=content_type)

    def keys(self, prefix: S3Uri) -> Iterator[S3Uri]:
        paginator = aws.s3().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=prefix.bucket, Prefix=prefix.key):
            for item in page.get("Contents", []):
                if "Key" in item:
                    yield S3Uri(prefix.bucket, item["Key"])


class SnsNotifier:
    """Notifier on the stack's SNS topic."""

    def publish(self, topic_arn: str, note: Notification) -> str:
        response = aws.sns().publish(TopicArn=topic_arn, Subject=note.subject, Message=note.message)
        return response["MessageId"]


class SageMakerRegistry:
    """ModelRegistry on SageMaker's Model Registry (the group may live in another account/region)."""

    def approved_version_pages(
        self, group_api_name: str, region: str | None
    ) -> Iterator[list[dict[str, Any]]]:
        # CreationTime Descending (the API's default is Ascending) and every page of 100.
        paginator = aws.sagemaker(region).get_paginator("list_model_packages")
        for page in paginator.paginate(
            ModelPackageGroupName=group_api_name,
            ModelApprovalStatus="Approved",
            ModelPackageType="Versioned",
            SortBy="CreationTime",
            SortOrder="Descending",
            PaginationConfig={"PageSize": 100},
        ):
            yield [dict(summary) for summary in page.get("ModelPackageSummaryList", [])]

    def group_exists(self, group_api_name: str, region: str | None) -> bool:
        try:
            aws.sagemaker(region).describe_model_package_group(ModelPackageGroupName=group_api_name)
        except ClientError as exc:
            message = exc.response.get("Error", {}).get("Message", "")
            if _code(exc) == "ValidationException" and "not exist" in message:
                return False
            raise
        return True

    def describe_package(self, model_package_arn: str, region: str | None) -> dict[str, Any]:
        try:
            return dict(aws.sagemaker(region).describe_model_package(ModelPackageName=model_package_arn))
        except ClientError as exc:
            if _is_missing(exc):
                raise ModelPackageNotFound(
                    f"model package {model_package_arn} does not exist or may not be read: "
                    f"{exc.response.get('Error', {}).get('Message', '')}"
                ) from None
            raise

    def model_exists(self, name: str) -> bool:
        try:
            aws.sagemaker().describe_model(ModelName=name)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            if err.get("Code") == "ValidationException" and "Could not find model" in err.get("Message", ""):
                return False
            raise
        return True

    def model_package_of(self, name: str) -> str | None:
        return _model_package_of(name)


def _model_package_of(name: str) -> str | None:
    try:
        described = aws.sagemaker().describe_model(ModelName=name)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if err.get("Code") == "ValidationException" and "Could not find model" in err.get("Message", ""):
            return None
        raise
    container: Any = described.get("PrimaryContainer") or (described.get("Containers") or [{}])[0]
    return str(container.get("ModelPackageName") or "")


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    message = error.get("Message", "").lower()
    if error.get("Code") == "ResourceNotFound":
        return True
    return error.get("Code") == "ValidationException" and ("not exist" in message or "not found" in message)


@cache
def artifact_store() -> S3ArtifactStore:
    return S3ArtifactStore()


@cache
def notifier() -> SnsNotifier:
    return SnsNotifier()


@cache
def model_registry() -> SageMakerRegistry:
    return SageMakerRegistry()
