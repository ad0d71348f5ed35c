"""boto3 clients, created once per process with adaptive retries (throttling backs off)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CLIENT_CONFIG = Config(retries={"max_attempts": 8, "mode": "adaptive"}, user_agent_extra="mlops-loop")


@cache
def client(service: str, region: str | None = None) -> Any:
    """A cached boto3 client; `region` matters for cross-account/cross-region registries."""
    return boto3.session.Session().client(service, region_name=region, config=_CLIENT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests switch mocks between cases)."""
    client.cache_clear()
