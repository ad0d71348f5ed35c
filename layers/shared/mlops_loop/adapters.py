"""The boto3 adapters behind the ports (ports.py), typed with the services' mypy-boto3 stubs.

Each adapter is the only place its service's calls and error codes are known; the logic sees the
ports' results and named errors. boto3 is imported as before (mlops_loop.aws); the stubs are for
the type checker only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mlops_loop import aws
from mlops_loop.errors import ModelPackageNotFound
from mlops_loop.models.notification import Notification
from mlops_loop.ports import (
    ArtifactNotFound,
    ArtifactTooLarge,
    ArtifactUnreadable,
    EventNotPublished,
    ExecutionAlreadyExists,
    Item,
    PipelineStart,
    StartedExecution,
)
from mlops_loop.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

#: S3's answers for "no object at that key" (GetObject: NoSuchKey; HEAD-style and some proxies: 404).
_ABSENT = frozenset({"NoSuchKey", "404", "NotFound"})


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3ArtifactStore:
    """ArtifactStore on S3. Only NoSuchKey/404 is "not found"; every other refusal (AccessDenied,
    403, NoSuchBucket, a KMS error) is ArtifactUnreadable, so nothing reads a refusal as absence."""

    def read(self, uri: S3Uri, *, max_bytes: int | None = None) -> bytes:
        try:
            obj = aws.s3().get_object(Bucket=uri.bucket, Key=uri.key)
            # GetObject's ContentLength is known before the body is streamed: a too large object
            # is refused without downloading it
            if max_bytes is not None and obj.get("ContentLength", 0) > max_bytes:
                obj["Body"].close()
                raise ArtifactTooLarge(f"{uri} holds {obj['ContentLength']} bytes, more than {max_bytes}")
            return obj["Body"].read()
        except ClientError as exc:
            code = _code(exc)
            if code in _ABSENT:
                raise ArtifactNotFound(f"{uri} does not exist ({code})") from None
            raise ArtifactUnreadable(f"{uri} cannot be read ({code})") from None

    def write(self, uri: S3Uri, body: bytes, content_type: str) -> None:
        aws.s3().put_object(Bucket=uri.bucket, Key=uri.key, Body=body, ContentType=content_type)

    def keys(self, prefix: S3Uri) -> Iterator[S3Uri]:
        paginator = aws.s3().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=prefix.bucket, Prefix=prefix.key):
            for item in page.get("Contents", []):
                if "Key" in item:
                    yield S3Uri(prefix.bucket, item["Key"])


class SnsNotifier:
    """Notifier on the stack's SNS topic."""

    def publish(self, topic_arn: str, note: Notification) -> str:
        response = aws.sns().publish(TopicArn=topic_arn, Subject=note.subject, Message=note.message)
        return response["MessageId"]


class EventBridgeBus:
    """EventBus on the default bus. PutEvents reports a refused entry in its answer, not as an
    error (botocore's events model: FailedEntryCount, and per entry, in the request's order, either
    EventId or ErrorCode/ErrorMessage): that answer is EventNotPublished here."""

    def put(self, source: str, detail_type: str, detail: dict[str, Any]) -> str:
        response = aws.events().put_events(
            Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
        )
        [entry] = response["Entries"]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise EventNotPublished(entry.get("ErrorCode", "NoEventId"), entry.get("ErrorMessage", ""))
        return entry["EventId"]


class SageMakerRegistry:
    """ModelRegistry on SageMaker's Model Registry (the group may live in another account/region)."""

    def approved_version_pages(
        self, group_api_name: str, region: str | None
    ) -> Iterator[list[dict[str, Any]]]:
        # CreationTime Descending (the API's default is Ascending) and every page of 100.
        paginator = aws.sagemaker(region).get_paginator("list_model_packages")
        for page in paginator.paginate(
            ModelPackageGroupName=group_api_name,
            ModelApprovalStatus="Approved",
            ModelPackageType="Versioned",
            SortBy="CreationTime",
            SortOrder="Descending",
            PaginationConfig={"PageSize": 100},
        ):
            yield [dict(summary) for summary in page.get("ModelPackageSummaryList", [])]

    def group_exists(self, group_api_name: str, region: str | None) -> bool:
        try:
            aws.sagemaker(region).describe_model_package_group(ModelPackageGroupName=group_api_name)
        except ClientError as exc:
            message = exc.response.get("Error", {}).get("Message", "")
            if _code(exc) == "ValidationException" and "not exist" in message:
                return False
            raise
        return True

    def describe_package(self, model_package_arn: str, region: str | None) -> dict[str, Any]:
        try:
            return dict(aws.sagemaker(region).describe_model_package(ModelPackageName=model_package_arn))
        except ClientError as exc:
            if _is_missing(exc):
                raise ModelPackageNotFound(
                    f"model package {model_package_arn} does not exist or may not be read: "
                    f"{exc.response.get('Error', {}).get('Message', '')}"
                ) from None
            raise

    def model_exists(self, name: str) -> bool:
        try:
            aws.sagemaker().describe_model(ModelName=name)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            if err.get("Code") == "ValidationException" and "Could not find model" in err.get("Message", ""):
                return False
            raise
        return True

    def model_package_of(self, name: str) -> str | None:
        return _model_package_of(name)

    def newest_pending_version(self, group_api_name: str, region: str | None) -> dict[str, Any] | None:
        response = aws.sagemaker(region).list_model_packages(
            ModelPackageGroupName=group_api_name,
            ModelApprovalStatus="PendingManualApproval",
            ModelPackageType="Versioned",
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=1,
        )
        summaries = response.get("ModelPackageSummaryList", [])
        return dict(summaries[0]) if summaries else None


