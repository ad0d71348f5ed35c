"""Named failures of the local job runner."""

from __future__ import annotations


class JobFailedError(Exception):
    """A job ends Failed; ``reason`` becomes its FailureReason (AWS style: ``ClientError: ...``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedImageError(JobFailedError):
    """The job names a container image (or entrypoint) the local runner cannot run."""

    def __init__(self, image: str, what: str = "image") -> None:
        super().__init__(f"ClientError: local job runner cannot run {what} {image!r}")
        self.image = image


class PipelineFailedError(Exception):
    """A pipeline execution ends Failed with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
