"""Typed settings per function, parsed once from environment variables.

Each function has one model; `settings(Model)` reads `os.environ` on first use and caches the
result for the life of the execution environment. A missing or invalid variable raises
`ConfigurationError` naming the variable, before the function touches anything.

The models are msgspec Structs whose field names are the variables' names in lower case
(`rename="upper"`). Values are converted from their text (`strict=False`: "8" -> 8, "true" -> True).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, ClassVar, Literal, TypeVar

import msgspec
from msgspec import Meta

from mlops_loop.errors import ConfigurationError
from mlops_loop.validation import describe

ArnStr = Annotated[str, Meta(pattern=r"^arn:aws[a-z\-]*:[a-z0-9\-]+:[a-z0-9\-]*:\d{12}:")]
S3UriStr = Annotated[str, Meta(pattern=r"^s3://[^/]+(/.*)?$")]
GROUP_ARN_PATTERN = (
    r"^(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:\d{12}:model-package-group/)?"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
)
GroupStr = Annotated[str, Meta(pattern=GROUP_ARN_PATTERN)]


class FunctionSettings(msgspec.Struct, kw_only=True, frozen=True, rename="upper"):
    """Fields are named by their environment variable (`environment_name` <- ENVIRONMENT_NAME)."""

    # Variables whose empty value means "not set": the template passes "" for an optional resource
    # that this stack does not have.
    empty_is_unset: ClassVar[frozenset[str]] = frozenset()

    environment_name: Annotated[str, Meta(min_length=1)]


# msgspec Structs take one base with fields, so the shared groups of variables form a chain.
class _Registry(FunctionSettings, kw_only=True, frozen=True):
    model_package_group: GroupStr


class _RegistryNotifies(_Registry, kw_only=True, frozen=True):
    notification_topic_arn: ArnStr


class StartBatchInferenceSettings(FunctionSettings, kw_only=True, frozen=True):
    batch_inference_state_machine_arn: ArnStr
    batch_input_s3_uri: S3UriStr


class ResolveModelSettings(_Registry, kw_only=True, frozen=True):
    artifacts_bucket: Annotated[str, Meta(min_length=3)]
    output_prefix: str = "batch-inference"
    #: Stack parameter BatchRecordIds: `FirstColumn` = the batch's first column is the record id.
    batch_record_ids: Literal["None", "FirstColumn"] = "None"


class MonitorBatchSettings(FunctionSettings, kw_only=True, frozen=True):
    artifacts_bucket: Annotated[str, Meta(min_length=3)]
    output_prefix: str = "batch-inference"


class ModelPackageStateChangeSettings(_RegistryNotifies, kw_only=True, frozen=True):
    empty_is_unset = frozenset(
        {"BATCH_INFERENCE_STATE_MACHINE_ARN", "BATCH_INPUT_S3_URI", "ARTIFACTS_BUCKET"}
    )

    live_model_parameter_name: Annotated[str, Meta(pattern=r"^/?[A-Za-z0-9_.\-/]+$")]
    # The state table: one record per approval event (mlops_loop.once_per_event), so one mail each.
    state_table_name: Annotated[str, Meta(min_length=3)]
    run_on_approval: bool = False
    batch_inference_state_machine_arn: ArnStr | None = None
    batch_input_s3_uri: S3UriStr | None = None
    artifacts_bucket: str | None = None


class NotifyFailureSettings(FunctionSettings, kw_only=True, frozen=True):
    notification_topic_arn: ArnStr
    state_table_name: Annotated[str, Meta(min_length=3)]  # one mail per event (once_per_event)
    model_package_group: GroupStr | None = None


class StartRetrainingSettings(_RegistryNotifies, kw_only=True, frozen=True):
    """For the retraining helper's start_retraining function (env vars per docs/architecture.md)."""

    empty_is_unset = frozenset({"RETRAINING_STATE_MACHINE_ARN", "BATCH_INFERENCE_STATE_MACHINE_ARN"})

    retraining_state_machine_arn: ArnStr | None = None
    # StartRetraining starts only for drift events one of this machine's runs put (required there).
    batch_inference_state_machine_arn: ArnStr | None = None
    retraining_pipeline_name: str = ""
    training_data_s3_uri: S3UriStr
    state_table_name: Annotated[str, Meta(min_length=3)]
    drift_event_source: str = "mlops.monitoring"
    # The stack's QualityGateMinAuc: a SageMaker Pipeline target is started with it as a parameter.
    quality_gate_min_auc: Annotated[float, Meta(ge=0, le=1)]
    # The stack's RetrainingPipelineMaxParallelSteps: each pipeline run's ParallelismConfiguration.
    retraining_pipeline_max_parallel_steps: Annotated[int, Meta(ge=1, le=256)] = 2
    # The stack's RetrainingCooldownDays: after a rejected candidate, the same drift retrains again
    # once new training data arrives or this many days after the rejection.
    retraining_cooldown_days: Annotated[int, Meta(ge=0)] = 7
    # The stack's RetrainOnDataQualityFailure: the seed's behaviour, off by default (a batch run that
    # fails with DataQualityFailure also starts a retraining; mlops_loop.retraining.data_quality).
    retrain_on_data_quality_failure: bool = False


class CheckFreshnessSettings(StartRetrainingSettings, kw_only=True, frozen=True):
    live_model_parameter_name: str
    max_model_age_days: Annotated[int, Meta(ge=0)] = 0


S = TypeVar("S", bound=FunctionSettings)


def load(model: type[S], environ: dict[str, str] | None = None) -> S:
    """Parse `model` from `environ` (default os.environ); ConfigurationError names the variable.

    Every missing variable is named at once; of the invalid ones, the first (msgspec stops there).
    """
    env = dict(os.environ if environ is None else environ)
    for name in model.empty_is_unset:
        if env.get(name) == "":
            del env[name]
    fields = msgspec.structs.fields(model)
    missing = [f.encode_name for f in fields if f.required and f.encode_name not in env]
    if missing:
        problems = "; ".join(f"missing environment variable {name}" for name in missing)
        raise ConfigurationError(f"{model.__name__}: {problems}")
    try:
        return msgspec.convert(env, model, strict=False)
    except msgspec.ValidationError as exc:
        name, problem = describe(exc)
        raise ConfigurationError(f"{model.__name__}: environment variable {name}: {problem}") from None


@cache
def settings(model: type[S]) -> S:
    """`load(model)` once per process (Lambda execution environment)."""
    return load(model)


def reset() -> None:
    """Forget parsed settings (tests change the environment between cases)."""
    settings.cache_clear()
