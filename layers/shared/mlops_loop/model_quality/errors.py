"""Named failures of the model-quality check. The class name is the error name (logs, DLQ, tests)."""

from mlops_loop.errors import MlopsError


class InvalidGroundTruthKey(MlopsError):
    """An object key under the ground-truth prefix that is not `<prefix>/<group>/v<version>/<run id>/...`."""


class RunNotFound(MlopsError):
    """The run the labels name has no monitoring record (`<run prefix>/monitoring/verdict.json`)."""


class RunMismatch(MlopsError):
    """The run's monitoring record names another version or run id than the labels' prefix."""


class PredictionsNotFound(MlopsError):
    """The run has no `.out` object under its predictions folder."""


class InvalidPredictions(MlopsError):
    """A prediction line is not `<score>` or `<id>,...,<score>`, or ids are on some lines only."""


class InvalidLabels(MlopsError):
    """A label object without a header naming `label`, or objects that disagree on the id column."""


class PredictionsWithoutIds(MlopsError):
    """Labels carry the id column but the run's predictions carry no id (the transform did not join it)."""


class MissingModelQualityBaseline(MlopsError):
    """The version has no model-quality constraints registered (DriftCheckBaselines or ModelMetrics)."""


class BatchPredictionMismatch(MlopsError):
    """A batch object and its predictions differ in line count: the labelled rows cannot be rebuilt."""
