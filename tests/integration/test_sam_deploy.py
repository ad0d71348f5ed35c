"""The deployment pipeline's deploy and smoke stages on this machine: the real SAM CLI's `sam deploy` of
the built template into an empty local cloud over `serve` (localcloud/cfn_front.py), then the
pipeline's smoke run against the stack it made. Needs the SAM CLI venv (`make sam-deploy-local`)."""

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
SAM = REPO / ".venv-sam" / "bin" / "sam"
BUILT = REPO / ".aws-sam" / "build" / "template.yaml"
STACK = "mlops-loop-dev"
ARTIFACTS = "sam-deploy-artifacts-local"

pytestmark = [pytest.mark.integration, pytest.mark.samcli]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    if not SAM.is_file() or not BUILT.is_file():
        pytest.fail(f"needs {SAM} and {BUILT}: run `make sam-deploy-local` (it runs make setup-tools build)")
    with (
        quiet_moto_warnings(),
        LocalCloud.start(template=None, output_dir=tmp_path_factory.mktemp("sam")) as c,
    ):
        c.serve()
        c.client("s3").create_bucket(Bucket=ARTIFACTS)
        yield c


def _sam_deploy(cloud: LocalCloud, workdir: Path) -> subprocess.CompletedProcess[str]:
    """`sam deploy` of the built template, as the pipeline's deploy job runs it (another process)."""
    overrides = [f"{key}={value}" for key, value in demo.demo_parameters(REPO / "template.yaml").items()]
    config = workdir / "samconfig.toml"
    config.write_text("version = 0.1\n", encoding="utf-8")  # this test's flags only, no environment
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": str(cloud.endpoint_url),
        "AWS_ACCESS_KEY_ID": cloud.iam.operator_keys[0],
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": cloud.region,
        "SAM_CLI_TELEMETRY": "0",
    }
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run(
        [str(SAM), "deploy", "--template-file", str(BUILT), "--stack-name", STACK,
         "--s3-bucket", ARTIFACTS, "--region", cloud.region, "--config-file", str(config),
         "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND", "--no-confirm-changeset",
         "--no-progressbar", "--parameter-overrides", *overrides],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_sam_deploy_of_the_built_template_makes_the_stack_the_smoke_run_passes_and_updates_are_refused(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    # When the SAM CLI deploys the built artifacts into the empty local cloud
    done = _sam_deploy(cloud, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"Successfully created/updated stack - {STACK}" in done.stdout
    # Then the stack is the local cloud's, its code runs from what SAM uploaded (the built layers'
    # python/ folders on the path), and IAM is enforced on it
    described = cloud.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert cloud.stack.name == STACK
    deployed = cloud.output_dir / "deployed" / STACK
    assert (deployed / "layers" / "SharedLayer" / "python" / "mlops_loop").is_dir()
    assert (deployed / "functions" / "ResolveModelFunction" / "app.py").is_file()
    # And with v1 approved and the sample's batch in place, the pipeline's smoke run passes on it
    outputs = cloud.stack.outputs
    seeded = demo.in_process_seed(cloud.region)(
        outputs["ArtifactsBucketName"], outputs["ModelPackageGroupName"]
    )
    assert seeded.get("registered"), seeded
    assert cloud.wait_jobs_idle(120)
    env = {**os.environ, "AWS_ENDPOINT_URL": str(cloud.endpoint_url), "AWS_DEFAULT_REGION": cloud.region}
    smoke = subprocess.run(
        [sys.executable, "-m", "tools.smoke_run", "--stack-name", STACK, "--poll-seconds", "0.2",
         "--timeout", "300"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    assert smoke.returncode == 0, smoke.stdout[-2000:] + smoke.stderr[-2000:]
    # And a second deploy (an update, which the local cloud cannot do) fails, saying why, and the
    # stack is untouched
    again = _sam_deploy(cloud, tmp_path)
    assert again.returncode != 0
    refusal = f"the local cloud deploys new stacks only: delete {STACK} and deploy again"
    assert refusal in again.stdout + again.stderr
    described = cloud.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
