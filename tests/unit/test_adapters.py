"""The boto3 adapters behind the ports, on moto (and botocore's Stubber for answers moto never gives):
which S3 answers mean "absent" and which mean "refused"; the state table's conditional writes (the
same cases run on the in-memory fake, so the unit tests' fake behaves as DynamoDB does); Step
Functions' and SSM's named answers."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from mlops_loop import adapters, aws
from mlops_loop.models.notification import Notification
from mlops_loop.ports import (
    ArtifactNotFound,
    ArtifactTooLarge,
    ArtifactUnreadable,
    EventNotPublished,
    ExecutionAlreadyExists,
    StateTable,
)
from mlops_loop.s3uri import S3Uri

from tests.support.fakes import FakeStateTable
from tests.support.helpers import ACCOUNT, REGION


def test_the_store_reads_writes_and_lists_a_runs_files(function_env, bucket) -> None:
    store = adapters.S3ArtifactStore()
    store.write(S3Uri(bucket, "run/a.json"), b"{}", "application/json")
    store.write(S3Uri(bucket, "run/partials/b.profile"), b"x", "application/octet-stream")

    assert store.read(S3Uri(bucket, "run/a.json")) == b"{}"
    assert list(store.keys(S3Uri(bucket, "run/partials/"))) == [S3Uri(bucket, "run/partials/b.profile")]


def test_the_store_refuses_an_object_over_max_bytes_before_reading_it(function_env, bucket) -> None:
    store = adapters.S3ArtifactStore()
    store.write(S3Uri(bucket, "run/evaluation.json"), b"0123456789", "application/json")

    assert store.read(S3Uri(bucket, "run/evaluation.json"), max_bytes=10) == b"0123456789"
    with pytest.raises(ArtifactTooLarge, match="10 bytes, more than 9"):
        store.read(S3Uri(bucket, "run/evaluation.json"), max_bytes=9)


def test_only_a_missing_key_is_not_found(function_env, bucket) -> None:
    store = adapters.S3ArtifactStore()
    with pytest.raises(ArtifactNotFound, match="NoSuchKey"):
        store.read(S3Uri(bucket, "run/constraint_violations.json"))


def test_a_missing_bucket_is_unreadable_not_absent(function_env) -> None:
    # Before, NoSuchBucket (like AccessDenied and 403) read as "not found", and a missing
    # constraint_violations.json reads as "no violations"
    with pytest.raises(ArtifactUnreadable, match="NoSuchBucket"):
        adapters.S3ArtifactStore().read(S3Uri("no-such-bucket-of-ours", "run/constraint_violations.json"))


@pytest.mark.parametrize("code", ["AccessDenied", "403", "KMS.AccessDeniedException"])
def test_a_refusal_is_unreadable_not_absent(function_env, bucket, code: str) -> None:
    with Stubber(aws.s3()) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=403)
        with pytest.raises(ArtifactUnreadable, match=code):
            adapters.S3ArtifactStore().read(S3Uri(bucket, "run/constraint_violations.json"))


def test_the_notifier_publishes_subject_and_message(function_env, topic) -> None:
    message_id = adapters.SnsNotifier().publish(topic.arn, Notification(subject="[dev] s", message="m"))
    [sent] = topic.messages()
    assert (sent["Subject"], sent["Message"]) == ("[dev] s", "m")
    assert message_id


def test_the_bus_puts_the_event_a_rule_matches_and_returns_its_id(aws_mock) -> None:
    # Given a rule for the detail type, delivering to a queue
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="reader")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="r", EventPattern='{"detail-type": ["Model Quality Degraded"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    # When the bus puts one event
    event_id = adapters.EventBridgeBus().put("mlops-loop.dev", "Model Quality Degraded", {"runId": "r1"})
    # Then the rule delivered it as put, with the id returned
    [message] = sqs.receive_message(QueueUrl=url).get("Messages", [])
    delivered = json.loads(message["Body"])
    assert delivered["id"] == event_id
    assert (delivered["source"], delivered["detail"]) == ("mlops-loop.dev", {"runId": "r1"})


@pytest.mark.parametrize("code", ["ThrottlingException", "NotAuthorizedForSourceException"])
def test_a_failed_entry_is_event_not_published_with_its_error_code(aws_mock, code: str) -> None:
    # PutEvents answers 200 with FailedEntryCount and the entry's ErrorCode (botocore's events model,
    # PutEventsResultEntry): the Stubber checks the answer against that model
    with Stubber(aws.events()) as stub:
        stub.add_response(
            "put_events",
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": code, "ErrorMessage": "refused"}]},
        )
        with pytest.raises(EventNotPublished, match=code) as refused:
            adapters.EventBridgeBus().put("mlops-loop.dev", "Model Quality Degraded", {"runId": "r1"})
    assert (refused.value.error_code, refused.value.error_message) == (code, "refused")


def test_the_stubs_the_typed_accessors_name_are_installed() -> None:
    # mypy runs with ignore_missing_imports: a stub module missing or misnamed would silently type
    # the client as Any and check nothing
    source = Path(aws.__file__).read_text()
    modules = re.findall(r"^\s+from (mypy_boto3_\w+) import \w+Client$", source, flags=re.MULTILINE)
    assert len(modules) == 7, modules
    assert [m for m in modules if importlib.util.find_spec(m) is None] == []


TABLE = "mlops-loop-dev-state"


@pytest.fixture(params=["dynamodb", "fake"])
def table(request: pytest.FixtureRequest) -> StateTable:
    if request.param == "fake":
        return FakeStateTable()
    request.getfixturevalue("aws_mock")
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return adapters.DynamoDBStateTable(TABLE)


def test_the_state_table_puts_only_where_nothing_is_or_the_item_expired(table: StateTable) -> None:
    # Given a lock that expires at 100
    assert table.put_if_absent({"id": "lock", "holder": "a", "expiration": 100}, or_expired_before=50)
    # When another writer tries before and after its expiration
    assert not table.put_if_absent({"id": "lock", "holder": "b", "expiration": 200})
    assert not table.put_if_absent({"id": "lock", "holder": "b", "expiration": 200}, or_expired_before=100)
    assert table.get("lock") == {"id": "lock", "holder": "a", "expiration": 100}  # strings and numbers back
    # Then only the late one takes it
    assert table.put_if_absent({"id": "lock", "holder": "b", "expiration": 200}, or_expired_before=101)
    assert table.get("lock") == {"id": "lock", "holder": "b", "expiration": 200}
    assert table.get("nothing") is None


def test_the_state_table_replaces_updates_and_deletes_only_what_holds_the_expected_values(
    table: StateTable,
) -> None:
    table.put({"id": "lock", "holder": "a", "acquiredAt": 7})
    assert not table.replace_if({"id": "lock", "holder": "b"}, {"holder": "a", "acquiredAt": 8})
    assert table.replace_if({"id": "lock", "holder": "b", "acquiredAt": 9}, {"holder": "a", "acquiredAt": 7})

    assert not table.update_if("lock", {"executionArn": "arn:1"}, {"holder": "a"})
    assert not table.update_if("absent", {"executionArn": "arn:1"}, {"holder": "b"})
    assert table.update_if("lock", {"executionArn": "arn:1"}, {"holder": "b"})
    assert table.get("lock") == {"id": "lock", "holder": "b", "acquiredAt": 9, "executionArn": "arn:1"}

    assert not table.delete_if("lock", {"holder": "b"}, without=("executionArn",))  # started: kept
    assert not table.delete_if("lock", {"holder": "a"})
    assert table.delete_if("lock", {"holder": "b"})
    assert table.get("lock") is None
    assert not table.delete_if("lock", {"holder": "b"})


def test_a_state_table_error_other_than_a_failed_condition_propagates(aws_mock) -> None:
    table = adapters.DynamoDBStateTable(TABLE)
    with Stubber(aws.dynamodb()) as stub:
        stub.add_client_error("put_item", service_error_code="ProvisionedThroughputExceededException")
        with pytest.raises(ClientError, match="ProvisionedThroughputExceededException"):
            table.put_if_absent({"id": "lock", "holder": "a"})
        stub.add_client_error("delete_item", service_error_code="ConditionalCheckFailedException")
        assert table.delete_if("lock", {"holder": "a"}) is False


def test_the_parameter_store_reads_none_for_a_missing_parameter_and_overwrites(aws_mock) -> None:
    store = adapters.SsmParameterStore()
    assert store.get("/mlops-loop/dev/live-model") is None
    store.put("/mlops-loop/dev/live-model", "one")
    store.put("/mlops-loop/dev/live-model", "two")
    assert store.get("/mlops-loop/dev/live-model") == "two"


def test_workflows_start_once_per_name_and_tell_a_missing_execution(aws_mock) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name="m",
        definition='{"StartAt": "W", "States": {"W": {"Type": "Pass", "End": true}}}',
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
    )["stateMachineArn"]
    workflows = adapters.StepFunctionsWorkflows()

    started = workflows.start_execution(machine, "run-1", "{}")

    assert started.execution_arn.endswith(":execution:m:run-1")
    assert workflows.execution_status(started.execution_arn) in ("RUNNING", "SUCCEEDED")
    assert workflows.execution_status(started.execution_arn.replace("run-1", "run-9")) is None
    with Stubber(aws.stepfunctions()) as stub:
        stub.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists")
        with pytest.raises(ExecutionAlreadyExists):
            workflows.start_execution(machine, "run-1", '{"other": 1}')
    with Stubber(aws.sagemaker()) as stub:
        stub.add_client_error("describe_pipeline_execution", service_error_code="ResourceNotFound")
        assert (
            workflows.pipeline_execution_status("arn:aws:sagemaker:us-east-1:1:pipeline/p/execution/x")
            is None
        )
