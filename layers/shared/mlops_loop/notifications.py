"""Short SNS messages a person can act on.

Every message says what happened, which model version, which execution, where to look (console
links for the region, S3 URIs) and what to do next. Messages carry names, ARNs, URIs, error names
and model-level metrics only: never data values from a batch, never secrets. Subjects are plain
one-line text under SNS's 100-character limit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from mlops_loop import adapters, links
from mlops_loop.models.notification import Notification
from mlops_loop.observability import logger, metrics
from mlops_loop.ports import ArtifactNotFound, ArtifactUnreadable
from mlops_loop.s3uri import S3Uri

if TYPE_CHECKING:
    from mlops_loop.ports import ArtifactStore, Notifier

SUBJECT_MAX = 99  # SNS: "less than 100 characters", no line breaks or control characters
CAUSE_MAX = 600
MAX_METRICS = 8
#: What a person approving a binary classifier weighs, in this order (evaluation.json's
#: `binary_classification_metrics.<name>.value`).
DECISION_METRICS = ("auc", "accuracy", "precision", "recall", "f1")
#: Parts of an evaluation.json that are not model-quality metrics (report version, dataset facts,
#: confusion-matrix cells, curve points).
_NOT_METRICS = re.compile(
    r"^(version|dataset|confusion_matrix|receiver_operating_characteristic_curve|"
    r"precision_recall_curve)(\.|$)"
)
MAX_LISTED = 10
_EVALUATION_MAX_BYTES = 1_000_000


#: What a person should do for the loop's named errors (errorType of the failed step).
NEXT_STEP_BY_ERROR = {
    "NoApprovedModel": "Approve a model package version in the registry (SageMaker Studio or "
    "`aws sagemaker update-model-package --model-approval-status Approved`); the next run picks it up.",
    "MissingBaseline": "Register the version again with DriftCheckBaselines.ModelDataQuality (statistics "
    "and constraints), or approve a version that has one.",
    "ModelPackageGroupNotFound": "Check the MODEL_PACKAGE_GROUP stack parameter; for a cross-account group, "
    "check the group's resource policy in the registry account.",
    "BaselineObjectNotFound": "The baseline files registered with the live version are gone from S3: restore "
    "them or register a new version with a baseline.",
    "BaselineUnreadable": "The monitoring function may not read the live version's baseline (bucket policy, "
    "KMS key policy or grant; for a central registry, its bucket and key policies must name this account): "
    "fix the permission, then run the batch again.",
    "BatchInputNotFound": "No batch arrived at the input prefix for this run: check the upstream export, "
    "then start the batch-inference state machine again by hand.",
    "EmptyBatch": "The upstream export wrote no rows: check it, then start the batch-inference state "
    "machine again by hand.",
    "MonitoringOutputUnreadable": "The monitoring function may not read what the Model Monitor job wrote "
    "(bucket policy, KMS key grant): fix the permission, then run the batch again; nothing was judged clean.",
    "MonitoringOutputInvalid": "The Model Monitor job's statistics.json or constraint_violations.json is not "
    "in Model Monitor's format (its analyzer image?): look at the files and the job, then run the batch "
    "again; nothing was judged clean.",
    "DriftNotComparable": "The Model Monitor job's statistics.json cannot be compared with the baseline on "
    "the features named, and no violation explains it: look at both files (a missing distribution, a new "
    "type); nothing was judged clean.",
    "QualityGateFailed": "The retrained candidate scored below the quality gate and was not registered: look "
    "at evaluation.json and the training data before retrying.",
    "States.Timeout": "A step ran longer than its timeout: check the SageMaker job's logs and "
    "instance quotas.",
}


def subject(env: str, text: str) -> str:
    """`[env] text` as SNS takes a subject: one line, under 100 characters (cut with "...")."""
    clean = re.sub(r"[\x00-\x1f\x7f]+", " ", f"[{env}] {text}").strip()
    return clean if len(clean) <= SUBJECT_MAX else clean[: SUBJECT_MAX - 3].rstrip() + "..."


def _body(*sections: str | None) -> str:
    return "\n\n".join(s.strip("\n") for s in sections if s) + "\n"


def _lines(title: str, items: Iterable[str]) -> str:
    items = list(items)
    return title + "\n" + "\n".join(f"  - {i}" for i in items) if items else ""


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (f" (+{len(values) - MAX_LISTED} more)" if len(values) > MAX_LISTED else "")


def _truncate(text: str | None, limit: int = CAUSE_MAX) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _version_label(group: str, version: int | None) -> str:
    return f"{group} v{version}" if version else group


# --- model metrics (evaluation JSON referenced by ModelMetrics.ModelQuality.Statistics) ----------


def flatten_metrics(doc: Any) -> dict[str, float]:
    """Model-level metrics from an evaluation JSON: SageMaker's model-quality shape
    (`{"binary_classification_metrics": {"auc": {"value": 0.98, ...}}}`) or flat `{"auc": 0.98}`."""
    found: dict[str, float] = {}

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, Mapping):
            if (
                "value" in node
                and isinstance(node["value"], int | float)
                and not isinstance(node["value"], bool)
            ):
                found[".".join(path)] = float(node["value"])
                return
            for key, child in node.items():
                walk(child, [*path, str(key)] if not str(key).endswith("_metrics") else path)
        elif isinstance(node, int | float) and not isinstance(node, bool) and path:
            found[".".join(path)] = float(node)

    walk(doc, [])
    return {k: v for k, v in found.items() if math.isfinite(v) and k}


def read_metrics(s3_uri: str | None, store: ArtifactStore) -> dict[str, float]:
    """Metrics from an evaluation JSON (a version's ModelMetrics.ModelQuality.Statistics); {}
    (logged) when absent, unreadable, over 1 MB or not JSON: the mail is sent without them."""
    if not s3_uri:
        return {}
    try:
        body = store.read(S3Uri.parse(s3_uri), max_bytes=_EVALUATION_MAX_BYTES)
        return flatten_metrics(json.loads(body))
    except (ArtifactUnreadable, ArtifactNotFound, ValueError) as exc:
        logger.warning(
            "Could not read model metrics",
            extra={"s3Uri": s3_uri, "error": type(exc).__name__, "detail": str(exc)},
        )
        return {}


def _shown_metrics(candidate: Mapping[str, float]) -> list[str]:
    """The decision metrics the version has, AUC first; for another kind of model (no AUC,
    accuracy, ...), its first metrics, never the report's version, dataset or matrix cells."""
    decisive = [name for name in DECISION_METRICS if name in candidate]
    if decisive:
        return decisive
    return [name for name in candidate if not _NOT_METRICS.match(name)][:MAX_METRICS]


def compare_metrics(
    candidate: Mapping[str, float], live: Mapping[str, float], live_version: int | None
) -> str:
    if not candidate:
        return "Metrics: none registered with this version (ModelMetrics.ModelQuality.Statistics)."
    rows = []
    for name in _shown_metrics(candidate):
        value = candidate[name]
        if name in live:
            delta = value - live[name]
            rows.append(f"{name}: {value:.4f} (live v{live_version}: {live[name]:.4f}, {delta:+.4f})")
        else:
            rows.append(f"{name}: {value:.4f}")
    header = (
        "Metrics (this version vs the live version):" if live else "Metrics (no live version to compare):"
    )
    return _lines(header, rows)


# --- messages -------------------------------------------------------------------------------------


def drift_detected(
    *,
    env: str,
    group: str,
    version: int,
    model_package_arn: str,
    execution_arn: str,
    drifted_features: list[str],
    report_s3_uri: str | None,
    region: str,
    predictions_s3_uri: str | None = None,
) -> Notification:
    return Notification(
        subject=subject(env, f"Drift detected: {_version_label(group, version)}"),
        message=_body(
            f"The scheduled batch scored by {_version_label(group, version)} drifted from the model's "
            f"training baseline on {len(drifted_features)} feature(s): {_listed(drifted_features)}.",
            f"Model package: {model_package_arn}\n"
            f"Execution: {execution_arn}\n{links.execution(execution_arn)}",
            f"Drift report: {report_s3_uri}\n{links.s3(report_s3_uri, region)}" if report_s3_uri else None,
            f"Predictions: {predictions_s3_uri}" if predictions_s3_uri else None,
            "Next: a retraining starts unless one for this drift is already running or a version "
            "trained for it awaits approval or was rejected lately (docs/retraining.md); you get a "
            "message when none starts. Review the report; approve or reject the new version when it "
            "asks for approval.",
        ),
    )


def data_quality_failure(
    *,
    env: str,
    execution_arn: str,
    cause: str | None,
    run_id: str | None,
    s3_uris: list[str],
    region: str,
    group: str | None = None,
) -> Notification:
    where = [f"{u}\n    {links.s3(u, region)}" for u in s3_uris]
    return Notification(
        subject=subject(env, f"Data-quality failure in batch {run_id or ''}".rstrip()),
        message=_body(
            "The batch input broke the data contract of the live model (missing/extra columns, wrong "
            "types or incomplete values). Predictions of this run must not be used. No retraining was "
            "started: broken input is not drift.",
            f"Model group: {group}" if group else None,
            f"Execution: {execution_arn}\n{links.execution(execution_arn)}",
            f"Details: {_truncate(cause)}" if cause else None,
            _lines("Where to look:", where),
            "Next: fix the upstream data feed (compare the batch with constraint_violations.json), "
            "then start the batch-inference state machine again by hand.",
        ),
    )


#: A batch run that found no batch to score (ListBatch's named errors): what each is called in the mail.
BATCH_INPUT_ERRORS = {
    "BatchInputNotFound": "No batch",
    "EmptyBatch": "Empty batch",
}


def batch_input_failure(
    *,
    env: str,
    error: str,
    execution_arn: str,
    cause: str | None,
    run_id: str | None,
    region: str,
    group: str | None = None,
) -> Notification:
    """A run that had nothing to score: no object at the batch's location (BatchInputNotFound), or
    only markers, empty objects or rows-free files (EmptyBatch). No transform ran, nothing retrains."""
    what = BATCH_INPUT_ERRORS[error]
    found = (
        "No object was found at the batch input location"
        if error == "BatchInputNotFound"
        else "The batch input holds no data: only folder markers, hidden or _-prefixed names, empty "
        "objects, or files without a row"
    )
    return Notification(
        subject=subject(env, f"{what} for run {run_id or ''}: nothing scored".replace("  ", " ")),
        message=_body(
            f"{found}, so this run scored nothing: no transform job ran, no verdict was given and no "
            f"retraining was asked ({error}).",
            f"Model group: {group}" if group else None,
            f"Run: {run_id}" if run_id else None,
            f"Details: {_truncate(cause)}" if cause else None,
            f"Execution: {execution_arn}\n{links.execution(execution_arn)}",
            f"Next: {NEXT_STEP_BY_ERROR[error]}",
        ),
    )


def workflow_failed(
    *,
    env: str,
    status: str,
    execution_arn: str,
    state_machine_arn: str,
    execution_name: str,
    error: str | None,
    cause: str | None,
    run_id: str | None,
    region: str,
    group: str | None = None,
) -> Notification:
    workflow = state_machine_arn.rsplit(":", 1)[-1]
    what = {"FAILED": "failed", "TIMED_OUT": "timed out", "ABORTED": "was aborted"}.get(
        status, status.lower()
    )
    next_step = {
        "FAILED": "Open the execution, find the failed step in the graph, fix the cause, then re-run "
        "(or redrive) the execution.",
        "TIMED_OUT": "Open the execution to see which step ran too long (a SageMaker job?); check its "
        "logs and quotas, then re-run.",
        "ABORTED": "Someone or something stopped it: check CloudTrail StopExecution if unexpected; "
        "re-run when ready.",
    }.get(status, "Open the execution to see what happened.")
    next_step = NEXT_STEP_BY_ERROR.get(error or "", next_step)
    return Notification(
        subject=subject(env, f"Workflow {what}: {workflow} {execution_name}"),
        message=_body(
            f"Step Functions execution {execution_name} of {workflow} {what}.",
            f"Model group: {group}" if group else None,
            f"Run: {run_id}" if run_id else None,
            f"Error: {error}" if error else None,
            f"Cause: {_truncate(cause)}" if cause else None,
            f"Execution: {execution_arn}\n{links.execution(execution_arn)}",
            f"Next: {next_step}",
        ),
    )


def pipeline_failed(
    *,
    env: str,
    status: str,
    pipeline_name: str,
    pipeline_execution_arn: str,
    display_name: str | None,
    failure_reason: str | None,
    region: str,
) -> Notification:
    what = "failed" if status == "Failed" else "was stopped"
    return Notification(
        subject=subject(env, f"Retraining pipeline {what}: {pipeline_name}"),
        message=_body(
            f"SageMaker Pipeline {pipeline_name} execution {display_name or ''} {what}.".replace("  ", " "),
            f"Reason: {_truncate(failure_reason)}" if failure_reason else None,
            f"Pipeline execution: {pipeline_execution_arn}",
            f"Look in SageMaker Studio > Pipelines > {pipeline_name} > Executions "
            f"({links.model_registry(region)}), or run:\n  aws sagemaker list-pipeline-execution-steps "
            f"--pipeline-execution-arn {pipeline_execution_arn} --region {region}",
            "Next: fix the failing step and start the pipeline again; the drift that asked for retraining "
            "is still unresolved.",
        ),
    )


def awaiting_approval(
    *,
    env: str,
    group: str,
    version: int,
    model_package_arn: str,
    candidate_metrics: Mapping[str, float],
    live_version: int | None,
    live_metrics: Mapping[str, float],
    reason: str | None,
    region: str,
) -> Notification:
    return Notification(
        subject=subject(env, f"Approval needed: {_version_label(group, version)}"),
        message=_body(
            f"A new version {_version_label(group, version)} is registered and waits for approval."
            + (f" It was trained because: {reason}." if reason else ""),
            compare_metrics(candidate_metrics, live_metrics, live_version),
            f"Live version: v{live_version}" if live_version else "Live version: none recorded yet",
            f"Model package: {model_package_arn}\nReview in SageMaker Studio: {links.model_registry(region)}",
            "Next: approve to make it live (the next scheduled batch uses it):\n"
            f"  aws sagemaker update-model-package --model-package-arn {model_package_arn} "
            f"--model-approval-status Approved --region {region}\n"
            "or reject it with --model-approval-status Rejected --approval-description '<why>'.",
        ),
    )


def approved(
    *,
    env: str,
    group: str,
    version: int,
    model_package_arn: str,
    previous_live: str | None,
    now_live: str | None,
    is_live: bool,
    parameter_name: str,
    batch_execution_arn: str | None,
    region: str,
) -> Notification:
    label = _version_label(group, version)
    if is_live:
        status = (
            f"{label} was approved and is now the live version (recorded in SSM parameter "
            f"{parameter_name}; its history is the audit log of what went live when)."
        )
        title = f"Approved, now live: {label}"
    else:
        status = (
            f"{label} was approved, but {now_live} stays live: it is the newest approved version "
            "and the batch runs use the newest approved version."
        )
        title = f"Approved (not live): {label}"
    return Notification(
        subject=subject(env, title),
        message=_body(
            status,
            f"Previously live: {previous_live or 'none'}",
            f"Model package: {model_package_arn}\nSageMaker Studio: {links.model_registry(region)}",
            f"A batch run started at once: {batch_execution_arn}\n{links.execution(batch_execution_arn)}"
            if batch_execution_arn
            else ("The next scheduled batch-inference run uses it." if is_live else None),
            "Next: nothing to do. To roll back, reject this version (update-model-package "
            "--model-approval-status Rejected): the previous approved version becomes live again.",
        ),
    )


def rejected(
    *,
    env: str,
    group: str,
    version: int,
    model_package_arn: str,
    approval_description: str | None,
    live: str | None,
    live_changed: bool,
    region: str,
) -> Notification:
    label = _version_label(group, version)
    if live_changed:
        live_line = (
            f"Live version is now: {live} (rolled back)."
            if live
            else "No approved version is left: batch runs fail with NoApprovedModel until one is approved."
        )
    else:
        live_line = f"Live version stays: {live}." if live else "No version is live."
    return Notification(
        subject=subject(env, f"Rejected: {label}"),
        message=_body(
            f"{label} was rejected; batch runs will not use it.",
            f"Reason given: {_truncate(approval_description, 300)}" if approval_description else None,
            live_line,
            f"Model package: {model_package_arn}\nSageMaker Studio: {links.model_registry(region)}",
            "Next: if a better model is needed, look at the training data and the evaluation, then "
            "start the retraining workflow by hand (reason 'manual').",
        ),
    )


def publish(topic_arn: str, note: Notification, notifier: Notifier | None = None) -> str:
    """Publish to the topic (SNS unless a notifier is given); returns the message id."""
    message_id = (notifier or adapters.notifier()).publish(topic_arn, note)
    logger.info("Notification published", extra={"subject": note.subject, "messageId": message_id})
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=1)
    return message_id