def _model_package_of(name: str) -> str | None:
    try:
        described = aws.sagemaker().describe_model(ModelName=name)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if err.get("Code") == "ValidationException" and "Could not find model" in err.get("Message", ""):
            return None
        raise
    container: Any = described.get("PrimaryContainer") or (described.get("Containers") or [{}])[0]
    return str(container.get("ModelPackageName") or "")


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    message = error.get("Message", "").lower()
    if error.get("Code") == "ResourceNotFound":
        return True
    return error.get("Code") == "ValidationException" and ("not exist" in message or "not found" in message)


#: DynamoDB's answer to a conditional write whose condition does not hold (botocore's dynamodb model,
#: PutItem / UpdateItem / DeleteItem).
_CONDITION_FAILED = "ConditionalCheckFailedException"


def _attribute(value: str | int) -> AttributeValueTypeDef:
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def _item(item: Item) -> dict[str, AttributeValueTypeDef]:
    return {name: _attribute(value) for name, value in item.items()}


def _plain(item: dict[str, AttributeValueTypeDef]) -> Item:
    """`S` as str, `N` as int: the table holds nothing else (the starter and the state machine write it)."""
    return {name: int(value["N"]) if "N" in value else value.get("S", "") for name, value in item.items()}


class _Condition:
    """`#a0 = :v0 AND ... AND attribute_not_exists(#a1)` with its names and values."""

    def __init__(self, expected: Item, without: tuple[str, ...] = ()) -> None:
        if not expected:
            raise ValueError("a conditional write names at least one expected attribute")
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValueTypeDef] = {}
        terms = []
        for name, value in expected.items():
            ref = f"#c{len(self.names)}"
            self.names[ref] = name
            self.values[f":c{len(self.values)}"] = _attribute(value)
            terms.append(f"{ref} = :c{len(self.values) - 1}")
        for name in without:
            ref = f"#c{len(self.names)}"
            self.names[ref] = name
            terms.append(f"attribute_not_exists({ref})")
        self.expression = " AND ".join(terms)


