"""Deterministic names: execution names, SageMaker job/model names, lock and episode keys."""

from __future__ import annotations

import hashlib
import re

EXECUTION_NAME_MAX = 80  # Step Functions execution names
SAGEMAKER_NAME_MAX = 63  # training/transform job names, model names
DISPLAY_NAME_MAX = 82  # SageMaker pipeline execution display names
LOCK_PREFIX = "retraining-lock#"
EPISODE_PREFIX = "retraining-episode#"


def _digest(value: str, length: int = 8) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:length]


def _shorten(name: str, original: str, limit: int, separator: str = "-") -> str:
    """Cut to `limit`, keeping names unique by a hash of the original when cut."""
    if len(name) <= limit:
        return name
    suffix = separator + _digest(original)
    return name[: limit - len(suffix)].rstrip("-_") + suffix


def execution_name(episode_id: str) -> str:
    """`retrain-<episode>` with only the characters Step Functions allows in a name, <= 80 chars."""
    raw = f"retrain-{episode_id}"
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", raw)
    return _shorten(cleaned, raw, EXECUTION_NAME_MAX)


def sagemaker_name(raw: str, limit: int = SAGEMAKER_NAME_MAX) -> str:
    """A SageMaker resource name (`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`) derived from `raw`."""
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", raw).strip("-")
    if not cleaned:
        cleaned = "x" + _digest(raw)
    return _shorten(cleaned, raw, limit).strip("-")


def group_name(group: str) -> str:
    """The group's name, from a name or a full model-package-group ARN."""
    return group.rsplit("model-package-group/", 1)[-1]


def lock_key(group: str) -> str:
    """The state-table key of the group's retraining lock (the ASL builds the same string)."""
    return f"{LOCK_PREFIX}{group}"


def episode_key(group: str, episode_id: str) -> str:
    return f"{EPISODE_PREFIX}{group}#{episode_id}"


def client_request_token(group: str, episode_id: str) -> str:
    """StartPipelineExecution's ClientRequestToken (32-128 chars): the same for every delivery."""
    return hashlib.sha256(f"{group}\n{episode_id}".encode()).hexdigest()


def job_names(group: str, run_id: str) -> dict[str, str]:
    """Training job, candidate model and transform job names of one run (unique per group + run)."""
    base = f"{group_name(group)}-{run_id}"
    return {
        "trainingJobName": sagemaker_name(base),
        "modelName": sagemaker_name(f"{base}-candidate"),
        "transformJobName": sagemaker_name(f"{base}-score"),
    }
