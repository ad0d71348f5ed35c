"""Model quality on the real template in the local cloud (docs/model-quality.md), the story of
`python -m story.model_quality`: a batch whose inputs look like the training data passes data-quality
monitoring, but its ground truth follows a changed rule; the labels land under the run's ground-truth
prefix with their marker, S3's event reaches CheckModelQualityFunction through the stack's rule, and
the check finds the degradation: Model Monitor's files under the run, the event, the mail, the
labelled rows in the training data, and one retraining for the run (reason model_quality), however
often the marker is written.

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
from localcloud.stack import local_parameters
from sample.data import breast_cancer
from sample.seed import seed
from story.model_quality import GROUP, RUN, Outcome, play

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Outcome, object, str]]:
    params = local_parameters(REPO / "samconfig.toml")
    params.update({"ModelPackageGroup": GROUP, "RunOnApproval": "false"})
    data = breast_cancer()
    with LocalCloud.start(
        REPO / "template.yaml", parameters=params, output_dir=tmp_path_factory.mktemp("model-quality")
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
    # Then the check found the degradation, every row joined
    assert out.verdict["verdict"] == "degraded"
    assert out.verdict["rows"]["matched"] == out.labels and out.verdict["rows"]["joinedBy"] == "row_order"
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
    [retraining] = out.retrainings
    assert retraining["name"] == f"retrain-{RUN}-model-quality"
    assert json.loads(out.retraining_end["input"])["reason"] == "model_quality"
    # And the marker written again (the same label set) is checked once only: nothing new happens
    assert len(out.deliveries_after_second_marker) == 2 and out.deliveries_after_second_marker[-1].ok
    assert out.outputs_after_second_marker == out.outputs
    assert len([e for e in cloud.executions("RetrainingStateMachine") if RUN in e["name"]]) == 1
