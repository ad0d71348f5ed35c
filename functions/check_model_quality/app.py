"""Ground truth landed -> the model-quality check of the run it names (docs/model-quality.md).

Triggers: S3's `Object Created` EventBridge event of a label set's marker
(`<GroundTruthPrefix>/<group>/v<version>/<run id>/_SUCCESS`), or the daily sweep's tick (ScheduleV2,
or AWS's default `Scheduled Event` envelope), which checks every marked label set without a verdict.
Writes statistics.json, constraint_violations.json (when violated) and verdict.json under
`<run prefix>/model-quality/<label set id>/`; `degraded` adds the labelled rows to the training
data, puts `Model Quality Degraded`, starts a retraining through the drift path's rule and starter,
and mails; `too_few_labels` and `version_not_live` mail; each label set is acted on once.
Returns `{"status": "checked|already_checked", "verdict", "runId", "labelSetId", ...}` (sweep:
`{"status": "swept", "checked", "alreadyChecked", "labelSets", "failed"}`).
Named errors: InvalidEvent, InvalidGroundTruthKey, RunNotFound, RunMismatch, PredictionsNotFound,
InvalidPredictions, InvalidLabels, PredictionsWithoutIds, MissingModelQualityBaseline;
EventNotPublished (PutEvents failed the degraded event's entry: nothing after it is done, a retry acts).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mlops_loop.model_quality import flow
from mlops_loop.model_quality.settings import CheckModelQualitySettings
from mlops_loop.models.parsing import parse_event
from mlops_loop.models.s3 import ObjectCreatedEvent, is_s3_event
from mlops_loop.models.schedule import parse_tick
from mlops_loop.observability import logger, metrics
from mlops_loop.settings import settings
from mlops_loop.tracing import tracer


@logger.inject_lambda_context(correlation_id_path="id")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cfg = settings(CheckModelQualitySettings)
    if is_s3_event(event):
        created = parse_event(event, ObjectCreatedEvent)
        return flow.check_label_set(created.detail.object.key, cfg, context)
    parse_tick(event)
    return flow.sweep(cfg, context)
