"""The seed's multi-account layout on one local cloud (story/multi_account.py, `make demo-multi-account`).

The registry account deploys registry/template.yaml, the prod and dev accounts template.yaml
pointing at it (samconfig's [prod] and [default]); IAM is enforced across the three (identity
policy in the caller's account and resource policy in the owner's). The whole story passes; with
one grant of the registry's side removed it stops at the step that needs it, with the AccessDenied
AWS would answer, naming principal, action and resource.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from localcloud.stack import parse_template
from story import multi_account
from story.demo import StoryStepError, Timeline
from story.multi_account import DEV_ACCOUNT, REGISTRY_ACCOUNT, Layout, MultiAccountStory, multi_account_cloud
from tools.smoke_run import FAILED, SmokeError, smoke_run

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PROD = "123456789012"  # the local cloud's own account
PROD_BUCKET = f"mlops-loop-prod-artifacts-{PROD}"
GROUP = "breast-cancer-classifier"  # registry/samconfig.toml's ModelPackageGroupName
APPROVAL_STEP = "prod: v1's approval forwarded and recorded live"
FIRST_RUN_STEP = "scheduled run 1 (clean batch)"

pytestmark = pytest.mark.integration


def _registry_template_without(tmp_path: Path, resource: str, sids: set[str] | None = None) -> Path:
    """registry/template.yaml with statements of one resource's policy removed (all of them: the
    role's Policies), written as the JSON template CloudFormation would read alike."""
    template = parse_template((REPO / "registry" / "template.yaml").read_text(encoding="utf-8"))
    props = template["Resources"][resource]["Properties"]
    if sids is None:
        del props["Policies"]
    else:
        document = props.get("KeyPolicy") or props.get("PolicyDocument") or props["ModelPackageGroupPolicy"]

        def sid(statement: dict[str, Any]) -> str | None:
            if "Fn::If" in statement:  # a conditional statement: [condition, statement, NoValue]
                return str(statement["Fn::If"][1].get("Sid"))
            return statement.get("Sid")

        kept = [s for s in document["Statement"] if sid(s) not in sids]
        assert len(kept) == len(document["Statement"]) - len(sids), f"not every Sid of {sids} found"
        document["Statement"] = kept
    path = tmp_path / "registry-template.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return path


@contextlib.contextmanager
def _played_until_stopped(tmp_path: Path, registry_template: Path, step: str) -> Iterator[tuple[str, Layout]]:
    """Play the story with this registry template; it must stop at `step`. Yields the step's failure
    message and the layout, inside the running cloud."""
    with multi_account_cloud(
        registry_template=registry_template, output_dir=tmp_path / "out", now=START
    ) as layout:
        story = MultiAccountStory(layout, Timeline(quiet=True), step_timeout=120.0)
        with layout.cloud.iam.expecting_denials(), pytest.raises(StoryStepError) as stopped:
            story.run()
        assert stopped.value.step == step, stopped.value
        assert story.record.steps == list(multi_account._ORDER[: multi_account._ORDER.index(step)])
        yield stopped.value.message, layout


# -- the story as it should go ---------------------------------------------------------------
@dataclass
class Played:
    """What the played story left, read from the cloud before it stopped (one cloud per process)."""

    registry_account: str
    prod_account: str
    dev_account: str
    record: Any
    dev_smoke: Any  # the smoke run on dev while v1 was live (tools.smoke_run.SmokeResult)
    dev_smoke_after_v2: SmokeError | None  # the same command once v2 (trained in prod) is live in dev
    dev_bucket: str
    registry_outputs: dict[str, str]
    registry_packages: list[dict[str, Any]]
    prod_groups: list[dict[str, Any]]
    records: list[Any]  # the IAM decisions
    denials: list[Any]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    out = tmp_path_factory.mktemp("multi-account")
    with multi_account_cloud(output_dir=out, now=START) as layout:
        story = MultiAccountStory(layout, Timeline(quiet=True), step_timeout=240.0)
        record = story.run()
        registry = layout.cloud.client("sagemaker", account=REGISTRY_ACCOUNT)
        records, denials = list(layout.cloud.iam.records), list(layout.cloud.iam.denials)
        # After the story, v2 is live in dev too (its approval was forwarded there); dev runs the
        # pipeline's smoke run once more, now on v2, whose artifacts are in prod's bucket.
        dev = layout.dev_account
        after_v2: SmokeError | None = None
        with layout.cloud.iam.expecting_denials():
            try:
                smoke_run(
                    multi_account.DEV_STACK,
                    cfn=layout.cloud.client("cloudformation", account=dev),
                    sfn=layout.cloud.client("stepfunctions", account=dev),
                    s3=layout.cloud.client("s3", account=dev),
                    timeout=240.0,
                    poll_seconds=0.1,
                    now=layout.cloud.clock.now,
                    say=lambda _line: None,
                )
            except SmokeError as outcome:
                after_v2 = outcome
        return Played(
            registry_account=layout.registry_account,
            prod_account=layout.prod_account,
            dev_account=dev,
            record=record,
            dev_smoke=story.dev_smoke,
            dev_smoke_after_v2=after_v2,
            dev_bucket=layout.dev.outputs["ArtifactsBucketName"],
            registry_outputs=dict(layout.registry.outputs),
            registry_packages=registry.list_model_packages(ModelPackageGroupName=GROUP)[
                "ModelPackageSummaryList"
            ],
            prod_groups=layout.cloud.client("sagemaker").list_model_package_groups()[
                "ModelPackageGroupSummaryList"
            ],
            records=records,
            denials=denials,
        )


