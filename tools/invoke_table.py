"""The one table of what invoking each function with each `events/` file must give.

Two runners read it, so there is one truth:
- `tools/sam_local.py` (`make sam-local`): the real `sam local invoke` in a Lambda container,
  with the handler's AWS calls going to the local cloud's server;
- `tests/integration/test_invoke_expectations.py`: the local cloud's in-process `invoke`.

Both run the cases in table order against one freshly deployed and seeded local cloud (the
state a case sees may depend on the cases before it, the same way in both runners), take a
snapshot of the cloud's state before and after each case, and check the case with `check`.

A case names a function (logical ID in template.yaml), an event file, and the expected outcome:
either a payload (a subset: every key given must be there with that value; `ANY` = present) or
a named error (the `errorType` Lambda reports), text the logs must show, plus the side
effects to check (`NOTHING_STARTED`, `NOTHING_WRITTEN`, `Started(...)`, `Wrote(...)`, ...).
A case can derive its event from a file (`mutate`) to feed bad input without adding a file.
"""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parents[1]
EVENTS_DIR = REPO / "events"


class _AnyValue:
    """Matches any value that is present."""

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _AnyValue()


# -- the state of the local cloud, as far as a side effect can show -------------------------------
class Probe(Protocol):
    """What the checks read the local cloud through: boto3 clients and the SNS outbox."""

    def client(self, service: str) -> Any: ...

    def notification_count(self) -> int: ...


