"""`python -m story.multi_account` (`make demo-multi-account`): the seed's layout on one machine.

Three accounts on one local cloud, each deployed from its own template by its own operator, as
`sam deploy` with each account's credentials would:

- the **registry account** (111122223333, as in samconfig.toml's `[default]` and `[prod]`):
  `registry/template.yaml` with `registry/samconfig.toml`'s parameters, its workload and retraining
  accounts being dev and prod: the central model package group and its resource policy, the
  registry artifacts bucket and its policy, the customer-managed key and its key policy, the rule
  and role forwarding the group's state changes to dev's and prod's default buses;
- the **prod account** (the local cloud's own): `template.yaml` with samconfig.toml's `[prod]`
  parameters, the registry ones pointing at the registry stack's outputs (group ARN, bucket, key);
- the **dev account** (444455556666): `template.yaml` with samconfig.toml's `[default]` parameters,
  the registry ones filled in the same way, its schedule off: its runs here are the deployment
  pipeline's smoke run (`tools/smoke_run.py`), as the pipeline starts them.

Then the loop, every call decided by IAM across the two accounts (identity policy in the caller's
account and resource policy in the owner's):

 1. prod's data arrives in prod's bucket (training data part 1, the batch, the sample batches);
 2. the registry account trains v1 and registers it Approved (`sample.seed` as its operator):
    its artifacts and baseline in the registry bucket, under the registry's key;
 3. the approval reaches prod only through the forwarding rule; prod records v1 live (reading the
    version across accounts, its evaluation from the registry bucket through the key);
 4. scheduled runs score with v1's artifacts and monitor against its baseline, both read from the
    registry account;
 5. the same approval reached dev through the same rule: dev records v1 live, and the pipeline's
    smoke run on dev scores dev's batch with v1, read from the registry account too;
 6. a shifted batch drifts in prod; retraining registers v2 into the central group (cross-account
    CreateModelPackage), PendingManualApproval;
 7. a person approves v2 in the registry account; the approval reaches prod (and dev) through the
    rule;
 8. the next run scores with v2.

v2's artifacts are in prod's bucket (retraining keeps them in its own account), which dev may not
read: dev's "approval needed" notice cannot read v2's metrics there (a warning in its log), dev
records v2 live once it is approved, and a run of dev on v2 would fail reading v2's artifacts
(docs/deploy.md, "Where a retrained version's artifacts live"; tests/integration/
test_multi_account.py shows it). The story ends before dev would run with v2.

A step that does not happen is named, with the AccessDenied that stopped it (the error AWS would
answer, naming principal, action and resource). `play(...)` is the same story for tests
(tests/integration/test_multi_account.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localcloud import quiet_moto_warnings
from story.demo import (
    ONE_THREAD_ENV,
    Story,
    StoryRecord,
    StoryStepError,
    Timeline,
    download_bucket,
    prepare_output,
    summary,
)

REPO = Path(__file__).resolve().parents[1]
REGISTRY_ACCOUNT = "111122223333"
DEV_ACCOUNT = "444455556666"
REGISTRY_STACK = "mlops-loop-registry"
PROD_STACK = "mlops-loop-prod"
DEV_STACK = "mlops-loop-dev"
_STEP_TIMEOUT = 300.0


@dataclass
class Layout:
    """The three accounts' stacks on one local cloud."""

    cloud: Any
    registry: Any  # the registry account's DeployedStack
    prod: Any  # the prod account's DeployedStack
    dev: Any  # the dev account's DeployedStack

    @property
    def prod_account(self) -> str:
        return str(self.prod.account)

    @property
    def registry_account(self) -> str:
        return str(self.registry.account)

    @property
    def dev_account(self) -> str:
        return str(self.dev.account)