def test_the_whole_story_plays_across_the_registry_prod_and_dev_accounts(played: Played):
    # Given the three stacks deployed, each into its own account
    assert (played.registry_account, played.prod_account, played.dev_account) == (
        REGISTRY_ACCOUNT,
        PROD,
        DEV_ACCOUNT,
    )

    # Then every step happened, the runs scored with v1, v1 (drift), then v2
    record = played.record
    assert record.steps == list(multi_account._ORDER)
    assert [(r.model_version, r.verdict) for r in record.runs] == [(1, "clean"), (1, "drift"), (2, "clean")]
    # and both versions are in the central group of the registry account, v2 approved there
    versions = {(p["ModelPackageVersion"], p["ModelApprovalStatus"]) for p in played.registry_packages}
    assert versions == {(1, "Approved"), (2, "Approved")}
    assert record.v2_arn == f"arn:aws:sagemaker:us-east-1:{REGISTRY_ACCOUNT}:model-package/{GROUP}/2"
    # and prod holds no group of its own: the registry is only in the registry account
    assert played.prod_groups == []


def test_dev_reads_the_central_registry_as_prod_does(played: Played):
    # The pipeline's smoke run on dev scored dev's batch with v1, the registry account's version
    smoke = played.dev_smoke
    assert (smoke.model_version, smoke.verdict) == (1, "clean")
    assert smoke.predictions
    assert all(
        p.startswith(f"s3://{played.dev_bucket}/batch-inference/{GROUP}/v1/smoke-") for p in smoke.predictions
    )
    # reading v1 across accounts: the registry's group policy, bucket policy and key policy admit dev
    registry_versions = f"arn:aws:sagemaker:us-east-1:{REGISTRY_ACCOUNT}:model-package/{GROUP}/"

    def dev_calls(action: str, resource_prefix: str) -> list[Any]:
        return [
            r
            for r in played.records
            if r.allowed
            and r.action == action
            and r.resource.startswith(resource_prefix)
            and f":{DEV_ACCOUNT}:" in r.principal
        ]

    assert dev_calls("sagemaker:ListModelPackages", registry_versions)
    bucket = played.registry_outputs["ArtifactsBucketName"]
    reads = dev_calls("s3:GetObject", f"arn:aws:s3:::{bucket}/")
    assert any("bucket policy" in g.policy for r in reads for g in r.grants)
    assert dev_calls("kms:Decrypt", played.registry_outputs["KmsKeyArn"])
    # and the approvals reached dev's bus through the registry's rule, admitted by dev's bus policy
    dev_bus = f"arn:aws:events:us-east-1:{DEV_ACCOUNT}:event-bus/default"
    puts = [
        r for r in played.records if r.allowed and r.action == "events:PutEvents" and r.resource == dev_bus
    ]
    assert puts and all(f":{REGISTRY_ACCOUNT}:" in r.principal for r in puts)
    assert any("events policy" in g.policy for r in puts for g in r.grants)


