"""ComputeBaseline: the new version's data-quality baseline, by the dataquality analyzer.

The baseline is suggested from the training features (with their header) and written as Model
Monitor's `statistics.json` and `constraints.json`, which are registered as the version's
ModelDataQuality metrics and DriftCheckBaselines; batch monitoring then checks against them.
"""

from __future__ import annotations

from mlops_loop.models.retraining import BaselineRequest, BaselineResult
from mlops_loop.s3uri import S3Uri


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
