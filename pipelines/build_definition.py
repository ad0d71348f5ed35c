"""The retraining workflow as a SageMaker Pipeline, for teams that retrain in SageMaker Pipelines.

    .venv-sagemaker/bin/python -m pipelines.build_definition --write      # regenerate the JSON
    .venv-sagemaker/bin/python -m pipelines.build_definition --upsert \\
        --name NAME --role-arn ROLE --substitutions substitutions.json     # create/update it

Same steps as statemachines/retraining.asl.json: PrepareTrainingData (Lambda step, our function) ->
TrainModel (built-in XGBoost) -> CreateCandidateModel -> ScoreTestSet (transform) -> EvaluateModel
(Lambda step; it also returns the version's description) -> QualityGate (condition on AUC) ->
ComputeBaseline (Lambda step) -> RegisterModelPackage (PendingManualApproval, ModelMetrics +
DriftCheckBaselines, the description EvaluateModel returned); a failed gate
ends in a Fail step. Its Parameters are the ones start_retraining passes
(mlops_loop.retraining.training.PIPELINE_PARAMETER_NAMES, and QUALITY_GATE_PARAMETER with the
stack's QualityGateMinAuc; its 0.9 default applies only to runs started by hand) plus tuning knobs
with defaults.

The committed JSON (pipelines/retraining-pipeline.json, infrastructure code) keeps `${Name}`
placeholders for account-specific values (function ARNs, image, role, KMS key), like the ASL;
`--upsert` fills them from `--substitutions` (a JSON object) before calling UpsertPipeline, and a
CloudFormation `AWS::SageMaker::Pipeline` can fill them with `Fn::Sub`. Dev-time only: the
sagemaker SDK (v3) lives in .venv-sagemaker, never in a Lambda package.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "shared"))  # the recipe constants, without installing the layer

from mlops_loop.retraining.training import (  # noqa: E402
    PIPELINE_PARAMETER_NAMES,
    QUALITY_GATE_PARAMETER,
    XGBOOST_HYPERPARAMETERS,
)

OUTPUT = Path(__file__).resolve().parent / "retraining-pipeline.json"
DEFAULT_NAME = "mlops-loop-retraining"
REGION = "us-east-1"  # the SDK needs one to render offline; nothing region-specific is emitted
PLACEHOLDERS = (
    "PrepareTrainingDataFunctionArn",
    "EvaluateModelFunctionArn",
    "ComputeBaselineFunctionArn",
    "SageMakerExecutionRoleArn",
    "XGBoostImageUri",
    "KmsKeyArn",
)
PREPARE_OUTPUTS = (
    "trainS3Uri",
    "validationS3Uri",
    "testS3Uri",
    "testLabelsS3Uri",
    "baselineDataS3Uri",
    "modelOutputS3Uri",
    "predictionsS3Uri",
    "evaluationS3Uri",
    "baselineS3Uri",
)


def ph(name: str) -> str:
    return "${" + name + "}"


def stack_tags() -> list[dict[str, str]]:
    """The stack's cost tags, as the state machine's create tasks carry them (docs/deploy.md, cost
    attribution): the jobs and the model the pipeline's steps create are billed to the stack's
    Project/Owner/CostCenter/Environment too; Pipelines adds its own sagemaker:pipeline-* tags."""
    return [
        {"Key": "mlops:stack", "Value": ph("StackName")},
        {"Key": "Project", "Value": ph("ProjectTag")},
        {"Key": "Owner", "Value": ph("OwnerTag")},
        {"Key": "CostCenter", "Value": ph("CostCenterTag")},
        {"Key": "Environment", "Value": ph("EnvironmentName")},
    ]


def build() -> Any:
    """The sagemaker SDK Pipeline object (imports the SDK: run in .venv-sagemaker)."""
    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.core.workflow.properties import Properties
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import Step, StepTypeEnum

    class RawStep(Step):
        """A step whose request is given as is (the same request the state machine sends)."""

        def __init__(self, name: str, step_type: StepTypeEnum, shape: str, request: dict[str, Any]) -> None:
            super().__init__(name, step_type=step_type)
            self._request = request
            self._properties = Properties(step_name=name, step=self, shape_name=shape)

        @property
        def arguments(self) -> dict[str, Any]:
            return self._request

        @property
        def properties(self) -> Any:
            return self._properties

    params = {name: ParameterString(name=name, default_value="none") for name in PIPELINE_PARAMETER_NAMES}
    # A run started by hand is a manual retraining: EvaluateModel takes the reason as a
    # RetrainingReason (models/retraining.py), which "none" is not.
    params["Reason"] = ParameterString(name="Reason", default_value="manual")
    min_auc = ParameterFloat(name=QUALITY_GATE_PARAMETER, default_value=0.9)
    training_instance = ParameterString(name="TrainingInstanceType", default_value="ml.m5.large")
    transform_instance = ParameterString(name="TransformInstanceType", default_value="ml.m5.large")

    prepare = LambdaStep(
        name="PrepareTrainingData",
        lambda_func=Lambda(function_arn=ph("PrepareTrainingDataFunctionArn")),
        inputs={
            "runId": params["RunId"],
            "trainingDataS3Uri": params["TrainingDataS3Uri"],
            "modelPackageGroupName": params["ModelPackageGroupName"],
        },
        outputs=[
            LambdaOutput(output_name=n, output_type=LambdaOutputTypeEnum.String) for n in PREPARE_OUTPUTS
        ],
    )
    out = prepare.properties.Outputs

    def channel(name: str, uri: Any) -> dict[str, Any]:
        return {
            "ChannelName": name,
            "ContentType": "text/csv",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": uri,
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }

    train = RawStep(
        "TrainModel",
        StepTypeEnum.TRAINING,
        "DescribeTrainingJobResponse",
        {
            "AlgorithmSpecification": {"TrainingImage": ph("XGBoostImageUri"), "TrainingInputMode": "File"},
            "HyperParameters": dict(XGBOOST_HYPERPARAMETERS),
            "InputDataConfig": [
                channel("train", out["trainS3Uri"]),
                channel("validation", out["validationS3Uri"]),
            ],
            "OutputDataConfig": {"S3OutputPath": out["modelOutputS3Uri"], "KmsKeyId": ph("KmsKeyArn")},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": training_instance, "VolumeSizeInGB": 10},
            "RoleArn": ph("SageMakerExecutionRoleArn"),
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "Tags": stack_tags(),
        },
    )
    model_data = train.properties.ModelArtifacts.S3ModelArtifacts
    candidate = RawStep(
        "CreateCandidateModel",
        StepTypeEnum.CREATE_MODEL,
        "DescribeModelOutput",
        {
            "ExecutionRoleArn": ph("SageMakerExecutionRoleArn"),
            "PrimaryContainer": {"Image": ph("XGBoostImageUri"), "ModelDataUrl": model_data},
            "Tags": stack_tags(),
        },
    )
    score = RawStep(
        "ScoreTestSet",
        StepTypeEnum.TRANSFORM,
        "DescribeTransformJobResponse",
        {
            "ModelName": candidate.properties.ModelName,
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": out["testS3Uri"]}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {
                "S3OutputPath": out["predictionsS3Uri"],
                "Accept": "text/csv",
                "AssembleWith": "Line",
                "KmsKeyId": ph("KmsKeyArn"),
            },
            "TransformResources": {"InstanceCount": 1, "InstanceType": transform_instance},
            "Tags": stack_tags(),
        },
    )
    evaluate = LambdaStep(
        name="EvaluateModel",
        lambda_func=Lambda(function_arn=ph("EvaluateModelFunctionArn")),
        inputs={
            "runId": params["RunId"],
            "reason": params["Reason"],
            "predictionsS3Uri": score.properties.TransformOutput.S3OutputPath,
            "testLabelsS3Uri": out["testLabelsS3Uri"],
            "evaluationS3Uri": out["evaluationS3Uri"],
        },
        outputs=[
            LambdaOutput(output_name="auc", output_type=LambdaOutputTypeEnum.Float),
            LambdaOutput(output_name="itemCount", output_type=LambdaOutputTypeEnum.Integer),
            LambdaOutput(output_name="evaluationS3Uri", output_type=LambdaOutputTypeEnum.String),
            # the version's model-quality baseline (docs/model-quality.md)
            LambdaOutput(output_name="modelQualityStatisticsS3Uri", output_type=LambdaOutputTypeEnum.String),
            LambdaOutput(output_name="modelQualityConstraintsS3Uri", output_type=LambdaOutputTypeEnum.String),
            # the version's description, built by retraining/evaluate.py as for the state machine
            # (at most 1024 characters: CreateModelPackage's EntityDescription and a step
            # OutputParameter's Value share that limit)
            LambdaOutput(output_name="modelPackageDescription", output_type=LambdaOutputTypeEnum.String),
        ],
    )
    baseline = LambdaStep(
        name="ComputeBaseline",
        lambda_func=Lambda(function_arn=ph("ComputeBaselineFunctionArn")),
        inputs={
            "runId": params["RunId"],
            "baselineDataS3Uri": out["baselineDataS3Uri"],
            "outputS3Uri": out["baselineS3Uri"],
        },
        outputs=[
            LambdaOutput(output_name="statisticsS3Uri", output_type=LambdaOutputTypeEnum.String),
            LambdaOutput(output_name="constraintsS3Uri", output_type=LambdaOutputTypeEnum.String),
        ],
    )
    dq = {
        "Statistics": {
            "ContentType": "application/json",
            "S3Uri": baseline.properties.Outputs["statisticsS3Uri"],
        },
        "Constraints": {
            "ContentType": "application/json",
            "S3Uri": baseline.properties.Outputs["constraintsS3Uri"],
        },
    }
    mq = {
        "Statistics": {
            "ContentType": "application/json",
            "S3Uri": evaluate.properties.Outputs["modelQualityStatisticsS3Uri"],
        },
        "Constraints": {
            "ContentType": "application/json",
            "S3Uri": evaluate.properties.Outputs["modelQualityConstraintsS3Uri"],
        },
    }
    auc = evaluate.properties.Outputs["auc"]
    register = RawStep(
        "RegisterModelPackage",
        StepTypeEnum.REGISTER_MODEL,
        "DescribeModelPackageOutput",
        {
            "ModelPackageGroupName": params["ModelPackageGroupName"],
            "ModelPackageDescription": evaluate.properties.Outputs["modelPackageDescription"],
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [{"Image": ph("XGBoostImageUri"), "ModelDataUrl": model_data}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelMetrics": {"ModelQuality": mq, "ModelDataQuality": dq},
            "DriftCheckBaselines": {"ModelQuality": mq, "ModelDataQuality": dq},
            "CustomerMetadataProperties": {
                "reason": params["Reason"],
                "episodeId": params["EpisodeId"],
                "sourceExecutionArn": params["SourceExecutionArn"],
                "baseModelPackageArn": params["BaseModelPackageArn"],
                "trainingJobName": train.properties.TrainingJobName,
                "auc": Join(on="", values=[auc]),
            },
        },
    )
    gate_failed = FailStep(
        name="QualityGateFailed",
        error_message=Join(
            on=" ",
            values=[
                "QualityGateFailed: candidate AUC",
                auc,
                "is below the quality gate",
                min_auc,
                "; nothing was registered (run",
                params["RunId"],
                ")",
            ],
        ),
    )
    gate = ConditionStep(
        name="QualityGate",
        conditions=[ConditionGreaterThanOrEqualTo(left=auc, right=min_auc)],
        if_steps=[baseline, register],
        else_steps=[gate_failed],
    )
    register.depends_on = [baseline]
    return Pipeline(
        name=DEFAULT_NAME,
        parameters=[*params.values(), min_auc, training_instance, transform_instance],
        steps=[prepare, train, candidate, score, evaluate, gate],
    )


def definition_text() -> str:
    import os

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    doc = json.loads(build().definition())
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def substitute(text: str, values: dict[str, str]) -> str:
    missing = [n for n in PLACEHOLDERS if ph(n) in text and n not in values]
    if missing:
        raise SystemExit(f"--substitutions lacks: {', '.join(missing)}")
    return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.build_definition", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.relative_to(ROOT)}")
    parser.add_argument("--upsert", action="store_true", help="create or update the pipeline in SageMaker")
    parser.add_argument("--name", default=DEFAULT_NAME)
    parser.add_argument("--role-arn", help="the pipeline's execution role (for --upsert)")
    parser.add_argument("--substitutions", help="JSON file {placeholder: value} (for --upsert)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)
    text = definition_text()
    if args.write:
        OUTPUT.write_text(text)
        print(f"wrote {OUTPUT}")
    if args.upsert:
        import boto3

        if not (args.role_arn and args.substitutions):
            raise SystemExit("--upsert needs --role-arn and --substitutions")
        body = substitute(text, json.loads(Path(args.substitutions).read_text()))
        sm = boto3.client("sagemaker", region_name=args.region, endpoint_url=args.endpoint_url)
        try:
            sm.describe_pipeline(PipelineName=args.name)
            sm.update_pipeline(PipelineName=args.name, PipelineDefinition=body, RoleArn=args.role_arn)
            print(f"updated pipeline {args.name}")
        except sm.exceptions.ResourceNotFound:
            sm.create_pipeline(PipelineName=args.name, PipelineDefinition=body, RoleArn=args.role_arn)
            print(f"created pipeline {args.name}")
    if not (args.write or args.upsert):
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