# -- parameters: each account's samconfig.toml, the other accounts' ids filled in -----------------
def registry_parameters(registry_template: Path, workload_accounts: list[str]) -> dict[str, str]:
    """registry/samconfig.toml's parameters, with these accounts (dev, prod) as the workload and
    retraining accounts, as its example ids are."""
    from localcloud.stack import samconfig_parameters

    parameters = samconfig_parameters(REPO / "registry" / "samconfig.toml")
    accounts = ",".join(workload_accounts)
    parameters.update({"WorkloadAccountIds": accounts, "RetrainingAccountIds": accounts})
    return parameters


def dev_parameters(template: Path, registry_outputs: dict[str, str]) -> dict[str, str]:
    """samconfig.toml's `[default]` (dev) parameters, the registry ones from the registry stack's
    outputs; its schedule off and no run on approval: dev's run in this story is the pipeline's
    smoke run, started by hand."""
    from localcloud.stack import samconfig_parameters

    parameters = samconfig_parameters(template.parent / "samconfig.toml")
    parameters.update(
        {
            "ModelPackageGroup": registry_outputs["ModelPackageGroupArn"],
            "RegistryArtifactsBucket": registry_outputs["ArtifactsBucketName"],
            "RegistryKmsKeyArn": registry_outputs["KmsKeyArn"],
            "ScheduleState": "DISABLED",
            "RunOnApproval": "false",
            "LogLevel": "INFO",
        }
    )
    return parameters


def prod_parameters(template: Path, registry_outputs: dict[str, str]) -> dict[str, str]:
    """samconfig.toml's `[prod]` parameters, the registry ones from the registry stack's outputs, and
    no run on approval (the story shows the next scheduled run picking the approved version up)."""
    from localcloud.stack import samconfig_parameters

    parameters = samconfig_parameters(template.parent / "samconfig.toml", "prod")
    parameters.update(
        {
            "ModelPackageGroup": registry_outputs["ModelPackageGroupArn"],
            "RegistryArtifactsBucket": registry_outputs["ArtifactsBucketName"],
            "RegistryKmsKeyArn": registry_outputs["KmsKeyArn"],
            "RunOnApproval": "false",
            "LogLevel": "INFO",
        }
    )
    return parameters


@contextlib.contextmanager
def multi_account_cloud(
    template: Path = REPO / "template.yaml",
    registry_template: Path = REPO / "registry" / "template.yaml",
    output_dir: Path | None = None,
    region: str = "us-east-1",
    now: datetime | None = None,
    *,
    enforce_iam: bool = True,
) -> Iterator[Layout]:
    """A local cloud hosting the registry, prod and dev accounts, the three stacks deployed."""
    from localcloud.cloud import LocalCloud

    start = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with (
        quiet_moto_warnings(),
        LocalCloud.start(
            template=None, region=region, output_dir=output_dir, now=start, enforce_iam=enforce_iam
        ) as cloud,
    ):
        registry = cloud.deploy(
            registry_template,
            parameters=registry_parameters(registry_template, [DEV_ACCOUNT, cloud.account]),
            stack_name=REGISTRY_STACK,
            account=REGISTRY_ACCOUNT,
        )
        prod = cloud.deploy(
            template, parameters=prod_parameters(template, registry.outputs), stack_name=PROD_STACK
        )
        dev = cloud.deploy(
            template,
            parameters=dev_parameters(template, registry.outputs),
            stack_name=DEV_STACK,
            account=DEV_ACCOUNT,
        )
        yield Layout(cloud, registry, prod, dev)


