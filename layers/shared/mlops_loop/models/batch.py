"""Input of the batch-inference state machine and what StartBatchInference returns."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mlops_loop.models.payloads import Payload, S3UriStr, Trigger


class BatchInferenceInput(Payload, kw_only=True):
    """Input of the batch-inference state machine."""

    run_id: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")]
    batch_input_s3_uri: S3UriStr
    trigger: Trigger


class StartBatchInferenceResult(Payload, kw_only=True):
    started: bool
    execution_arn: str | None = None
    execution_name: str
    reason: Literal["started", "duplicate"]
