"""The deployment pipeline's smoke run (tools/smoke_run.py) against the real stack on the local cloud,
as the pipeline runs it: another process, the same command, AWS_ENDPOINT_URL pointing at `serve`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud import LocalCloud, quiet_moto_warnings
from story import demo

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
STACK = "mlops-loop-dev"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    # The one-account dev stack with v1 Approved and the sample's batch under batch-input/
    with (
        quiet_moto_warnings(),
        LocalCloud.start(
            template=TEMPLATE,
            parameters=demo.demo_parameters(TEMPLATE),
            stack_name=STACK,
            output_dir=tmp_path_factory.mktemp("smoke-run"),
        ) as running,
    ):
        seeded = demo.in_process_seed(running.region)(
            running.stack.outputs["ArtifactsBucketName"], running.stack.outputs["ModelPackageGroupName"]
        )
        assert seeded.get("registered"), seeded
        assert running.wait_jobs_idle(120)
        yield running


def _smoke(cloud: LocalCloud) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_ENDPOINT_URL": cloud.serve(), "AWS_DEFAULT_REGION": cloud.region}
    return subprocess.run(
        [sys.executable, "-m", "tools.smoke_run", "--stack-name", STACK, "--poll-seconds", "0.2",
         "--timeout", "300"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip


def _smoke_executions(cloud: LocalCloud) -> list[dict[str, object]]:
    machine = cloud.stack.outputs["BatchInferenceStateMachineArn"]
    return [e for e in cloud.executions(machine) if str(e["name"]).startswith("smoke-")]


def test_the_smoke_run_scores_the_current_batch_through_serve(cloud: LocalCloud) -> None:
    # When the pipeline's command runs against the served local cloud
    done = _smoke(cloud)

    # Then it exits 0, having scored the batch with v1 and found its outputs
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"smoke: {STACK} OK: v1 scored the batch, verdict clean" in done.stdout
    # and the run is the stack's own execution, a manual one, its predictions under its prefix
    (execution,) = _smoke_executions(cloud)
    assert execution["status"] == "SUCCEEDED"
    bucket = cloud.stack.outputs["ArtifactsBucketName"]
    group = cloud.stack.outputs["ModelPackageGroupName"]
    prefix = f"batch-inference/{group}/v1/{execution['name']}/predictions/"
    listed = cloud.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    assert listed["KeyCount"] >= 1


def test_with_no_batch_the_smoke_run_exits_3_and_starts_nothing(cloud: LocalCloud) -> None:
    # Given the batch prefix emptied
    s3 = cloud.client("s3")
    bucket = cloud.stack.outputs["ArtifactsBucketName"]
    for item in s3.list_objects_v2(Bucket=bucket, Prefix="batch-input/").get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    before = len(_smoke_executions(cloud))

    # When the command runs, it says there is nothing to score and starts no run
    done = _smoke(cloud)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "nothing to score: no data object under s3://" in done.stderr
    assert len(_smoke_executions(cloud)) == before