# -- the story ---------------------------------------------------------------------------------
class MultiAccountStory(Story):
    """The seed's story across the registry, prod and dev accounts (module docstring)."""

    def __init__(self, layout: Layout, timeline: Timeline, step_timeout: float = _STEP_TIMEOUT) -> None:
        super().__init__(layout.cloud, timeline, self._seed_registry, step_timeout)
        self.layout = layout
        outputs = layout.registry.outputs
        self.registry_bucket = outputs["ArtifactsBucketName"]
        self.group_arn = outputs["ModelPackageGroupArn"]
        self.registry_group = self.group_arn.rsplit("/", 1)[-1]
        self.forwarding_rule = outputs["ForwardingRuleArn"]
        self.prod_bus = f"arn:aws:events:{layout.cloud.region}:{layout.prod_account}:event-bus/default"
        self.dev_bus = f"arn:aws:events:{layout.cloud.region}:{layout.dev_account}:event-bus/default"
        self.prod_topic = layout.prod.outputs["NotificationTopicArn"]
        self.dev_topic = layout.dev.outputs["NotificationTopicArn"]
        self.dev_smoke: Any = None  # the smoke run's SmokeResult on dev
        # Registering, listing and approving versions happen in the registry account, as its operator.
        self.sm = layout.cloud.client("sagemaker", account=layout.registry_account)
        self._denials_seen = 0

    def run(self) -> StoryRecord:
        self.prod_data_arrives()
        self.v1_registered_in_registry()
        self.v1_live_in_prod()
        self.scheduled_run("clean batch", expect_verdict="clean", expect_version=1)
        self.v1_live_in_dev()
        self.dev_smoke_run()
        self.shifted_batch_arrives()
        drift_run = self.scheduled_run("shifted batch", expect_verdict="drift", expect_version=1)
        self.retraining(drift_run)
        self.approve_v2()
        self.clean_batch_returns()
        self.scheduled_run("clean batch", expect_verdict="clean", expect_version=2)
        self.settle("the end of the story")
        return self.record

    # The steps this layout adds or changes -----------------------------------------------------
    def prod_data_arrives(self) -> None:
        step = "prod: data arrives"
        from sample.data import breast_cancer

        files = breast_cancer().files()
        keys = {
            "training-data/breast-cancer-part1.csv": "breast-cancer-part1.csv",
            "batch-input/batch-clean.csv": "batch-clean.csv",
            **{
                f"sample-data/{name}": name
                for name in ("breast-cancer-part2.csv", "batch-clean.csv", "batch-drift.csv")
            },
        }
        for key, name in keys.items():
            self.s3.put_object(
                Bucket=self.record.bucket, Key=key, Body=files[name].encode(), ContentType="text/csv"
            )
        self.timeline.say(
            f"prod account {self.layout.prod_account}: training data and the batch in {self.record.bucket}"
        )
        self._done(step)

    def v1_registered_in_registry(self) -> None:
        step = "registry: v1 trained and registered Approved"
        account = self.layout.registry_account
        self.timeline.say(
            f"registry account {account}: training v1 and registering it Approved (sample.seed)"
        )
        mark = self._mark()
        result = self._seed_registry(self.registry_bucket, self.registry_group)
        arn = result.get("registered")
        if not arn:
            raise self._failure(step, f"sample.seed registered nothing: {result.get('note', result)}", mark)
        self.record.v1_arn = str(arn)
        self.timeline.say(f"v1 registered in {self.group_arn}", indent=True)
        self.timeline.say(f"artifacts: {result.get('model')} (SSE-KMS, the registry's key)", indent=True)
        self._done(step)

    def v1_live_in_prod(self) -> None:
        step = "prod: v1's approval forwarded and recorded live"
        mark = self._mark()
        # Deliveries happen on the job runner's event thread: once the runners are idle, the
        # state-change event has been forwarded (or refused) and prod's function has run.
        if not self.cloud.wait_jobs_idle(self.step_timeout):
            raise self._failure(step, "SageMaker jobs and events still pending", mark)
        forwarded = [
            d
            for d in self.cloud.router.deliveries
            if d.rule_arn == self.forwarding_rule and d.target_arn == self.prod_bus
        ]
        if not any(d.ok for d in forwarded):
            errors = "; ".join(sorted({str(d.error) for d in forwarded})) or "no delivery attempted"
            raise self._failure(
                step, f"the forwarding rule did not put v1's event on prod's bus: {errors}", mark
            )
        self.timeline.say("event: Model Package State Change, registry bus -> forwarding rule -> prod bus")
        if not any(
            f"Approved, now live: {self.record.group} v1" in (m.subject or "")
            for m in self.cloud.outbox.for_topic(self.prod_topic)
        ):
            raise self._failure(step, "prod's ModelPackageStateChangeFunction did not record v1 live", mark)
        self.notes.flush()
        live = self._live_version(step)
        if live != 1:
            raise self._failure(step, f"live-model parameter says v{live}, expected v1", mark)
        self.timeline.say(f"prod records v1 live ({self.live_parameter})", indent=True)
        self._done(step)

    def v1_live_in_dev(self) -> None:
        step = "dev: v1's approval forwarded and recorded live"
        mark = self._mark()
        forwarded = [
            d
            for d in self.cloud.router.deliveries
            if d.rule_arn == self.forwarding_rule and d.target_arn == self.dev_bus
        ]
        if not any(d.ok for d in forwarded):
            errors = "; ".join(sorted({str(d.error) for d in forwarded})) or "no delivery attempted"
            raise self._failure(
                step, f"the forwarding rule did not put v1's event on dev's bus: {errors}", mark
            )
        self.timeline.say(
            f"dev account {self.layout.dev_account}: the same event, forwarding rule -> dev bus"
        )
        if not any(
            f"Approved, now live: {self.record.group} v1" in (m.subject or "")
            for m in self.cloud.outbox.for_topic(self.dev_topic)
        ):
            raise self._failure(step, "dev's ModelPackageStateChangeFunction did not record v1 live", mark)
        parameter = self.layout.dev.outputs["LiveModelParameterName"]
        ssm = self.cloud.client("ssm", account=self.layout.dev_account)
        live = json.loads(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
        if live.get("modelPackageArn") != self.record.v1_arn:
            raise self._failure(
                step, f"dev's live-model parameter says {live}, expected {self.record.v1_arn}", mark
            )
        self.timeline.say(f"dev records v1 live ({parameter})", indent=True)
        self._done(step)

    def dev_smoke_run(self) -> None:
        """The deployment pipeline's smoke run on dev (tools/smoke_run.py, as dev's pipeline role
        would run it; here as dev's operator): dev's batch scored with v1 from the registry account."""
        from tools.smoke_run import SmokeError, smoke_run

        step = "dev: smoke run scores dev's batch with v1"
        mark = self._mark()
        dev = self.layout.dev_account
        bucket = self.layout.dev.outputs["ArtifactsBucketName"]
        from sample.data import breast_cancer

        self.cloud.client("s3", account=dev).put_object(
            Bucket=bucket,
            Key="batch-input/batch-clean.csv",
            Body=breast_cancer().files()["batch-clean.csv"].encode(),
            ContentType="text/csv",
        )
        self.timeline.say(f"dev: a batch in {bucket}; $ python -m tools.smoke_run --stack-name {DEV_STACK}")
        try:
            result = smoke_run(
                DEV_STACK,
                cfn=self.cloud.client("cloudformation", account=dev),
                sfn=self.cloud.client("stepfunctions", account=dev),
                s3=self.cloud.client("s3", account=dev),
                timeout=self.step_timeout,
                poll_seconds=0.1,
                now=self.cloud.clock.now,
                say=lambda _line: None,
            )
        except SmokeError as outcome:
            raise self._failure(step, f"smoke run exit {outcome.code}: {outcome.message}", mark) from None
        if result.model_version != 1:
            raise self._failure(step, f"dev scored with v{result.model_version}, expected v1", mark)
        self.dev_smoke = result
        self.timeline.say(
            f"v1 (registry account) scored dev's batch: verdict {result.verdict}, "
            f"{len(result.predictions)} prediction file(s) in dev's bucket",
            indent=True,
        )
        self._done(step)

    def approve_v2(self) -> None:
        self.timeline.say(f"(approvals happen in the registry account {self.layout.registry_account})")
        mark = self._mark()
        try:
            super().approve_v2()
        except StoryStepError as error:
            raise self._failure(error.step, error.message, mark) from None

    def retraining(self, drift_run: Any) -> None:
        mark = self._mark()
        # v2's registration reaches dev too, whose "approval needed" notice cannot read v2's
        # metrics in prod's bucket (the module docstring): those refusals are expected, any other
        # stops the step.
        with self.cloud.iam.expecting_denials():
            try:
                super().retraining(drift_run)
                self.cloud.wait_quiescent(self.step_timeout)
            except StoryStepError as error:
                raise self._failure(error.step, error.message, mark) from None
        prod_bucket = self.record.bucket
        dev_role = f"User: arn:aws:sts::{self.layout.dev_account}:assumed-role/"
        unexpected = [
            d
            for d in self.cloud.iam.denials[mark:]
            if not (d.message.startswith(dev_role) and f'resource: "arn:aws:s3:::{prod_bucket}/' in d.message)
        ]
        if unexpected:
            step = "drift -> retraining -> v2 awaiting approval"
            raise StoryStepError(step, f"refused: {unexpected[0].code}: {unexpected[0].message}")
        self.timeline.say(f"v2 is in the central group {self.group_arn}", indent=True)

    def scheduled_run(self, what: str, expect_verdict: str, expect_version: int) -> Any:
        mark = self._mark()
        try:
            return super().scheduled_run(what, expect_verdict, expect_version)
        except StoryStepError as error:
            raise self._failure(error.step, error.message, mark) from None

    def settle(self, step: str) -> None:
        if not self.cloud.wait_jobs_idle(self.step_timeout):
            raise StoryStepError(step, "SageMaker jobs still running")
        super().settle(step)

    # plumbing -----------------------------------------------------------------------------------
    def _packages(self) -> list[dict[str, Any]]:
        pages = self.sm.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=self.registry_group
        )
        return [p for page in pages for p in page["ModelPackageSummaryList"]]

    def _seed_registry(self, bucket: str, group: str) -> dict[str, Any]:
        """`python -m sample.seed --bucket B --group G` run by the registry account's operator."""
        from sample.seed import seed as seed_v1

        with self.cloud.acting_as(self.layout.registry_account):
            try:
                return seed_v1(
                    bucket=bucket, group=group, region=self.cloud.region, endpoint_url=None, image_uri=None
                )
            except Exception as error:  # noqa: BLE001 - a refused seeding call stops the step, named
                return {"registered": None, "note": f"{type(error).__name__}: {error}"}

    def _mark(self) -> int:
        return len(self.cloud.iam.denials)

    def _failure(self, step: str, message: str, mark: int) -> StoryStepError:
        """The step's failure, with the first AccessDenied met since the step began: one naming the
        step's account (a step's name starts with "dev:" or "registry:", else it is prod's) when
        there is one, since the registry's events reach dev and prod alike and both may be refused."""
        layout = self.layout
        prefix = step.split(":", 1)[0]
        account = {"dev": layout.dev_account, "registry": layout.registry_account}.get(
            prefix, layout.prod_account
        )
        denials = self.cloud.iam.denials[mark:]
        denials = [d for d in denials if f":{account}:" in d.message] or denials
        if denials:
            message = f"{message}; stopped by {denials[0].code}: {denials[0].message}"
        return StoryStepError(step, message)


