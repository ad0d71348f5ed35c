"""Helpers of the state-machine execution tests: a deployed stack of the real template.yaml on the
local cloud, seeded with the sample (v1 Approved with its baseline), and readers of what an
execution did (states entered, errors caught, retries, outputs, events, notifications).

One local cloud runs per process at a time, so each test module deploys one stack in a
module-scoped fixture (`deployed(...)`) and its tests share it; each test uses its own run id,
batch prefix or drift episode, so their traces never mix.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud import LocalCloud
from localcloud.stack import local_parameters
from localcloud.waiting import wait_until  # the tests' one wait, re-exported
from sample.data import SampleData, breast_cancer, to_csv
from sample.seed import seed

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
GROUP = "breast-cancer-classifier"
ENVIRONMENT = "dev"  # samconfig.toml [single-account]
DRIFT_SOURCE = "mlops.monitoring"
DRIFT_DETAIL_TYPE = "Data Drift Detected"
SHIFTED_FEATURES = {"mean_radius", "mean_texture", "worst_area"}  # sample.data.SHIFTS
EXECUTION_TIMEOUT = 90.0


@dataclass
class Stack:
    """A deployed, seeded stack and what the tests need to reach it."""

    cloud: LocalCloud
    bucket: str
    seeded: dict[str, Any]
    data: SampleData
    v1_arn: str = field(init=False)

    def __post_init__(self) -> None:
        self.v1_arn = str(self.seeded["registered"])

    # -- S3 ------------------------------------------------------------------------------------
    def put_batch(self, run_id: str, rows: list[list[str]]) -> str:
        """A headerless batch under its own prefix; returns the prefix URI."""
        key = f"batch-input/test-batches/{run_id}/batch.csv"
        self.cloud.client("s3").put_object(Bucket=self.bucket, Key=key, Body=to_csv(rows).encode())
        return f"s3://{self.bucket}/batch-input/test-batches/{run_id}/"

    def keys(self, prefix: str) -> list[str]:
        s3 = self.cloud.client("s3")
        found: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(found)

    def read(self, uri_or_key: str) -> bytes:
        key = uri_or_key.removeprefix(f"s3://{self.bucket}/")
        body: bytes = self.cloud.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    # -- registry and state table --------------------------------------------------------------
    def versions(self) -> list[dict[str, Any]]:
        sagemaker = self.cloud.client("sagemaker")
        summaries = sagemaker.list_model_packages(ModelPackageGroupName=GROUP, MaxResults=100)[
            "ModelPackageSummaryList"
        ]
        described = [
            sagemaker.describe_model_package(ModelPackageName=s["ModelPackageArn"]) for s in summaries
        ]
        return sorted(described, key=lambda p: int(p["ModelPackageVersion"]))

    def state_item(self, key: str) -> dict[str, Any] | None:
        item = (
            self.cloud.client("dynamodb")
            .get_item(TableName=self.cloud.stack.outputs["StateTableName"], Key={"id": {"S": key}})
            .get("Item")
        )
        return {k: next(iter(v.values())) for k, v in item.items()} if item else None

    # -- executions ----------------------------------------------------------------------------
    def run_batch(self, run_id: str, batch_uri: str | None = None) -> Run:
        arn = self.cloud.start_execution(
            "BatchInferenceStateMachine",
            {
                "runId": run_id,
                "batchInputS3Uri": batch_uri or f"s3://{self.bucket}/batch-input/",
                "trigger": "manual",
            },
            name=run_id,
        )
        return self.finished(arn)

    def finished(self, execution_arn: str) -> Run:
        described = self.cloud.wait_for_execution(execution_arn, timeout=EXECUTION_TIMEOUT)
        return Run(described, self.cloud.execution_history(execution_arn))

    def drift_run(self, episode_id: str) -> Run:
        """A batch run named `episode_id` on the sample's drifted batch, to its end. Its drift event is
        the only kind StartRetraining accepts (put by a batch run of this stack: provenance.py), and
        it is delivered, and the retraining started, before the run ends."""
        run = self.run_batch(episode_id, self.put_batch(episode_id, self.data.batch_drift))
        assert run.status == "SUCCEEDED" and run.output["monitoring"]["verdict"] == "drift", run.described
        return run

    def start_retraining_by_hand(self, episode_id: str) -> str:
        """The retraining state machine started as StartRetraining starts it (the group's lock taken
        for the run, then the run with its input), by hand: for a stack where no batch run can find
        drift."""
        name = f"retrain-{episode_id}"
        self.cloud.client("dynamodb").put_item(
            TableName=self.cloud.stack.outputs["StateTableName"],
            Item={
                "id": {"S": f"retraining-lock#{GROUP}"},
                "holder": {"S": name},
                "expiration": {"N": str(int(time.time()) + 24 * 3600)},
            },
            ConditionExpression="attribute_not_exists(id)",
        )
        given = {
            "runId": name,
            "reason": "drift",
            "episodeId": episode_id,
            "modelPackageGroupName": GROUP,
            "trainingDataS3Uri": f"s3://{self.bucket}/training-data/",
            "sourceExecutionArn": "none",
            "baseModelPackageArn": self.v1_arn,
        }
        return self.cloud.start_execution("RetrainingStateMachine", given, name=name)

    def retraining_execution(self, episode_id: str) -> str:
        """The ARN of the retraining run the start-retraining function started for an episode."""
        name = f"retrain-{episode_id}"
        found = wait_until(
            lambda: [e for e in self.cloud.executions("RetrainingStateMachine") if e["name"] == name],
            what=f"retraining execution {name}",
        )
        assert len(found) == 1, found
        return str(found[0]["executionArn"])

    # -- events and notifications --------------------------------------------------------------
    def drift_events(self, episode_id: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.cloud.router.emitted
            if e["detail-type"] == DRIFT_DETAIL_TYPE and e["detail"].get("driftEpisodeId") == episode_id
        ]

    def notifications(self, needle: str) -> list[Any]:
        return [n for n in self.cloud.outbox.messages if needle in (n.subject or "") + "\n" + n.message]


@dataclass
class Run:
    """One finished execution: describe_execution's answer and its history."""

    described: dict[str, Any]
    history: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return str(self.described["status"])

    @property
    def name(self) -> str:
        return str(self.described["name"])

    @property
    def arn(self) -> str:
        return str(self.described["executionArn"])

    @property
    def error(self) -> str | None:
        return self.described.get("error")

    @property
    def cause(self) -> str:
        return str(self.described.get("cause") or "")

    @property
    def output(self) -> dict[str, Any]:
        return dict(json.loads(self.described["output"]))

    @property
    def path(self) -> list[str]:
        """The states entered, in order (a retried task appears once: it is entered once)."""
        return [
            e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e
        ]

    def task_failures(self) -> list[tuple[str, str]]:
        """(state, error) of every failed task attempt, in order (retried and caught ones too)."""
        failures: list[tuple[str, str]] = []
        current = ""
        for event in self.history:
            if "stateEnteredEventDetails" in event:
                current = event["stateEnteredEventDetails"]["name"]
            for key in ("taskFailedEventDetails", "lambdaFunctionFailedEventDetails"):
                if key in event and event["type"] != "ExecutionFailed":
                    failures.append((current, str(event[key].get("error"))))
        return failures

    def attempts(self, state: str) -> int:
        """How many times a task state was scheduled (1 + its retries)."""
        count = 0
        current = ""
        for event in self.history:
            if "stateEnteredEventDetails" in event:
                current = event["stateEnteredEventDetails"]["name"]
            elif event["type"] in ("TaskScheduled", "LambdaFunctionScheduled") and current == state:
                count += 1
        return count


@contextlib.contextmanager
def deployed(output_dir: Path, *, with_part2: bool = False, **parameters: str) -> Iterator[Stack]:
    """The real template.yaml on a local cloud (samconfig [single-account] overrides, the sample group,
    no batch run on approval, plus `parameters`), seeded with the sample's v1 Approved."""
    params = local_parameters(REPO / "samconfig.toml")
    params.update({"ModelPackageGroup": GROUP, "RunOnApproval": "false", **parameters})
    data = breast_cancer()
    with LocalCloud.start(TEMPLATE, parameters=params, output_dir=output_dir) as cloud:
        bucket = cloud.stack.outputs["ArtifactsBucketName"]
        seeded = seed(
            bucket=bucket,
            group=GROUP,
            region=cloud.region,
            endpoint_url=None,
            image_uri=None,
            with_part2=with_part2,
            data=data,
        )
        assert seeded["registered"], seeded
        yield Stack(cloud, bucket, seeded, data)