@dataclass(frozen=True)
class Snapshot:
    executions: frozenset[str]  # "<state machine name>/<execution name>"
    pipeline_executions: frozenset[str]  # "<pipeline name>/<execution arn>"
    jobs: frozenset[str]  # "<kind>:<job name>"
    objects: frozenset[str]  # "<bucket>/<key>@<etag>"
    items: frozenset[str]  # "<table>:<item as sorted JSON>"
    parameters: frozenset[str]  # "<name>@<version>"
    model_packages: frozenset[str]  # "<arn>=<approval status>"
    notifications: int

    @classmethod
    def take(cls, probe: Probe) -> Snapshot:
        return cls(
            executions=frozenset(_executions(probe.client("stepfunctions"))),
            pipeline_executions=frozenset(_pipeline_executions(probe.client("sagemaker"))),
            jobs=frozenset(_jobs(probe.client("sagemaker"))),
            objects=frozenset(_objects(probe.client("s3"))),
            items=frozenset(_items(probe.client("dynamodb"))),
            parameters=frozenset(_parameters(probe.client("ssm"))),
            model_packages=frozenset(_model_packages(probe.client("sagemaker"))),
            notifications=probe.notification_count(),
        )


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterable[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _executions(sfn: Any) -> Iterable[str]:
    for machine in _pages(sfn, "list_state_machines", "stateMachines"):
        for execution in _pages(
            sfn, "list_executions", "executions", stateMachineArn=machine["stateMachineArn"]
        ):
            yield f"{machine['name']}/{execution['name']}"


def _pipeline_executions(sagemaker: Any) -> Iterable[str]:
    for pipeline in _pages(sagemaker, "list_pipelines", "PipelineSummaries"):
        name = pipeline["PipelineName"]
        for execution in _pages(
            sagemaker, "list_pipeline_executions", "PipelineExecutionSummaries", PipelineName=name
        ):
            yield f"{name}/{execution['PipelineExecutionArn']}"


def _jobs(sagemaker: Any) -> Iterable[str]:
    for kind, operation, key, name in (
        ("training", "list_training_jobs", "TrainingJobSummaries", "TrainingJobName"),
        ("transform", "list_transform_jobs", "TransformJobSummaries", "TransformJobName"),
        ("processing", "list_processing_jobs", "ProcessingJobSummaries", "ProcessingJobName"),
    ):
        for job in _pages(sagemaker, operation, key):
            yield f"{kind}:{job[name]}"


def _objects(s3: Any) -> Iterable[str]:
    for bucket in s3.list_buckets().get("Buckets", []):
        for obj in _pages(s3, "list_objects_v2", "Contents", Bucket=bucket["Name"]):
            yield f"{bucket['Name']}/{obj['Key']}@{obj.get('ETag', '')}"


def _items(dynamodb: Any) -> Iterable[str]:
    for table in _pages(dynamodb, "list_tables", "TableNames"):
        for item in _pages(dynamodb, "scan", "Items", TableName=table):
            yield f"{table}:{json.dumps(item, sort_keys=True)}"


def _parameters(ssm: Any) -> Iterable[str]:
    for parameter in _pages(ssm, "describe_parameters", "Parameters"):
        yield f"{parameter['Name']}@{parameter.get('Version', '')}"


def _model_packages(sagemaker: Any) -> Iterable[str]:
    for group in _pages(sagemaker, "list_model_package_groups", "ModelPackageGroupSummaryList"):
        name = group["ModelPackageGroupName"]
        for package in _pages(
            sagemaker, "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName=name
        ):
            yield f"{package['ModelPackageArn']}={package.get('ModelApprovalStatus', '')}"


# -- side effects --------------------------------------------------------------------------------
class Effect(Protocol):
    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        """None when the effect holds, else what is wrong (one line)."""
        ...


def _new(before: frozenset[str], after: frozenset[str]) -> list[str]:
    return sorted(after - before)


@dataclass(frozen=True)
class _NothingStarted:
    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        started = (
            _new(before.executions, after.executions)
            + _new(before.pipeline_executions, after.pipeline_executions)
            + _new(before.jobs, after.jobs)
        )
        return f"started {started}" if started else None

    def __repr__(self) -> str:
        return "NOTHING_STARTED"


@dataclass(frozen=True)
class _NothingWritten:
    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        changed: list[str] = []
        for name in ("objects", "items", "parameters", "model_packages"):
            old, new = getattr(before, name), getattr(after, name)
            if old != new:
                changed.append(f"{name}: +{sorted(new - old)} -{sorted(old - new)}")
        if after.notifications != before.notifications:
            changed.append(f"notifications: {before.notifications} -> {after.notifications}")
        return "wrote " + "; ".join(changed) if changed else None

    def __repr__(self) -> str:
        return "NOTHING_WRITTEN"


NOTHING_STARTED: Effect = _NothingStarted()
NOTHING_WRITTEN: Effect = _NothingWritten()


@dataclass(frozen=True)
class Started:
    """Exactly `count` new executions of the state machine whose name contains `machine`."""

    machine: str
    count: int = 1

    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        new = [
            e
            for e in _new(before.executions, after.executions)
            if self.machine.lower() in e.split("/")[0].lower()
        ]
        return (
            None
            if len(new) == self.count
            else f"expected {self.count} new {self.machine} execution(s), got {new}"
        )


@dataclass(frozen=True)
class Wrote:
    """At least one new or changed S3 object whose key starts with `prefix` (any bucket)."""

    prefix: str

    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        keys = [o.split("/", 1)[1] for o in _new(before.objects, after.objects)]
        return (
            None
            if any(k.startswith(self.prefix) for k in keys)
            else f"no object written under {self.prefix!r}"
        )


@dataclass(frozen=True)
class Notified:
    """Exactly `count` new SNS notifications."""

    count: int = 1

    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        got = after.notifications - before.notifications
        return None if got == self.count else f"expected {self.count} notification(s), got {got}"


@dataclass(frozen=True)
class ParameterChanged:
    """The SSM parameter whose name contains `name` got a new version."""

    name: str

    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        new = [p for p in _new(before.parameters, after.parameters) if self.name in p]
        return None if new else f"SSM parameter {self.name!r} not written"


@dataclass(frozen=True)
class ItemWritten:
    """A new or changed DynamoDB item whose JSON contains `text`."""

    text: str

    def problem(self, before: Snapshot, after: Snapshot) -> str | None:
        new = [i for i in _new(before.items, after.items) if self.text in i]
        return None if new else f"no DynamoDB item with {self.text!r} written"


# -- the cases -----------------------------------------------------------------------------------
Mutation = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    function: str  # logical ID in template.yaml
    event: str  # file name in events/
    why: str  # one line: what this case shows
    payload: Mapping[str, Any] | None = None  # expected subset of the returned payload
    error: str | None = None  # expected errorType
    logged: tuple[str, ...] = ()  # text that must appear in the invocation's logs
    effects: tuple[Effect, ...] = ()
    mutate: Mutation | None = None  # derive a bad event from the file
    variant: str = ""  # names the derived event (required with mutate)
    # IAM actions the local cloud denies on the way, as AWS would (the function copes with it)
    denied: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        suffix = f"[{self.variant}]" if self.variant else ""
        return f"{self.function} {self.event}{suffix}"

    def event_body(self, events_dir: Path = EVENTS_DIR) -> Any:
        body = json.loads((events_dir / self.event).read_text(encoding="utf-8"))
        return self.mutate(copy.deepcopy(body)) if self.mutate else body

    def event_file(self, scratch: Path, events_dir: Path = EVENTS_DIR) -> Path:
        """The file to pass to `sam local invoke -e`: the event itself, or the derived one written out."""
        if self.mutate is None:
            return events_dir / self.event
        scratch.mkdir(parents=True, exist_ok=True)
        path = scratch / f"{Path(self.event).stem}.{self.variant}.json"
        path.write_text(json.dumps(self.event_body(events_dir), indent=2), encoding="utf-8")
        return path


@dataclass
class Outcome:
    """One invocation's result, from either runner."""

    payload: Any
    logs: str
    seconds: float
    error_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload_text(cls, text: str, logs: str, seconds: float) -> Outcome:
        payload = json.loads(text) if text.strip() else None
        error_type = payload.get("errorType") if isinstance(payload, dict) else None
        return cls(payload=payload, logs=logs, seconds=seconds, error_type=error_type)


def _match(expected: Any, actual: Any, path: str) -> list[str]:
    if expected is ANY:
        return []
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path or 'payload'}: expected an object, got {actual!r:.80}"]
        problems: list[str] = []
        for key, value in expected.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                problems.append(f"{where}: missing")
            else:
                problems.extend(_match(value, actual[key], where))
        return problems
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r:.120}"]


