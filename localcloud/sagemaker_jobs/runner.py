"""The local SageMaker job runner: jobs move InProgress -> Completed/Failed in the background."""

from __future__ import annotations

import copy
import inspect
import logging
import math
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

from localcloud.sagemaker_jobs import events, hooks, pipeline, xgboost_algo
from localcloud.sagemaker_jobs.errors import JobFailedError, UnsupportedImageError
from localcloud.sagemaker_jobs.s3io import S3

logger = logging.getLogger(__name__)

Event = dict[str, Any]
ClientFactory = Callable[[str], Any]


class Faults(Protocol):
    def job_failure_for(self, job_name: str) -> str | None: ...


_JOB_KINDS = ("training", "transform", "processing")
_TERMINAL = ("Completed", "Failed", "Stopped")


def _now() -> datetime:
    return datetime.now(UTC)


class JobRunner:
    """Runs SageMaker jobs created in moto for real, on one worker thread.

    ``emit(event)`` receives complete EventBridge events (see ``events``). ``faults`` may say that a
    named job fails (``job_failure_for(name) -> reason | None``). ``client_factory(service)``
    makes the boto3 clients the jobs use (default: a boto3 client of ``region``; moto intercepts
    it while a mock is active).

    Lifecycle: ``install()`` hooks moto, ``start()`` starts the threads, ``stop()`` joins them,
    ``uninstall()`` removes the hooks; ``with JobRunner(...) as runner:`` does all four.
    Jobs created before ``start()`` wait InProgress in the queue. ``wait_idle(timeout)`` returns
    True once every queued job, pipeline execution and event has been handled.
    """

    def __init__(  # noqa: PLR0917 - the documented interface takes these positionally too
        self,
        emit: Callable[[Event], None],
        faults: Faults | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
        poll_interval: float = 0.2,
        client_factory: ClientFactory | None = None,
        role_credentials: Callable[[str], dict[str, str]] | None = None,
    ) -> None:
        self.emit = emit
        self.faults = faults
        self.region = region
        self.account = account
        self.poll_interval = poll_interval
        self._client_factory = client_factory or self._default_client
        # role ARN -> boto3 client kwargs: a job reads and writes S3 as the role it runs as; None:
        # the default credentials (the runner used alone, without the local cloud's IAM).
        self.role_credentials = role_credentials
        self._jobs: queue.Queue[tuple[str, str]] = queue.Queue()
        self._pipelines: queue.Queue[str] = queue.Queue()
        self._events: queue.Queue[Event] = queue.Queue()
        self._outstanding = 0
        self._idle = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._local = threading.local()
        self._installed = False
        # StartPipelineExecution: find-by-token and create are one step (concurrent repeats)
        self._start_pipeline_lock = threading.Lock()

    # ---------------------------------------------------------------- lifecycle
    def install(self) -> JobRunner:
        hooks.register(self)
        self._installed = True
        return self

    def uninstall(self) -> None:
        if self._installed:
            hooks.unregister(self)
            self._installed = False

    def start(self) -> JobRunner:
        if self._threads:
            return self
        self._stopping.clear()
        for name, target in (
            ("jobs", self._job_worker),
            ("pipelines", self._pipeline_worker),
            ("events", self._event_worker),
        ):
            thread = threading.Thread(target=target, name=f"localcloud-sagemaker-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def __enter__(self) -> JobRunner:
        self.install()
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self.uninstall()

    def wait_idle(self, timeout: float = 60.0) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    # ---------------------------------------------------------------- plumbing
    def _default_client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session().client(service, region_name=self.region)

    def client(self, service: str) -> Any:
        """A client for the calling thread (boto3 sessions are not thread-safe)."""
        cache = self._local.__dict__.setdefault("clients", {})
        if service not in cache:
            cache[service] = self._client_factory(service)
        return cache[service]

    def client_as(self, role_arn: str, service: str) -> Any:
        """A client that signs as `role_arn` (a job's execution role), for the calling thread."""
        if self.role_credentials is None or not role_arn:
            return self.client(service)
        cache = self._local.__dict__.setdefault("role_clients", {})
        if (role_arn, service) not in cache:
            import boto3

            cache[(role_arn, service)] = boto3.session.Session(**self.role_credentials(role_arn)).client(
                service, region_name=self.region
            )
        return cache[(role_arn, service)]

    def backend(self) -> Any:
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[self.account][self.region]

    def _add_work(self) -> None:
        with self._idle:
            self._outstanding += 1

    def _work_done(self) -> None:
        with self._idle:
            self._outstanding -= 1
            self._idle.notify_all()

    def publish(self, event: Event) -> None:
        """Hand `event` to the emitter thread (in order); counted as work until it is emitted."""
        self._add_work()
        self._events.put(event)

    def wait_stopping(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True as soon as the runner is stopping."""
        return self._stopping.wait(timeout)

    def _loop(self, source: queue.Queue[Any], handle: Callable[[Any], None]) -> None:
        while not self._stopping.is_set():
            try:
                item = source.get(timeout=self.poll_interval)
            except queue.Empty:
                continue
            try:
                handle(item)
            except Exception:  # a bug in one item must not stop the worker
                logger.exception("local SageMaker runner: handling %r failed", item)
            finally:
                self._work_done()

    def _event_worker(self) -> None:
        self._loop(self._events, self.emit)

    def _job_worker(self) -> None:
        # A boto3 client costs ~0.5 s per service per thread, importing xgboost ~0.3 s: pay before the
        # first job. A failure here is met again, and reported, by the first job that needs it.
        try:
            import xgboost  # noqa: F401

            for service in ("s3", "sagemaker"):
                self.client(service)
        except Exception:
            logger.debug("local SageMaker runner: warm-up failed", exc_info=True)
        self._loop(self._jobs, lambda item: self._run_job(*item))

    def _pipeline_worker(self) -> None:
        self._loop(self._pipelines, self._run_pipeline)

    # ---------------------------------------------------------------- job state
    def _job(self, kind: str, name: str) -> Any:
        return getattr(self.backend(), f"{kind}_jobs").get(name)

    def _describe(self, kind: str, name: str) -> dict[str, Any]:
        described: dict[str, Any] = getattr(self.backend(), f"describe_{kind}_job")(name)
        return copy.deepcopy(described)

    def _emit_job_event(self, kind: str, name: str) -> None:
        described = self._describe(kind, name)
        build = {
            "training": events.training_job_event,
            "transform": events.transform_job_event,
            "processing": events.processing_job_event,
        }[kind]
        self.publish(build(described, account=self.account, region=self.region))

    @staticmethod
    def _status(kind: str, job: Any) -> str:
        return str(getattr(job, f"{kind}_job_status"))

    def _set_status(self, kind: str, job: Any, status: str, *, reason: str | None = None) -> None:
        now = _now()
        setattr(job, f"{kind}_job_status", status)
        job.last_modified_time = now
        if reason is not None:
            job.failure_reason = reason
        if kind == "training":
            secondary = {"InProgress": "Training"}.get(status, status)
            transitions = job.secondary_status_transitions
            if transitions and "EndTime" not in transitions[-1]:
                transitions[-1]["EndTime"] = now
            message = reason or {
                "Training": "Training job in progress",
                "Completed": "Training job completed",
            }.get(secondary, secondary)
            transitions.append({"Status": secondary, "StartTime": now, "StatusMessage": message})
            if status in _TERMINAL:
                transitions[-1]["EndTime"] = now
            job.secondary_status = secondary
        if status in _TERMINAL:
            setattr(job, f"{kind}_end_time", now)

    def _accept_job(
        self, kind: str, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        from moto.sagemaker.exceptions import ResourceInUseException

        name = str(kwargs.get(f"{kind}_job_name") or (args[0] if args else ""))
        if name in getattr(backend, f"{kind}_jobs"):
            raise ResourceInUseException(
                f"{kind.capitalize()} job names must be unique within an AWS account and region, "
                f"and a {kind} job with this name already exists ({name})"
            )
        job = original(backend, *args, **kwargs)
        now = _now()
        setattr(job, f"{kind}_job_status", "InProgress")
        job.creation_time = job.last_modified_time = now
        setattr(job, f"{kind}_end_time", None)
        job.failure_reason = None
        if kind == "training":
            job.secondary_status = "Starting"
            job.secondary_status_transitions = [
                {
                    "Status": "Starting",
                    "StartTime": now,
                    "StatusMessage": "Preparing the instances for training",
                }
            ]
            job.training_start_time = None
            job.model_artifacts = None
            job.final_metric_data_list = None
            # moto adds a made-up metric definition; keep only what the request gave.
            spec = job.algorithm_specification or {}
            if [m.get("Name") for m in spec.get("MetricDefinitions") or []] == ["test:dcg"]:
                spec.pop("MetricDefinitions")
        elif kind == "transform":
            job.transform_start_time = None
            # SageMaker's defaults when the request leaves them out (1 concurrent transform
            # without execution parameters, 6 MB payloads, MultiRecord for the built-in XGBoost).
            job.max_concurrent_transforms = job.max_concurrent_transforms or 1
            job.max_payload_in_mb = job.max_payload_in_mb or 6
            job.batch_strategy = job.batch_strategy or "MultiRecord"
        else:
            job.processing_start_time = None
            extras = getattr(hooks.request_extras, "processing", None) or {}
            job.environment = extras.get("Environment") or {}
            job.processing_resources = extras.get("ProcessingResources")
        self._emit_job_event(kind, name)
        self._add_work()
        self._jobs.put((kind, name))
        return job

    def _on_create_training_job(
        self, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        return self._accept_job("training", original, backend, *args, **kwargs)

    def _on_create_transform_job(
        self, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        return self._accept_job("transform", original, backend, *args, **kwargs)

    def _on_create_processing_job(
        self, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        return self._accept_job("processing", original, backend, *args, **kwargs)

    def _run_job(self, kind: str, name: str) -> None:
        job = self._job(kind, name)
        if job is None:
            logger.warning("local SageMaker runner: %s job %s vanished before it ran", kind, name)
            return
        if self._status(kind, job) in ("Stopping", "Stopped"):
            self._set_status(kind, job, "Stopped")
            self._emit_job_event(kind, name)
            return
        setattr(job, f"{kind}_start_time", _now())
        if kind == "training":
            self._set_status(kind, job, "InProgress")
        # Faults.hold_job: the job stays InProgress until it is stopped or the hold is released.
        held = getattr(self.faults, "job_held", None)
        while held is not None and held(name) and not self._stopping.is_set():
            if self._status(kind, job) == "Stopping":
                break
            self._stopping.wait(0.05)
        if self._status(kind, job) == "Stopping":
            self._finish(kind, job, name, "Stopped")
            return
        reason = self.faults.job_failure_for(name) if self.faults is not None else None
        if reason:
            self._finish(kind, job, name, "Failed", reason=reason)
            return
        try:
            apply = {"training": self._train, "transform": self._transform, "processing": self._process}[kind]
            apply(job, self._describe(kind, name))
        except JobFailedError as failure:
            self._finish(kind, job, name, "Failed", reason=failure.reason)
        except Exception as exc:  # the job fails, as an algorithm error would in SageMaker
            logger.exception("local SageMaker runner: %s job %s raised", kind, name)
            self._finish(kind, job, name, "Failed", reason=f"AlgorithmError: {type(exc).__name__}: {exc}")
        else:
            self._finish(kind, job, name, "Completed")

    def _finish(self, kind: str, job: Any, name: str, status: str, *, reason: str | None = None) -> None:
        if self._status(kind, job) in ("Stopping", "Stopped"):
            status, reason = "Stopped", None
        self._set_status(kind, job, status, reason=reason)
        self._emit_job_event(kind, name)

    # ---------------------------------------------------------------- the work
    def _train(self, job: Any, described: dict[str, Any]) -> None:
        started = _now()
        outcome = xgboost_algo.train(described, S3(self.client_as(described.get("RoleArn", ""), "s3")))
        job.model_artifacts = {"S3ModelArtifacts": outcome.model_data_url}
        job.final_metric_data_list = outcome.metrics
        # Wall time of the local run (at least 1 s, SageMaker's unit).
        seconds = max(1, math.ceil((_now() - started).total_seconds()))
        job.training_time_in_seconds = job.billable_time_in_seconds = seconds

    def model_container(self, model_name: str) -> tuple[str, str]:
        """(image, model data URL) of a model, through its model package when it names one."""
        sagemaker = self.client("sagemaker")
        try:
            model = sagemaker.describe_model(ModelName=model_name)
        except sagemaker.exceptions.ClientError as exc:
            raise JobFailedError(f"ClientError: cannot describe model {model_name!r}: {exc}") from exc
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        if container.get("ModelPackageName"):
            try:
                package = sagemaker.describe_model_package(ModelPackageName=container["ModelPackageName"])
            except sagemaker.exceptions.ClientError as exc:
                raise JobFailedError(
                    f"ClientError: cannot describe model package {container['ModelPackageName']!r}: {exc}"
                ) from exc
            spec = (package.get("InferenceSpecification") or {}).get("Containers") or [{}]
            container = {**spec[0], **{k: v for k, v in container.items() if k == "Environment"}}
        image = str(container.get("Image") or "")
        url = str(container.get("ModelDataUrl") or "")
        if not xgboost_algo.is_xgboost_image(image):
            raise UnsupportedImageError(image or "(no image)")
        if not url:
            raise JobFailedError(f"ClientError: model {model_name!r} has no ModelDataUrl")
        return image, url

    def _transform(self, job: Any, described: dict[str, Any]) -> None:
        _, model_data_url = self.model_container(described["ModelName"])
        role = str(
            self.client("sagemaker")
            .describe_model(ModelName=described["ModelName"])
            .get("ExecutionRoleArn", "")
        )
        xgboost_algo.transform(described, model_data_url, S3(self.client_as(role, "s3")))

    def _process(self, job: Any, described: dict[str, Any]) -> None:
        from localcloud.sagemaker_jobs import analyzer

        analyzer.run(described, S3(self.client_as(described.get("RoleArn", ""), "s3")))

    # ---------------------------------------------------------------- model packages
    def _describe_package(self, backend: Any, arn: str) -> dict[str, Any]:
        described: dict[str, Any] = backend.describe_model_package(arn).gen_response_object()
        return copy.deepcopy(described)

    def _on_create_model_package(
        self, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        arn = original(backend, *args, **kwargs)
        described = self._describe_package(backend, arn)
        self.publish(events.model_package_event(described, account=self.account, region=self.region))
        return arn

    def _on_update_model_package(
        self, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        call = inspect.signature(original).bind(backend, *args, **kwargs).arguments
        model_package_arn = call["model_package_arn"]
        model_approval_status = call.get("model_approval_status")
        approval_description = call.get("approval_description")
        customer_metadata_properties = call.get("customer_metadata_properties")
        customer_metadata_properties_to_remove = call.get("customer_metadata_properties_to_remove") or []
        additional_inference_specifications_to_add = call.get("additional_inference_specifications_to_add")
        before = self._describe_package(backend, model_package_arn)
        # moto overwrites fields the request leaves out; UpdateModelPackage changes only what it names.
        merged_properties = None
        if customer_metadata_properties is not None or before.get("CustomerMetadataProperties"):
            merged_properties = {
                **(before.get("CustomerMetadataProperties") or {}),
                **(customer_metadata_properties or {}),
            }
        arn = original(
            backend,
            model_package_arn=model_package_arn,
            model_approval_status=model_approval_status or before.get("ModelApprovalStatus"),
            approval_description=(
                approval_description
                if approval_description is not None
                else before.get("ApprovalDescription")
            ),
            customer_metadata_properties=merged_properties,
            customer_metadata_properties_to_remove=customer_metadata_properties_to_remove,
            additional_inference_specifications_to_add=additional_inference_specifications_to_add,
        )
        after = self._describe_package(backend, arn)
        updated = [
            field
            for field in (
                "ModelApprovalStatus",
                "ApprovalDescription",
                "CustomerMetadataProperties",
                "AdditionalInferenceSpecifications",
            )
            if before.get(field) != after.get(field)
        ]
        self.publish(
            events.model_package_event(
                after, account=self.account, region=self.region, updated_fields=updated
            )
        )
        return arn

    # ---------------------------------------------------------------- pipelines
    def _on_start_pipeline_execution(
        self, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """As AWS (and not moto): a repeated ClientRequestToken for the pipeline returns the execution
        that token started, and starts nothing."""
        call = inspect.signature(original).bind(backend, *args, **kwargs).arguments
        token = call.get("client_request_token")
        with self._start_pipeline_lock:
            existing = self._execution_for_token(backend, call["pipeline_name"], token) if token else None
            if existing is not None:
                logger.info("StartPipelineExecution: token %s already started %s", token, existing)
                return {"PipelineExecutionArn": existing}
            result = original(backend, *args, **kwargs)
        execution_arn = result["PipelineExecutionArn"]
        pipeline.accept(self, backend, execution_arn)
        self._add_work()
        self._pipelines.put(execution_arn)
        return result

    @staticmethod
    def _execution_for_token(backend: Any, pipeline_name: str, token: str) -> str | None:
        found = backend.pipelines.get(pipeline_name)  # an unknown pipeline: moto's own error follows
        if found is None:
            return None
        for arn, execution in found.pipeline_executions.items():
            if execution.client_request_token == token:
                return str(arn)
        return None

    def _on_describe_pipeline_execution(
        self, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any
    ) -> Any:
        result = original(backend, *args, **kwargs)
        return pipeline.describe(backend, result)

    def _run_pipeline(self, execution_arn: str) -> None:
        pipeline.run(self, execution_arn)
