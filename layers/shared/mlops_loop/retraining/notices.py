"""What people are told when a drift (or, with RetrainOnDataQualityFailure, a data-quality failure)
starts no retraining (StartRetraining's own mails).

The batch run's drift mail is sent before StartRetraining decides, so it cannot say what happened.
A started retraining is followed by its own mails ("Approval needed", or the failure); a drift that
starts nothing would otherwise go unexplained, so these two say why: a retraining of the group is
already running, or the drift condition already has a candidate (awaiting a decision, or rejected
with nothing changed since). Same conventions as mlops_loop.notifications: plain subjects under
SNS's 100 characters, names and ARNs only.
"""

from __future__ import annotations

from mlops_loop import links, notifications
from mlops_loop.models.drift import DataDriftDetectedDetail
from mlops_loop.models.notification import Notification
from mlops_loop.retraining.conditions import Hold


def _found(drift: DataDriftDetectedDetail) -> str:
    features = ", ".join(drift.drifted_features[:10]) + (" ..." if len(drift.drifted_features) > 10 else "")
    scored_by = f"{drift.model_package_group_name} v{drift.model_package_version}"
    return (
        f"Batch run {drift.drift_episode_id} of {scored_by} found drift in "
        f"{len(drift.drifted_features)} feature(s): {features}.\nExecution: {drift.execution_arn}"
    )


def already_running(*, env: str, drift: DataDriftDetectedDetail, holder: str | None) -> Notification:
    return _already_running(env=env, group=drift.model_package_group_name, found=_found(drift), holder=holder)


def _already_running(*, env: str, group: str, found: str, holder: str | None) -> Notification:
    running = holder or "another retraining"
    return Notification(
        subject=notifications.subject(env, f"Retraining already running: {group}"),
        message="\n\n".join(
            (
                found,
                f"No retraining was started for it: {running} is already running for this group "
                "(one at a time). Its candidate will ask for approval when it is registered.",
            )
        )
        + "\n",
    )


def suppressed(
    *,
    env: str,
    drift: DataDriftDetectedDetail,
    hold: Hold,
    training_data_s3_uri: str,
    cooldown_days: int,
    region: str,
) -> Notification:
    return _suppressed(
        env=env,
        what="Drift",
        group=drift.model_package_group_name,
        version=drift.model_package_version,
        found=_found(drift),
        hold=hold,
        training_data_s3_uri=training_data_s3_uri,
        cooldown_days=cooldown_days,
        region=region,
    )


def data_quality_failure_found(*, group: str, version: int, execution_name: str, execution_arn: str) -> str:
    """The finding a data-quality failure's mails open with (the failure mail itself says what broke)."""
    return (
        f"Batch run {execution_name} of {group} v{version} failed with DataQualityFailure, and this stack "
        f"retrains on data-quality failures (RetrainOnDataQualityFailure).\nExecution: {execution_arn}"
    )


def data_quality_already_running(*, env: str, group: str, found: str, holder: str | None) -> Notification:
    return _already_running(env=env, group=group, found=found, holder=holder)


def data_quality_suppressed(
    *,
    env: str,
    group: str,
    version: int,
    found: str,
    hold: Hold,
    training_data_s3_uri: str,
    cooldown_days: int,
    region: str,
) -> Notification:
    return _suppressed(
        env=env,
        what="Data-quality failures",
        group=group,
        version=version,
        found=found,
        hold=hold,
        training_data_s3_uri=training_data_s3_uri,
        cooldown_days=cooldown_days,
        region=region,
    )


def _suppressed(
    *,
    env: str,
    what: str,
    group: str,
    version: int,
    found: str,
    hold: Hold,
    training_data_s3_uri: str,
    cooldown_days: int,
    region: str,
) -> Notification:
    candidate = hold.candidate
    persists = "persists" if what == "Drift" else "persist"
    if hold.kind == "awaiting_approval":
        subject = f"{what} {persists}: {group} v{candidate.version} awaits approval"
        next_step = (
            f"Next: decide on v{candidate.version} ({links.model_registry(region)}):\n"
            f"  aws sagemaker update-model-package --model-package-arn {candidate.arn} "
            f"--model-approval-status Approved --region {region}\n"
            f"Approved, it goes live and its own runs decide about drift. Rejected, retraining starts "
            f"again once new training data is under {training_data_s3_uri} or {cooldown_days} day(s) "
            "after the rejection."
        )
    else:
        subject = f"{what} {persists}: {group} v{version}, v{candidate.version} was rejected"
        next_step = (
            f"Next: add newly labelled data under {training_data_s3_uri} (the next drifting run then "
            "retrains on it), or wait for the cool-down (RetrainingCooldownDays)."
        )
    return Notification(
        subject=notifications.subject(env, subject),
        message="\n\n".join(
            (
                found,
                f"No retraining was started: {hold.detail}. One retraining per drift condition.",
                f"Candidate: {candidate.arn}",
                next_step,
            )
        )
        + "\n",
    )