class DynamoDBStateTable:
    """StateTable on the stack's DynamoDB table. ConditionalCheckFailedException is the one
    refusal that means "the condition does not hold" (False); every other error propagates."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def _key(self, key: str) -> dict[str, AttributeValueTypeDef]:
        return {"id": {"S": key}}

    def get(self, key: str) -> Item | None:
        response = aws.dynamodb().get_item(TableName=self.table_name, Key=self._key(key), ConsistentRead=True)
        item = response.get("Item")
        return _plain(item) if item else None

    def put(self, item: Item) -> None:
        aws.dynamodb().put_item(TableName=self.table_name, Item=_item(item))

    def put_if_absent(self, item: Item, *, or_expired_before: int | None = None) -> bool:
        try:
            if or_expired_before is None:
                aws.dynamodb().put_item(
                    TableName=self.table_name,
                    Item=_item(item),
                    ConditionExpression="attribute_not_exists(id)",
                )
            else:
                aws.dynamodb().put_item(
                    TableName=self.table_name,
                    Item=_item(item),
                    ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                    ExpressionAttributeValues={":now": _attribute(or_expired_before)},
                )
        except ClientError as exc:
            return _condition_failed(exc)
        return True

    def replace_if(self, item: Item, expected: Item) -> bool:
        condition = _Condition(expected)
        try:
            aws.dynamodb().put_item(
                TableName=self.table_name,
                Item=_item(item),
                ConditionExpression=condition.expression,
                ExpressionAttributeNames=condition.names,
                ExpressionAttributeValues=condition.values,
            )
        except ClientError as exc:
            return _condition_failed(exc)
        return True

    def update_if(self, key: str, changes: Item, expected: Item) -> bool:
        condition = _Condition(expected)
        names = dict(condition.names)
        values = dict(condition.values)
        sets = []
        for index, (name, value) in enumerate(changes.items()):
            names[f"#s{index}"] = name
            values[f":s{index}"] = _attribute(value)
            sets.append(f"#s{index} = :s{index}")
        try:
            aws.dynamodb().update_item(
                TableName=self.table_name,
                Key=self._key(key),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition.expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            return _condition_failed(exc)
        return True

    def delete_if(self, key: str, expected: Item, *, without: tuple[str, ...] = ()) -> bool:
        condition = _Condition(expected, without)
        try:
            aws.dynamodb().delete_item(
                TableName=self.table_name,
                Key=self._key(key),
                ConditionExpression=condition.expression,
                ExpressionAttributeNames=condition.names,
                ExpressionAttributeValues=condition.values,
            )
        except ClientError as exc:
            return _condition_failed(exc)
        return True


def _condition_failed(exc: ClientError) -> bool:
    """False for ConditionalCheckFailedException; re-raises anything else."""
    if _code(exc) != _CONDITION_FAILED:
        raise exc
    return False


class StepFunctionsWorkflows:
    """Workflows on Step Functions (the state machines) and SageMaker Pipelines (the retraining
    pipeline target). Error codes from botocore's models: StartExecution's ExecutionAlreadyExists,
    DescribeExecution's ExecutionDoesNotExist, DescribePipelineExecution's ResourceNotFound."""

    def start_execution(self, state_machine_arn: str, name: str, input_json: str) -> StartedExecution:
        try:
            response = aws.stepfunctions().start_execution(
                stateMachineArn=state_machine_arn, name=name, input=input_json
            )
        except ClientError as exc:
            if _code(exc) == "ExecutionAlreadyExists":
                raise ExecutionAlreadyExists(f"an execution named {name} exists") from None
            raise
        return StartedExecution(response["executionArn"], response["startDate"])

    def execution_status(self, execution_arn: str) -> str | None:
        try:
            return aws.stepfunctions().describe_execution(executionArn=execution_arn)["status"]
        except ClientError as exc:
            if _code(exc) == "ExecutionDoesNotExist":
                return None
            raise

    def start_pipeline_execution(self, start: PipelineStart) -> str:
        response = aws.sagemaker().start_pipeline_execution(
            PipelineName=start.pipeline_name,
            PipelineExecutionDisplayName=start.display_name,
            PipelineExecutionDescription=start.description,
            PipelineParameters=[{"Name": p["Name"], "Value": p["Value"]} for p in start.parameters],
            ClientRequestToken=start.client_request_token,
            ParallelismConfiguration={"MaxParallelExecutionSteps": start.max_parallel_steps},
        )
        return response["PipelineExecutionArn"]

    def pipeline_execution_status(self, pipeline_execution_arn: str) -> str | None:
        try:
            described = aws.sagemaker().describe_pipeline_execution(
                PipelineExecutionArn=pipeline_execution_arn
            )
        except ClientError as exc:
            # ResourceNotFound is the declared error; SageMaker answers a malformed ARN with its
            # common ValidationException.
            if _code(exc) in ("ResourceNotFound", "ValidationException"):
                return None
            raise
        return described["PipelineExecutionStatus"]


class SsmParameterStore:
    """ParameterStore on SSM. GetParameter's ParameterNotFound is "no such parameter" (None)."""

    def get(self, name: str) -> str | None:
        try:
            return aws.ssm().get_parameter(Name=name)["Parameter"].get("Value", "")
        except ClientError as exc:
            if _code(exc) == "ParameterNotFound":
                return None
            raise

    def put(self, name: str, value: str) -> None:
        aws.ssm().put_parameter(Name=name, Value=value, Type="String", Overwrite=True)


@cache
def state_table(table_name: str) -> DynamoDBStateTable:
    return DynamoDBStateTable(table_name)


@cache
def workflows() -> StepFunctionsWorkflows:
    return StepFunctionsWorkflows()


@cache
def parameter_store() -> SsmParameterStore:
    return SsmParameterStore()


@cache
def artifact_store() -> S3ArtifactStore:
    return S3ArtifactStore()


@cache
def notifier() -> SnsNotifier:
    return SnsNotifier()


@cache
def event_bus() -> EventBridgeBus:
    return EventBridgeBus()


@cache
def model_registry() -> SageMakerRegistry:
    return SageMakerRegistry()
