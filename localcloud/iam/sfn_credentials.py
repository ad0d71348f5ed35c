"""Step Functions task integrations call AWS as the state machine's role (or the task's
`Credentials.RoleArn`), as in AWS. moto's interpreter signs every task's client with one fixed
key; here each interpreter module's `boto_client_for` is rebound to sign with the role's
credentials from the active enforcer. One test in tests/localcloud/test_iam_enforcement.py."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from localcloud import patching
from localcloud.iam import enforcer

_ORIGINALS: list[Callable[..., Any]] = []  # moto's own function, kept once


def install() -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client

    if not _ORIGINALS:
        _ORIGINALS.append(boto_client.boto_client_for)
    original = _ORIGINALS[0]

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        active = enforcer.active()
        role_arn = getattr(state_credentials, "role_arn", None)
        if active is None or not role_arn:
            return original(region=region, service=service, state_credentials=state_credentials)
        import boto3
        from botocore.config import Config
        from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

        credentials = active.credentials_for_role(str(role_arn), "states")
        return boto3.client(
            service_name=service,
            region_name=region,
            config=Config(
                parameter_validation=False,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
            ),
            **credentials.client_kwargs(),
        )

    for name, module in list(sys.modules.items()):
        if (name.startswith("moto.stepfunctions.parser") or name.startswith("localcloud.")) and getattr(
            module, "boto_client_for", None
        ) is original:
            patching.replace(module, "boto_client_for", boto_client_for)
