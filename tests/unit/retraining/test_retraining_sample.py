"""The sample: deterministic split like the seed; the drift batch drifts (and only drifts) under the
analyzer's default Robust check; the seeding command registers v1 Approved with metrics and baselines."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import dataquality
from mlops_loop.retraining.prepare import LabelledData, channel_files, split

from sample.data import breast_cancer
from sample.seed import seed, xgboost_image_uri
from tests.support.helpers import GROUP, REGION


def test_the_sample_is_split_like_the_seed_and_deterministic() -> None:
    a, b = breast_cancer(), breast_cancer()
    assert a.files() == b.files()
    assert len(a.part1) + len(a.part2) + len(a.batch_clean) == 569
    assert len(a.batch_clean) == len(a.batch_drift)
    assert {r[0] for r in a.part1} == {"0", "1"} and {r[0] for r in a.part2} == {"0", "1"}
    assert len(a.batch_clean[0]) == len(a.feature_names) == 30


def test_the_clean_batch_is_clean_and_the_drift_batch_drifts(tmp_path: Path) -> None:
    data = breast_cancer()
    parts = split(LabelledData(["label", *data.feature_names], data.part1))
    (tmp_path / "baseline.csv").write_text(channel_files(parts)["baseline-data"][1])
    baseline = dataquality.suggest_baseline([str(tmp_path / "baseline.csv")], has_header=True)
    verdicts = {}
    for name in ("batch-clean.csv", "batch-drift.csv"):
        (tmp_path / name).write_text(data.files()[name])
        result = dataquality.check(
            [str(tmp_path / name)],
            baseline_statistics=baseline.statistics,
            baseline_constraints=baseline.constraints,
            has_header=False,
        )
        verdicts[name] = dataquality.verdict_from_violations(result.violations)
    assert verdicts["batch-clean.csv"].verdict == "clean"
    drift = verdicts["batch-drift.csv"]
    assert drift.verdict == "drift"  # not a data-quality failure: same columns, types, completeness
    assert set(drift.drifted_features) == {"mean_radius", "mean_texture", "worst_area"}
    assert {v["constraint_check_type"] for v in drift.violations} == {"baseline_drift_check"}


def test_seed_registers_v1_approved_with_metrics_and_baselines(bucket: str) -> None:
    # When
    out = seed(bucket=bucket, group=GROUP, region=REGION, endpoint_url=None, image_uri=None)

    # Then
    sm = boto3.client("sagemaker", region_name=REGION)
    package = sm.describe_model_package(ModelPackageName=out["registered"])
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["InferenceSpecification"]["Containers"][0]["Image"] == xgboost_image_uri(REGION)
    assert (
        package["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
        == out["baseline"]["statistics"]
    )
    # v1's model-quality baseline, registered as a retrained version's is (docs/model-quality.md)
    folder = f"s3://{bucket}/retraining/seed-v1/evaluation/model-quality/"
    for where in (package["ModelMetrics"], package["DriftCheckBaselines"]):
        assert where["ModelQuality"]["Statistics"]["S3Uri"] == folder + "statistics.json"
        assert where["ModelQuality"]["Constraints"]["S3Uri"] == folder + "constraints.json"
    assert package["CustomerMetadataProperties"]["reason"] == "seed"
    assert out["auc"] > 0.95
    s3 = boto3.client("s3", region_name=REGION)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {
        "training-data/breast-cancer-part1.csv",
        "batch-input/batch-clean.csv",
        "sample-data/breast-cancer-part2.csv",
        "sample-data/batch-drift.csv",
        "retraining/seed-v1/baseline/statistics.json",
        "retraining/seed-v1/baseline/constraints.json",
        "retraining/seed-v1/model/seed-v1/output/model.tar.gz",
    } <= keys
    assert "training-data/breast-cancer-part2.csv" not in keys  # part 2 arrives later
    stats = json.loads(
        s3.get_object(Bucket=bucket, Key="retraining/seed-v1/baseline/statistics.json")["Body"].read()
    )
    assert len(stats["features"]) == 30

    # And seeding again leaves the group alone
    again = seed(bucket=bucket, group=GROUP, region=REGION, endpoint_url=None, image_uri=None)
    assert again["registered"] is None
    assert len(sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]) == 1
