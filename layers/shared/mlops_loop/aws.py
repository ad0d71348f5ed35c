"""boto3 clients, created once per process with adaptive retries (throttling backs off).

The typed accessors (`s3()`, `sns()`, `sagemaker()`, `stepfunctions()`, `dynamodb()`, `ssm()`,
`events()`) return
the client typed with the service's mypy-boto3 stubs, so mypy checks every call made through them
(operation names, parameters, response keys). The stubs are a dev dependency, imported for type checking only:
the Lambda runtime never loads them.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

_CLIENT_CONFIG = Config(retries={"max_attempts": 8, "mode": "adaptive"}, user_agent_extra="mlops-loop")


@cache
def client(service: str, region: str | None = None) -> Any:
    """A cached boto3 client; `region` matters for cross-account/cross-region registries."""
    return boto3.session.Session().client(service, region_name=region, config=_CLIENT_CONFIG)


def s3(region: str | None = None) -> S3Client:
    found: S3Client = client("s3", region)
    return found


def sns(region: str | None = None) -> SNSClient:
    found: SNSClient = client("sns", region)
    return found


def sagemaker(region: str | None = None) -> SageMakerClient:
    found: SageMakerClient = client("sagemaker", region)
    return found


def stepfunctions(region: str | None = None) -> SFNClient:
    found: SFNClient = client("stepfunctions", region)
    return found


def dynamodb(region: str | None = None) -> DynamoDBClient:
    found: DynamoDBClient = client("dynamodb", region)
    return found


def ssm(region: str | None = None) -> SSMClient:
    found: SSMClient = client("ssm", region)
    return found


def events(region: str | None = None) -> EventBridgeClient:
    found: EventBridgeClient = client("events", region)
    return found


def reset_clients() -> None:
    """Forget cached clients (tests switch mocks between cases)."""
    client.cache_clear()
