"""Forgetting what the shared layer caches per process (settings and boto3 clients)."""

from __future__ import annotations


def reset_caches() -> None:
    """Rebuild settings and boto3 clients on next use: after a test changes the environment or starts
    or stops a mock, the cached ones would point at the previous one."""
    from mlops_loop import aws, settings

    aws.reset_clients()
    settings.reset()
