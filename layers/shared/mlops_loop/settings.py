"""Typed settings per function, parsed once from environment variables.

Each function has one model; `settings(Model)` reads `os.environ` on first use and caches the
result for the life of the execution environment. A missing or invalid variable raises
`ConfigurationError` naming the variable, before the function touches anything.

The models are declared with `defer_build`: pydantic does not build a model's validator when the
class is created, so importing this module does not pay for the nine models a function does not
use. Each handler calls `declare(ItsSettings)` at import, which builds that one model's validator
then, in the init phase, as before (nothing moves to the first invocation).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mlops_loop.errors import ConfigurationError

ArnStr = Annotated[str, Field(pattern=r"^arn:aws[a-z\-]*:[a-z0-9\-]+:[a-z0-9\-]*:\d{12}:")]
S3UriStr = Annotated[str, Field(pattern=r"^s3://[^/]+(/.*)?$")]
GROUP_ARN_PATTERN = (
    r"^(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:\d{12}:model-package-group/)?"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
)


class FunctionSettings(BaseModel):
    """Fields are named by their environment variable (alias). Built on `declare` or first use."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True, defer_build=True)

    environment_name: str = Field(alias="ENVIRONMENT_NAME", min_length=1)


class _Registry(FunctionSettings):
    model_package_group: str = Field(alias="MODEL_PACKAGE_GROUP", pattern=GROUP_ARN_PATTERN)


class _Notifies(FunctionSettings):
    notification_topic_arn: ArnStr = Field(alias="NOTIFICATION_TOPIC_ARN")


class StartBatchInferenceSettings(FunctionSettings):
    batch_inference_state_machine_arn: ArnStr = Field(alias="BATCH_INFERENCE_STATE_MACHINE_ARN")
    batch_input_s3_uri: S3UriStr = Field(alias="BATCH_INPUT_S3_URI")


class ResolveModelSettings(_Registry):
    pass


class MonitorBatchSettings(FunctionSettings):
    artifacts_bucket: str = Field(alias="ARTIFACTS_BUCKET", min_length=3)
    output_prefix: str = Field("batch-inference", alias="OUTPUT_PREFIX")


class ModelPackageStateChangeSettings(_Registry, _Notifies):
    live_model_parameter_name: str = Field(
        alias="LIVE_MODEL_PARAMETER_NAME", pattern=r"^/?[A-Za-z0-9_.\-/]+$"
    )
    run_on_approval: bool = Field(False, alias="RUN_ON_APPROVAL")
    batch_inference_state_machine_arn: ArnStr | None = Field(None, alias="BATCH_INFERENCE_STATE_MACHINE_ARN")
    batch_input_s3_uri: S3UriStr | None = Field(None, alias="BATCH_INPUT_S3_URI")
    artifacts_bucket: str | None = Field(None, alias="ARTIFACTS_BUCKET")

    @field_validator(
        "batch_inference_state_machine_arn", "batch_input_s3_uri", "artifacts_bucket", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class NotifyFailureSettings(_Notifies):
    model_package_group: str | None = Field(None, alias="MODEL_PACKAGE_GROUP", pattern=GROUP_ARN_PATTERN)


class StartRetrainingSettings(_Registry, _Notifies):
    """For the retraining helper's start_retraining function (env vars per docs/architecture.md)."""

    retraining_state_machine_arn: ArnStr | None = Field(None, alias="RETRAINING_STATE_MACHINE_ARN")
    retraining_pipeline_name: str = Field("", alias="RETRAINING_PIPELINE_NAME")
    training_data_s3_uri: S3UriStr = Field(alias="TRAINING_DATA_S3_URI")
    state_table_name: str = Field(alias="STATE_TABLE_NAME", min_length=3)
    drift_event_source: str = Field("mlops.monitoring", alias="DRIFT_EVENT_SOURCE")
    # The stack's QualityGateMinAuc: a SageMaker Pipeline target is started with it as a parameter.
    quality_gate_min_auc: float = Field(alias="QUALITY_GATE_MIN_AUC", ge=0, le=1)

    @field_validator("retraining_state_machine_arn", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class CheckFreshnessSettings(StartRetrainingSettings):
    live_model_parameter_name: str = Field(alias="LIVE_MODEL_PARAMETER_NAME")
    max_model_age_days: int = Field(0, alias="MAX_MODEL_AGE_DAYS", ge=0)


S = TypeVar("S", bound=FunctionSettings)


def declare(model: type[S]) -> type[S]:
    """Build `model`'s validator now: a handler calls this at import for the settings it parses."""
    model.model_rebuild()
    return model


def load(model: type[S], environ: dict[str, str] | None = None) -> S:
    """Parse `model` from `environ` (default os.environ); ConfigurationError names the variable."""
    env = dict(os.environ if environ is None else environ)
    try:
        return model.model_validate(env)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            if err["type"] == "missing":
                problems.append(f"missing environment variable {name}")
            else:
                problems.append(f"environment variable {name}: {err['msg']}")
        raise ConfigurationError(f"{model.__name__}: " + "; ".join(problems)) from None


@cache
def settings(model: type[S]) -> S:
    """`load(model)` once per process (Lambda execution environment)."""
    return load(model)


def reset() -> None:
    """Forget parsed settings (tests change the environment between cases)."""
    settings.cache_clear()