def check(case: Case, outcome: Outcome, before: Snapshot, after: Snapshot) -> list[str]:
    """Everything wrong with this outcome for this case; empty when it passed."""
    problems: list[str] = []
    if case.error is not None:
        if outcome.error_type != case.error:
            got = outcome.error_type or "success"
            problems.append(f"expected error {case.error}, got {got}: {outcome.payload!r:.200}")
    elif outcome.error_type is not None:
        message = outcome.payload.get("errorMessage", "") if isinstance(outcome.payload, dict) else ""
        problems.append(f"unexpected error {outcome.error_type}: {message:.200}")
    elif case.payload is not None:
        problems.extend(_match(case.payload, outcome.payload, ""))
    problems.extend(f"log lacks {text!r}" for text in case.logged if text not in outcome.logs)
    for effect in case.effects:
        problem = effect.problem(before, after)
        if problem:
            problems.append(f"{effect!r}: {problem}")
    return problems


def coverage_problems(functions: Iterable[str], events_dir: Path = EVENTS_DIR) -> list[str]:
    """Every function in the template and every event file must have a case; every case must exist."""
    functions = set(functions)
    files = {p.name for p in events_dir.glob("*.json")}
    problems = [
        f"{f}: no case in tools/invoke_table.py" for f in sorted(functions - {c.function for c in CASES})
    ]
    problems += [
        f"events/{e}: no case in tools/invoke_table.py" for e in sorted(files - {c.event for c in CASES})
    ]
    problems += [
        f"{c.id}: no function {c.function} in template.yaml" for c in CASES if c.function not in functions
    ]
    problems += [f"{c.id}: no file events/{c.event}" for c in CASES if c.event not in files]
    ids = [c.id for c in CASES]
    problems += [f"{i}: listed twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return problems


# -- the local cloud both runners use -------------------------------------------------------------
class SeedError(RuntimeError):
    """The demo's seeding command failed against the local cloud."""


class SeededCloud:
    """A local cloud with the stack deployed, served on 127.0.0.1 and seeded like the demo."""

    def __init__(self, cloud: Any, endpoint_url: str) -> None:
        self.cloud = cloud
        self.endpoint_url = endpoint_url
        self.port = int(endpoint_url.rsplit(":", 1)[1])

    def client(self, service: str) -> Any:
        return self.cloud.client(service)

    def notification_count(self) -> int:
        return len(self.cloud.outbox)

    def role_credentials(self, function: str) -> dict[str, str]:
        """The function's role session (AWS_ACCESS_KEY_ID, ...): what its container signs with, as in
        Lambda, so the local cloud's IAM decides its calls as it decides in-process ones."""
        name = self.cloud.stack.functions[function]
        role = self.client("lambda").get_function_configuration(FunctionName=name)["Role"]
        return dict(self.cloud.iam.credentials_for_role(role, name).as_environment())

    def function_environments(self) -> dict[str, dict[str, str]]:
        """Each function's environment variables as the local stack resolved them (logical id -> vars)."""
        lambda_ = self.client("lambda")
        found = {}
        for logical_id, name in self.cloud.stack.functions.items():
            config = lambda_.get_function_configuration(FunctionName=name)
            found[logical_id] = dict((config.get("Environment") or {}).get("Variables") or {})
        return found

    def settle(self, timeout: float = 900.0) -> None:
        """Wait until the cloud is quiescent (`LocalCloud.wait_quiescent`: no execution running, no job,
        no event being routed, counts stable): work a case starts runs on the cloud's threads, and
        events it causes are routed after it ends; the next case's snapshot must not see them. No
        quiet period is slept: all of that work is tracked."""
        self.cloud.wait_quiescent(timeout)

    def invoke(self, function: str, event: Any) -> Outcome:
        started = time.perf_counter()
        result = self.cloud.invoke(function, event)
        seconds = time.perf_counter() - started
        return Outcome(
            payload=result.payload, logs=result.logs, seconds=seconds, error_type=result.error_type
        )


def seed(endpoint_url: str, bucket: str, group: str, access_key: str) -> None:
    """The demo's seeding command, run as a user would, against the served local cloud: sample data
    (with the newly labelled part 2 under `training-data/`, as the demo adds it before retraining),
    v1 Approved with its evaluation and baseline under `retraining/seed-v1/`. `access_key`: the
    operator's (the served endpoint refuses keys no principal holds)."""
    command = [
        sys.executable,
        "-m",
        "sample.seed",
        "--bucket",
        bucket,
        "--group",
        group,
        "--endpoint-url",
        endpoint_url,
        "--with-part2",
    ]
    env = {
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(  # noqa: S603 - argv built here, no shell
        command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
        env={**_inherited_env(), **env},
    )  # fmt: skip
    if result.returncode != 0:
        raise SeedError(f"{' '.join(command[1:])} exited {result.returncode}: {result.stderr.strip()[-500:]}")


def _inherited_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


@contextlib.contextmanager
def seeded_cloud(
    template: Path = REPO / "template.yaml", output_dir: Path | None = None
) -> Iterator[SeededCloud]:
    """Deploy the template into a fresh local cloud, serve it on 127.0.0.1, seed it like the demo."""
    from localcloud import LocalCloud

    with LocalCloud.start(template=template, output_dir=output_dir, stack_name=_stack_name()) as cloud:
        local = SeededCloud(cloud, cloud.serve(port=0))
        environments = local.function_environments()
        bucket = _one_value(environments, "ARTIFACTS_BUCKET")
        group = _one_value(environments, "MODEL_PACKAGE_GROUP")
        seed(local.endpoint_url, bucket, group, cloud.iam.operator_keys[0])
        local.settle()  # registering v1 Approved starts work (RunOnApproval): let it finish
        replay_drift_episode(local, group)
        yield local


# The drift episode the seeding plays, the day before events/drift_detected.json's: its retraining
# run registers v2 PendingManualApproval, whose files the retraining events/ samples name.
SEEDED_EPISODE = "scheduled-20261123T020000Z"
SEEDED_RETRAINING_RUN = f"retrain-{SEEDED_EPISODE}"


def seeded_drift_event() -> dict[str, Any]:
    """events/drift_detected.json moved one day back: the scheduled run of 2026-11-23 found drift."""
    text = (EVENTS_DIR / "drift_detected.json").read_text(encoding="utf-8")
    event: dict[str, Any] = json.loads(
        text.replace("20261124", "20261123").replace("2026-11-24", "2026-11-23")
    )
    event["id"] = "0d5e3c6a-2f41-4b8e-9a57-6c1f0e2b7d93"
    if event["detail"]["driftEpisodeId"] != SEEDED_EPISODE:
        raise SeedError(f"events/drift_detected.json: expected episode {SEEDED_EPISODE} a day later")
    return event


def replay_drift_episode(local: SeededCloud, group: str) -> str:
    """Start the retraining run of SEEDED_EPISODE with the input StartRetraining gives it (its
    `RetrainingRequest`): the run (prepare, train, score, evaluate, gate, baseline) registers v2
    PendingManualApproval, and approvers are asked. Returns v2's ARN.

    Not by putting the drift event on the bus: StartRetraining starts only for drift events a batch
    run of the stack put (mlops_loop.retraining.provenance), and no batch run found this drift."""
    from mlops_loop.retraining.starter import RetrainingRequest

    detail = seeded_drift_event()["detail"]
    request = RetrainingRequest(
        reason="drift",
        episode_id=SEEDED_EPISODE,
        group=group,
        training_data_s3_uri=_one_value(local.function_environments(), "TRAINING_DATA_S3_URI"),
        source_execution_arn=detail["executionArn"],
        base_model_package_arn=detail["modelPackageArn"],
    )
    local.cloud.start_execution(
        "RetrainingStateMachine", json.loads(request.input_json()), name=request.execution_name
    )
    local.settle()
    sagemaker = local.client("sagemaker")
    for package in _pages(
        sagemaker, "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName=group
    ):
        if package.get("ModelPackageVersion") == 2:  # the version after the seeded v1
            if package.get("ModelApprovalStatus") != "PendingManualApproval":
                raise SeedError(f"v2 is {package.get('ModelApprovalStatus')}, expected PendingManualApproval")
            return str(package["ModelPackageArn"])
    runs = [
        f"{e['name']}: {e['status']}"
        for machine in _pages(local.client("stepfunctions"), "list_state_machines", "stateMachines")
        for e in _pages(
            local.client("stepfunctions"), "list_executions", "executions",
            stateMachineArn=machine["stateMachineArn"],
        )
        if e["name"] == SEEDED_RETRAINING_RUN
    ]  # fmt: skip
    raise SeedError(f"the replayed drift episode {SEEDED_EPISODE} registered no v2 (runs: {runs or 'none'})")


def _stack_name() -> str:
    """The stack's name, as `sam deploy --config-env single-account` would use it (the environment
    the local cloud deploys: localcloud.stack.LOCAL_ENVIRONMENT)."""
    import tomllib

    from localcloud.stack import LOCAL_ENVIRONMENT

    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    section = config.get(LOCAL_ENVIRONMENT, {})
    return str(section.get("global", {}).get("parameters", {}).get("stack_name", "mlops-loop-dev"))


def _one_value(environments: dict[str, dict[str, str]], name: str) -> str:
    values = {env[name] for env in environments.values() if env.get(name)}
    if len(values) != 1:
        raise SeedError(f"expected one {name} across the stack's functions, found {sorted(values)}")
    return values.pop()


# -- derived bad events --------------------------------------------------------------------------
def drop_detail(event: dict[str, Any]) -> dict[str, Any]:
    """A malformed EventBridge event: the envelope without its `detail`."""
    event.pop("detail", None)
    return event


def other_group(event: dict[str, Any]) -> dict[str, Any]:
    """The same event for a model package group that is not this stack's."""
    text = json.dumps(event)
    for key in ("ModelPackageGroupName", "modelPackageGroupName"):
        group = _find(event, key)
        if isinstance(group, str):
            text = text.replace(group, "someone-elses-group")
    return json.loads(text)


def _find(data: Any, key: str) -> Any:
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            found = _find(value, key)
            if found is not None:
                return found
    elif isinstance(data, list):
        for value in data:
            found = _find(value, key)
            if found is not None:
                return found
    return None


def unknown_version(event: dict[str, Any]) -> dict[str, Any]:
    """The same model package event for a version the registry does not hold (v99): another event,
    so another EventBridge `id` (the handler answers a known `id` with that event's first result)."""
    arn = event["detail"]["ModelPackageArn"]
    other = arn.rsplit("/", 1)[0] + "/99"
    event = json.loads(json.dumps(event).replace(f'"{arn}"', f'"{other}"'))
    event["detail"]["ModelPackageVersion"] = 99
    event["id"] = "9d1c6e2a-4b7f-4f35-8a0e-5c3b2d1f6e99"
    return event


# -- the table (rows in the order both runners run them) -----------------------------------------
def drop_run_id(event: dict[str, Any]) -> dict[str, Any]:
    """A malformed state-machine input: no runId."""
    event.pop("runId", None)
    return event


def _event_value(name: str, key: str) -> Any:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))[key]


