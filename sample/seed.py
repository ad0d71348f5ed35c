"""Seed a bucket and a Model Registry group with the sample: the data in the documented layout and
model version 1, trained here with xgboost, **Approved**, with its evaluation and its baseline.

    python -m sample.seed --bucket BUCKET --group GROUP [--endpoint-url URL] [--region REGION]

Uploads (docs/architecture.md's layout):

* `training-data/breast-cancer-part1.csv`  - labelled training data of v1 (header `label,...`)
* `batch-input/batch-clean.csv`            - the scheduled batch (features only, no header)
* `sample-data/breast-cancer-part2.csv`    - newly labelled data: copy it under `training-data/`
  before a retraining to train on old + new data (or pass `--with-part2`)
* `sample-data/batch-clean.csv`, `sample-data/batch-drift.csv` - a clean batch and one that drifts
* `retraining/seed-v1/...` - v1's channels, `model/.../model.tar.gz`, `evaluation/evaluation.json`
  and `baseline/{statistics,constraints}.json`, as a retraining run would write them

v1 is trained exactly like the retraining state machine trains (same split, same hyperparameters,
`xgboost-model` inside `model.tar.gz`), evaluated on its held-out split, baselined by the
dataquality analyzer on its training features, and registered Approved with ModelMetrics
(ModelQuality + ModelDataQuality), DriftCheckBaselines and CustomerMetadataProperties. A group that
already has versions is left alone unless `--force` is given. Dev-time tool (needs xgboost and
scikit-learn, from requirements/dev.txt); never part of a Lambda package.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import boto3
import numpy as np
from dataquality.model_metrics import binary_classification_report
from dataquality.model_quality import parse_model_quality_statistics, suggest_model_quality_constraints
from mlops_loop.retraining.prepare import LabelledData, channel_files, split
from mlops_loop.retraining.training import XGBOOST_HYPERPARAMETERS, xgboost_params

from sample.data import SampleData, breast_cancer, load_mammographic_masses

RUN_ID = "seed-v1"
TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


def xgboost_image_uri(region: str) -> str:
    """The region's built-in XGBoost 1.7-1 image, from the template's generated ImageUris mapping."""
    text = TEMPLATE.read_text()
    match = re.search(rf"^\s+{re.escape(region)}:\s*\n\s+XGBoost:\s*(\S+)", text, re.MULTILINE)
    if not match:
        raise SystemExit(f"no XGBoost image for region {region} in {TEMPLATE} (pass --image-uri)")
    return match.group(1)


def _matrix(rows: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    array = np.array(rows, dtype=np.float64)
    return array[:, 1:], array[:, 0]


def train_v1(data: SampleData) -> dict[str, Any]:
    """Split like PrepareTrainingData, train like TrainModel, evaluate like EvaluateModel."""
    import xgboost as xgb

    parts = split(LabelledData(["label", *data.feature_names], data.part1))
    x_train, y_train = _matrix(parts.train)
    x_val, y_val = _matrix(parts.validation)
    x_test, y_test = _matrix(parts.test)
    params, rounds = xgboost_params()
    dtrain = xgb.DMatrix(x_train, label=y_train)
    dval = xgb.DMatrix(x_val, label=y_val)
    booster = xgb.train(
        params, dtrain, num_boost_round=rounds, evals=[(dval, "validation")], verbose_eval=False
    )
    scores = booster.predict(xgb.DMatrix(x_test))
    report = binary_classification_report(y_test.astype(np.int64), scores.astype(np.float64))
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        raw = bytes(booster.save_raw("ubj"))
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return {"parts": parts, "report": report, "model_tar_gz": archive.getvalue()}


def seed(
    *,
    bucket: str,
    group: str,
    region: str,
    endpoint_url: str | None,
    image_uri: str | None,
    with_part2: bool = False,
    force: bool = False,
    data: SampleData | None = None,
) -> dict[str, Any]:
    import dataquality

    session = boto3.session.Session(region_name=region)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    sm = session.client("sagemaker", endpoint_url=endpoint_url)
    data = data or breast_cancer()
    files = data.files()

    def put(key: str, body: bytes | str, content_type: str = "text/csv") -> str:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body.encode() if isinstance(body, str) else body,
            ContentType=content_type,
        )
        return f"s3://{bucket}/{key}"

    put("training-data/breast-cancer-part1.csv", files["breast-cancer-part1.csv"])
    if with_part2:
        put("training-data/breast-cancer-part2.csv", files["breast-cancer-part2.csv"])
    put("batch-input/batch-clean.csv", files["batch-clean.csv"])
    for name in ("breast-cancer-part2.csv", "batch-clean.csv", "batch-drift.csv"):
        put(f"sample-data/{name}", files[name])

    existing = (
        sm.list_model_packages(ModelPackageGroupName=group, MaxResults=1).get("ModelPackageSummaryList", [])
        if _group_exists(sm, group)
        else []
    )
    if existing and not force:
        return {
            "registered": None,
            "note": f"group {group} already has versions; nothing registered (use --force)",
        }

    trained = train_v1(data)
    base = f"retraining/{RUN_ID}"
    for folder, (file_name, body) in channel_files(trained["parts"]).items():
        put(f"{base}/{folder}/{file_name}", body)
    model_uri = put(
        f"{base}/model/{RUN_ID}/output/model.tar.gz", trained["model_tar_gz"], "application/x-tar"
    )
    evaluation_uri = put(
        f"{base}/evaluation/evaluation.json", json.dumps(trained["report"], indent=2), "application/json"
    )
    # v1's model-quality baseline, as EvaluateModel writes a retrained version's (docs/model-quality.md)
    mq_stats = parse_model_quality_statistics(trained["report"])
    mq = {
        "Statistics": {
            "ContentType": "application/json",
            "S3Uri": put(
                f"{base}/evaluation/model-quality/statistics.json",
                json.dumps(mq_stats.to_dict(), indent=2),
                "application/json",
            ),
        },
        "Constraints": {
            "ContentType": "application/json",
            "S3Uri": put(
                f"{base}/evaluation/model-quality/constraints.json",
                json.dumps(suggest_model_quality_constraints(mq_stats).to_dict(), indent=2),
                "application/json",
            ),
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "baseline-data.csv"
        local.write_text(channel_files(trained["parts"])["baseline-data"][1])
        baseline = dataquality.suggest_baseline([str(local)], has_header=True)
    written = {
        name: put(f"{base}/baseline/{name}.json", json.dumps(doc, indent=2), "application/json")
        for name, doc in (("statistics", baseline.statistics), ("constraints", baseline.constraints))
    }

    if not _group_exists(sm, group):
        sm.create_model_package_group(
            ModelPackageGroupName=group, ModelPackageGroupDescription="Breast-cancer severity (sample)"
        )
    auc = trained["report"]["binary_classification_metrics"]["auc"]["value"]
    dq = {
        "Statistics": {"ContentType": "application/json", "S3Uri": written["statistics"]},
        "Constraints": {"ContentType": "application/json", "S3Uri": written["constraints"]},
    }
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"Sample v1 (seeded): AUC {auc:.4f} on {len(trained['parts'].test)} rows.",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": image_uri or xgboost_image_uri(region), "ModelDataUrl": model_uri}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={
            "ModelQuality": mq,
            "ModelDataQuality": dq,
        },
        DriftCheckBaselines={"ModelDataQuality": dq, "ModelQuality": mq},
        CustomerMetadataProperties={
            "reason": "seed",
            "episodeId": RUN_ID,
            "sourceExecutionArn": "none",
            "trainingJobName": "local-xgboost",
            "auc": str(auc),
            # Values may hold only letters, digits, spaces and _.:/=+-@ (CreateModelPackage's
            # CustomerMetadataProperties pattern): key=value pairs, not JSON.
            "hyperparameters": " ".join(f"{k}={v}" for k, v in sorted(XGBOOST_HYPERPARAMETERS.items()))[:256],
        },
    )["ModelPackageArn"]
    return {
        "registered": arn,
        "auc": auc,
        "model": model_uri,
        "baseline": written,
        "evaluation": evaluation_uri,
    }


def _group_exists(sm: Any, group: str) -> bool:
    try:
        sm.describe_model_package_group(ModelPackageGroupName=group)
    except sm.exceptions.ClientError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bucket", required=True, help="artifacts bucket (must exist)")
    parser.add_argument("--group", required=True, help="model package group name or ARN (created if missing)")
    parser.add_argument("--region", default=boto3.session.Session().region_name or "us-east-1")
    parser.add_argument("--endpoint-url", help="e.g. the local cloud's http://127.0.0.1:PORT")
    parser.add_argument("--image-uri", help="XGBoost image (default: the template's mapping for --region)")
    parser.add_argument("--with-part2", action="store_true", help="also put part 2 under training-data/")
    parser.add_argument("--force", action="store_true", help="register v1 even if the group has versions")
    parser.add_argument("--mammographic-masses", help="use the UCI mammographic_masses.data file instead")
    args = parser.parse_args(argv)
    data = load_mammographic_masses(args.mammographic_masses) if args.mammographic_masses else None
    result = seed(
        bucket=args.bucket,
        group=args.group,
        region=args.region,
        endpoint_url=args.endpoint_url,
        image_uri=args.image_uri,
        with_part2=args.with_part2,
        force=args.force,
        data=data,
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
