"""The retraining payloads: the state machine's input (started by start_retraining / check_freshness),
its steps' requests and results (PrepareTrainingData, ComputeBaseline, EvaluateModel) and what the
starters return (StartResult, FreshnessResult)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mlops_loop.models.payloads import Payload, S3UriStr

#: Why a retraining runs (the run's input, its version's metadata and description).
RetrainingReason = Literal["drift", "stale", "manual", "data_quality_failure", "model_quality"]


class RetrainingInput(Payload, kw_only=True):
    """Input of the retraining state machine (started by start_retraining / check_freshness)."""

    run_id: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")]
    reason: RetrainingReason
    episode_id: Annotated[str, Meta(min_length=1)]
    model_package_group_name: Annotated[str, Meta(min_length=1)]
    training_data_s3_uri: S3UriStr
    source_execution_arn: str | None = None
    base_model_package_arn: str | None = None


class BaselineRequest(Payload, kw_only=True):
    run_id: Annotated[str, Meta(min_length=1)]
    baseline_data_s3_uri: S3UriStr
    output_s3_uri: S3UriStr


class BaselineResult(Payload, kw_only=True):
    """ComputeBaseline's output, `$.baseline` in the retraining state machine."""

    statistics_s3_uri: str
    constraints_s3_uri: str
    features: int
    item_count: int | None = None


class EvaluateRequest(Payload, kw_only=True):
    run_id: Annotated[str, Meta(min_length=1)]
    predictions_s3_uri: S3UriStr
    test_labels_s3_uri: S3UriStr
    evaluation_s3_uri: Annotated[str, Meta(pattern=r"^s3://[^/]+/.+\.json$")]
    #: The retraining state machine trains a binary classifier and leaves the default.
    problem_type: Literal["BinaryClassification", "Regression"] = "BinaryClassification"
    #: Why the run retrains: the state machine's input, or the pipeline's `Reason` parameter.
    reason: RetrainingReason | None = None


class EvaluationResult(Payload, kw_only=True):
    """EvaluateModel's output, `$.evaluation` in the retraining state machine. The classification
    scores are None for a regression (whose errors are in the statistics)."""

    auc: float | None
    accuracy: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    item_count: int
    evaluation_s3_uri: str
    model_quality_statistics_s3_uri: str
    model_quality_constraints_s3_uri: str
    #: What RegisterModelPackage sends as ModelPackageDescription.
    model_package_description: str


class PrepareRequest(Payload, kw_only=True):
    """PrepareTrainingData's input (the state machine's and the pipeline's Lambda step)."""

    run_id: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")]
    training_data_s3_uri: S3UriStr
    model_package_group_name: Annotated[str, Meta(min_length=1)]


class PreparedData(Payload, kw_only=True):
    """PrepareTrainingData's output, `$.prepared` in the retraining state machine."""

    train_s3_uri: str
    validation_s3_uri: str
    test_s3_uri: str
    test_labels_s3_uri: str
    baseline_data_s3_uri: str
    model_output_s3_uri: str
    predictions_s3_uri: str
    evaluation_s3_uri: str
    baseline_s3_uri: str
    training_job_name: str
    model_name: str
    transform_job_name: str
    rows: dict[str, int]
    source_objects: list[str]
    feature_names: list[str]
    #: `All`, or the window's start (ISO 8601) and the degraded version it starts from.
    training_window: str


Outcome = Literal["started", "duplicate", "in_flight", "already_ran", "ignored", "forged", "suppressed"]


TargetKind = Literal["state_machine", "pipeline"]


class StartResult(Payload, kw_only=True):
    """What start_retraining / check_freshness return (logs, tests)."""

    started: bool
    outcome: Outcome
    target: TargetKind
    execution_name: str
    execution_arn: str | None = None
    lock_holder: str | None = None
    detail: str = ""
    suppressed_by: str | None = None  # suppressed: the candidate of the drift condition (its ARN)
    message_id: str | None = None  # in_flight / suppressed: the mail that said so


FreshnessAction = Literal["off", "no_live_model", "fresh", "awaiting_approval", "retraining"]


class FreshnessResult(Payload, kw_only=True):
    action: FreshnessAction
    live_model_package_arn: str | None = None
    live_version: int | None = None
    age_days: float | None = None
    max_age_days: int
    start: StartResult | None = None
