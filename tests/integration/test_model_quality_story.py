"""Model quality on the real template in the local cloud (docs/model-quality.md), the story of
`python -m story.model_quality`: a batch whose inputs look like the training data passes data-quality
monitoring, but its ground truth follows a changed rule; the labels land under the run's ground-truth
prefix with their marker, S3's event reaches CheckModelQualityFunction through the stack's rule, and
the check finds the degradation: Model Monitor's files under the run, the event, the mail, the
labelled rows in the training data, and one retraining for the run (reason model_quality), however
often the marker is written. With TrainingDataWindow SinceModelQualityDegradation the retraining
trains on the new rule's rows only and registers a version whose metrics on that rule recover.

S3's events are routed before the PUT returns (the local cloud's router), so once put_object of the
marker has returned, the check has run: the test reads its outcome, it never sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from dataquality import model_quality as mq

from localcloud import LocalCloud
from sample.data import breast_cancer
from sample.seed import seed
from story.model_quality import GROUP, RUN, Outcome, parameters, play

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Outcome, object, str]]:
    data = breast_cancer()
    with LocalCloud.start(
        REPO / "template.yaml", parameters=parameters(), output_dir=tmp_path_factory.mktemp("model-quality")
    ) as cloud:
        bucket = cloud.stack.outputs["ArtifactsBucketName"]
        seed(bucket=bucket, group=GROUP, region=cloud.region, endpoint_url=None, image_uri=None, data=data)
        yield play(cloud, bucket, data), cloud, bucket


def test_labels_of_a_changed_rule_degrade_model_quality_while_data_quality_stays_clean(story) -> None:
    out, cloud, bucket = story
    s3 = cloud.client("s3")

    def read(key: str) -> str:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()

    # Given a batch run of v1 whose data quality is clean
    assert out.data_quality_verdict == "clean"
    # When its labels (the opposite rule) landed, a label object alone started nothing; the marker did
    assert out.deliveries_before_marker == 0
    [delivery] = out.deliveries
    assert delivery.ok and delivery.function_error is None, delivery
    # Then the check found the degradation, every row joined by its id (the transform carried the
    # batch's id column to the predictions; the labels came in another order)
    assert out.verdict["verdict"] == "degraded"
    assert out.verdict["rows"]["matched"] == out.labels and out.verdict["rows"]["joinedBy"] == "id"
    assert out.verdict["rows"]["unmatchedLabels"] == out.verdict["rows"]["unlabelledPredictions"] == 0
    # Model Monitor's files under the run's prefix
    statistics = mq.parse_model_quality_statistics(json.loads(read(f"{out.folder}/statistics.json")))
    assert statistics.metrics["auc"].value < 0.5
    violations = json.loads(read(f"{out.folder}/constraint_violations.json"))["violations"]
    assert "auc" in {v["metric_name"] for v in violations}
    assert f"{out.folder}/report.html" in out.outputs
    # the event, the mail, the labelled rows and one retraining
    [event] = out.events
    assert event["detail"]["runId"] == RUN and event["detail"]["labelSetId"] == out.verdict["labelSetId"]
    [mail] = [m for m in out.mails if "Model quality degraded" in (m.subject or "")]
    assert f"Rows: {out.labels} joined" in mail.message
    assert out.training_rows[0].startswith("label,") and len(out.training_rows) == out.labels + 1
    assert len(out.training_rows[1].split(",")) == len(out.training_rows[0].split(","))  # the id left out
    [retraining] = out.retrainings
    assert retraining["name"] == f"retrain-{RUN}-model-quality"
    assert json.loads(out.retraining_end["input"])["reason"] == "model_quality"
    # And the marker written again (the same label set) is checked once only: nothing new happens
    assert len(out.deliveries_after_second_marker) == 2 and out.deliveries_after_second_marker[-1].ok
    assert out.outputs_after_second_marker == out.outputs
    assert len([e for e in cloud.executions("RetrainingStateMachine") if RUN in e["name"]]) == 1


def test_the_retraining_learns_the_new_rule_from_the_labels_and_its_metrics_recover(story) -> None:
    out, _cloud, bucket = story
    # Given the degradation's labelled rows, written after the old rule's training data
    rows = f"s3://{bucket}/training-data/ground-truth/{GROUP}/v1/{RUN}.csv"
    # When the retraining it started ran with the window that starts at the degradation
    assert out.retraining_end["status"] == "SUCCEEDED", out.retraining_end.get("cause")
    # Then it trained on the new rule's rows only (the seed's part 1 was left out) ...
    assert out.training_objects == [rows]
    assert out.training_window.startswith("since ") and "v1" in out.training_window
    # ... passed the quality gate (0.80 in samconfig's local parameters) and registered a version whose
    # model-quality baseline, measured on held-out rows of the new rule, has recovered: v1 had an AUC
    # of 0.01 and an accuracy of 0.06 on that rule
    assert out.candidate_arn.endswith(f"/{GROUP}/2")
    metrics = out.candidate_statistics["binary_classification_metrics"]
    before = {m["metricName"]: m["value"] for m in out.verdict["metrics"]}
    assert metrics["auc"]["value"] >= 0.8 > before["auc"] + 0.5
    assert metrics["accuracy"]["value"] >= 0.8 > before["accuracy"] + 0.5
