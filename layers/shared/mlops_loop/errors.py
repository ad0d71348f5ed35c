"""Named failures. The class name is the error name Step Functions sees (errorType), so the ASL's
Retry/Catch and the failure notifications can name them; keep names stable."""

# No "Error" suffix: the names are the Step Functions error names, a contract with the ASL
# (N818 is ignored for this package in pyproject.toml).


class MlopsError(Exception):
    """Base of every named failure of the loop."""


class InvalidEvent(MlopsError):
    """An event that does not have the documented shape; nothing was started."""


class ConfigurationError(MlopsError):
    """An environment variable the function needs is missing or invalid."""


class ModelPackageGroupNotFound(MlopsError):
    """The configured model package group does not exist (or this account may not see it)."""


class ModelPackageNotFound(MlopsError):
    """A model package version named by an event or a record does not exist (or may not be read)."""


class NoApprovedModel(MlopsError):
    """The group has no model package version with status Approved."""


class MissingBaseline(MlopsError):
    """The model package version has no data-quality baseline (statistics + constraints) registered."""


class BaselineObjectNotFound(MlopsError):
    """A baseline file named by the model package version is not in S3."""


class BaselineUnreadable(MlopsError):
    """A baseline file named by the model package version may exist but cannot be read (AccessDenied,
    403, NoSuchBucket, a KMS refusal): a permission to fix, not a file to restore."""


class InvalidBaseline(MlopsError):
    """A baseline file is not valid Model Monitor statistics/constraints JSON."""


class MonitoringOutputNotFound(MlopsError):
    """`judge` mode: the Model Monitor processing job did not write the expected files."""


class MonitoringOutputUnreadable(MlopsError):
    """`judge` mode: a file the Model Monitor job wrote cannot be read (AccessDenied, 403,
    NoSuchBucket, KMS): the run fails rather than read the refusal as "no violations"."""


class ModelNameInUse(MlopsError):
    """The run's deterministic SageMaker Model name is taken by a model serving another package."""


class ModelNotCreated(MlopsError):
    """CreateModel failed and no model of the run's name exists: the refusal was not "already exists"."""


class BatchInputNotFound(MlopsError):
    """The batch has no object at the given S3 URI (ListBatch, before any transform)."""


class MonitoringOutputInvalid(MlopsError):
    """`judge` mode: a file the Model Monitor job wrote is not JSON, or not in Model Monitor's
    format (statistics.json, constraint_violations.json): no verdict can be read from it."""