def test_a_version_retrained_in_prod_is_not_readable_by_dev(played: Played):
    # Retraining keeps v2's artifacts in prod's bucket (the registry template grants no write to
    # its own): dev records v2 live when it is approved, and its reads of v2's artifacts are
    # refused (docs/deploy.md, "Where a retrained version's artifacts live").
    assert played.denials, "dev read none of v2's artifacts"
    for denial in played.denials:
        assert denial.code == "AccessDenied"
        assert denial.message.startswith(f"User: arn:aws:sts::{DEV_ACCOUNT}:assumed-role/mlops-loop-dev-")
        assert f's3:GetObject on resource: "arn:aws:s3:::{PROD_BUCKET}/retraining/' in denial.message
    # and the smoke run on dev, once v2 is live there, fails naming prod's bucket
    after = played.dev_smoke_after_v2
    assert after is not None and after.code == FAILED
    assert "AccessDenied" in after.message and PROD_BUCKET in after.message


def test_v1_is_read_from_the_registry_account_under_its_key_and_v2_registered_from_prod(played: Played):
    # Given the played story
    registry_key = played.registry_outputs["KmsKeyArn"]
    bucket = played.registry_outputs["ArtifactsBucketName"]

    # Then the decisions show each cross-account call allowed by both sides, as AWS requires
    def grants(action: str, resource_prefix: str) -> set[str]:
        found: set[str] = set()
        for record in played.records:
            if record.allowed and record.action == action and record.resource.startswith(resource_prefix):
                found.update(g.policy.split(" of ")[0] for g in record.grants)
        return found

    # (v1's model artifacts by the SageMaker role, baselines by MonitorBatch, the evaluation by the
    # approval handler: the bucket policy and the role's own policy; the key policy with them)
    assert {"bucket policy", "inline ArtifactsAndInputs"} <= grants("s3:GetObject", f"arn:aws:s3:::{bucket}/")
    assert {"key policy", "inline ArtifactsAndInputs"} <= grants("kms:Decrypt", registry_key)
    registry_versions = f"arn:aws:sagemaker:us-east-1:{REGISTRY_ACCOUNT}:model-package/{GROUP}/"
    assert "model package group policy" in grants("sagemaker:DescribeModelPackage", registry_versions)
    assert "model package group policy" in grants("sagemaker:CreateModelPackage", registry_versions)
    assert "events policy" in grants("events:PutEvents", f"arn:aws:events:us-east-1:{PROD}:event-bus/default")
    # and nothing of prod's was denied (dev's reads of v2, trained in prod, are the next test's)
    assert not [d for d in played.denials if f":{PROD}:" in d.message.split(" is not authorized")[0]]
    # and v2's registration came from prod's retraining state machine role, into the registry's group
    creators = {
        r.principal
        for r in played.records
        if r.action == "sagemaker:CreateModelPackage" and r.resource.startswith(registry_versions)
    }
    assert len(creators) == 1
    prefix = f"arn:aws:iam::{PROD}:role/{multi_account.PROD_STACK}-RetrainingStateMachineRole"
    assert creators.pop().startswith(prefix)


# -- one grant of the registry's side removed: the story stops where it is needed ---------------
def test_without_the_key_policy_grant_prod_cannot_decrypt_registry_artifacts(tmp_path: Path):
    # Given the registry's key policy no longer admitting prod (the statement naming it)
    template = _registry_template_without(tmp_path, "RegistryKey", {"WorkloadAccountsDecryptThroughS3"})

    # When the story is played, it stops at the first run: the batch is checked against v1's
    # baseline before any transform, and MonitorBatch cannot read it
    with _played_until_stopped(tmp_path, template, FIRST_RUN_STEP) as (message, layout):
        # Then S3 refused MonitorBatch's read for want of the registry's key
        key = re.escape(layout.registry.outputs["KmsKeyArn"])
        assert re.search(
            rf"stopped by AccessDenied: User: arn:aws:sts::{PROD}:assumed-role/"
            r"\S+-MonitorBatchFunctionRole-\S+ "
            rf"is not authorized to perform: kms:Decrypt on resource: {key} "
            r"because no resource-based policy allows the kms:Decrypt action$",
            message,
        ), message


