"""SageMaker Pipelines executed locally: StartPipelineExecution walks the definition's steps.

The definition is SageMaker's pipeline JSON (``"Version": "2020-12-01"``, ``Parameters``, ``Steps``)
as the SageMaker Python SDK writes it. An execution starts ``Executing`` and emits the
``SageMaker Model Building Pipeline Execution Status Change`` event; one pipeline thread then runs
its steps one at a time in dependency order (``DependsOn`` plus every ``Get: Steps.<name>...``
reference), creating the steps' jobs through the SageMaker API, so the job runner executes them and
emits their events; the execution ends ``Succeeded`` or ``Failed`` (with a FailureReason that
names the step) and emits the closing event.

Every call a step makes (creating jobs and models, registering, invoking Lambda steps, reading a
``JsonGet`` file) is signed as the pipeline's ``RoleArn``, and the jobs and models it creates carry
Pipelines' ``sagemaker:pipeline-execution-arn`` and ``sagemaker:pipeline-step-name`` tags.

Steps run: ``Training``, ``Processing``, ``Transform`` (jobs named
``pipelines-<execution id>-<step>-<suffix>``), ``Model`` (CreateModel), ``RegisterModel``
(CreateModelPackage), ``Lambda`` (below), ``Condition`` (Equals, GreaterThan[OrEqualTo],
LessThan[OrEqualTo], In, Not, Or; steps of the branch not taken, and steps depending on them, are
not executed) and ``Fail``.

Lambda steps (``{"Type": "Lambda", "FunctionArn", "Arguments", "OutputParameters": [{"OutputName",
"OutputType"}]}``): the resolved ``Arguments`` object is the event of a synchronous Invoke of
``FunctionArn`` through the Lambda API (in the local cloud: the real handler, in-process). A
function error fails the step (``<errorType>: <errorMessage>``); so does an answer that is not a
JSON object or lacks a declared output. Each declared output is read from the answer's top-level
key of that name and typed as declared (String, Integer, Float, Boolean; a nested object or list
becomes its JSON text, as SageMaker keeps output parameters as strings); undeclared keys are
dropped. Later steps read them as ``{"Get": "Steps.<step>.OutputParameters['<name>']"}``.
Values: ``{"Get": "Parameters.<name>"}`` (String/Integer/Float/Boolean, defaults overridden by the
execution's parameters), ``{"Get": "Execution.PipelineExecutionId"}`` (and ``...Arn``,
``PipelineName``, ``PipelineArn``, ``StartDateTime``, ``CurrentDateTime``),
``{"Get": "Steps.<name>.<property path>"}`` over the step's Describe* response (list items
selected by index or by name, e.g. ``ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri``,
``FinalMetricDataList['validation:auc'].Value``), ``{"Std:Join": ...}`` and ``{"Std:JsonGet": ...}``
on a Processing step's ``PropertyFiles``.
Not supported (the execution fails and names the step): Tuning, Callback, QualityCheck,
ClarifyCheck, EMR, AutoML, Notebook and other step types; processing steps run only what the
job runner runs (Model Monitor's analyzer image, not script containers). Not done: step caching,
retry policies, ParallelismConfiguration (steps run one at a time), step state-change events,
ListPipelineExecutionSteps, StopPipelineExecution.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from datetime import UTC, datetime
from typing import Any, Protocol

from localcloud.sagemaker_jobs import events
from localcloud.sagemaker_jobs.errors import PipelineFailedError
from localcloud.sagemaker_jobs.s3io import S3, S3Location

JOB_STEPS = {
    "Training": ("training", "TrainingJobName"),
    "Processing": ("processing", "ProcessingJobName"),
    "Transform": ("transform", "TransformJobName"),
}
_LIST_KEYS = ("OutputName", "InputName", "ChannelName", "MetricName", "Name")
_PATH_TOKEN = re.compile(r"\.?([A-Za-z0-9_:\-]+)|\[(-?\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class PipelineHost(Protocol):
    """What running a pipeline execution needs from its host (`runner.JobRunner` is one); this
    module knows the host only through it, so the runner imports this module and not the reverse."""

    account: str
    region: str
    poll_interval: float  # seconds between describes of a step's job

    def backend(self) -> Any:
        """moto's SageMaker backend of the host's account and region."""
        ...

    def client_as(self, role_arn: str, service: str) -> Any:
        """A boto3 client that signs as `role_arn` (the pipeline's role), for the calling thread."""
        ...

    def publish(self, event: dict[str, Any]) -> None:
        """Hand an EventBridge event to the host's emitter, in order."""
        ...

    def wait_stopping(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True as soon as the host is stopping."""
        ...


class _RunnerStoppedError(Exception):
    """The runner is stopping: leave the execution as it is, emit nothing."""


def _now() -> datetime:
    return datetime.now(UTC)


def _find(backend: Any, execution_arn: str) -> tuple[Any, Any]:
    for pipeline in backend.pipelines.values():
        if execution_arn in pipeline.pipeline_executions:
            return pipeline, pipeline.pipeline_executions[execution_arn]
    raise KeyError(execution_arn)


def _status_event(
    runner: PipelineHost, pipeline: Any, execution: Any, previous: str | None
) -> dict[str, Any]:
    ended = execution.pipeline_execution_status in ("Succeeded", "Failed", "Stopped")
    return events.pipeline_execution_event(
        pipeline_arn=pipeline.arn,
        execution_arn=execution.arn,
        current=execution.pipeline_execution_status,
        previous=previous,
        start_time=execution.start_time,
        end_time=execution.last_modified_time if ended else None,
        display_name=execution.pipeline_execution_display_name,
        description=execution.pipeline_execution_description,
        account=runner.account,
        region=runner.region,
    )


def accept(runner: PipelineHost, backend: Any, execution_arn: str) -> None:
    """Called as StartPipelineExecution returns: the execution is Executing."""
    pipeline, execution = _find(backend, execution_arn)
    execution.pipeline_execution_status = "Executing"
    execution.pipeline_execution_failure_reason = None
    execution.start_time = execution.last_modified_time = _now()
    runner.publish(_status_event(runner, pipeline, execution, None))


def describe(backend: Any, result: dict[str, Any]) -> dict[str, Any]:
    """DescribePipelineExecution with the FailureReason moto leaves empty."""
    try:
        _, execution = _find(backend, result["PipelineExecutionArn"])
    except KeyError:
        return result
    reason = execution.pipeline_execution_failure_reason
    if reason:
        result["FailureReason"] = reason
    else:
        result.pop("FailureReason", None)
    return result


def run(runner: PipelineHost, execution_arn: str) -> None:
    """Execute the steps on the calling (pipeline) thread and record the outcome."""
    pipeline, execution = _find(runner.backend(), execution_arn)
    reason: str | None = None
    try:
        definition = json.loads(execution.pipeline_definition_for_execution or "{}")
        _Execution(runner, pipeline, execution, definition).run()
    except _RunnerStoppedError:
        return
    except PipelineFailedError as failure:
        status, reason = "Failed", failure.reason
    except json.JSONDecodeError as exc:
        status, reason = "Failed", f"The pipeline definition is not valid JSON: {exc}"
    except Exception as exc:  # noqa: BLE001 - a local-runner bug: the execution fails and says so
        status, reason = "Failed", f"InternalServerError: local pipeline runner: {type(exc).__name__}: {exc}"
    else:
        status = "Succeeded"
    execution.pipeline_execution_status = status
    execution.pipeline_execution_failure_reason = reason
    execution.last_modified_time = _now()
    runner.publish(_status_event(runner, pipeline, execution, "Executing"))


def _typed(kind: str, value: Any, name: str, what: str = "Parameter") -> Any:
    try:
        if kind == "Integer":
            return int(value)
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
    except (TypeError, ValueError) as exc:
        raise PipelineFailedError(f"{what} {name} expects a {kind}, got {value!r}") from exc
    return str(value)


def _walk_path(value: Any, path: str, where: str) -> Any:
    position = 0
    for match in _PATH_TOKEN.finditer(path):
        if match.start() != position:
            break
        position = match.end()
        field, index, quoted, double_quoted = match.groups()
        key = quoted if quoted is not None else double_quoted
        try:
            if field is not None:
                value = value[field]
            elif index is not None:
                value = value[int(index)]
            elif isinstance(value, dict):  # a map selected by key, e.g. OutputParameters['auc']
                value = value[key]
            else:
                value = next(v for v in value if any(v.get(k) == key for k in _LIST_KEYS))
        except (KeyError, IndexError, TypeError, StopIteration) as exc:
            raise PipelineFailedError(f"{where}: property {path!r} not found") from exc
    if position != len(path):
        raise PipelineFailedError(f"{where}: cannot read property path {path!r}")
    return value


def _compare(kind: str, left: Any, right: Any) -> bool:
    if kind == "Equals":
        return bool(left == right)
    try:
        return {
            "GreaterThan": lambda: left > right,
            "GreaterThanOrEqualTo": lambda: left >= right,
            "LessThan": lambda: left < right,
            "LessThanOrEqualTo": lambda: left <= right,
        }[kind]()
    except KeyError as exc:
        raise PipelineFailedError(f"condition type {kind!r} is not supported locally") from exc
    except TypeError as exc:
        raise PipelineFailedError(f"cannot compare {left!r} {kind} {right!r}") from exc


def _job_name(execution_id: str, step: str) -> str:
    clean = re.sub(r"[^a-zA-Z0-9-]", "-", step).strip("-") or "step"
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
    head = f"pipelines-{execution_id}-"
    return f"{head}{clean[: 63 - len(head) - 11]}-{suffix}"


class _Execution:
    def __init__(
        self, runner: PipelineHost, pipeline: Any, execution: Any, definition: dict[str, Any]
    ) -> None:
        self.runner = runner
        self.pipeline = pipeline
        self.execution = execution
        self.execution_id = execution.arn.rsplit("/", 1)[-1]
        self.steps: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.branch: dict[str, tuple[str, bool]] = {}  # nested step -> (condition step, if-branch?)
        self.state: dict[str, str] = {}  # Succeeded | Failed | NotExecuted
        self.properties: dict[str, Any] = {}
        self.parameters = self._parameters(definition.get("Parameters") or [])
        self._collect(definition.get("Steps") or [], None)
        if not self.steps:
            raise PipelineFailedError("The pipeline definition has no steps")

    def _client(self, service: str) -> Any:
        """The steps' calls are the pipeline's: signed as its RoleArn (SageMaker Developer Guide,
        "IAM Access Management" for Pipelines), as the jobs' own reads and writes are their role's."""
        return self.runner.client_as(self.pipeline.role_arn, service)

    def _step_tags(self, step: str) -> list[dict[str, str]]:
        # What Pipelines puts on the jobs and models its steps create.
        return [
            {"Key": "sagemaker:pipeline-execution-arn", "Value": self.execution.arn},
            {"Key": "sagemaker:pipeline-step-name", "Value": step},
        ]

    # ------------------------------------------------------------ definition
    def _parameters(self, declared: list[dict[str, Any]]) -> dict[str, Any]:
        kinds = {p["Name"]: p.get("Type", "String") for p in declared}
        values = {p["Name"]: p.get("DefaultValue") for p in declared}
        for given in self.execution.pipeline_parameters or []:
            if given["Name"] not in kinds:
                raise PipelineFailedError(f"Parameter {given['Name']} is not declared by the pipeline")
            values[given["Name"]] = given["Value"]
        missing = [name for name, value in values.items() if value is None]
        if missing:
            raise PipelineFailedError(f"No value for parameter(s) {', '.join(missing)}")
        return {name: _typed(kinds[name], value, name) for name, value in values.items()}

    def _collect(self, steps: list[dict[str, Any]], branch: tuple[str, bool] | None) -> None:
        for step in steps:
            name = step.get("Name")
            if not name or name in self.steps:
                raise PipelineFailedError(f"Step names must be present and unique (got {name!r})")
            self.steps[name] = step
            self.order.append(name)
            if branch:
                self.branch[name] = branch
            if step.get("Type") == "Condition":
                arguments = step.get("Arguments") or {}
                self._collect(arguments.get("IfSteps") or [], (name, True))
                self._collect(arguments.get("ElseSteps") or [], (name, False))

    def _references(self, value: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(value, dict):
            get = value.get("Get")
            if isinstance(get, str) and get.startswith("Steps."):
                found.add(get.split(".", 2)[1])
            for key, item in value.items():
                if key not in ("IfSteps", "ElseSteps"):
                    found |= self._references(item)
        elif isinstance(value, list):
            for item in value:
                found |= self._references(item)
        return found

    def _dependencies(self, name: str) -> set[str]:
        step = self.steps[name]
        deps = set(step.get("DependsOn") or []) | self._references(
            [step.get("Arguments") or {}, step.get("FunctionArn")]
        )
        if name in self.branch:
            deps.add(self.branch[name][0])
        unknown = deps - set(self.steps)
        if unknown:
            raise PipelineFailedError(f"Step {name} depends on unknown step(s) {sorted(unknown)}")
        return deps

    # ------------------------------------------------------------ values
    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [self.resolve(v, where) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Get"}:
            return self._get(str(value["Get"]), where)
        if set(value) == {"Std:Join"}:
            spec = value["Std:Join"]
            return str(spec.get("On", "")).join(_text(self.resolve(v, where)) for v in spec.get("Values", []))
        if set(value) == {"Std:JsonGet"}:
            return self._json_get(value["Std:JsonGet"], where)
        resolved = {k: self.resolve(v, where) for k, v in value.items()}
        for stringly in ("HyperParameters", "Environment"):
            if isinstance(resolved.get(stringly), dict):
                resolved[stringly] = {k: _text(v) for k, v in resolved[stringly].items()}
        return resolved

    def _get(self, path: str, where: str) -> Any:
        head, _, rest = path.partition(".")
        if head == "Parameters":
            if rest not in self.parameters:
                raise PipelineFailedError(f"{where}: unknown parameter {rest!r}")
            return self.parameters[rest]
        if head == "Execution":
            now = _now()
            known = {
                "PipelineExecutionId": self.execution_id,
                "PipelineExecutionArn": self.execution.arn,
                "PipelineName": self.pipeline.pipeline_name,
                "PipelineArn": self.pipeline.arn,
                "StartDateTime": events.iso(self.execution.start_time),
                "CurrentDateTime": events.iso(now),
            }
            if rest not in known:
                raise PipelineFailedError(f"{where}: unknown execution variable {rest!r}")
            return known[rest]
        if head == "Steps":
            step, _, prop = rest.partition(".")
            if step not in self.properties:
                raise PipelineFailedError(f"{where}: step {step} has not produced properties")
            return _walk_path(self.properties[step], prop, where) if prop else self.properties[step]
        raise PipelineFailedError(f"{where}: cannot resolve {path!r}")

    def _json_get(self, spec: dict[str, Any], where: str) -> Any:
        ref = spec.get("PropertyFile")
        ref_path = ref.get("Get", "") if isinstance(ref, dict) else ""
        match = re.fullmatch(r"Steps\.([^.]+)\.PropertyFiles\.(.+)", ref_path)
        if not match:
            raise PipelineFailedError(f"{where}: Std:JsonGet needs a step's property file, got {ref!r}")
        step_name, file_name = match.groups()
        step = self.steps.get(step_name) or {}
        files = {f.get("PropertyFileName"): f for f in step.get("PropertyFiles") or []}
        if file_name not in files or step_name not in self.properties:
            raise PipelineFailedError(f"{where}: no property file {file_name} from step {step_name}")
        declared = files[file_name]
        outputs = self.properties[step_name].get("ProcessingOutputConfig", {}).get("Outputs", [])
        output = next((o for o in outputs if o.get("OutputName") == declared.get("OutputName")), None)
        if output is None:
            raise PipelineFailedError(f"{where}: step {step_name} has no output {declared.get('OutputName')}")
        location = S3Location.parse(output["S3Output"]["S3Uri"]).child(declared.get("FilePath", ""))
        try:
            document = json.loads(S3(self._client("s3")).read(location))
        except json.JSONDecodeError as exc:
            raise PipelineFailedError(f"{where}: property file {location.uri} is not JSON") from exc
        return _walk_path(document, str(self.resolve(spec.get("Path", ""), where)), where)

    def _condition(self, condition: dict[str, Any], where: str) -> bool:
        kind = condition.get("Type")
        if kind == "Not":
            return not self._condition(condition["Expression"], where)
        if kind == "Or":
            return any(self._condition(c, where) for c in condition.get("Conditions", []))
        if kind == "In":
            query = self.resolve(condition.get("QueryValue"), where)
            return query in self.resolve(condition.get("Values", []), where)
        left = self.resolve(condition.get("LeftValue"), where)
        right = self.resolve(condition.get("RightValue"), where)
        return _compare(str(kind), left, right)

    # ------------------------------------------------------------ running
    def run(self) -> None:
        dependencies = {name: self._dependencies(name) for name in self.order}
        while len(self.state) < len(self.order):
            ready = [
                name
                for name in self.order
                if name not in self.state and all(dep in self.state for dep in dependencies[name])
            ]
            if not ready:
                waiting = [name for name in self.order if name not in self.state]
                raise PipelineFailedError(f"Steps {waiting} wait on each other (a dependency cycle)")
            name = ready[0]
            if self._skipped(name, dependencies[name]):
                self.state[name] = "NotExecuted"
                continue
            self.state[name] = "Executing"
            self._run_step(name, self.steps[name])
            self.state[name] = "Succeeded"

    def _skipped(self, name: str, deps: set[str]) -> bool:
        if any(self.state[dep] == "NotExecuted" for dep in deps):
            return True
        if name in self.branch:
            condition, if_branch = self.branch[name]
            return bool(self.properties[condition]["Outcome"]) != if_branch
        return False

    def _run_step(self, name: str, step: dict[str, Any]) -> None:
        kind = step.get("Type")
        where = f"Step {name} ({kind})"
        sagemaker = self._client("sagemaker")
        if kind == "Condition":
            conditions = (step.get("Arguments") or {}).get("Conditions") or []
            self.properties[name] = {"Outcome": all(self._condition(c, where) for c in conditions)}
            return
        if kind == "Fail":
            message = self.resolve((step.get("Arguments") or {}).get("ErrorMessage", ""), where)
            raise PipelineFailedError(f"{where}: {message}")
        arguments = self.resolve(step.get("Arguments") or {}, where)
        try:
            if kind in JOB_STEPS:
                self.properties[name] = self._run_job(kind, name, arguments, where)
            elif kind == "Model":
                model_name = _job_name(self.execution_id, name)
                tags = [*arguments.pop("Tags", []), *self._step_tags(name)]
                sagemaker.create_model(ModelName=model_name, **arguments, Tags=tags)
                self.properties[name] = sagemaker.describe_model(ModelName=model_name)
            elif kind == "RegisterModel":
                arn = sagemaker.create_model_package(**arguments)["ModelPackageArn"]
                self.properties[name] = sagemaker.describe_model_package(ModelPackageName=arn)
            elif kind == "Lambda":
                function_arn = self.resolve(step.get("FunctionArn"), where)
                outputs = self._invoke(function_arn, arguments, step.get("OutputParameters") or [], where)
                self.properties[name] = {"OutputParameters": outputs}
            else:
                raise PipelineFailedError(f"{where}: the local pipeline runner does not run {kind} steps")
        except PipelineFailedError:
            raise
        except Exception as exc:  # API or parameter validation errors end the step
            raise PipelineFailedError(f"{where} failed: {type(exc).__name__}: {exc}") from exc

    def _invoke(
        self, function_arn: Any, event: dict[str, Any], declared: list[dict[str, Any]], where: str
    ) -> dict[str, Any]:
        if not isinstance(function_arn, str) or not function_arn:
            raise PipelineFailedError(f"{where}: FunctionArn must be a function ARN, got {function_arn!r}")
        response = self._client("lambda").invoke(
            FunctionName=function_arn, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        raw = response["Payload"].read().decode("utf-8", errors="replace")
        try:
            answer = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            answer = raw
        if response.get("FunctionError"):
            body = answer if isinstance(answer, dict) else {}
            error_type = body.get("errorType", response["FunctionError"])
            raise PipelineFailedError(
                f"{where}: function {function_arn} failed: {error_type}: {body.get('errorMessage', raw)}"
            )
        if not isinstance(answer, dict):
            raise PipelineFailedError(
                f"{where}: function {function_arn} must return a JSON object, returned {raw[:200]!r}"
            )
        outputs: dict[str, Any] = {}
        for output in declared:
            output_name = str(output.get("OutputName"))
            if output_name not in answer:
                raise PipelineFailedError(
                    f"{where}: function {function_arn} returned no output {output_name!r} "
                    f"(returned: {sorted(answer)})"
                )
            value = answer[output_name]
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            kind = str(output.get("OutputType", "String"))
            outputs[output_name] = _typed(kind, value, output_name, f"{where}: output")
        return outputs

    def _run_job(self, kind: str, name: str, arguments: dict[str, Any], where: str) -> dict[str, Any]:
        job_kind, name_key = JOB_STEPS[kind]
        sagemaker = self._client("sagemaker")
        job_name = _job_name(self.execution_id, name)
        getattr(sagemaker, f"create_{job_kind}_job")(
            **{name_key: job_name, **arguments, "Tags": [*arguments.get("Tags", []), *self._step_tags(name)]}
        )
        status_key = f"{job_kind.capitalize()}JobStatus"
        while True:
            described: dict[str, Any] = getattr(sagemaker, f"describe_{job_kind}_job")(**{name_key: job_name})
            status = described[status_key]
            if status == "Completed":
                return described
            if status in ("Failed", "Stopped"):
                raise PipelineFailedError(
                    f"{where}: job {job_name} {status}: {described.get('FailureReason', 'no reason given')}"
                )
            if self.runner.wait_stopping(self.runner.poll_interval):
                raise _RunnerStoppedError


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
