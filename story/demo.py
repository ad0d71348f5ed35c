"""`python -m story.demo` (`make demo`): the seed's story, played on the local cloud.

The real template.yaml is deployed on the local cloud, then the loop runs as it would in AWS,
driven only by what a person or the calendar does:

 1. v1 is trained and registered Approved (`sample.seed`, the seeding command's code, on this cloud);
 2. the schedule's next tick starts a batch run on the clean batch: predictions, report, no drift;
 3. a shifted batch arrives (and newly labelled data); the next tick finds drift: the state
    machine publishes `Data Drift Detected`, StartRetrainingFunction starts the retraining state
    machine, which trains XGBoost on part 1 + part 2 and registers v2 PendingManualApproval;
    approvers are notified;
 4. a person approves v2 (UpdateModelPackage); the state-change event records v2 as live;
 5. the next tick, on a clean batch, runs with v2 and is clean.

Every step is checked against what the cloud holds (executions, registry, bucket, outbox); a step
that does not happen is named and the demo exits 1. Nothing is simulated by the demo itself.
`run_story(cloud, ...)` is the same story for tests (tests/integration/test_demo_story.py).

This is the app's story, not the engine's: it drives `localcloud` only through its public surface
(`LocalCloud`, its clock, outbox, router records and waits; `localcloud.waiting.wait_until`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEMO_GROUP = "breast-cancer"
MARKER = ".localcloud-demo"
_STEP_TIMEOUT = 300.0


class StoryStepError(RuntimeError):
    """A step of the story did not happen as expected."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


# -- what happened (for the summary and for tests) ---------------------------------------------
@dataclass
class BatchRun:
    """One scheduled batch-inference run as the cloud recorded it."""

    tick: datetime
    execution_name: str
    execution_arn: str
    status: str
    model_version: int | None
    verdict: str | None
    drifted_features: list[str]
    predictions_s3_uri: str | None
    report_s3_uri: str | None


@dataclass
class StoryRecord:
    """Facts the story collected, in order; the test asserts on them and on the cloud itself."""

    bucket: str = ""
    group: str = ""
    steps: list[str] = field(default_factory=list)
    runs: list[BatchRun] = field(default_factory=list)
    retraining_executions: list[dict[str, Any]] = field(default_factory=list)
    v1_arn: str = ""
    v2_arn: str = ""
    approve_command: str = ""
    live_after_approval: dict[str, Any] = field(default_factory=dict)


# -- the timeline --------------------------------------------------------------------------
class Timeline:
    """Short, timed lines: wall seconds since start, the scheduler clock, what happened."""

    def __init__(self, quiet: bool = False, stream: Any = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.clock: datetime | None = None
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, text: str, *, indent: bool = False) -> None:
        if self.quiet:
            return
        stamp = f"{self.elapsed():6.1f}s"
        when = f"{self.clock:%a %d %b %H:%M}" if self.clock else " " * 16
        prefix = " " * (len(stamp) + len(when) + 4) if indent else f"{stamp}  {when}  "
        with self._lock:
            print(prefix + text, file=self.stream, flush=True)

    def plain(self, text: str = "") -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)


# -- helpers -------------------------------------------------------------------------------
def wait_until(condition: Callable[[], Any], timeout: float, what: str, step: str) -> Any:
    """`localcloud.waiting.wait_until`, its timeout told as the step that did not happen."""
    from localcloud.waiting import WaitTimeoutError
    from localcloud.waiting import wait_until as wait

    try:
        return wait(condition, timeout, what)
    except WaitTimeoutError as error:
        raise StoryStepError(step, str(error)) from None


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN of the execution `name` of a state machine (as Step Functions forms it)."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def next_tick(cloud: Any, logical_prefix: str = "StartBatchInferenceFunction") -> datetime:
    """The batch schedule's next firing after the cloud's clock (searching up to 400 days)."""
    from localcloud.scheduler import occurrences

    schedule = next((s for s in cloud.stack.schedules if s.logical_id.startswith(logical_prefix)), None)
    if schedule is None:
        raise StoryStepError("schedule", "the stack has no batch-inference schedule")
    now = cloud.clock.now
    found = next(
        occurrences(
            schedule.expression, schedule.timezone, now, now + timedelta(days=400), cloud.clock.started
        ),
        None,
    )
    if found is None:
        raise StoryStepError("schedule", f"{schedule.expression} never fires in the next 400 days")
    return found


