"""The training recipe shared by the state machine (TrainModel's HyperParameters, kept equal by a
test), the SageMaker Pipeline definition and the sample seeding command (which trains v1 locally)."""

from __future__ import annotations

XGBOOST_FRAMEWORK_VERSION = "1.7-1"

# The SageMaker Pipeline's parameters that start_retraining passes (pipelines/build_definition.py
# declares them; a test checks the committed definition). Standard library only: the SDK venv imports it.
PIPELINE_PARAMETER_NAMES: tuple[str, ...] = (
    "RunId",
    "Reason",
    "EpisodeId",
    "ModelPackageGroupName",
    "TrainingDataS3Uri",
    "SourceExecutionArn",
    "BaseModelPackageArn",
)
# The AUC the QualityGate step asks of a candidate (a Float parameter of the pipeline): start_retraining
# and check_freshness pass the stack's QualityGateMinAuc, so the pipeline never gates on its own default.
QUALITY_GATE_PARAMETER = "QualityGateMinAuc"

# SageMaker's built-in XGBoost takes every hyperparameter as a string.
XGBOOST_HYPERPARAMETERS: dict[str, str] = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "num_round": "100",
    "max_depth": "4",
    "eta": "0.2",
    "min_child_weight": "1",
    "subsample": "0.8",
    "seed": "42",
}


def xgboost_params() -> tuple[dict[str, object], int]:
    """The same recipe for the xgboost Python package: (params, num_boost_round)."""
    params: dict[str, object] = {}
    for key, value in XGBOOST_HYPERPARAMETERS.items():
        if key == "num_round":
            continue
        try:
            params[key] = int(value)
        except ValueError:
            try:
                params[key] = float(value)
            except ValueError:
                params[key] = value
    return params, int(XGBOOST_HYPERPARAMETERS["num_round"])
