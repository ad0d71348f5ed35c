"""ResolveModel's logic: the latest Approved version, ready for CreateModel and the transform."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from mlops_loop import registry, run_layout
from mlops_loop.errors import ModelNameInUse, ModelNotCreated
from mlops_loop.models.resolved import (
    AdoptModelRequest,
    ModelAdoption,
    ResolvedModel,
    ResolvedRun,
    ResolveModelRequest,
)
from mlops_loop.observability import logger, metrics
from mlops_loop.settings import ResolveModelSettings

if TYPE_CHECKING:
    from mlops_loop.ports import ModelRegistry


def resolve_run(
    request: ResolveModelRequest, cfg: ResolveModelSettings, models: ModelRegistry | None = None
) -> ResolvedRun:
    """The version this run uses, and the run's places and job names under that version."""
    model = resolve(cfg.model_package_group, models)
    run_id = run_layout.run_id_of(request.execution_arn)
    if request.run_id and request.run_id != run_id:
        logger.info(
            "The input's runId is a label: outputs are keyed by the execution name",
            extra={"inputRunId": request.run_id, "runId": run_id},
        )
    run = run_layout.plan(
        bucket=cfg.artifacts_bucket,
        output_prefix=cfg.output_prefix,
        group=model.model_package_group_name,
        version=model.model_package_version,
        run_id=run_id,
        batch_input_s3_uri=request.batch_input_s3_uri,
        baseline_statistics_s3_uri=model.baseline_statistics_s3_uri,
        baseline_constraints_s3_uri=model.baseline_constraints_s3_uri,
        record_ids=cfg.batch_record_ids == "FirstColumn",
    )
    return ResolvedRun(model=model, run=run)


def resolve(group_setting: str, models: ModelRegistry | None = None) -> ResolvedModel:
    group = registry.GroupRef.parse(group_setting)
    summary = registry.latest_approved(group, models)
    package = registry.describe(summary["ModelPackageArn"], models)
    statistics, constraints = registry.require_baseline(package)
    name = registry.model_name(package.group_name or group.name, package.version)
    resolved = ResolvedModel(
        model_package_arn=package.arn,
        model_package_group_name=package.group_name or group.name,
        model_package_version=package.version,
        model_name=name,
        model_exists=registry.model_exists(name, models),
        image_uri=package.image_uri,
        model_data_url=package.model_data_url,
        baseline_statistics_s3_uri=statistics,
        baseline_constraints_s3_uri=constraints,
        creation_time=package.creation_time,
    )
    logger.info("Resolved model", extra={"model": resolved.dump()})
    metrics.add_dimension(name="ModelPackageGroup", value=resolved.model_package_group_name)
    metrics.add_metric(
        name="ResolvedModelVersion", unit=MetricUnit.Count, value=resolved.model_package_version
    )
    return resolved


#: SageMaker's error codes that are worth creating the model again for (throttling and service
#: faults: the API Reference's Common Errors); any other refusal fails the run unless the model exists.
TRANSIENT_CREATE_ERRORS = frozenset(
    {"ThrottlingException", "ThrottlingError", "InternalFailure", "ServiceUnavailable"}
)
#: CreateModel tries in all (as the Retry it replaces: six attempts, at most a minute apart).
MAX_CREATE_MODEL_ATTEMPTS = 6
_ERROR_CODE = re.compile(r"Error Code: ([A-Za-z]+)")


def adopt_model(request: AdoptModelRequest, models: ModelRegistry | None = None) -> ModelAdoption:
    """After CreateModel was refused: go on, create again, or fail (issue 13, run identity).

    SageMaker answers a create of an existing name with ValidationException `Cannot create already
    existing model "<arn>".` (seen from the SDK, e.g. sagemaker-python-sdk's `create_model`), and a
    throttle with ThrottlingException; neither is in SageMaker's botocore model, so Step Functions
    names both `SageMaker.AmazonSageMakerException` (localcloud/sfn_errors.py) and the ASL cannot
    tell them apart. Whatever the refusal, a model of the run's name serving this package is the
    model the run needs: another run (RunOnApproval and a tick) or an earlier attempt whose answer
    was lost created it. A model of that name serving another package is ModelNameInUse. No model:
    a transient refusal is tried again after a backoff, any other fails the run (ModelNotCreated).
    """
    model = request.model
    serving = registry.model_package_of(model.model_name, models)
    if serving == model.model_package_arn:
        logger.info(
            "CreateModel refused, the model exists for this package: adopted",
            extra={"modelName": model.model_name, "refusals": len(request.failures)},
        )
        return ModelAdoption(adopted=True, model_name=model.model_name)
    if serving is not None:
        raise ModelNameInUse(
            f"SageMaker Model {model.model_name} exists and serves {serving or 'no model package'}, "
            f"not {model.model_package_arn}: delete it or rename the group"
        )
    last = request.failures[-1]
    found = _ERROR_CODE.search(last.cause or "")
    code = found.group(1) if found else None
    attempts = len(request.failures)
    if code in TRANSIENT_CREATE_ERRORS and attempts < MAX_CREATE_MODEL_ATTEMPTS:
        return ModelAdoption(
            adopted=False, model_name=model.model_name, retry_in_seconds=min(60, 2**attempts)
        )
    raise ModelNotCreated(
        f"CreateModel {model.model_name} failed ({attempts} attempt(s)) and no such model exists: "
        f"{last.error}: {last.cause}"
    )