_ORDER = (
    "prod: data arrives",
    "registry: v1 trained and registered Approved",
    "prod: v1's approval forwarded and recorded live",
    "scheduled run 1 (clean batch)",
    "dev: v1's approval forwarded and recorded live",
    "dev: smoke run scores dev's batch with v1",
    "shifted batch arrives",
    "scheduled run 2 (shifted batch)",
    "drift -> retraining -> v2 awaiting approval",
    "approve v2",
    "clean batch returns",
    "scheduled run 3 (clean batch)",
)


def play(
    layout: Layout, timeline: Timeline | None = None, step_timeout: float = _STEP_TIMEOUT
) -> StoryRecord:
    """Play the story; raises StoryStepError naming the first step that did not happen."""
    story = MultiAccountStory(layout, timeline or Timeline(quiet=True), step_timeout)
    try:
        return story.run()
    except StoryStepError:
        raise
    except Exception as error:
        remaining = [s for s in _ORDER if s not in story.record.steps]
        raise StoryStepError(
            remaining[0] if remaining else "end of the story", f"{type(error).__name__}: {error}"
        ) from error


# -- the command --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(
        prog="python -m story.multi_account", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("-t", "--template", default=str(REPO / "template.yaml"), help="the workload template")
    parser.add_argument("--registry-template", default=str(REPO / "registry" / "template.yaml"))
    parser.add_argument(
        "--output",
        default="build/demo-multi-account",
        help="where the run's outputs go (default: build/demo-multi-account)",
    )
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--quiet", action="store_true", help="print only the outcome")
    args = parser.parse_args(argv)
    for key, value in ONE_THREAD_ENV.items():
        os.environ.setdefault(key, value)

    from localcloud.stack import StackDeployError, TemplateError

    timeline = Timeline(quiet=args.quiet)
    out = prepare_output(Path(args.output))
    timeline.plain("The seed's multi-account layout on the local cloud: a registry, a prod and a dev account")
    timeline.plain(
        f"templates: {args.registry_template} (registry), {args.template} (prod, dev)   outputs: {out}/"
    )
    timeline.plain("")
    record: StoryRecord | None = None
    failure: StoryStepError | None = None
    lines: list[str] = []
    try:
        with multi_account_cloud(
            Path(args.template), Path(args.registry_template), out, args.region
        ) as layout:
            timeline.clock = layout.cloud.clock.now
            timeline.say(
                f"registry account {layout.registry_account}: {REGISTRY_STACK} "
                f"(group {layout.registry.outputs['ModelPackageGroupArn']})"
            )
            timeline.say(
                f"prod account {layout.prod_account}: {PROD_STACK}, {len(layout.prod.functions)} functions, "
                f"{len(layout.prod.state_machines)} state machines",
                indent=True,
            )
            timeline.say(f"dev account {layout.dev_account}: {DEV_STACK}, schedule off", indent=True)
            story = MultiAccountStory(layout, timeline)
            try:
                record = story.run()
            except StoryStepError as error:
                failure, record = error, story.record
            except Exception as error:  # noqa: BLE001 - an unexpected error is a failed step too, named
                remaining = [s for s in _ORDER if s not in story.record.steps]
                failure = StoryStepError(
                    remaining[0] if remaining else "end", f"{type(error).__name__}: {error}"
                )
                record = story.record
            with contextlib.suppress(StoryStepError):
                story.settle("export")
            bucket_dir = out / "bucket"
            download_bucket(layout.cloud, record.bucket, bucket_dir)
            lines = summary(record, out, bucket_dir, layout.cloud)
            (out / "layout.json").write_text(
                json.dumps(
                    {
                        "registry": {"account": layout.registry_account, "outputs": layout.registry.outputs},
                        "prod": {"account": layout.prod_account, "outputs": layout.prod.outputs},
                        "dev": {"account": layout.dev_account, "outputs": layout.dev.outputs},
                    },
                    indent=1,
                )
            )
    except (StackDeployError, TemplateError) as error:
        failure = StoryStepError("stacks up", f"{type(error).__name__}: {error}")
    if failure is not None or record is None:
        failure = failure or StoryStepError("stacks up", "no story was played")
        steps = ", ".join(record.steps) if record and record.steps else "none"
        print(f"\ndemo-multi-account FAILED at step '{failure.step}': {failure.message}", file=sys.stderr)
        print(f"(steps that happened: {steps}; outputs in {out}/)", file=sys.stderr)
        return 1
    timeline.plain("")
    for line in lines:
        timeline.plain(line)
    print(
        f"demo-multi-account OK: {len(record.steps)} steps in {timeline.elapsed():.0f}s, "
        "every step as expected."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