def prepared_payload() -> dict[str, Any]:
    """What PrepareTrainingData must return for events/prepare_training_data.json: the folders the
    next steps' sample inputs (events/evaluate_model.json, compute_baseline.json) name, so the three
    samples are one run's inputs, and the seeded training data (old part 1 + new part 2)."""
    evaluate = json.loads((EVENTS_DIR / "evaluate_model.json").read_text(encoding="utf-8"))
    baseline = json.loads((EVENTS_DIR / "compute_baseline.json").read_text(encoding="utf-8"))
    training = _event_value("prepare_training_data.json", "trainingDataS3Uri")
    run = evaluate["evaluationS3Uri"].rsplit("/evaluation/", 1)[0]
    return {
        "trainS3Uri": f"{run}/train/",
        "validationS3Uri": f"{run}/validation/",
        "testS3Uri": f"{run}/test/",
        "testLabelsS3Uri": evaluate["testLabelsS3Uri"],
        "predictionsS3Uri": evaluate["predictionsS3Uri"],
        "evaluationS3Uri": evaluate["evaluationS3Uri"],
        "baselineDataS3Uri": baseline["baselineDataS3Uri"],
        "baselineS3Uri": baseline["outputS3Uri"],
        "modelOutputS3Uri": f"{run}/model/",
        "sourceObjects": [f"{training}breast-cancer-part1.csv", f"{training}breast-cancer-part2.csv"],
        "rows": ANY,
        "trainingJobName": ANY,
    }


