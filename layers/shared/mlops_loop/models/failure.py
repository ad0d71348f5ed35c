"""The Cause of the state machines' Fail states: JSON that NotifyFailure parses, never prose."""

from __future__ import annotations

from typing import Any

import msgspec

from mlops_loop.models.payloads import Payload, Violation


class FailureCause(Payload, kw_only=True):
    """What failed, where, and where to look. The failure notification is built from these fields
    (notifications.py); `detail` is the failed step's own cause (a Lambda error's JSON, a job's
    failure reason), cut to a few KB by the state machine."""

    step: str
    error: str
    run_id: str | None = None
    model_package_group_name: str | None = None
    model_package_version: int | None = None
    reason: str | None = None
    detail: str | None = None
    violations: list[Violation] = msgspec.field(default_factory=list)
    s3_uris: list[str] = msgspec.field(default_factory=list)
    # QualityGateFailed: the candidate's held-out AUC against the stack's gate.
    training_job_name: str | None = None
    auc: float | None = None
    rows: int | None = None
    quality_gate_min_auc: float | None = None

    @classmethod
    def from_cause(cls, cause: str | None) -> FailureCause | None:
        """The structured cause, or None for a cause that is not ours (text, or no cause at all)."""
        if not cause or not cause.lstrip().startswith("{"):
            return None
        try:
            return msgspec.json.decode(cause.encode(), type=cls)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None

    def detail_message(self) -> str | None:
        """The failed step's message: a Lambda error's `errorMessage`, else its cause as given."""
        if not self.detail:
            return None
        try:
            parsed: Any = msgspec.json.decode(self.detail.encode())
        except msgspec.DecodeError:
            return self.detail
        if isinstance(parsed, dict) and isinstance(parsed.get("errorMessage"), str):
            return str(parsed["errorMessage"])
        return self.detail

    def summary(self) -> str:
        """One line a person reads: step, model version, run, error and message."""
        if self.model_package_group_name:
            version = f" v{self.model_package_version}" if self.model_package_version else ""
            what = f"{self.model_package_group_name}{version}"
        else:
            what = "an unresolved model version"
        run = f" in run {self.run_id}" if self.run_id else ""
        if self.reason:
            run += f" (reason {self.reason})"
        message = self.detail_message()
        if self.auc is not None and self.quality_gate_min_auc is not None:
            message = (
                f"the candidate of training job {self.training_job_name} has AUC {self.auc:g} on "
                f"{self.rows} held-out rows, below the quality gate {self.quality_gate_min_auc:g}: "
                "nothing was registered"
            )
        if self.violations:
            listed = ", ".join(f"{v.feature_name} ({v.constraint_check_type})" for v in self.violations)
            message = f"{len(self.violations)} violation(s): {listed}"
        return f"{self.step} failed for {what}{run}: {self.error}" + (f": {message}" if message else "")
