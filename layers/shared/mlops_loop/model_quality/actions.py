"""What a model-quality verdict does (docs/model-quality.md, "Verdicts and what each does").

`degraded`: the labelled rows join the training data, the `Model Quality Degraded` event, a
retraining through the drift path's rule and starter, and a mail with the metrics against the
baseline and the row counts. `too_few_labels` and `version_not_live`: a mail, nothing started.
`clean`: nothing. The texts follow mlops_loop.notifications' conventions (plain subjects under
SNS's 100 characters; names, counts, metrics and S3 URIs, never data values).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mlops_loop import notifications, registry
from mlops_loop.model_quality.errors import BatchPredictionMismatch
from mlops_loop.model_quality.join import Joined
from mlops_loop.model_quality.service import CheckOutcome
from mlops_loop.models.notification import Notification
from mlops_loop.ports import ArtifactStore, EventBus
from mlops_loop.retraining import conditions
from mlops_loop.retraining.prepare import labelled_rows_folder
from mlops_loop.retraining.starter import RetrainingRequest, RetrainingStarter, StartResult
from mlops_loop.s3uri import S3Uri

DETAIL_TYPE = "Model Quality Degraded"


def _version(o: CheckOutcome) -> str:
    return f"{o.ref.group} v{o.ref.version}"


def _rows_text(o: CheckOutcome) -> str:
    r = o.joined.report() if o.joined else {}
    text = (
        f"Rows: {r.get('matched', 0)} joined ({r.get('joinedBy')}) of {r.get('predictions', 0)} predictions "
        f"and {r.get('labelRows', 0)} label rows; unmatched labels {r.get('unmatchedLabels', 0)}, "
        f"unlabelled predictions {r.get('unlabelledPredictions', 0)}, "
        f"duplicates {r.get('duplicateLabels', 0)}, "
        f"corrections {r.get('correctedLabels', 0)}, ambiguous ids {r.get('ambiguousIds', 0)}, "
        f"invalid labels {r.get('invalidLabels', 0)}."
    )
    if r.get("unmatchedLabelIds"):
        text += (
            f"\nUnmatched labels (first {len(r['unmatchedLabelIds'])}): {', '.join(r['unmatchedLabelIds'])}"
        )
    return text


def _metrics_text(o: CheckOutcome, tolerance: float) -> str:
    lines = []
    for c in o.comparisons:
        baseline = o.baseline_values.get(c.metric_name)
        value = "not comparable" if not c.comparable else f"{c.value:.4f}"
        mark = "VIOLATED" if c.violated else "ok"
        against = f"baseline {baseline:.4f}, " if baseline is not None else ""
        lines.append(
            f"  {c.metric_name}: {value} ({against}{c.comparison_operator} {c.threshold:.4f}, "
            f"tolerance {tolerance}) {mark}"
        )
    return "Metrics against the baseline:\n" + "\n".join(lines)


def notification(o: CheckOutcome, *, env: str, tolerance: float, next_step: str) -> Notification | None:
    """The verdict's mail, or None for `clean`."""
    where = f"Ground truth for batch run {o.ref.run_id} of {_version(o)} (label set {o.label_set_id})."
    verdict_uri = o.output.join("verdict.json")
    files = f"Report: {o.report_s3_uri}\nStatistics: {o.statistics_s3_uri}\nVerdict: {verdict_uri}"
    if o.verdict == "degraded":
        subject = f"Model quality degraded: {_version(o)}"
        body = [
            where,
            _rows_text(o),
            _metrics_text(o, tolerance),
            files + f"\nViolations: {o.violations_s3_uri}",
        ]
    elif o.verdict == "too_few_labels":
        subject = f"Too few labels to judge model quality: {_version(o)}"
        body = [
            where,
            _rows_text(o),
            "Too few joined rows to judge (ModelQualityMinRows): nothing was started. More labels for "
            "this run, followed by the _SUCCESS marker again, are checked as a new label set.",
            files,
        ]
    elif o.verdict == "version_not_live":
        subject = f"Labels for a version no longer live: {_version(o)}"
        body = [
            where,
            f"{_version(o)} is no longer the live version (now {o.live_model_package_arn}): the metrics "
            "are recorded, nothing is retrained.",
            _rows_text(o),
            _metrics_text(o, tolerance),
            files,
        ]
    else:
        return None
    return Notification(
        subject=notifications.subject(env, subject), message="\n\n".join([*body, next_step]).strip() + "\n"
    )


