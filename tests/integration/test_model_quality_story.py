"""Model quality on the real template in the local cloud (docs/model-quality.md): a batch whose inputs
look like the training data passes data-quality monitoring, but its ground truth follows a changed
rule; the labels land under the run's ground-truth prefix with their marker, S3's event reaches
CheckModelQualityFunction through the stack's rule, and the check finds the degradation: Model
Monitor's files under the run, the event, the mail, the labelled rows in the training data, and one
retraining for the run (reason model_quality), however often the marker is written.

S3's events are routed before the PUT returns (the local cloud's router), so once put_object of the
marker has returned, the check has run: the test reads its outcome, it never sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dataquality import model_quality as mq

from localcloud import LocalCloud
from localcloud.stack import local_parameters
from sample.data import SampleData, breast_cancer, to_csv
from sample.seed import seed

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
GROUP = "breast-cancer-classifier"
RUN = "mq-story"
RUN_TIMEOUT = 300.0
LABELS = f"ground-truth/{GROUP}/v1/{RUN}"


@dataclass
class Stack:
    cloud: Any
    bucket: str
    data: SampleData

    def put(self, key: str, body: str) -> None:
        self.cloud.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body.encode())

    def read(self, key: str) -> Any:
        return self.cloud.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()

    def keys(self, prefix: str) -> list[str]:
        answer = self.cloud.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for o in answer.get("Contents", []))

    def check_deliveries(self) -> list[Any]:
        function = self.cloud.function_name("CheckModelQualityFunction")
        return [d for d in self.cloud.router.deliveries if d.target_arn.endswith(function)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    params = local_parameters(REPO / "samconfig.toml")
    params.update({"ModelPackageGroup": GROUP, "RunOnApproval": "false"})
    data = breast_cancer()
    with LocalCloud.start(
        REPO / "template.yaml", parameters=params, output_dir=tmp_path_factory.mktemp("model-quality")
    ) as cloud:
        bucket = cloud.stack.outputs["ArtifactsBucketName"]
        seed(bucket=bucket, group=GROUP, region=cloud.region, endpoint_url=None, image_uri=None, data=data)
        yield Stack(cloud, bucket, data)


def _labels_of(data: SampleData) -> list[str]:
    """The clean batch's ground truth: the data set's labels of its rows (the batch is held-out rows
    without their label column)."""
    from sklearn.datasets import load_breast_cancer

    from sample.data import fmt

    bunch = load_breast_cancer()
    label_of = {
        tuple(fmt(float(v)) for v in x): str(1 - int(t))
        for x, t in zip(bunch.data, bunch.target, strict=True)
    }
    return [label_of[tuple(row)] for row in data.batch_clean]


def test_labels_of_a_changed_rule_degrade_model_quality_while_data_quality_stays_clean(stack: Stack) -> None:
    # Given a batch run of v1 on inputs that look like the training data: data quality is clean
    stack.put(f"batch-input/model-quality/{RUN}/batch.csv", to_csv(stack.data.batch_clean))
    arn = stack.cloud.start_execution(
        "BatchInferenceStateMachine",
        {
            "runId": RUN,
            "batchInputS3Uri": f"s3://{stack.bucket}/batch-input/model-quality/{RUN}/",
            "trigger": "manual",
        },
        name=RUN,
    )
    run = stack.cloud.wait_for_execution(arn, timeout=RUN_TIMEOUT)
    assert run["status"] == "SUCCEEDED", run
    assert json.loads(run["output"])["monitoring"]["verdict"] == "clean"
    mails = len(stack.cloud.outbox.messages)

    # When its ground truth arrives, following the opposite rule, and the label set is marked complete
    flipped = [str(1 - int(y)) for y in _labels_of(stack.data)]
    stack.put(f"{LABELS}/labels.csv", "label\n" + "\n".join(flipped) + "\n")
    assert stack.check_deliveries() == []  # a label object alone starts nothing
    stack.put(f"{LABELS}/_SUCCESS", "")

    # Then S3's event reached the check, which found the degradation
    [delivery] = stack.check_deliveries()
    assert delivery.ok and delivery.function_error is None, delivery
    run_prefix = f"batch-inference/{GROUP}/v1/{RUN}/model-quality/"
    outputs = stack.keys(run_prefix)
    [verdict_key] = [k for k in outputs if k.endswith("/verdict.json")]
    verdict = json.loads(stack.read(verdict_key))
    assert verdict["verdict"] == "degraded"
    assert verdict["rows"]["matched"] == len(flipped) and verdict["rows"]["joinedBy"] == "row_order"
    # Model Monitor's files under the run's prefix
    folder = verdict_key.rsplit("/", 1)[0]
    statistics = mq.parse_model_quality_statistics(json.loads(stack.read(f"{folder}/statistics.json")))
    assert statistics.metrics["auc"].value < 0.5
    violations = json.loads(stack.read(f"{folder}/constraint_violations.json"))["violations"]
    assert "auc" in {v["metric_name"] for v in violations}
    # the event, the mail, the labelled rows and the retraining
    [event] = [e for e in stack.cloud.router.emitted if e["detail-type"] == "Model Quality Degraded"]
    assert event["detail"]["runId"] == RUN and event["detail"]["labelSetId"] == verdict["labelSetId"]
    [mail] = [m for m in stack.cloud.outbox.messages[mails:] if "Model quality degraded" in (m.subject or "")]
    assert f"Rows: {len(flipped)} joined" in mail.message
    rows = stack.read(f"training-data/ground-truth/{GROUP}/v1/{RUN}.csv").splitlines()
    assert rows[0] == "label," + ",".join(stack.data.feature_names) and len(rows) == len(flipped) + 1
    [retraining] = [
        e
        for e in stack.cloud.executions("RetrainingStateMachine")
        if e["name"] == f"retrain-{RUN}-model-quality"
    ]
    started = stack.cloud.wait_for_execution(retraining["executionArn"], timeout=RUN_TIMEOUT)
    assert json.loads(started["input"])["reason"] == "model_quality"

    # And the marker written again (the same label set) is checked once only: nothing new happens
    stack.put(f"{LABELS}/_SUCCESS", "")
    assert len(stack.check_deliveries()) == 2 and stack.check_deliveries()[-1].ok
    assert stack.keys(run_prefix) == outputs
    assert len([e for e in stack.cloud.executions("RetrainingStateMachine") if RUN in e["name"]]) == 1
