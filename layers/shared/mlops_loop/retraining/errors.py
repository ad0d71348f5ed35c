"""Named failures of the retraining workflow. The class name is the error name Step Functions sees."""

from mlops_loop.errors import MlopsError


class NoTrainingData(MlopsError):
    """No CSV object under the training-data prefix."""


class InvalidTrainingData(MlopsError):
    """A training CSV does not have the documented shape (header `label,f1,...`, labels 0/1)."""


class InsufficientTrainingData(MlopsError):
    """Too few rows (or too few of one class) to train, validate and test."""


class PredictionsNotFound(MlopsError):
    """The scoring transform job wrote no `.out` object where the evaluation looks."""


class PredictionCountMismatch(MlopsError):
    """The number of predictions differs from the number of held-out labels."""


class RetrainingTargetNotConfigured(MlopsError):
    """Neither RETRAINING_STATE_MACHINE_ARN nor RETRAINING_PIPELINE_NAME is set."""


class InvalidPredictions(MlopsError):
    """A prediction or a held-out label is not a number, or the labels hold one class only."""
