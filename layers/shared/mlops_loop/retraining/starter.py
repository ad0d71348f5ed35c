"""Start a retraining run at most once per episode, with at most one run in flight per group.

Three records in the state table (partition key `id`, TTL attribute `expiration`) make that so:

* the **lock** `retraining-lock#<group>`: put with a condition (absent or expired), holding the
  execution name of the run that owns it, when it was taken and, once started, the run's ARN.
  The retraining state machine deletes it at the end (success or failure, condition: it still
  holds it). A lock whose run has ended without releasing it (ABORTED, TIMED_OUT, or a SageMaker
  Pipeline run, which cannot touch DynamoDB) is taken over by the next request after checking that
  run's status; the TTL is only the last resort.
* the **episode marker** `retraining-episode#<group>#<episode>`: written once a run was started for
  the episode; every later delivery of the same episode starts nothing.
* the run's own **deterministic name** `retrain-<episode>`: StartExecution with the same name and
  input is idempotent in Step Functions, and a closed run with that name gives
  ExecutionAlreadyExists; SageMaker Pipelines get a deterministic ClientRequestToken.

Concurrent deliveries of one episode race on the lock's conditional put: one wins and starts, the
others find the lock held under their own name without a run ARN yet and start nothing.

The table and the targets are ports (mlops_loop.ports: StateTable, Workflows); the DynamoDB, Step
Functions and SageMaker adapters are in mlops_loop.adapters, the unit tests' fakes in tests/support/fakes.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlops_loop import adapters
from mlops_loop.models.retraining import Outcome, RetrainingInput, RetrainingReason, StartResult, TargetKind
from mlops_loop.observability import logger
from mlops_loop.ports import ExecutionAlreadyExists, Item, PipelineStart
from mlops_loop.retraining import names
from mlops_loop.retraining.errors import RetrainingTargetNotConfigured
from mlops_loop.retraining.training import PIPELINE_PARAMETER_NAMES, QUALITY_GATE_PARAMETER

if TYPE_CHECKING:
    from mlops_loop.ports import StateTable, Workflows

LOCK_TTL_SECONDS = 24 * 3600  # last-resort expiry; the state machine times out after 4 h
START_GRACE_SECONDS = 900  # a starter may hold the lock this long before it records the run (Lambda max)
EPISODE_TTL_SECONDS = 90 * 24 * 3600  # Step Functions keeps closed execution names for 90 days

Reason = RetrainingReason

NONE_VALUE = "none"  # for absent lineage fields (CustomerMetadataProperties and pipeline parameters)


@dataclass(frozen=True)
class RetrainingRequest:
    """Why and what to retrain. `group` is the configured group (name or ARN)."""

    reason: Reason
    episode_id: str
    group: str
    training_data_s3_uri: str
    source_execution_arn: str | None = None
    base_model_package_arn: str | None = None

    @property
    def execution_name(self) -> str:
        return names.execution_name(self.episode_id)

    def state_machine_input(self) -> RetrainingInput:
        return RetrainingInput(
            run_id=self.execution_name,
            reason=self.reason,
            episode_id=self.episode_id,
            model_package_group_name=self.group,
            training_data_s3_uri=self.training_data_s3_uri,
            source_execution_arn=self.source_execution_arn or NONE_VALUE,
            base_model_package_arn=self.base_model_package_arn or NONE_VALUE,
        )

    def input_json(self) -> str:
        """Byte-identical for every delivery of the episode (StartExecution's idempotency needs it)."""
        body = {k: v for k, v in self.state_machine_input().dump().items() if v is not None}
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    def pipeline_parameters(self, *, quality_gate_min_auc: float) -> list[dict[str, str]]:
        """The run's lineage parameters and the AUC the pipeline's QualityGate step asks for."""
        values = self.state_machine_input().dump()
        by_name = {
            "RunId": values["runId"],
            "Reason": values["reason"],
            "EpisodeId": values["episodeId"],
            "ModelPackageGroupName": values["modelPackageGroupName"],
            "TrainingDataS3Uri": values["trainingDataS3Uri"],
            "SourceExecutionArn": values["sourceExecutionArn"],
            "BaseModelPackageArn": values["baseModelPackageArn"],
        }
        return [
            *({"Name": name, "Value": str(by_name[name])} for name in PIPELINE_PARAMETER_NAMES),
            {"Name": QUALITY_GATE_PARAMETER, "Value": str(quality_gate_min_auc)},
        ]


class RetrainingStarter:
    """Starts the retraining state machine, or the SageMaker Pipeline when `pipeline_name` is set.

    `quality_gate_min_auc` (the stack's QualityGateMinAuc) is passed to a pipeline; the state
    machine has the gate in its definition. `pipeline_max_parallel_steps` is each pipeline run's
    ParallelismConfiguration (as the seed's ACK PipelineExecution sets it). `table` and `workflows`
    default to the AWS adapters.
    """

    def __init__(
        self,
        *,
        table_name: str,
        state_machine_arn: str | None = None,
        pipeline_name: str = "",
        quality_gate_min_auc: float | None = None,
        pipeline_max_parallel_steps: int = 2,
        clock: Callable[[], float] | None = None,
        table: StateTable | None = None,
        workflows: Workflows | None = None,
    ) -> None:
        if not pipeline_name and not state_machine_arn:
            raise RetrainingTargetNotConfigured(
                "set RETRAINING_STATE_MACHINE_ARN (built-in workflow) or RETRAINING_PIPELINE_NAME"
            )
        if pipeline_name and quality_gate_min_auc is None:
            raise RetrainingTargetNotConfigured(
                "a SageMaker Pipeline target needs QUALITY_GATE_MIN_AUC (the stack's quality gate)"
            )
        self.quality_gate_min_auc = quality_gate_min_auc
        self.pipeline_max_parallel_steps = pipeline_max_parallel_steps
        self.table_name = table_name
        self.state_machine_arn = state_machine_arn
        self.pipeline_name = pipeline_name
        self.target: TargetKind = "pipeline" if pipeline_name else "state_machine"
        self._clock = clock or time.time
        self._table = table or adapters.state_table(table_name)
        self._workflows = workflows or adapters.workflows()

    # --- public ---------------------------------------------------------------------------

    def start(self, request: RetrainingRequest) -> StartResult:
        name = request.execution_name
        now = int(self._clock())
        marker = self._table.get(names.episode_key(request.group, request.episode_id))
        if marker is not None:
            return self._result(
                False,
                "duplicate",
                name,
                _text(marker.get("executionArn")),
                None,
                "this episode already started a retraining run",
            )

        lock = self._acquire(request, now)
        if isinstance(lock, StartResult):
            return lock

        try:
            arn, outcome = self._start_run(request)
        except Exception:
            # Nothing was started: give the lock back so a redelivery can try again.
            self._release(request.group, name, only_if_unstarted=True)
            raise
        if outcome == "already_ran":
            self._release(request.group, name, only_if_unstarted=False)
        else:
            self._record_run(request.group, name, arn)
        self._mark_episode(request, arn, now)
        if outcome == "started":
            logger.info(
                "Retraining started",
                extra={
                    "executionName": name,
                    "executionArn": arn,
                    "target": self.target,
                    "reason": request.reason,
                },
            )
            return self._result(True, "started", name, arn, name, "")
        detail = (
            "a run with this name is already running"
            if outcome == "duplicate"
            else "a run with this name already ran; nothing started"
        )
        return self._result(False, outcome, name, arn, name if outcome == "duplicate" else None, detail)

    # --- lock -----------------------------------------------------------------------------

    def _acquire(self, request: RetrainingRequest, now: int) -> Item | StartResult:  # noqa: PLR0911
        name = request.execution_name
        key = names.lock_key(request.group)
        item: Item = {
            "id": key,
            "holder": name,
            "episodeId": request.episode_id,
            "reason": request.reason,
            "target": self.target,
            "acquiredAt": now,
            "expiration": now + LOCK_TTL_SECONDS,
        }
        if self._table.put_if_absent(item, or_expired_before=now):
            return item
        current = self._table.get(key)
        if current is None:  # released between our put and our read: try once more
            return self._acquire_or_in_flight(request, item)
        holder = str(current.get("holder", ""))
        run_arn = _text(current.get("executionArn"))
        acquired_at = int(current.get("acquiredAt", 0))
        if holder == name:
            if run_arn or now - acquired_at < START_GRACE_SECONDS:
                return self._result(
                    False,
                    "duplicate",
                    name,
                    run_arn,
                    holder,
                    "another delivery of this episode holds the lock and starts the run",
                )
        elif run_arn:
            if self._is_running(str(current.get("target", "state_machine")), run_arn):
                return self._result(
                    False, "in_flight", name, None, holder, f"retraining {holder} is in flight for this group"
                )
        elif now - acquired_at < START_GRACE_SECONDS:
            return self._result(
                False, "in_flight", name, None, holder, f"retraining {holder} is being started for this group"
            )
        # The holder's run has ended (or its starter died): take the lock over, if nobody else did.
        logger.warning(
            "Taking over a stale retraining lock", extra={"previousHolder": holder, "newHolder": name}
        )
        if not self._table.replace_if(item, {"holder": holder, "acquiredAt": acquired_at}):
            return self._result(False, "in_flight", name, None, None, "another request took the lock first")
        return item

    def _acquire_or_in_flight(self, request: RetrainingRequest, item: Item) -> Item | StartResult:
        if self._table.put_if_absent(item):
            return item
        return self._result(
            False, "in_flight", request.execution_name, None, None, "another request took the lock first"
        )

    def _release(self, group: str, name: str, *, only_if_unstarted: bool) -> None:
        # Not held by this run (any more): nothing to release.
        self._table.delete_if(
            names.lock_key(group), {"holder": name}, without=("executionArn",) if only_if_unstarted else ()
        )

    def _record_run(self, group: str, name: str, arn: str) -> None:
        # A fast run may already have finished and released the lock: nothing to record then.
        self._table.update_if(names.lock_key(group), {"executionArn": arn}, {"holder": name})

    def _mark_episode(self, request: RetrainingRequest, arn: str, now: int) -> None:
        self._table.put(
            {
                "id": names.episode_key(request.group, request.episode_id),
                "executionArn": arn,
                "executionName": request.execution_name,
                "reason": request.reason,
                "startedAt": now,
                "expiration": now + EPISODE_TTL_SECONDS,
            }
        )

    # --- targets --------------------------------------------------------------------------

    def _start_run(self, request: RetrainingRequest) -> tuple[str, Outcome]:
        if self.target == "pipeline":
            assert self.quality_gate_min_auc is not None  # __init__ requires it for a pipeline
            arn = self._workflows.start_pipeline_execution(
                PipelineStart(
                    pipeline_name=self.pipeline_name,
                    display_name=names.sagemaker_name(request.execution_name, names.DISPLAY_NAME_MAX),
                    description=f"Retraining ({request.reason}), episode {request.episode_id}"[:3072],
                    parameters=request.pipeline_parameters(quality_gate_min_auc=self.quality_gate_min_auc),
                    client_request_token=names.client_request_token(request.group, request.episode_id),
                    max_parallel_steps=self.pipeline_max_parallel_steps,
                )
            )
            return arn, "started"
        assert self.state_machine_arn is not None
        try:
            started = self._workflows.start_execution(
                self.state_machine_arn, request.execution_name, request.input_json()
            )
            return started.execution_arn, "started"
        except ExecutionAlreadyExists:
            pass
        arn = self._execution_arn(request.execution_name)
        status = self._workflows.execution_status(arn)
        return arn, ("duplicate" if status == "RUNNING" else "already_ran")

    def _execution_arn(self, name: str) -> str:
        assert self.state_machine_arn is not None
        return self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"

    def _is_running(self, target: str, arn: str) -> bool:
        """False too when the run does not exist (its lock is stale)."""
        if target == "pipeline":
            return self._workflows.pipeline_execution_status(arn) in ("Executing", "Stopping")
        return self._workflows.execution_status(arn) == "RUNNING"

    def _result(  # noqa: PLR0917
        self, started: bool, outcome: Outcome, name: str, arn: str | None, holder: str | None, detail: str
    ) -> StartResult:
        if not started:
            logger.info(
                "Retraining not started",
                extra={"outcome": outcome, "executionName": name, "lockHolder": holder, "detail": detail},
            )
        return StartResult(
            started=started,
            outcome=outcome,
            target=self.target,
            execution_name=name,
            execution_arn=arn,
            lock_holder=holder,
            detail=detail,
        )


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)
