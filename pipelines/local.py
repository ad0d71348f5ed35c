"""Upsert the committed SageMaker Pipeline definition into a local cloud, filled from its stack.

    with LocalCloud.start(parameters={..., "RetrainingPipelineName": "mlops-loop-retraining"}) as cloud:
        upsert_retraining_pipeline(cloud)   # -> the pipeline's ARN

This is what a deploy does with ``pipelines/retraining-pipeline.json`` (``python -m
pipelines.build_definition --upsert``, or ``Fn::Sub`` in an ``AWS::SageMaker::Pipeline``): its
``${Placeholders}`` get the deployed stack's values, then CreatePipeline (or UpdatePipeline when
the name exists). The values come from the stack: ``PrepareTrainingDataFunctionArn``,
``EvaluateModelFunctionArn`` and ``ComputeBaselineFunctionArn`` are the ARNs of those functions;
``SageMakerExecutionRoleArn``, ``XGBoostImageUri`` and ``KmsKeyArn`` the stack outputs of those names;
the cost tags' ``StackName`` the stack's name and ``ProjectTag``, ``OwnerTag``, ``CostCenterTag``,
``EnvironmentName`` its parameters (as the template's ``!Sub`` fills them).

The pipeline's own role (``RoleArn``) is the stack's ``RetrainingPipelineRole`` unless given (a stack
deployed with ``CreateRetrainingPipeline=true`` has created the pipeline itself, as CloudFormation
does; this upserts it again or copies it). The
name is the stack parameter ``RetrainingPipelineName`` unless given. A placeholder the stack cannot
fill, or a definition that is not JSON, is a ``PipelineDefinitionError`` naming it; nothing is
created then.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFINITION = REPO / "pipelines" / "retraining-pipeline.json"
FUNCTION_PLACEHOLDERS = {
    "PrepareTrainingDataFunctionArn": "PrepareTrainingDataFunction",
    "EvaluateModelFunctionArn": "EvaluateModelFunction",
    "ComputeBaselineFunctionArn": "ComputeBaselineFunction",
}
OUTPUT_PLACEHOLDERS = ("SageMakerExecutionRoleArn", "XGBoostImageUri", "KmsKeyArn")
PARAMETER_PLACEHOLDERS = ("ProjectTag", "OwnerTag", "CostCenterTag", "EnvironmentName")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class PipelineDefinitionError(ValueError):
    """The pipeline definition cannot be filled or upserted as given."""


def stack_values(stack: Any) -> dict[str, str]:
    """The placeholder values a deploy of `stack` (a `DeployedStack`) gives the definition."""
    values: dict[str, str] = {}
    functions = stack.functions
    for placeholder, logical_id in FUNCTION_PLACEHOLDERS.items():
        if logical_id in functions:
            values[placeholder] = (
                f"arn:aws:lambda:{stack.region}:{stack.account}:function:{functions[logical_id]}"
            )
    for output in OUTPUT_PLACEHOLDERS:
        if stack.outputs.get(output):
            values[output] = stack.outputs[output]
    for parameter in PARAMETER_PLACEHOLDERS:
        if stack.parameters.get(parameter):
            values[parameter] = stack.parameters[parameter]
    values["StackName"] = stack.name
    return values


def fill(definition: str, values: dict[str, str]) -> str:
    """The definition with every `${Name}` in its strings replaced; unfilled names are an error."""
    try:
        document = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise PipelineDefinitionError(f"the pipeline definition is not JSON: {exc}") from exc
    missing: set[str] = set()

    def visit(value: Any) -> Any:
        if isinstance(value, str):
            for name in _PLACEHOLDER.findall(value):
                if name not in values:
                    missing.add(name)
            return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
        if isinstance(value, list):
            return [visit(item) for item in value]
        if isinstance(value, dict):
            return {key: visit(item) for key, item in value.items()}
        return value

    filled = visit(document)
    if missing:
        raise PipelineDefinitionError(f"no value for placeholder(s) {', '.join(sorted(missing))}")
    return json.dumps(filled, sort_keys=True)


def _pipeline_role(stack: Any) -> str | None:
    """The ARN of the stack's RetrainingPipelineRole, the role its steps' calls are signed as."""
    name = stack.resources.get("RetrainingPipelineRole")
    return f"arn:aws:iam::{stack.account}:role/{name}" if name else None


def upsert_retraining_pipeline(
    cloud: Any,
    *,
    name: str | None = None,
    definition: str | Path = DEFINITION,
    role_arn: str | None = None,
) -> str:
    """Create or update the pipeline `name` (default: the stack's RetrainingPipelineName) in the
    local cloud from `definition`, filled from the stack; returns the pipeline ARN."""
    stack = cloud.stack
    name = name or stack.parameters.get("RetrainingPipelineName") or ""
    if not name:
        raise PipelineDefinitionError(
            "no pipeline name: give one, or deploy with the stack parameter RetrainingPipelineName"
        )
    path = Path(definition)
    if not path.is_file():
        raise PipelineDefinitionError(f"no pipeline definition at {path}")
    body = fill(path.read_text(encoding="utf-8"), stack_values(stack))
    role = role_arn or _pipeline_role(stack)
    if not role:
        raise PipelineDefinitionError(
            "no role for the pipeline: give role_arn (the stack has a RetrainingPipelineRole only with "
            "RetrainingPipelineName set and CreateRetrainingPipeline=true)"
        )
    sagemaker = cloud.client("sagemaker")
    existing = {
        summary["PipelineName"]
        for page in sagemaker.get_paginator("list_pipelines").paginate(PipelineNamePrefix=name)
        for summary in page["PipelineSummaries"]
    }
    if name in existing:
        arn = sagemaker.update_pipeline(PipelineName=name, PipelineDefinition=body, RoleArn=role)[
            "PipelineArn"
        ]
    else:
        arn = sagemaker.create_pipeline(
            PipelineName=name,
            PipelineDefinition=body,
            RoleArn=role,
            PipelineDescription="Retraining workflow (pipelines/retraining-pipeline.json)",
        )["PipelineArn"]
    return str(arn)