class _Notes:
    """Prints notifications as they reach the outbox (the SNS topic's deliveries)."""

    def __init__(self, cloud: Any, timeline: Timeline) -> None:
        self.cloud = cloud
        self.timeline = timeline
        self.seen = 0

    def flush(self) -> list[str]:
        messages = self.cloud.outbox.messages
        new = [m.subject or "(no subject)" for m in messages[self.seen :]]
        self.seen = len(messages)
        for subject in new:
            self.timeline.say(f"notified: {subject}", indent=True)
        return new

    def wait_for(self, fragment: str, step: str, timeout: float = 60.0) -> str:
        def found() -> str | None:
            return next(
                (m.subject for m in self.cloud.outbox.messages if fragment in (m.subject or "")), None
            )

        subject = wait_until(found, timeout, f"a notification containing {fragment!r}", step)
        self.flush()
        return str(subject)


# -- the story -----------------------------------------------------------------------------
class Story:
    """The seed's story on a running local cloud (see the module docstring)."""

    def __init__(
        self,
        cloud: Any,
        timeline: Timeline,
        seed: Callable[[str, str], dict[str, Any]],
        step_timeout: float = _STEP_TIMEOUT,
    ) -> None:
        self.cloud = cloud
        self.timeline = timeline
        self.seed = seed
        self.step_timeout = step_timeout
        self.notes = _Notes(cloud, timeline)
        self.record = StoryRecord()
        outputs = cloud.stack.outputs
        self.record.bucket = outputs["ArtifactsBucketName"]
        self.record.group = outputs["ModelPackageGroupName"]
        self.batch_machine = outputs["BatchInferenceStateMachineArn"]
        self.retraining_machine = outputs["RetrainingStateMachineArn"]
        self.live_parameter = outputs["LiveModelParameterName"]
        self.environment = cloud.stack.parameters.get("EnvironmentName", "dev")
        self.s3 = cloud.client("s3")
        self.sm = cloud.client("sagemaker")

    # The steps, in order ------------------------------------------------------------------
    def run(self) -> StoryRecord:
        self.v1_approved()
        self.scheduled_run("clean batch", expect_verdict="clean", expect_version=1)
        self.shifted_batch_arrives()
        drift_run = self.scheduled_run("shifted batch", expect_verdict="drift", expect_version=1)
        self.retraining(drift_run)
        self.approve_v2()
        self.clean_batch_returns()
        self.scheduled_run("clean batch", expect_verdict="clean", expect_version=2)
        self.settle("the end of the story")
        return self.record

    def _done(self, step: str) -> None:
        self.record.steps.append(step)

    def settle(self, step: str) -> None:
        """Wait for the job runner and every running execution to finish."""
        runner = self.cloud.sagemaker_jobs
        if runner is not None and not runner.wait_idle(self.step_timeout):
            raise StoryStepError(step, "SageMaker jobs still running")
        for machine in (self.batch_machine, self.retraining_machine):
            for execution in self.cloud.executions(machine):
                if execution["status"] == "RUNNING":
                    self.cloud.wait_for_execution(execution["executionArn"], timeout=self.step_timeout)
        if runner is not None:
            runner.wait_idle(self.step_timeout)

    def v1_approved(self) -> None:
        step = "v1 trained and approved"
        self.timeline.say("v1: training XGBoost on part 1 and registering it Approved (sample.seed)")
        result = self.seed(self.record.bucket, self.record.group)
        arn = result.get("registered")
        if not arn:
            raise StoryStepError(step, f"sample.seed registered nothing: {result.get('note', result)}")
        self.record.v1_arn = str(arn)
        auc = float(result.get("auc", 0.0))
        self.timeline.say(f"v1 registered Approved: {self.record.group} v1, test AUC {auc:.3f}", indent=True)
        self.notes.wait_for(f"Approved, now live: {self.record.group} v1", step)
        live = self._live_version(step)
        if live != 1:
            raise StoryStepError(step, f"live-model parameter says v{live}, expected v1")
        self.timeline.say(f"live model recorded: v1 ({self.live_parameter})", indent=True)
        self._done(step)

    def scheduled_run(self, what: str, expect_verdict: str, expect_version: int) -> BatchRun:
        step = f"scheduled run {len(self.record.runs) + 1} ({what})"
        tick = next_tick(self.cloud)
        fired = self.cloud.clock.advance_to(tick)
        self.timeline.clock = tick
        if not fired:
            raise StoryStepError(step, f"no schedule fired at {tick:%Y-%m-%d %H:%M}")
        for firing in fired:
            if firing.error or (firing.result and str(firing.result).startswith("function error")):
                raise StoryStepError(step, f"the tick's delivery failed: {firing.error or firing.result}")
        name = f"scheduled-{tick.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        self.timeline.say(f"tick: schedule -> StartBatchInferenceFunction -> {name}")
        arn = execution_arn(self.batch_machine, name)
        described = self._wait_execution(arn, step)
        output = json.loads(described.get("output") or "{}")
        model = output.get("model") or {}
        monitoring = output.get("monitoring") or {}
        run = BatchRun(
            tick=tick,
            execution_name=name,
            execution_arn=arn,
            status=described["status"],
            model_version=model.get("modelPackageVersion"),
            verdict=monitoring.get("verdict"),
            drifted_features=list(monitoring.get("driftedFeatures") or []),
            predictions_s3_uri=(output.get("transform") or {}).get("predictionsS3Uri"),
            report_s3_uri=monitoring.get("reportS3Uri"),
        )
        self.record.runs.append(run)
        if described["status"] != "SUCCEEDED":
            raise StoryStepError(
                step, f"{name} {described['status']}: {described.get('error')}: {described.get('cause')}"
            )
        if run.model_version != expect_version:
            raise StoryStepError(step, f"ran with v{run.model_version}, expected v{expect_version}")
        lines = self._count_predictions(run.predictions_s3_uri)
        self.timeline.say(
            f"v{run.model_version} scored {lines} rows -> {_short(run.predictions_s3_uri)}", indent=True
        )
        if run.verdict != expect_verdict:
            raise StoryStepError(step, f"verdict {run.verdict!r}, expected {expect_verdict!r}")
        if expect_verdict == "drift":
            self.timeline.say(f"DRIFT in {', '.join(run.drifted_features)}", indent=True)
        else:
            self.timeline.say("monitoring: clean, no drift", indent=True)
        self.timeline.say(f"report: {_short(run.report_s3_uri)}", indent=True)
        if not self._object_exists(run.report_s3_uri):
            raise StoryStepError(step, f"no report at {run.report_s3_uri}")
        self.notes.flush()
        self._done(step)
        return run

    def shifted_batch_arrives(self) -> None:
        step = "shifted batch arrives"
        self.timeline.clock = self.cloud.clock.now
        self._replace_batch("sample-data/batch-drift.csv", "batch-drift.csv")
        self._copy("sample-data/breast-cancer-part2.csv", "training-data/breast-cancer-part2.csv")
        self.timeline.say(
            "a scanner is recalibrated: the next batch is shifted (batch-input/batch-drift.csv)"
        )
        self.timeline.say("new labelled data arrives: training-data/breast-cancer-part2.csv", indent=True)
        self._done(step)

    def retraining(self, drift_run: BatchRun) -> None:
        step = "drift -> retraining -> v2 awaiting approval"
        episode = drift_run.execution_name
        drift_events = [
            e
            for e in self.cloud.router.emitted
            if e.get("detail-type") == "Data Drift Detected" and e["detail"].get("driftEpisodeId") == episode
        ]
        if not drift_events:
            raise StoryStepError(step, f"no Data Drift Detected event for episode {episode}")
        self.timeline.say(f"event: Data Drift Detected (episode {episode}) -> StartRetrainingFunction")
        try:
            started = wait_until(
                lambda: self.cloud.executions(self.retraining_machine), 60.0, "a retraining execution", step
            )
        except StoryStepError as error:
            deliveries = [
                f"{d.target_arn.rsplit(':', 1)[-1]}: ok={d.ok} error={d.error} "
                f"function_error={d.function_error}"
                for d in self.cloud.router.deliveries
                if d.detail_type == "Data Drift Detected"
            ]
            raise StoryStepError(step, f"{error.message}; drift deliveries: {deliveries or 'none'}") from None
        execution = started[0]
        self.timeline.say(f"retraining state machine: {execution['name']}", indent=True)
        described = self._wait_execution(execution["executionArn"], step)
        self.record.retraining_executions = self.cloud.executions(self.retraining_machine)
        if described["status"] != "SUCCEEDED":
            raise StoryStepError(
                step, f"retraining {described['status']}: {described.get('error')}: {described.get('cause')}"
            )
        self._describe_training(execution["executionArn"])
        packages = self._packages()
        v2 = next((p for p in packages if p["ModelPackageVersion"] == 2), None)
        if v2 is None:
            raise StoryStepError(step, "no v2 in the registry after retraining")
        if v2["ModelApprovalStatus"] != "PendingManualApproval":
            raise StoryStepError(step, f"v2 is {v2['ModelApprovalStatus']}, expected PendingManualApproval")
        self.record.v2_arn = v2["ModelPackageArn"]
        described_v2 = self.sm.describe_model_package(ModelPackageName=self.record.v2_arn)
        auc = (described_v2.get("CustomerMetadataProperties") or {}).get("auc", "?")
        self.timeline.say(f"v2 registered PendingManualApproval (test AUC {_num(auc)})", indent=True)
        self.notes.wait_for(f"Approval needed: {self.record.group} v2", step)
        self._done(step)

    def approve_v2(self) -> None:
        step = "approve v2"
        self.timeline.clock = self.cloud.clock.now + timedelta(hours=7)
        self.cloud.clock.advance_to(self.timeline.clock)
        description = "Reviewed the evaluation and the drift report"
        self.record.approve_command = (
            f"aws sagemaker update-model-package --model-package-arn {self.record.v2_arn} "
            f'--model-approval-status Approved --approval-description "{description}"'
        )
        self.timeline.say("a person reviews v2 and approves it:")
        self.timeline.say(f"$ {self.record.approve_command}", indent=True)
        self.sm.update_model_package(
            ModelPackageArn=self.record.v2_arn,
            ModelApprovalStatus="Approved",
            ApprovalDescription=description,
        )
        self.timeline.say("event: Model Package State Change -> ModelPackageStateChangeFunction", indent=True)
        self.notes.wait_for(f"Approved, now live: {self.record.group} v2", step)
        live = wait_until(lambda: self._live_version(step) == 2, 30.0, "the live model to be v2", step)
        self.record.live_after_approval = json.loads(self.live_raw())
        if live:
            self.timeline.say("live model recorded: v2", indent=True)
        self._done(step)

    def clean_batch_returns(self) -> None:
        step = "clean batch returns"
        self._replace_batch("sample-data/batch-clean.csv", "batch-clean.csv")
        self.timeline.say("the next batch is a clean one again (batch-input/batch-clean.csv)")
        self._done(step)

    # plumbing -------------------------------------------------------------------------------
    def _wait_execution(self, arn: str, step: str) -> dict[str, Any]:
        from localcloud.cloud import ExecutionTimeoutError

        sfn = self.cloud.client("stepfunctions")
        wait_until(lambda: _exists(sfn, arn), 30.0, f"execution {arn.rsplit(':', 1)[-1]}", step)
        try:
            return self.cloud.wait_for_execution(arn, timeout=self.step_timeout)
        except ExecutionTimeoutError as error:
            raise StoryStepError(step, str(error)) from None

    def _describe_training(self, retraining_arn: str) -> None:
        for event in self.cloud.execution_history(retraining_arn):
            details = event.get("taskSucceededEventDetails") or {}
            if details.get("resource") == "createTrainingJob.sync":
                job = json.loads(details.get("output") or "{}")
                seconds = job.get("TrainingTimeInSeconds")
                name = job.get("TrainingJobName", "?")
                took = f" in {seconds}s" if seconds is not None else ""
                self.timeline.say(f"training job {name}: XGBoost on part 1 + part 2{took}", indent=True)
                return

    def _packages(self) -> list[dict[str, Any]]:
        pages = self.sm.get_paginator("list_model_packages").paginate(ModelPackageGroupName=self.record.group)
        return [p for page in pages for p in page["ModelPackageSummaryList"]]

    def live_raw(self) -> str:
        """The live-model parameter's value as stored (JSON, or "none")."""
        return str(self.cloud.client("ssm").get_parameter(Name=self.live_parameter)["Parameter"]["Value"])

    def _live_version(self, step: str) -> int | None:
        raw = self.live_raw()
        if raw == "none":
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise StoryStepError(step, f"live-model parameter is not JSON: {raw[:80]!r}") from None
        version = value.get("modelPackageVersion") if isinstance(value, dict) else None
        return int(version) if version is not None else None

    def _replace_batch(self, source_key: str, name: str) -> None:
        listed = self.s3.list_objects_v2(Bucket=self.record.bucket, Prefix="batch-input/").get("Contents", [])
        for item in listed:
            self.s3.delete_object(Bucket=self.record.bucket, Key=item["Key"])
        self._copy(source_key, f"batch-input/{name}")

    def _copy(self, source_key: str, key: str) -> None:
        self.s3.copy_object(
            Bucket=self.record.bucket, Key=key, CopySource={"Bucket": self.record.bucket, "Key": source_key}
        )

    def _split(self, uri: str) -> tuple[str, str]:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return bucket, key

    def _object_exists(self, uri: str | None) -> bool:
        if not uri:
            return False
        bucket, key = self._split(uri)
        return bool(self.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0))

    def _count_predictions(self, uri: str | None) -> int:
        if not uri:
            return 0
        bucket, prefix = self._split(uri)
        total = 0
        for item in self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            body = self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            total += sum(1 for line in body.splitlines() if line.strip())
        return total


