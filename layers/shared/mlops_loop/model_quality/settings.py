"""CheckModelQuality's settings: StartRetraining's (the same starter) and the check's parameters."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mlops_loop.model_quality.service import Settings
from mlops_loop.settings import StartRetrainingSettings


class CheckModelQualitySettings(StartRetrainingSettings, kw_only=True, frozen=True):
    """Environment variables named as the fields (docs/model-quality.md, "Parameters")."""

    artifacts_bucket: Annotated[str, Meta(min_length=3)]
    output_prefix: str = "batch-inference"
    ground_truth_prefix: Annotated[str, Meta(min_length=1, pattern=r"^[^/].*[^/]$|^[^/]$")] = "ground-truth"
    ground_truth_id_column: Annotated[str, Meta(min_length=1)] = "record_id"
    model_quality_problem_type: Literal["BinaryClassification", "Regression"] = "BinaryClassification"
    model_quality_min_rows: Annotated[int, Meta(ge=1)] = 100
    model_quality_tolerance: Annotated[float, Meta(ge=0)] = 0.05

    def check(self) -> Settings:
        return Settings(
            artifacts_bucket=self.artifacts_bucket,
            output_prefix=self.output_prefix,
            ground_truth_prefix=self.ground_truth_prefix,
            model_package_group=self.model_package_group,
            id_column=self.ground_truth_id_column,
            problem_type=self.model_quality_problem_type,
            min_rows=self.model_quality_min_rows,
            tolerance=self.model_quality_tolerance,
        )
