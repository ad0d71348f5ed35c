"""`python -m story.model_quality`: the model-quality chapter on the local cloud (docs/model-quality.md).

The stack deployed from template.yaml, v1 seeded Approved with its data-quality and model-quality
baselines, then:

1. a batch run of v1 on inputs that look like the training data, each record's id in its first
   column (BatchRecordIds=FirstColumn: the transform keeps the id from the model and writes
   `<id>,<score>`; data-quality monitoring leaves it out): data quality is clean;
2. the batch's ground truth arrives, following a changed rule (the opposite label), as a CSV
   `record_id,label` in another order than the batch's under `ground-truth/<group>/v1/<run id>/`,
   then the `_SUCCESS` marker;
3. S3's event reaches CheckModelQualityFunction through the stack's rule: model quality degraded
   (Model Monitor's statistics.json and constraint_violations.json, a report, under the run), the
   `Model Quality Degraded` event, the mail, the labelled rows added to the training data, and a
   retraining (reason `model_quality`);
4. the marker written again: the same label set, checked once, nothing new happens;
5. the retraining runs to its end: with the stack's TrainingDataWindow `SinceModelQualityDegradation`
   its candidate is trained on the new labels only (the old rule's rows, written before them, are
   left out), passes the quality gate and is registered with its model-quality baseline: its
   held-out metrics on the new rule are printed beside v1's on the same rule.

`play(...)` is the same story for tests (tests/integration/test_model_quality_story.py).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud import LocalCloud
from localcloud.stack import local_parameters
from sample.data import SampleData, breast_cancer, fmt, to_csv
from sample.seed import seed

REPO = Path(__file__).resolve().parents[1]
GROUP = "breast-cancer-classifier"
RUN = "mq-story"
RUN_TIMEOUT = 300.0


@dataclass
class Outcome:
    """What each step of the story left behind (the test asserts on it, `main` prints it)."""

    data_quality_verdict: str = ""
    labels: int = 0
    deliveries_before_marker: int = 0
    deliveries: list[Any] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)
    folder: str = ""
    outputs: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    mails: list[Any] = field(default_factory=list)
    training_rows: list[str] = field(default_factory=list)
    retrainings: list[dict[str, Any]] = field(default_factory=list)
    outputs_after_second_marker: list[str] = field(default_factory=list)
    deliveries_after_second_marker: list[Any] = field(default_factory=list)
    retraining_end: dict[str, Any] = field(default_factory=dict)
    #: The retraining's result: the objects it trained on, and the registered version's
    #: model-quality statistics (Model Monitor's statistics.json, its held-out split of the new rule).
    training_objects: list[str] = field(default_factory=list)
    training_window: str = ""
    candidate_arn: str = ""
    candidate_statistics: dict[str, Any] = field(default_factory=dict)


def parameters() -> dict[str, str]:
    """The stack's parameters for the story: the local defaults, the story's group, and a training
    window that starts at a model-quality degradation (TrainingDataWindow; the default, All, would
    train the candidate on the old rule's rows beside the new labels, and it would learn neither)."""
    params = local_parameters(REPO / "samconfig.toml")
    params.update(
        {
            "ModelPackageGroup": GROUP,
            "RunOnApproval": "false",
            "TrainingDataWindow": "SinceModelQualityDegradation",
            "BatchRecordIds": "FirstColumn",
        }
    )
    return params


def record_ids(data: SampleData) -> list[str]:
    """Each batch record's id (the batch's first column)."""
    return [f"{RUN}-{i:04d}" for i in range(len(data.batch_clean))]


def labels_of(data: SampleData) -> list[str]:
    """The clean batch's ground truth: the data set's labels of its rows (the batch is held-out rows
    without their label column)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    label_of = {
        tuple(fmt(float(v)) for v in x): str(1 - int(t))
        for x, t in zip(bunch.data, bunch.target, strict=True)
    }
    return [label_of[tuple(row)] for row in data.batch_clean]


def play(cloud: Any, bucket: str, data: SampleData, *, wait_for_retraining: bool = True) -> Outcome:
    s3 = cloud.client("s3")
    out = Outcome()

    def put(key: str, body: str) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())

    def keys(prefix: str) -> list[str]:
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))

    def deliveries() -> list[Any]:
        function = cloud.function_name("CheckModelQualityFunction")
        return [d for d in cloud.router.deliveries if d.target_arn.endswith(function)]

    # 1. a batch run of v1 on inputs that look like the training data
    ids = record_ids(data)
    keyed = [[i, *row] for i, row in zip(ids, data.batch_clean, strict=True)]
    put(f"batch-input/model-quality/{RUN}/batch.csv", to_csv(keyed))
    arn = cloud.start_execution(
        "BatchInferenceStateMachine",
        {
            "runId": RUN,
            "batchInputS3Uri": f"s3://{bucket}/batch-input/model-quality/{RUN}/",
            "trigger": "manual",
        },
        name=RUN,
    )
    run = cloud.wait_for_execution(arn, timeout=RUN_TIMEOUT)
    out.data_quality_verdict = (
        json.loads(run.get("output") or "{}").get("monitoring", {}).get("verdict", run["status"])
    )
    mails = len(cloud.outbox.messages)

    # 2. its ground truth, following the opposite rule, then the marker
    flipped = [str(1 - int(y)) for y in labels_of(data)]
    out.labels = len(flipped)
    labels = f"ground-truth/{GROUP}/v1/{RUN}"
    rows = list(zip(ids, flipped, strict=True))
    random.Random(RUN).shuffle(rows)  # labels keep their own order: the join is by id
    put(f"{labels}/labels.csv", "record_id,label\n" + "".join(f"{i},{y}\n" for i, y in rows))
    out.deliveries_before_marker = len(deliveries())
    put(f"{labels}/_SUCCESS", "")  # S3's event is routed before the PUT returns

    # 3. what the check did
    out.deliveries = deliveries()
    prefix = f"batch-inference/{GROUP}/v1/{RUN}/model-quality/"
    out.outputs = keys(prefix)
    verdicts = [k for k in out.outputs if k.endswith("/verdict.json")]
    if verdicts:
        out.folder = verdicts[0].rsplit("/", 1)[0]
        out.verdict = json.loads(s3.get_object(Bucket=bucket, Key=verdicts[0])["Body"].read())
    out.events = [e for e in cloud.router.emitted if e["detail-type"] == "Model Quality Degraded"]
    out.mails = list(cloud.outbox.messages[mails:])
    rows_key = f"training-data/ground-truth/{GROUP}/v1/{RUN}.csv"
    if rows_key in keys("training-data/ground-truth/"):
        out.training_rows = s3.get_object(Bucket=bucket, Key=rows_key)["Body"].read().decode().splitlines()
    out.retrainings = [e for e in cloud.executions("RetrainingStateMachine") if RUN in e["name"]]

    # 4. the marker again: the same label set
    put(f"{labels}/_SUCCESS", "")
    out.outputs_after_second_marker = keys(prefix)
    out.deliveries_after_second_marker = deliveries()

    # 5. the retraining to its end
    if wait_for_retraining and out.retrainings:
        out.retraining_end = cloud.wait_for_execution(out.retrainings[0]["executionArn"], timeout=RUN_TIMEOUT)
        _candidate(out, cloud)
    return out


def _candidate(out: Outcome, cloud: Any) -> None:
    """What the retraining trained on and the version it registered (its ModelMetrics.ModelQuality)."""
    result = json.loads(out.retraining_end.get("output") or "{}")
    prepared = result.get("prepared") or {}
    out.training_objects = list(prepared.get("sourceObjects") or [])
    out.training_window = str(prepared.get("trainingWindow") or "")
    out.candidate_arn = (result.get("registration") or {}).get("modelPackageArn", "")
    if out.candidate_arn:
        package = cloud.client("sagemaker").describe_model_package(ModelPackageName=out.candidate_arn)
        uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        body = cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        out.candidate_statistics = json.loads(body)


def _print(out: Outcome) -> None:
    print(f"1. batch run {RUN} of v1: data-quality verdict {out.data_quality_verdict}")
    print(f"2. {out.labels} labels following the opposite rule, then _SUCCESS")
    rows = out.verdict.get("rows") or {}
    print(
        f"3. model-quality verdict {out.verdict.get('verdict')}: {rows.get('matched')} rows joined "
        f"({rows.get('joinedBy')}); outputs under s3://.../{out.folder}/"
    )
    for m in out.verdict.get("metrics", []):
        if m["violated"]:
            against = f"baseline {m['baseline']:.4f}, {m['comparisonOperator']}"
            print(f"   {m['metricName']}: {m['value']:.4f} ({against})")
    print(f"   events: {len(out.events)} Model Quality Degraded; mails: {[m.subject for m in out.mails]}")
    print(f"   labelled rows added to the training data: {max(len(out.training_rows) - 1, 0)}")
    print(f"   retraining: {[(r['name'], r['status']) for r in out.retrainings]}")
    again = len(out.deliveries_after_second_marker) - len(out.deliveries)
    same = out.outputs_after_second_marker == out.outputs
    print(f"4. the marker again: {again} more check, outputs unchanged: {same}")
    if out.retraining_end:
        end = out.retraining_end
        if end["status"] == "SUCCEEDED":
            print(
                f"5. retraining SUCCEEDED, trained on {out.training_objects} (window: {out.training_window})"
            )
            metrics = out.candidate_statistics.get("binary_classification_metrics") or {}
            before = {m["metricName"]: m["value"] for m in out.verdict.get("metrics", [])}
            print(f"   registered {out.candidate_arn}; its held-out metrics on the new rule (v1's on it):")
            for name in ("auc", "accuracy", "f1"):
                value = (metrics.get(name) or {}).get("value")
                print(f"   {name}: {value} ({before.get(name)})")
        else:  # the Fail state's cause is a FailureCause (JSON): the gate's AUC among its fields
            cause = json.loads(end.get("cause") or "{}")
            print(f"5. retraining {end['status']} ({end.get('error')}): held-out AUC {cause.get('auc')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m story.model_quality", description=__doc__)
    parser.add_argument("--output", default=str(REPO / "build" / "story-model-quality"))
    args = parser.parse_args(argv)
    data = breast_cancer()
    with LocalCloud.start(
        REPO / "template.yaml", parameters=parameters(), output_dir=Path(args.output)
    ) as cloud:
        bucket = cloud.stack.outputs["ArtifactsBucketName"]
        seed(bucket=bucket, group=GROUP, region=cloud.region, endpoint_url=None, image_uri=None, data=data)
        _print(play(cloud, bucket, data))
    print(f"notifications and logs: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
