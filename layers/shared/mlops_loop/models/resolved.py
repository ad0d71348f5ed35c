"""ResolveModel's input and its output, `$.model` of the batch-inference state machine."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from mlops_loop.models.payloads import Payload, S3UriStr
from mlops_loop.models.run import BatchRun


class ResolveModelRequest(Payload, kw_only=True):
    """What ResolveModel receives: the execution (its name is the run's id, which keys every
    output) and the batch. A `runId` in the input is a label only: never a place."""

    execution_arn: Annotated[str, Meta(min_length=1, pattern=r"^arn:[^:]+:states:[^:]*:[0-9]*:execution:")]
    batch_input_s3_uri: S3UriStr
    run_id: str | None = None


class ResolvedModel(Payload, kw_only=True):
    """ResolveModel's output, `$.model` in the batch-inference state machine."""

    model_package_arn: str
    model_package_group_name: str
    model_package_version: Annotated[int, Meta(ge=1)]
    model_name: Annotated[str, Meta(max_length=63)]
    model_exists: bool
    image_uri: str
    model_data_url: S3UriStr
    baseline_statistics_s3_uri: S3UriStr
    baseline_constraints_s3_uri: S3UriStr
    creation_time: datetime

    def dump(self) -> dict[str, Any]:
        # `datetime.isoformat()` (UTC as +00:00), as this payload has always carried it.
        return super().dump() | {"creationTime": self.creation_time.isoformat()}


class CaughtError(Payload, kw_only=True):
    """A Catch's error output (`$states.errorOutput`): Step Functions' error name and cause."""

    error: str = msgspec.field(name="Error")
    cause: str | None = msgspec.field(name="Cause", default=None)


class AdoptModelRequest(Payload, kw_only=True):
    """CreateModel was refused: the version to run and every refusal of this run so far, in order."""

    action: Literal["adoptModel"]
    model: ResolvedModel
    failures: Annotated[list[CaughtError], Meta(min_length=1)]


class ModelAdoption(Payload, kw_only=True):
    """AdoptModel's answer: `adopted` (the model of this name serves this package: go on), or create
    again after `retryInSeconds` (a transient refusal, such as a throttle)."""

    adopted: bool
    model_name: str
    retry_in_seconds: int = 0


class ResolvedRun(Payload, kw_only=True):
    """ResolveModel's output: the version to run (`$model`) and the run's names and places (`$run`)."""

    model: ResolvedModel
    run: BatchRun

    def dump(self) -> dict[str, Any]:
        return {"model": self.model.dump(), "run": self.run.dump()}
