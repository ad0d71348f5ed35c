"""Named errors for bad input. Every message names the file, column or field and the problem."""

from __future__ import annotations


class DataQualityError(Exception):
    """Base class of every error this package raises on purpose."""


class UsageError(DataQualityError):
    """The caller asked for something that cannot be done (bad option, unknown format)."""


class UnreadableInput(DataQualityError):  # noqa: N818 - public API name
    """A data file cannot be found, fetched or parsed."""


class BatchNotFound(UnreadableInput):
    """Nothing is at the batch's location: no object under the prefix, no such file or folder. A
    listing that fails (AccessDenied, NoSuchBucket) is ``UnreadableInput``, never this."""


class UnknownFormat(UnreadableInput):
    """An object of the batch is in no format this package reads (its name has no known extension
    and no format was given): the run fails naming it, never a verdict on the rest of the batch."""


class EmptyBatch(DataQualityError):  # noqa: N818 - public API name
    """The data holds no rows at all."""


class BaselineFormatError(DataQualityError):
    """statistics.json, constraints.json or constraint_violations.json is malformed or of a wrong version."""


class SchemaMismatch(DataQualityError):  # noqa: N818 - public API name
    """The data's columns cannot be lined up with the baseline (e.g. headerless CSV without names)."""


class ProfileFormatError(DataQualityError):
    """A serialised partial profile cannot be read back (corrupt, other version)."""


class AllMissingColumn(DataQualityError):  # noqa: N818 - public API name
    """A baseline cannot be suggested for a column that holds no value at all."""


class MonitoringOutputFormatError(BaselineFormatError):
    """A monitoring job's own output (the batch's statistics.json, its constraint_violations.json) is
    malformed. A BaselineFormatError too; its own class so that a caller can tell the job's files
    from the baseline's."""


class DriftNotComparable(DataQualityError):  # noqa: N818 - public API name
    """A feature whose distribution comparison the baseline enables cannot be compared with the
    batch's statistics.json (absent, no values, another type, no sketch or buckets), and no violation
    of the monitoring job names it: its drift is unknown, so there is no verdict."""
