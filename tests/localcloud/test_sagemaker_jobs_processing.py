"""Processing jobs with Model Monitor's analyzer image run the project's dataquality analyzer."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest

from localcloud.sagemaker_jobs import JobRunner
from tests.support.sagemaker_jobs import (
    ANALYZER_IMAGE,
    BUCKET,
    REGION,
    ROLE,
    assert_documented_shape,
    csv_bytes,
    separable,
    statuses,
)

PROCESSING = "SageMaker Processing Job State Change"
ROOT = Path(__file__).resolve().parents[2]


def _import_real_dataquality() -> None:
    """tests/ on sys.path turns tests/dataquality into a namespace package named dataquality, which
    hides the analyzer package from the editable install; load the package from its layer folder."""
    module = sys.modules.get("dataquality") or importlib.import_module("dataquality")
    if hasattr(module, "check"):
        return
    sys.modules.pop("dataquality", None)
    sys.path.insert(0, str(ROOT / "layers" / "dataquality"))
    importlib.import_module("dataquality")


_import_real_dataquality()
FEATURES = ["f1", "f2", "f3", "f4"]


@pytest.fixture
def clients(aws: None) -> tuple[Any, Any]:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    x_base, _ = separable(400, seed=10)
    header = (",".join(FEATURES) + "\n").encode()
    s3.put_object(Bucket=BUCKET, Key="baseline-data/train.csv", Body=header + csv_bytes(x_base))
    x_clean, _ = separable(300, seed=11)
    s3.put_object(Bucket=BUCKET, Key="batches/clean/batch.csv", Body=csv_bytes(x_clean))
    x_shift = x_clean.copy()
    x_shift[:, 0] += 3.0
    s3.put_object(Bucket=BUCKET, Key="batches/shifted/batch.csv", Body=csv_bytes(x_shift))
    return boto3.client("sagemaker", region_name=REGION), s3


def _input(name: str, uri: str, local: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def _job(
    name: str, inputs: list[dict[str, Any]], environment: dict[str, str], output_uri: str
) -> dict[str, Any]:
    return {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": ANALYZER_IMAGE},
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": output_uri,
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        "Environment": environment,
    }


def _baseline_job(name: str = "baseline-1") -> dict[str, Any]:
    # The request DefaultModelMonitor.suggest_baseline sends
    return _job(
        name,
        [
            _input(
                "baseline_dataset_input",
                f"s3://{BUCKET}/baseline-data/",
                "/opt/ml/processing/input/baseline_dataset_input",
            )
        ],
        {
            "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
            "output_path": "/opt/ml/processing/output",
            "publish_cloudwatch_metrics": "Disabled",
        },
        f"s3://{BUCKET}/baseline/",
    )


def _monitor_job(name: str, batch: str) -> dict[str, Any]:
    return _job(
        name,
        [
            _input("batch", f"s3://{BUCKET}/batches/{batch}/", "/opt/ml/processing/input/batch"),
            _input(
                "constraints",
                f"s3://{BUCKET}/baseline/constraints.json",
                "/opt/ml/processing/baseline/constraints",
            ),
            _input(
                "statistics", f"s3://{BUCKET}/baseline/statistics.json", "/opt/ml/processing/baseline/stats"
            ),
        ],
        {
            "dataset_format": json.dumps({"csv": {"header": False}}),
            "dataset_source": "/opt/ml/processing/input/batch",
            "output_path": "/opt/ml/processing/output",
            "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
            "baseline_statistics": "/opt/ml/processing/baseline/stats/statistics.json",
            "publish_cloudwatch_metrics": "Disabled",
        },
        f"s3://{BUCKET}/monitoring/{batch}",
    )


def _json(s3: Any, key: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return doc


def test_baselining_then_monitoring_writes_model_monitor_files(
    clients: tuple[Any, Any], runner: JobRunner, emitted: list[dict[str, Any]]
) -> None:
    sm, s3 = clients
    # Given a baseline suggested from training data (no baseline in the environment: baselining mode)
    sm.create_processing_job(**_baseline_job())
    described = sm.describe_processing_job(ProcessingJobName="baseline-1")
    assert described["ProcessingJobStatus"] == "InProgress"
    # (moto drops Environment and ProcessingResources; the runner keeps them)
    assert described["Environment"]["dataset_source"] == "/opt/ml/processing/input/baseline_dataset_input"
    assert described["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert runner.wait_idle(60)
    described = sm.describe_processing_job(ProcessingJobName="baseline-1")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    statistics = _json(s3, "baseline/statistics.json")
    constraints = _json(s3, "baseline/constraints.json")
    assert [f["name"] for f in statistics["features"]] == FEATURES
    assert statistics["dataset"]["item_count"] == 400
    assert [f["name"] for f in constraints["features"]] == FEATURES

    # When the clean and the shifted batch are checked against it
    sm.create_processing_job(**_monitor_job("monitor-clean", "clean"))
    sm.create_processing_job(**_monitor_job("monitor-shifted", "shifted"))
    assert runner.wait_idle(60)

    # Then each wrote statistics.json and constraint_violations.json; only the shift drifted, on f1
    for name in ("monitor-clean", "monitor-shifted"):
        d = sm.describe_processing_job(ProcessingJobName=name)
        assert d["ProcessingJobStatus"] == "Completed", d.get("FailureReason")
    clean = _json(s3, "monitoring/clean/constraint_violations.json")
    shifted = _json(s3, "monitoring/shifted/constraint_violations.json")
    assert _json(s3, "monitoring/shifted/statistics.json")["dataset"]["item_count"] == 300
    assert [v for v in clean["violations"] if v["constraint_check_type"] == "baseline_drift_check"] == []
    drifted = [
        v["feature_name"]
        for v in shifted["violations"]
        if v["constraint_check_type"] == "baseline_drift_check"
    ]
    assert drifted == ["f1"]

    # And the events went InProgress -> Completed for each job, in the documented shape
    for name in ("baseline-1", "monitor-clean", "monitor-shifted"):
        assert statuses(emitted, PROCESSING, "ProcessingJobName", "ProcessingJobStatus", name) == [
            "InProgress",
            "Completed",
        ]
    for event in emitted:
        assert_documented_shape(event)
        assert isinstance(event["detail"]["CreationTime"], int)


def test_unknown_images_and_broken_contracts_fail_with_a_clear_reason(
    clients: tuple[Any, Any], runner: JobRunner, emitted: list[dict[str, Any]]
) -> None:
    sm, _ = clients
    sm.create_processing_job(**_baseline_job())
    assert runner.wait_idle(60)
    # Given a script-processing image, and analyzer jobs whose baseline is half given or not mounted
    script = _baseline_job("script-job")
    script["AppSpecification"] = {
        "ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/evaluate.py"],
    }
    sm.create_processing_job(**script)
    half = _monitor_job("half-baseline", "clean")
    del half["Environment"]["baseline_statistics"]
    sm.create_processing_job(**half)
    no_baseline_file = _monitor_job("missing-baseline", "clean")
    no_baseline_file["ProcessingInputs"] = no_baseline_file["ProcessingInputs"][:1]
    sm.create_processing_job(**no_baseline_file)
    assert runner.wait_idle(60)

    # Then all Failed, saying why, and the Failed events carry the reason
    reasons = {
        name: sm.describe_processing_job(ProcessingJobName=name)
        for name in ("script-job", "half-baseline", "missing-baseline")
    }
    assert all(d["ProcessingJobStatus"] == "Failed" for d in reasons.values())
    assert reasons["script-job"]["FailureReason"] == (
        "ClientError: local job runner cannot run image "
        "'683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3'"
    )
    assert "go together" in reasons["half-baseline"]["FailureReason"]
    assert reasons["missing-baseline"]["FailureReason"] == (
        "ClientError: baseline_statistics file /opt/ml/processing/baseline/stats/statistics.json not found "
        "(no ProcessingInput put it there)"
    )
    assert sm.describe_processing_job(ProcessingJobName="baseline-1")["ProcessingJobStatus"] == "Completed"
    failed = [e for e in emitted if e["detail"].get("ProcessingJobStatus") == "Failed"]
    assert {e["detail"]["ProcessingJobName"]: e["detail"]["FailureReason"] for e in failed} == {
        name: d["FailureReason"] for name, d in reasons.items()
    }
    for event in emitted:
        assert_documented_shape(event)


def test_a_stopped_processing_job_is_not_run(
    aws: None, clients: tuple[Any, Any], emitted: list[dict[str, Any]]
) -> None:
    sm, s3 = clients
    runner = JobRunner(emit=emitted.append, region=REGION, poll_interval=0.05).install()
    try:
        sm.create_processing_job(**_baseline_job("stop-me"))
        sm.stop_processing_job(ProcessingJobName="stop-me")
        runner.start()
        assert runner.wait_idle(30)
    finally:
        runner.stop()
        runner.uninstall()
    assert sm.describe_processing_job(ProcessingJobName="stop-me")["ProcessingJobStatus"] == "Stopped"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="baseline/")
    assert statuses(emitted, PROCESSING, "ProcessingJobName", "ProcessingJobStatus", "stop-me") == [
        "InProgress",
        "Stopped",
    ]
    assert np.all([e["detail-type"] == PROCESSING for e in emitted])