def event_detail(o: CheckOutcome, env: str) -> dict[str, Any]:
    """The `Model Quality Degraded` event's detail (docs/model-quality.md, "The event")."""
    return {
        "modelPackageGroupName": o.ref.group,
        "modelPackageArn": o.model_package_arn,
        "modelPackageVersion": o.ref.version,
        "runId": o.ref.run_id,
        "labelSetId": o.label_set_id,
        "episodeId": o.episode_id,
        "violations": [
            {
                "metricName": c.metric_name,
                "comparisonOperator": c.comparison_operator,
                "value": c.value,
                "threshold": c.threshold,
            }
            for c in o.comparisons
            if c.violated
        ],
        "rows": o.joined.counts.to_dict() if o.joined else {},
        "statisticsS3Uri": o.statistics_s3_uri,
        "violationsS3Uri": o.violations_s3_uri,
        "environment": env,
    }


def put_event(bus: EventBus, detail: dict[str, Any], source: str) -> str:
    """The `Model Quality Degraded` event on the bus; its EventId. EventNotPublished when PutEvents
    refuses it: the check then fails before the mail and verdict.json, and its retry puts it again."""
    return bus.put(source, DETAIL_TYPE, detail)


def _feature_names(store: ArtifactStore, statistics_uri: str | None) -> list[str]:
    if not statistics_uri:
        raise BatchPredictionMismatch("the run's record names no data-quality baseline: no feature names")
    doc = json.loads(store.read(S3Uri.parse(statistics_uri)))
    return [str(f["name"]) for f in doc.get("features", [])]


def labelled_rows(o: CheckOutcome, store: ArtifactStore) -> str:
    """The joined rows as training data: `label,<features>` with the header of the version's
    baseline; the features are the batch's own text (an id the transform filtered out is dropped)."""
    assert o.joined is not None
    batch = S3Uri.parse(o.batch_input_s3_uri)
    names = _feature_names(store, o.baseline_statistics_s3_uri)
    lines_of: dict[str, list[str]] = {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["label", *names])
    for row in o.joined.rows:
        source = row.prediction.source
        if source not in lines_of:
            name = source.removesuffix(".out")
            key = batch.key if batch.key.endswith(name) else f"{batch.key.rstrip('/')}/{name}".lstrip("/")
            text = store.read(S3Uri(batch.bucket, key)).decode("utf-8")
            lines_of[source] = [line for line in text.splitlines() if line.strip()]
        lines = lines_of[source]
        if row.prediction.line > len(lines):
            raise BatchPredictionMismatch(
                f"{source} line {row.prediction.line}: the batch object has {len(lines)}"
            )
        fields = next(csv.reader([lines[row.prediction.line - 1]]))
        if row.prediction.id is not None:
            fields = fields[1:]
        writer.writerow([_label_text(row), *fields])
    return out.getvalue()


def _label_text(row: Joined) -> str:
    return str(int(row.label)) if row.label in (0.0, 1.0) else repr(row.label)


def training_uri(o: CheckOutcome, training_data_s3_uri: str) -> S3Uri:
    """One object per run: a later label set of the same run replaces its rows, never doubles them."""
    return labelled_rows_folder(training_data_s3_uri, o.ref.group).join(
        f"v{o.ref.version}", f"{o.ref.run_id}.csv"
    )


def start_retraining(
    o: CheckOutcome,
    *,
    group: str,
    training_data_s3_uri: str,
    cooldown_days: int,
    starter: Callable[[], RetrainingStarter],
    batch_state_machine_arn: str | None,
    now: datetime | None = None,
) -> tuple[StartResult | None, str]:
    """The drift path's rule (conditions.hold_for), then the starter, reason `model_quality`.
    Returns (the start result, or None when held; what the mail says happens next)."""
    ref = registry.GroupRef.parse(group)
    hold = conditions.hold_for(
        base_arn=o.model_package_arn,
        episode_id=o.episode_id,
        candidates=conditions.candidates_from(ref, o.model_package_arn),
        now=now or datetime.now(UTC),
        cooldown=timedelta(days=cooldown_days),
        newest_training_data=conditions.newest_training_data(training_data_s3_uri),
    )
    if hold is not None:
        return None, f"No retraining was started: {hold.detail}."
    source = (
        batch_state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{o.ref.run_id}"
        if batch_state_machine_arn
        else None
    )
    result = starter().start(
        RetrainingRequest(
            reason="model_quality",
            episode_id=o.episode_id,
            group=group,
            training_data_s3_uri=training_data_s3_uri,
            source_execution_arn=source,
            base_model_package_arn=o.model_package_arn,
        )
    )
    if result.started:
        return result, (
            f"Retraining {result.execution_name} was started with these labelled rows added to the "
            "training data; its candidate will ask for approval."
        )
    return result, f"No retraining was started ({result.outcome}): {result.detail}."
