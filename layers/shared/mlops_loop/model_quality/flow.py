"""CheckModelQuality's logic: a label set's marker (or the daily sweep) -> the check -> its actions.

Idempotent per run and label set (docs/model-quality.md): a set whose verdict.json exists is not
checked again; two deliveries at once are kept to one by an idempotency record keyed on the set's
output folder (mlops_loop.once_per_event), and verdict.json is written after the actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from dataquality.errors import DataQualityError

from mlops_loop import adapters, notifications
from mlops_loop.errors import MlopsError
from mlops_loop.model_quality import actions, service
from mlops_loop.model_quality import adapters as mq_adapters
from mlops_loop.model_quality.settings import CheckModelQualitySettings
from mlops_loop.observability import logger, metrics
from mlops_loop.once_per_event import once_per_event
from mlops_loop.ports import ArtifactStore, ArtifactUnreadable, EventBus, ModelRegistry
from mlops_loop.retraining.drift import starter_for


def _act(
    outcome: service.CheckOutcome, cfg: CheckModelQualitySettings, store: ArtifactStore, bus: EventBus
) -> dict[str, Any]:
    done: dict[str, Any] = {}
    next_step = ""
    if outcome.verdict == "degraded":
        rows_uri = actions.training_uri(outcome, cfg.training_data_s3_uri)
        store.write(rows_uri, actions.labelled_rows(outcome, store).encode(), "text/csv")
        done["trainingRowsS3Uri"] = str(rows_uri)
        done["eventId"] = actions.put_event(
            bus, actions.event_detail(outcome, cfg.environment_name), cfg.drift_event_source
        )
        start, next_step = actions.start_retraining(
            outcome,
            group=cfg.model_package_group,
            training_data_s3_uri=cfg.training_data_s3_uri,
            cooldown_days=cfg.retraining_cooldown_days,
            starter=lambda: starter_for(cfg),
            batch_state_machine_arn=cfg.batch_inference_state_machine_arn,
        )
        done["retraining"] = start.dump() if start else {"started": False, "outcome": "suppressed"}
        done["retraining"]["detail"] = next_step
    elif outcome.verdict == "version_not_live":
        next_step = "Labels for a version that is no longer live never start a retraining."
    note = actions.notification(
        outcome, env=cfg.environment_name, tolerance=cfg.model_quality_tolerance, next_step=next_step
    )
    if note is not None:
        done["messageId"] = notifications.publish(cfg.notification_topic_arn, note)
    doc = service.record(outcome, store, done)
    metrics.add_dimension(name="Verdict", value=outcome.verdict)
    metrics.add_metric(name="ModelQualityChecks", unit=MetricUnit.Count, value=1)
    return _result(outcome, "checked", doc)


def _result(outcome: service.CheckOutcome, status: str, doc: dict[str, Any] | None) -> dict[str, Any]:
    doc = doc or {}
    return {
        "status": status,
        "verdict": outcome.verdict,
        "runId": outcome.ref.run_id,
        "modelPackageVersion": outcome.ref.version,
        "labelSetId": outcome.label_set_id,
        "outputS3Uri": f"{outcome.output}/",
        "rows": doc.get("rows"),
        "actions": doc.get("actions", {}),
    }


def check_label_set(
    marker_key: str,
    cfg: CheckModelQualitySettings,
    context: LambdaContext,
    *,
    store: ArtifactStore | None = None,
    models: ModelRegistry | None = None,
    lister: Callable[..., list[service.Listed]] | None = None,
    bus: EventBus | None = None,
) -> dict[str, Any]:
    """The check of the label set whose marker is `marker_key`, acted on once."""
    store = store or adapters.artifact_store()
    ref = service.RunRef.from_key(marker_key, cfg.ground_truth_prefix)
    outcome = service.check(ref, cfg.check(), store, lister or mq_adapters.list_objects, models)
    if outcome.already_checked:
        logger.info(
            "Label set already checked", extra={"runId": ref.run_id, "labelSetId": outcome.label_set_id}
        )
        return _result(outcome, "already_checked", outcome.stored)
    return once_per_event(
        {"id": str(outcome.output)},
        context,
        lambda: _act(outcome, cfg, store, bus or adapters.event_bus()),
        table_name=cfg.state_table_name,
        name="model-quality",
    )


# What a label set's own problem raises (bad labels, a bad baseline, a refused read): named per set.
_NAMED = (MlopsError, DataQualityError, ArtifactUnreadable)


def sweep(cfg: CheckModelQualitySettings, context: LambdaContext) -> dict[str, Any]:
    """Every marked label set without a verdict (what events missed); one failing run does not stop
    the others, and each failure is named in the result."""
    checked: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for key in mq_adapters.markers(cfg.artifacts_bucket, cfg.ground_truth_prefix):
        try:
            result = check_label_set(key, cfg, context)
        except _NAMED as exc:
            logger.warning("Label set not checked", extra={"marker": key, "error": type(exc).__name__})
            failed.append({"marker": key, "error": type(exc).__name__, "message": str(exc)[:500]})
            continue
        checked.append({k: result[k] for k in ("status", "verdict", "runId", "labelSetId")})
    return {
        "status": "swept",
        "checked": sum(1 for c in checked if c["status"] == "checked"),
        "alreadyChecked": sum(1 for c in checked if c["status"] == "already_checked"),
        "labelSets": checked,
        "failed": failed,
    }
