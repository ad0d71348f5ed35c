"""ResolveModel's logic: the latest Approved version, ready for CreateModel and the transform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from mlops_loop import registry, run_layout
from mlops_loop.models.resolved import ResolvedModel, ResolvedRun, ResolveModelRequest
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
