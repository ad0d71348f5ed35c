"""Fixtures for every test: fake AWS credentials in us-east-1 (set before anything imports boto3 or
Powertools), moto, the functions' environment, an SNS topic with an SQS subscriber to read what
was published, and a fake Lambda context."""

from __future__ import annotations

import os

# Before any import of boto3 / Powertools: never reach real AWS, fixed region, quiet tracer.
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "mlops-loop-test",
    "POWERTOOLS_METRICS_NAMESPACE": "MlopsLoopTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

import importlib.util  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

_ROOT = Path(__file__).resolve().parents[1]
# `pip install -e .` should map the layer packages; fall back to the layer folders when it does not.
# (A namespace package does not count: tests/dataquality/ looks like one once tests/ is on sys.path.)
for _package, _folder in (("mlops_loop", "layers/shared"), ("dataquality", "layers/dataquality")):
    _spec = importlib.util.find_spec(_package)
    if _spec is None or _spec.origin is None:
        sys.path.insert(0, str(_ROOT / _folder))

from collections.abc import Iterator  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from localcloud.patches import patch_dynamodb_atomic_writes  # noqa: E402
from localcloud.runtime import register_reset  # noqa: E402

# AWS makes a conditional write to one item atomic; moto does not (the retraining lock's tests
# race otherwise). The one moto fidelity fix unit tests need from the local cloud's patches.
patch_dynamodb_atomic_writes()

from tests.support.caches import reset_caches  # noqa: E402
from tests.support.helpers import (  # noqa: E402
    BUCKET,
    GROUP,
    LIVE_PARAMETER,
    REGION,
    FakeLambdaContext,
    Topic,
)


def _reset_caches_if_imported() -> None:
    """The shared layer this process imported caches settings and boto3 clients; a local cloud's start
    and stop make them stale (another environment, other credentials). Not imported: nothing to forget,
    and importing it here would put the host's copy in place before a test means to."""
    if "mlops_loop.aws" in sys.modules or "mlops_loop.settings" in sys.modules:
        reset_caches()


register_reset(_reset_caches_if_imported)


@pytest.fixture(autouse=True)
def _no_metrics_carried_over(request: pytest.FixtureRequest) -> Iterator[None]:
    """Powertools keeps metrics in a process-wide buffer that only a handler's flush empties: a unit
    test that calls the logic directly (monitoring, model quality) would leave its metrics for the
    next handler test of the same worker to emit, so what a test sees would depend on the test order.
    Unit tests only: on the local cloud, functions import and run on other threads meanwhile."""
    observability = sys.modules.get("mlops_loop.observability")
    metrics = getattr(observability, "metrics", None)
    if metrics is not None and request.path.is_relative_to(Path(__file__).parent / "unit"):
        metrics.clear_metrics()
    yield


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def aws_mock() -> Iterator[None]:
    """moto for every service; cached clients and settings are rebuilt inside the mock."""
    with mock_aws():
        reset_caches()
        yield
    reset_caches()


@pytest.fixture
def topic(aws_mock: None) -> Topic:
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    arn = sns.create_topic(Name="mlops-loop-dev-notifications")["TopicArn"]
    url = sqs.create_queue(QueueName="notifications-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
    return Topic(arn, url, sqs)


@pytest.fixture
def bucket(aws_mock: None) -> str:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, topic: Topic, bucket: str) -> dict[str, str]:
    """The environment the template gives the functions (docs/architecture.md), for tests."""
    env = {
        "ENVIRONMENT_NAME": "dev",
        "MODEL_PACKAGE_GROUP": GROUP,
        "NOTIFICATION_TOPIC_ARN": topic.arn,
        "ARTIFACTS_BUCKET": bucket,
        "OUTPUT_PREFIX": "batch-inference",
        "BATCH_INPUT_S3_URI": f"s3://{bucket}/batch-input/",
        "LIVE_MODEL_PARAMETER_NAME": LIVE_PARAMETER,
        "RUN_ON_APPROVAL": "false",
        "DRIFT_EVENT_SOURCE": "mlops.monitoring",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    return env