def _exists(sfn: Any, arn: str) -> bool:
    try:
        sfn.describe_execution(executionArn=arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        return False
    return True


def _short(uri: str | None) -> str:
    if not uri:
        return "(none)"
    _, _, key = uri.removeprefix("s3://").partition("/")
    return key


def _num(text: Any) -> str:
    try:
        return f"{float(text):.3f}"
    except (TypeError, ValueError):
        return str(text)


def run_story(
    cloud: Any,
    seed: Callable[[str, str], dict[str, Any]],
    timeline: Timeline | None = None,
    step_timeout: float = _STEP_TIMEOUT,
) -> StoryRecord:
    """Play the story on `cloud`; raises StoryStepError naming the first step that did not happen."""
    story = Story(cloud, timeline or Timeline(quiet=True), seed, step_timeout)
    return story.run()


# -- seeding: the seeding command's own code, on the local cloud -------------------------------
def in_process_seed(region: str) -> Callable[[str, str], dict[str, Any]]:
    """`sample.seed.seed(...)`, what `python -m sample.seed --bucket B --group G` runs, called in this
    process: its boto3 calls reach the same moto backends as through `--endpoint-url`, without
    starting a second interpreter (its imports of xgboost and scikit-learn take seconds) and an
    HTTP round trip per call. Each function keeps its own modules, so the seed's imports of the
    shared layer do not touch theirs (localcloud.lambda_runtime). Imported when first called: the
    story's own imports stay light."""

    def seed(bucket: str, group: str) -> dict[str, Any]:
        from sample.seed import seed as seed_v1

        try:
            return seed_v1(bucket=bucket, group=group, region=region, endpoint_url=None, image_uri=None)
        except Exception as error:
            raise StoryStepError("v1 trained and approved", f"{type(error).__name__}: {error}") from error

    return seed


# -- output ----------------------------------------------------------------------------------
def prepare_output(path: Path) -> Path:
    """An empty output folder, or one a previous demo wrote (cleared); anything else is refused."""
    path = path.resolve()
    if path.exists():
        if not path.is_dir():
            raise SystemExit(f"demo: {path} exists and is not a folder")
        if any(path.iterdir()) and not (path / MARKER).exists():
            raise SystemExit(f"demo: {path} is not empty and was not written by the demo; choose --output")
        for child in path.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("written by python -m story.demo; cleared on the next run\n")
    return path


def download_bucket(cloud: Any, bucket: str, target: Path) -> list[Path]:
    """Every object of the bucket, under target/<key>."""
    s3 = cloud.client("s3")
    written: list[Path] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            local = target / item["Key"]
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            written.append(local)
    return written


def _local(uri: str | None, bucket_dir: Path) -> Path | None:
    if not uri:
        return None
    _, _, key = uri.removeprefix("s3://").partition("/")
    return bucket_dir / key


def summary(record: StoryRecord, out: Path, bucket_dir: Path, cloud: Any) -> list[str]:
    lines = [f"Everything the run produced is in {_rel(out)}/:"]
    for run in record.runs:
        where = _local(run.predictions_s3_uri, bucket_dir)
        report = _local(run.report_s3_uri, bucket_dir)
        lines.append(f"  {run.execution_name}: v{run.model_version}, {run.verdict}")
        if where:
            lines.append(f"    predictions  {_rel(where)}/")
        if report:
            lines.append(f"    report       {_rel(report)}")
    outbox = Path(cloud.outbox.path) if cloud.outbox.path else None
    if outbox:
        lines.append(f"  notifications  {_rel(outbox)} ({len(cloud.outbox)} messages, one JSON per line)")
    lines.append(f"  Lambda logs    {_rel(out / 'lambda-logs')}/")
    lines.append(f"  the bucket     {_rel(bucket_dir)}/")
    return lines


def _rel(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


# -- the command --------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-t", "--template", default="template.yaml", help="SAM template (default: template.yaml)"
    )
    parser.add_argument(
        "--output", default="demo-output", help="where the run's outputs go (default: demo-output)"
    )
    parser.add_argument(
        "--serve", action="store_true", help="print the APIs' endpoint on 127.0.0.1 (aws --endpoint-url)"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the outcome")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--no-iam",
        action="store_true",
        help="debugging only: IAM not enforced (each call AWS would deny is logged as such)",
    )


def demo_parameters(template: Path) -> dict[str, str]:
    """samconfig.toml's [single-account] (dev with its own group) overrides, with the sample's group
    and no run on approval (the story shows the *next scheduled* run picking the approved version up)."""
    from localcloud.stack import local_parameters

    parameters = local_parameters(template.parent / "samconfig.toml")
    parameters.update({"ModelPackageGroup": DEMO_GROUP, "RunOnApproval": "false", "LogLevel": "INFO"})
    return parameters


@contextlib.contextmanager
def demo_cloud(
    template: Path,
    output_dir: Path,
    region: str = "us-east-1",
    now: datetime | None = None,
    serve: bool = False,
    *,
    enforce_iam: bool = True,
) -> Iterator[tuple[Any, str | None, Callable[[str, str], dict[str, Any]]]]:
    """The stack of `template` on a local cloud with the demo's parameters.

    Yields (cloud, endpoint URL or None, seed): `seed(bucket, group)` runs the seeding command's
    code (`sample.seed`) on the cloud; with `serve` the APIs are also served on 127.0.0.1. The
    schedules' clock starts at `now` (default: this hour).
    """
    from localcloud import LocalCloud, quiet_moto_warnings

    start = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with (
        quiet_moto_warnings(),
        LocalCloud.start(
            template=template,
            parameters=demo_parameters(template),
            region=region,
            output_dir=output_dir,
            now=start,
            enforce_iam=enforce_iam,
        ) as cloud,
    ):
        endpoint = cloud.serve(port=0) if serve else None
        yield cloud, endpoint, in_process_seed(region)


# The whole demo shares one process and, here, two cores with whatever else runs: OpenMP libraries
# (xgboost) keep to one thread, as the local job runner's trainings do (nthread=1). With a thread
# per core, xgboost's workers wait on each other when another process takes a core: the seed's
# training then took from 1 s to 18 s. Set before xgboost is loaded; a value given is kept.
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1"}


def run(args: argparse.Namespace) -> int:
    import os

    from localcloud.stack import StackDeployError, TemplateError

    for key, value in ONE_THREAD_ENV.items():
        os.environ.setdefault(key, value)

    timeline = Timeline(quiet=args.quiet)
    template = Path(args.template).resolve()
    if not template.is_file():
        print(f"demo: no template at {template}", file=sys.stderr)
        return 2
    out = prepare_output(Path(args.output))
    timeline.plain("The MLOps loop, played on the local cloud (moto + in-process Lambda; no AWS, no Docker)")
    timeline.plain(f"template: {_rel(template)}   outputs: {_rel(out)}/")
    timeline.plain("")
    record: StoryRecord | None = None
    failure: StoryStepError | None = None
    lines: list[str] = []
    try:
        with demo_cloud(template, out, args.region, serve=args.serve, enforce_iam=not args.no_iam) as (
            cloud,
            endpoint,
            seed,
        ):
            record, failure, lines = _play(cloud, endpoint, seed, template, out, timeline, args)
    except (StackDeployError, TemplateError) as error:
        failure = StoryStepError("stack up", f"{type(error).__name__}: {error}")
    total = timeline.elapsed()
    if failure is not None or record is None:
        failure = failure or StoryStepError("stack up", "no story was played")
        steps = ", ".join(record.steps) if record and record.steps else "none"
        print("", file=sys.stderr)
        print(f"demo FAILED at step '{failure.step}': {failure.message}", file=sys.stderr)
        print(f"(steps that happened: {steps}; outputs in {_rel(out)}/)", file=sys.stderr)
        return 1
    timeline.plain("")
    for line in lines:
        timeline.plain(line)
    print(f"demo OK: {len(record.steps)} steps in {total:.0f}s, every step as expected.")
    return 0


def _play(  # noqa: PLR0917 - the demo's context, passed once
    cloud: Any,
    endpoint: str | None,
    seed: Callable[[str, str], dict[str, Any]],
    template: Path,
    out: Path,
    timeline: Timeline,
    args: argparse.Namespace,
) -> tuple[StoryRecord, StoryStepError | None, list[str]]:
    failure: StoryStepError | None = None
    timeline.clock = cloud.clock.now
    stack = cloud.stack
    timeline.say(
        f"stack up from {template.name}: {len(stack.functions)} functions, "
        f"{len(stack.state_machines)} state machines, {len(stack.schedules)} schedules"
    )
    if endpoint:
        timeline.say(f"APIs on {endpoint}, e.g.", indent=True)
        timeline.say(
            f"aws --endpoint-url {endpoint} stepfunctions list-executions "
            f"--state-machine-arn {stack.outputs['BatchInferenceStateMachineArn']}",
            indent=True,
        )
    story = Story(cloud, timeline, seed)
    try:
        record = story.run()
    except StoryStepError as error:
        failure = error
        record = story.record
    except Exception as error:  # noqa: BLE001 - an unexpected error is a failed step too, named
        failure = StoryStepError(_next_step(story.record), f"{type(error).__name__}: {error}")
        record = story.record
    with contextlib.suppress(StoryStepError):
        story.settle("export")
    bucket_dir = out / "bucket"
    download_bucket(cloud, record.bucket, bucket_dir)
    lines = summary(record, out, bucket_dir, cloud)
    if endpoint and sys.stdin.isatty() and failure is None:
        timeline.plain("")
        timeline.plain(f"Still serving on {endpoint}: press Enter to stop.")
        with contextlib.suppress(EOFError, KeyboardInterrupt):
            input()
    return record, failure, lines


ORDER = (
    "v1 trained and approved",
    "scheduled run 1 (clean batch)",
    "shifted batch arrives",
    "scheduled run 2 (shifted batch)",
    "drift -> retraining -> v2 awaiting approval",
    "approve v2",
    "clean batch returns",
    "scheduled run 3 (clean batch)",
)


def _next_step(record: StoryRecord) -> str:
    remaining = [s for s in ORDER if s not in record.steps]
    return remaining[0] if remaining else "end of the story"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m story.demo", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    from localcloud.cli import exit_now

    exit_now(main())  # as `python -m localcloud` ends: no one-by-one teardown of moto and xgboost