_BASELINE_OUT = _event_value("compute_baseline.json", "outputS3Uri")
_RUN_V1 = "batch-inference/breast-cancer-classifier/v1/scheduled-20261124T020000Z/"
_MONITORING_V1 = _RUN_V1 + "monitoring/"
_IGNORED = {"action": "ignored"}
_QUIET = (NOTHING_STARTED, NOTHING_WRITTEN)
_INVALID = "InvalidEvent"
_REJECTED_LOG = "Rejected malformed event"

CASES: tuple[Case, ...] = (
    # Failure notifications: one message per failed/timed-out/aborted workflow, nothing else.
    Case("NotifyFailureFunction", "sfn_execution_succeeded.json", "a success is not a failure",
         payload=_IGNORED, effects=_QUIET),
    Case("NotifyFailureFunction", "sfn_execution_failed.json", "a failed batch run is notified",
         payload={"action": "notified", "messageId": ANY}, effects=(NOTHING_STARTED, Notified(1))),
    Case("NotifyFailureFunction", "sfn_execution_timed_out.json", "TIMED_OUT (no Catch sees it) is notified",
         payload={"action": "notified"}, effects=(NOTHING_STARTED, Notified(1))),
    Case("NotifyFailureFunction", "sfn_execution_aborted.json", "ABORTED (no Catch sees it) is notified",
         payload={"action": "notified"}, effects=(NOTHING_STARTED, Notified(1))),
    Case("NotifyFailureFunction", "sfn_execution_data_quality_failure.json", "broken input data tells people",
         payload={"action": "notified"}, effects=(NOTHING_STARTED, Notified(1))),
    Case("NotifyFailureFunction", "pipeline_execution_failed.json",
         "a failed Pipeline run is notified, also when the stack (no pipeline) may not describe it",
         payload={"action": "notified"}, effects=(NOTHING_STARTED, Notified(1)),
         denied=("sagemaker:DescribePipelineExecution",)),
    Case("NotifyFailureFunction", "sfn_execution_failed.json", "an event without detail is a named error",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET, mutate=drop_detail, variant="malformed"),
    # The batch-inference steps, against the seeded registry (v1 Approved with its baseline).
    Case("ResolveModelFunction", "resolve_model.json", "latest Approved (seeded v1) + baseline",
         payload={"model": {"modelPackageVersion": 1, "modelExists": ANY, "modelName": ANY,
                            "baselineStatisticsS3Uri": ANY, "baselineConstraintsS3Uri": ANY},
                  "run": {"runId": "scheduled-20261124T020000Z", "transformJobName": ANY,
                          "monitoringS3Uri": ANY}},
         effects=_QUIET),
    Case("ResolveModelFunction", "resolve_model.json",
         "an input without executionArn (whose name keys the run's outputs) is a named error",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET,
         mutate=lambda e: {k: v for k, v in e.items() if k != "executionArn"}, variant="malformed"),
    Case("MonitorBatchFunction", "monitor_batch_judge.json",
         "judge mode before any Model Monitor job wrote its files is a named error",
         error="MonitoringOutputNotFound", effects=_QUIET),
    Case("MonitorBatchFunction", "monitor_batch_list.json",
         "the batch listed once: its manifest and items under the run, what every later step reads",
         payload={"objects": 1, "manifestS3Uri": ANY, "objectsS3Uri": ANY},
         effects=(NOTHING_STARTED, Wrote(_RUN_V1 + "batch/"))),
    Case("MonitorBatchFunction", "monitor_batch_analyze.json", "the clean sample batch against v1's baseline",
         payload={"verdict": "clean", "driftedFeatures": [], "reportS3Uri": ANY},
         effects=(NOTHING_STARTED, Wrote(_MONITORING_V1))),
    Case("MonitorBatchFunction", "monitor_batch_judge.json",
         "judge reads Model Monitor's files in the run's folder (analyze wrote the same formats)",
         payload={"verdict": "clean", "driftedFeatures": [], "reportS3Uri": ANY},
         effects=(NOTHING_STARTED, Wrote(_MONITORING_V1)), mutate=lambda e: e, variant="after-analyze"),
    Case("MonitorBatchFunction", "monitor_batch_analyze.json", "an input without mode is a named error",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET,
         mutate=lambda e: {k: v for k, v in e.items() if k != "mode"}, variant="malformed"),
    # MonitoringEngine=DistributedLambda's two steps: one object sketched into a partial, then merged.
    Case("MonitorBatchFunction", "monitor_batch_sketch.json", "the clean sample batch's one object sketched",
         payload={"partialS3Uri": ANY, "rows": 113},
         effects=(NOTHING_STARTED, Wrote(_MONITORING_V1 + "partials/"))),
    Case("MonitorBatchFunction", "monitor_batch_merge.json", "the partials merged and checked: clean",
         payload={"verdict": "clean", "driftedFeatures": [], "reportS3Uri": ANY},
         effects=(NOTHING_STARTED, Wrote(_MONITORING_V1))),
    Case("MonitorBatchFunction", "monitor_batch_sketch.json", "a sketch without itemS3Uri is a named error",
         error=_INVALID, effects=_QUIET,
         mutate=lambda e: {k: v for k, v in e.items() if k != "itemS3Uri"}, variant="malformed"),
    # The schedule starts one run per tick; a duplicated tick starts nothing.
    Case("StartBatchInferenceFunction", "schedule_batch_inference.json", "a tick starts its run",
         payload={"started": True, "executionName": "scheduled-20261124T020000Z", "reason": "started"},
         effects=(Started("batch-inference"),)),
    Case("StartBatchInferenceFunction", "schedule_batch_inference.json", "the same tick again starts nothing",
         payload={"started": False, "reason": "duplicate"}, effects=(NOTHING_STARTED,),
         mutate=lambda e: e, variant="duplicate-tick"),
    Case("StartBatchInferenceFunction", "schedule_default_envelope.json",
         "AWS's default Scheduled Event envelope of the same tick names the same run: nothing more starts",
         payload={"started": False, "executionName": "scheduled-20261124T020000Z", "reason": "duplicate"},
         effects=(NOTHING_STARTED,)),
    Case("StartBatchInferenceFunction", "schedule_batch_inference.json", "a tick without scheduledTime",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET,
         mutate=lambda e: {k: v for k, v in e.items() if k != "scheduledTime"}, variant="malformed"),
    # The retraining steps, with the inputs the retraining state machine gave them in the seeded run
    # (SEEDED_RETRAINING_RUN, which registered v2); run again, they give the same answers.
    Case("PrepareTrainingDataFunction", "prepare_training_data.json",
         "old + new training data split into the run's channels; job names of the run",
         payload=prepared_payload(), effects=(NOTHING_STARTED,)),
    Case("PrepareTrainingDataFunction", "prepare_training_data.json", "an input without runId",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET, mutate=drop_run_id, variant="malformed"),
    Case("EvaluateModelFunction", "evaluate_model.json", "the candidate's test-set scores against the labels",
         payload={"auc": ANY, "accuracy": ANY, "itemCount": ANY,
                  "evaluationS3Uri": _event_value("evaluate_model.json", "evaluationS3Uri")},
         effects=(NOTHING_STARTED, Wrote(f"retraining/{SEEDED_RETRAINING_RUN}/evaluation/evaluation.json"))),
    Case("EvaluateModelFunction", "evaluate_model.json", "an input without runId",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET, mutate=drop_run_id, variant="malformed"),
    Case("ComputeBaselineFunction", "compute_baseline.json", "the training features' data-quality baseline",
         payload={"statisticsS3Uri": _BASELINE_OUT + "statistics.json",
                  "constraintsS3Uri": _BASELINE_OUT + "constraints.json", "features": 30},
         effects=(NOTHING_STARTED,)),
    Case("ComputeBaselineFunction", "compute_baseline.json", "an input without runId",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET, mutate=drop_run_id, variant="malformed"),
    # Freshness policy: off in the dev configuration (MaxModelAgeDays=0).
    Case("CheckFreshnessFunction", "schedule_freshness.json", "the policy is off in dev: nothing happens",
         payload={"action": "off"}, effects=_QUIET),
    Case("CheckFreshnessFunction", "schedule_default_envelope.json",
         "AWS's default Scheduled Event envelope is a tick too (the policy is off in dev)",
         payload={"action": "off"}, effects=_QUIET),
    # Approval events of the stack's group; another group's and malformed ones change nothing.
    Case("ModelPackageStateChangeFunction", "model_package_pending_approval.json", "approvers are asked",
         payload={"action": "asked_approval", "messageId": ANY}, effects=(NOTHING_STARTED, Notified(1))),
    Case("ModelPackageStateChangeFunction", "model_package_pending_approval.json",
         "a version the registry does not hold is a named error; nobody is asked",
         error="ModelPackageNotFound", effects=_QUIET, mutate=unknown_version, variant="unknown-version"),
    # Seeding registered v1 Approved and the cloud routed that event: v1 is live already. An approval
    # that leaves the latest Approved version unchanged is notified; nothing new is recorded or run.
    Case("ModelPackageStateChangeFunction", "model_package_approved.json",
         "an approval that does not change the live version is notified only",
         payload={"action": "notified"}, effects=(NOTHING_STARTED, Notified(1))),
    Case("ModelPackageStateChangeFunction", "model_package_rejected.json", "a rejection is notified",
         payload={"action": "notified"}, effects=(NOTHING_STARTED, Notified(1))),
    Case("ModelPackageStateChangeFunction", "model_package_approved.json", "another group's event: ignored",
         payload=_IGNORED, logged=("Event of another model package group ignored",), effects=_QUIET,
         mutate=other_group, variant="other-group"),
    Case("ModelPackageStateChangeFunction", "model_package_approved.json", "an event without detail",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET, mutate=drop_detail, variant="malformed"),
    # Drift -> retraining, only for drift events a batch run of this stack put: the sample names the
    # run scheduled-20261124T020000Z, which exists here (the tick above started it) and found no drift.
    Case("StartRetrainingFunction", "drift_detected.json",
         "a drift event its batch run did not put starts nothing: logged and counted as forged",
         payload={"started": False, "outcome": "forged"},
         logged=("Drift event not put by this stack's batch runs: nothing started", "ForgedDriftEvents"),
         effects=(NOTHING_STARTED, Notified(0), ItemWritten('"start-retraining#'))),  # the event's record
    Case("StartRetrainingFunction", "drift_detected.json", "another group's drift is ignored",
         payload={"started": False, "outcome": "ignored"}, logged=("Drift event ignored",), effects=_QUIET,
         mutate=other_group, variant="other-group"),
    Case("StartRetrainingFunction", "drift_detected.json", "a drift event without detail",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET, mutate=drop_detail, variant="malformed"),
    # Ground truth: a label set's marker names its run (docs/model-quality.md); the sample's run never
    # ran here, so the check stops at the run's missing record; the daily sweep finds no marked set.
    Case("CheckModelQualityFunction", "check_model_quality_labels.json",
         "labels for a run this stack never ran: a named error, nothing written or started",
         error="RunNotFound", effects=_QUIET),
    Case("CheckModelQualityFunction", "check_model_quality_labels.json",
         "a marker outside <prefix>/<group>/v<version>/<run id>/ is a named error",
         error="InvalidGroundTruthKey", effects=_QUIET,
         mutate=lambda e: {**e, "detail": {**e["detail"], "object": {"key": "ground-truth/_SUCCESS"}}},
         variant="outside-layout"),
    Case("CheckModelQualityFunction", "check_model_quality_labels.json", "an S3 event without detail",
         error=_INVALID, logged=(_REJECTED_LOG,), effects=_QUIET, mutate=drop_detail, variant="malformed"),
    Case("CheckModelQualityFunction", "schedule_model_quality_sweep.json",
         "the daily sweep: no label set is marked, nothing is checked",
         payload={"status": "swept", "checked": 0, "alreadyChecked": 0, "failed": []}, effects=_QUIET),
    # RetrainOnDataQualityFailure is off by default: the rule is disabled, and an event delivered anyway
    # starts nothing and takes no record.
    Case("StartRetrainingFunction", "sfn_execution_data_quality_failure.json",
         "a DataQualityFailure of a batch run starts nothing while RetrainOnDataQualityFailure is off",
         payload={"started": False, "outcome": "ignored"}, logged=("Batch failure starts no retraining",),
         effects=_QUIET),
)  # fmt: skip
