"""ComputeBaseline: the new version's data-quality baseline, by the dataquality analyzer.

The baseline is suggested from the training features (with their header) and written as Model
Monitor's `statistics.json` and `constraints.json`, which are registered as the version's
ModelDataQuality metrics and DriftCheckBaselines; batch monitoring then checks against them.
"""

from __future__ import annotations

from pydantic import Field

from mlops_loop.models.payloads import Payload
from mlops_loop.s3uri import S3Uri


class BaselineRequest(Payload):
    run_id: str = Field(alias="runId", min_length=1)
    baseline_data_s3_uri: str = Field(alias="baselineDataS3Uri", pattern=r"^s3://[^/]+(/.*)?$")
    output_s3_uri: str = Field(alias="outputS3Uri", pattern=r"^s3://[^/]+(/.*)?$")


class BaselineResult(Payload):
    """ComputeBaseline's output, `$.baseline` in the retraining state machine."""

    statistics_s3_uri: str = Field(alias="statisticsS3Uri")
    constraints_s3_uri: str = Field(alias="constraintsS3Uri")
    features: int
    item_count: int | None = Field(None, alias="itemCount")


def compute_baseline(request: BaselineRequest) -> BaselineResult:
    import dataquality  # the DataQuality layer; imported here so the rest of the package does not need it

    baseline = dataquality.suggest_baseline([request.baseline_data_s3_uri], has_header=True)
    output = request.output_s3_uri.rstrip("/") + "/"
    S3Uri.parse(output)
    written = baseline.write(output)
    stats = baseline.statistics
    return BaselineResult(
        statistics_s3_uri=written["statistics"],
        constraints_s3_uri=written["constraints"],
        features=len(stats.get("features", [])),
        item_count=(stats.get("dataset") or {}).get("item_count"),
    )
