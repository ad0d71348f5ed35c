"""Freshness policy (desired state: the live model is younger than N days), checked daily.

Actual state: the live version is the one recorded in the live-model SSM parameter (written when a
version is approved), or, when nothing is recorded there, the group's newest Approved version (what
the batch-inference workflow uses). Its age is its CreationTime in the registry. When it is older
than `max_age_days`, retraining starts with reason `stale` through the same at-most-once logic as
drift, keyed by the episode `stale-v<version>-<YYYYMMDD>`: one start per live version per day,
whatever the number of ticks. A newer version already awaiting approval is a fresh candidate:
nothing is started while it waits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from mlops_loop import adapters, live, registry
from mlops_loop.errors import NoApprovedModel
from mlops_loop.models.retraining import FreshnessResult
from mlops_loop.observability import logger
from mlops_loop.retraining.starter import RetrainingRequest, RetrainingStarter

if TYPE_CHECKING:
    from mlops_loop.ports import ModelRegistry, ParameterStore


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def stale_episode_id(version: int, now: datetime) -> str:
    return f"stale-v{version}-{now.astimezone(UTC):%Y%m%d}"


def live_version(
    group: registry.GroupRef,
    live_parameter_name: str,
    models: ModelRegistry | None = None,
    parameters: ParameterStore | None = None,
) -> registry.ModelPackageVersion | None:
    recorded = live.read(live_parameter_name, parameters)
    if recorded is not None and recorded.model_package_arn:
        if recorded.group_name in (None, group.name):
            return registry.describe(recorded.model_package_arn, models)
        logger.warning(
            "Live-model record names another group; using the registry",
            extra={"recorded": recorded.model_package_arn},
        )
    try:
        summary = registry.latest_approved(group, models)
    except NoApprovedModel:
        return None
    return registry.describe(summary["ModelPackageArn"], models)


def _newer_pending(group: registry.GroupRef, than: datetime, models: ModelRegistry) -> bool:
    pending = models.newest_pending_version(group.api_name, group.region)
    return pending is not None and _aware(pending["CreationTime"]) > than


def check_freshness(
    *,
    group: str,
    live_parameter_name: str,
    max_age_days: int,
    now: datetime,
    training_data_s3_uri: str,
    starter_factory: Callable[[], RetrainingStarter],
    models: ModelRegistry | None = None,
    parameters: ParameterStore | None = None,
) -> FreshnessResult:
    """`starter_factory()` builds the RetrainingStarter only when a start is needed; `models` and
    `parameters` default to the AWS adapters."""
    if max_age_days <= 0:
        return FreshnessResult(action="off", max_age_days=max_age_days)
    models = models or adapters.model_registry()
    ref = registry.GroupRef.parse(group)
    current = live_version(ref, live_parameter_name, models, parameters)
    if current is None:
        return FreshnessResult(action="no_live_model", max_age_days=max_age_days)
    created = _aware(current.creation_time)
    age = now - created
    fresh = FreshnessResult(
        action="fresh",
        live_model_package_arn=current.arn,
        live_version=current.version,
        age_days=round(age.total_seconds() / 86400, 3),
        max_age_days=max_age_days,
    )
    if age <= timedelta(days=max_age_days):
        return fresh
    if _newer_pending(ref, created, models):
        return msgspec.structs.replace(fresh, action="awaiting_approval")
    result = starter_factory().start(
        RetrainingRequest(
            reason="stale",
            episode_id=stale_episode_id(current.version, now),
            group=group,
            training_data_s3_uri=training_data_s3_uri,
            base_model_package_arn=current.arn,
        )
    )
    return msgspec.structs.replace(fresh, action="retraining", start=result)