def test_without_the_bucket_policy_grant_prod_cannot_read_registry_artifacts(tmp_path: Path):
    # Given the registry bucket's policy no longer letting the workload accounts read objects
    template = _registry_template_without(
        tmp_path, "ArtifactsBucketPolicy", {"WorkloadAccountsReadArtifacts"}
    )

    # When the story is played, it stops at the first run: the batch is checked against v1's
    # baseline before any transform, and MonitorBatch cannot read it
    with _played_until_stopped(tmp_path, template, FIRST_RUN_STEP) as (message, layout):
        # Then S3 refused MonitorBatch's read of the baseline
        bucket = layout.registry.outputs["ArtifactsBucketName"]
        assert re.search(
            rf"stopped by AccessDenied: User: arn:aws:sts::{PROD}:assumed-role/"
            r"\S+-MonitorBatchFunctionRole-\S+ "
            rf'is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::{bucket}/'
            r'retraining/seed-v1/baseline/statistics.json" '
            r"because no resource-based policy allows the s3:GetObject action$",
            message,
        ), message


def test_without_the_group_policy_grant_prod_cannot_read_the_central_group(tmp_path: Path):
    # Given the group's policy no longer letting the workload accounts list and describe versions
    template = _registry_template_without(
        tmp_path, "ModelPackageGroup", {"WorkloadAccountsListDescribeAndDeployVersions"}
    )

    # When the story is played, it stops when prod handles v1's approval
    with _played_until_stopped(tmp_path, template, APPROVAL_STEP) as (message, layout):
        # Then SageMaker refused prod's read of the group's versions in the registry account
        assert re.search(
            rf"stopped by AccessDeniedException: User: arn:aws:sts::{PROD}:assumed-role/"
            r"\S+-ModelPackageStateChangeFunctionRole-\S+ "
            rf"is not authorized to perform: sagemaker:ListModelPackages on resource: "
            rf"arn:aws:sagemaker:us-east-1:{REGISTRY_ACCOUNT}:model-package/{GROUP}/\* "
            r"because no resource-based policy allows the sagemaker:ListModelPackages action$",
            message,
        ), message
        assert (
            layout.cloud.client("ssm").get_parameter(Name=layout.prod.outputs["LiveModelParameterName"])[
                "Parameter"
            ]["Value"]
            == "none"
        )


def test_without_the_forwarding_rules_grant_the_approval_never_reaches_prod(tmp_path: Path):
    # Given the forwarding rule's role no longer allowed to put events on the workload buses
    template = _registry_template_without(tmp_path, "ForwardApprovalsRole")

    # When the story is played, it stops when v1's approval should reach prod
    with _played_until_stopped(tmp_path, template, APPROVAL_STEP) as (message, layout):
        # Then EventBridge refused the rule's role, and the event went to the registry's DLQ
        assert re.search(
            r"the forwarding rule did not put v1's event on prod's bus: .*stopped by NO_PERMISSIONS: "
            rf"User: arn:aws:sts::{REGISTRY_ACCOUNT}:assumed-role/{multi_account.REGISTRY_STACK}-"
            r"ForwardApprovalsRole-\S+/events is not authorized to perform: events:PutEvents on resource: "
            rf"arn:aws:events:us-east-1:{PROD}:event-bus/default "
            r"because no identity-based policy allows the events:PutEvents action$",
            message,
        ), message
        dead_letters = layout.cloud.client("sqs", account=REGISTRY_ACCOUNT).receive_message(
            QueueUrl=layout.registry.outputs["DeadLetterQueueUrl"], MessageAttributeNames=["All"]
        )["Messages"]
        assert json.loads(dead_letters[0]["Body"])["detail-type"] == "SageMaker Model Package State Change"
        assert dead_letters[0]["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
        assert not any("now live" in (m.subject or "") for m in layout.cloud.outbox.messages)


def test_the_command_plays_the_story_and_writes_both_accounts_outputs(tmp_path: Path, capsys):
    # When `python -m story.multi_account` runs (make demo-multi-account)
    code = multi_account.main(["--output", str(tmp_path / "demo"), "--quiet"])

    # Then it reports success, and the outputs name both accounts' stacks and prod's predictions
    out = capsys.readouterr().out
    assert code == 0, out
    assert "demo-multi-account OK: 12 steps" in out
    layout = json.loads((tmp_path / "demo" / "layout.json").read_text())
    accounts = (layout["registry"]["account"], layout["prod"]["account"], layout["dev"]["account"])
    assert accounts == (REGISTRY_ACCOUNT, PROD, DEV_ACCOUNT)
    assert layout["prod"]["outputs"]["ModelPackageGroupName"] == GROUP
    predictions = list((tmp_path / "demo" / "bucket" / "batch-inference" / GROUP).glob("v2/*/predictions/*"))
    assert predictions, "no v2 predictions downloaded from prod's bucket"
