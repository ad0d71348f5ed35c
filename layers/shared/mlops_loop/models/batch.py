"""Input of the batch-inference state machine and what StartBatchInference returns."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlops_loop.models.payloads import Payload, S3UriStr, Trigger


class BatchInferenceInput(Payload):
    """Input of the batch-inference state machine."""

    run_id: str = Field(alias="runId", min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    batch_input_s3_uri: S3UriStr = Field(alias="batchInputS3Uri")
    trigger: Trigger


class StartBatchInferenceResult(Payload):
    started: bool
    execution_arn: str | None = Field(None, alias="executionArn")
    execution_name: str = Field(alias="executionName")
    reason: Literal["started", "duplicate"]
