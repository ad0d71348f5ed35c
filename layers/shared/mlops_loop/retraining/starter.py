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
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from mlops_loop.aws import client
from mlops_loop.models.payloads import Payload, RetrainingInput
from mlops_loop.observability import logger
from mlops_loop.retraining import names
from mlops_loop.retraining.errors import RetrainingTargetNotConfigured
from mlops_loop.retraining.training import PIPELINE_PARAMETER_NAMES, QUALITY_GATE_PARAMETER

LOCK_TTL_SECONDS = 24 * 3600  # last-resort expiry; the state machine times out after 4 h
START_GRACE_SECONDS = 900  # a starter may hold the lock this long before it records the run (Lambda max)
EPISODE_TTL_SECONDS = 90 * 24 * 3600  # Step Functions keeps closed execution names for 90 days

Reason = Literal["drift", "stale", "manual", "data_quality_failure", "model_quality"]
Outcome = Literal["started", "duplicate", "in_flight", "already_ran", "ignored", "forged", "suppressed"]
TargetKind = Literal["state_machine", "pipeline"]

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


class StartResult(Payload, kw_only=True):
    """What start_retraining / check_freshness return (logs, tests)."""

    started: bool
    outcome: Outcome
    target: TargetKind
    execution_name: str
    execution_arn: str | None = None
    lock_holder: str | None = None
    detail: str = ""
    suppressed_by: str | None = None  # suppressed: the candidate of the drift condition (its ARN)
    message_id: str | None = None  # in_flight / suppressed: the mail that said so


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class RetrainingStarter:
    """Starts the retraining state machine, or the SageMaker Pipeline when `pipeline_name` is set.

    `quality_gate_min_auc` (the stack's QualityGateMinAuc) is passed to a pipeline; the state
    machine has the gate in its definition. `pipeline_max_parallel_steps` is each pipeline run's
    ParallelismConfiguration (as the seed's ACK PipelineExecution sets it).
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
        self._ddb = client("dynamodb")

    # --- public ---------------------------------------------------------------------------

    def start(self, request: RetrainingRequest) -> StartResult:
        name = request.execution_name
        now = int(self._clock())
        marker = self._get(names.episode_key(request.group, request.episode_id))
        if marker is not None:
            return self._result(
                False,
                "duplicate",
                name,
                marker.get("executionArn"),
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

    def _acquire(self, request: RetrainingRequest, now: int) -> dict[str, Any] | StartResult:  # noqa: PLR0911
        name = request.execution_name
        key = names.lock_key(request.group)
        item = {
            "id": {"S": key},
            "holder": {"S": name},
            "episodeId": {"S": request.episode_id},
            "reason": {"S": request.reason},
            "target": {"S": self.target},
            "acquiredAt": {"N": str(now)},
            "expiration": {"N": str(now + LOCK_TTL_SECONDS)},
        }
        try:
            self._ddb.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
            return item
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
        current = self._get(key)
        if current is None:  # released between our put and our read: try once more
            return self._acquire_or_in_flight(request, now, item)
        holder = current.get("holder", "")
        run_arn = current.get("executionArn")
        acquired_at = int(current.get("acquiredAt", "0"))
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
            if self._is_running(current.get("target", "state_machine"), run_arn):
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
        try:
            self._ddb.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression="holder = :old AND acquiredAt = :at",
                ExpressionAttributeValues={":old": {"S": holder}, ":at": {"N": str(acquired_at)}},
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            return self._result(False, "in_flight", name, None, None, "another request took the lock first")
        return item

    def _acquire_or_in_flight(self, request: RetrainingRequest, now: int, item: dict[str, Any]) -> Any:
        try:
            self._ddb.put_item(
                TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(id)"
            )
            return item
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            return self._result(
                False, "in_flight", request.execution_name, None, None, "another request took the lock first"
            )

    def _release(self, group: str, name: str, *, only_if_unstarted: bool) -> None:
        condition = "holder = :me" + (" AND attribute_not_exists(executionArn)" if only_if_unstarted else "")
        try:
            self._ddb.delete_item(
                TableName=self.table_name,
                Key={"id": {"S": names.lock_key(group)}},
                ConditionExpression=condition,
                ExpressionAttributeValues={":me": {"S": name}},
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise

    def _record_run(self, group: str, name: str, arn: str) -> None:
        try:
            self._ddb.update_item(
                TableName=self.table_name,
                Key={"id": {"S": names.lock_key(group)}},
                UpdateExpression="SET executionArn = :arn",
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":arn": {"S": arn}, ":me": {"S": name}},
            )
        except ClientError as exc:
            # A fast run may already have finished and released the lock: nothing to record.
            if _code(exc) != "ConditionalCheckFailedException":
                raise

    def _mark_episode(self, request: RetrainingRequest, arn: str, now: int) -> None:
        self._ddb.put_item(
            TableName=self.table_name,
            Item={
                "id": {"S": names.episode_key(request.group, request.episode_id)},
                "executionArn": {"S": arn},
                "executionName": {"S": request.execution_name},
                "reason": {"S": request.reason},
                "startedAt": {"N": str(now)},
                "expiration": {"N": str(now + EPISODE_TTL_SECONDS)},
            },
        )

    def _get(self, key: str) -> dict[str, str] | None:
        response = self._ddb.get_item(TableName=self.table_name, Key={"id": {"S": key}}, ConsistentRead=True)
        item = response.get("Item")
        if not item:
            return None
        return {k: next(iter(v.values())) for k, v in item.items()}

    # --- targets --------------------------------------------------------------------------

    def _start_run(self, request: RetrainingRequest) -> tuple[str, Outcome]:
        if self.target == "pipeline":
            assert self.quality_gate_min_auc is not None  # __init__ requires it for a pipeline
            response = client("sagemaker").start_pipeline_execution(
                PipelineName=self.pipeline_name,
                PipelineExecutionDisplayName=names.sagemaker_name(
                    request.execution_name, names.DISPLAY_NAME_MAX
                ),
                PipelineExecutionDescription=f"Retraining ({request.reason}), episode {request.episode_id}"[
                    :3072
                ],
                PipelineParameters=request.pipeline_parameters(
                    quality_gate_min_auc=self.quality_gate_min_auc
                ),
                ClientRequestToken=names.client_request_token(request.group, request.episode_id),
                ParallelismConfiguration={"MaxParallelExecutionSteps": self.pipeline_max_parallel_steps},
            )
            return str(response["PipelineExecutionArn"]), "started"
        sfn = client("stepfunctions")
        assert self.state_machine_arn is not None
        try:
            response = sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=request.execution_name,
                input=request.input_json(),
            )
            return str(response["executionArn"]), "started"
        except ClientError as exc:
            if _code(exc) != "ExecutionAlreadyExists":
                raise
        arn = self._execution_arn(request.execution_name)
        status = sfn.describe_execution(executionArn=arn)["status"]
        return arn, ("duplicate" if status == "RUNNING" else "already_ran")

    def _execution_arn(self, name: str) -> str:
        assert self.state_machine_arn is not None
        return self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"

    def _is_running(self, target: str, arn: str) -> bool:
        try:
            if target == "pipeline":
                status = client("sagemaker").describe_pipeline_execution(PipelineExecutionArn=arn)
                return status["PipelineExecutionStatus"] in ("Executing", "Stopping")
            return client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"
        except ClientError as exc:
            if _code(exc) in ("ExecutionDoesNotExist", "ResourceNotFound", "ValidationException"):
                return False
            raise

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
