"""The EventBridge router: real patterns, targets, input shaping, retries, dead letters, duplicates."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from localcloud.events import transform_input
from tests.support.local_cloud import service_role, wait_until


def _drain(cloud: Any, logical_id: str = "EventsDeadLetterQueue") -> list[dict[str, Any]]:
    sqs = cloud.client("sqs")
    url = cloud.stack.physical_id(logical_id)
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )
        if not batch:
            return messages
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(batch)


def _put(cloud: Any, detail_type: str, detail: dict[str, Any], source: str = "fixture.app") -> str:
    response = cloud.client("events").put_events(
        Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
    )
    assert response["FailedEntryCount"] == 0, response
    return str(response["Entries"][0]["EventId"])


def _executions_with(cloud: Any, marker: str) -> list[dict[str, Any]]:
    sfn = cloud.client("stepfunctions")
    found = []
    for item in cloud.executions("FlowStateMachine"):
        described = sfn.describe_execution(executionArn=item["executionArn"])
        if marker in described["input"]:
            found.append(described)
    return found


def _deliveries(cloud: Any, event_id: str) -> list[Any]:
    return [d for d in cloud.router.deliveries if d.event_id == event_id]


def test_matching_event_reaches_the_lambda_target_and_others_do_not(cloud):
    _drain(cloud)
    event_id = _put(cloud, "Greeting", {"name": "router"})
    [delivery] = _deliveries(cloud, event_id)
    assert delivery.ok and delivery.function_error is None
    assert delivery.target_arn.endswith(cloud.stack.physical_id("EchoFunction"))
    other = _put(cloud, "Greeting", {"name": "x"}, source="someone.else")
    assert _deliveries(cloud, other) == []


def test_input_path_shapes_the_step_functions_input(cloud):
    marker = str(uuid.uuid4())
    _put(cloud, "Start Flow", {"name": marker})
    [execution] = wait_until(lambda: _executions_with(cloud, marker), what="execution")
    assert json.loads(execution["input"]) == {"name": marker}
    assert cloud.wait_for_execution(execution["executionArn"])["status"] == "SUCCEEDED"


def test_event_envelope_delivered_to_an_sqs_target_is_the_aws_shape(cloud):
    events = cloud.client("events")
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="envelope-check")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name="envelope-check", EventPattern=json.dumps({"source": ["envelope.test"]}))
    # EventBridge sends as events.amazonaws.com: the queue's policy must let it (as in AWS)
    allow = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage"}
    allow |= {"Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule["RuleArn"]}}}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [allow]})})
    events.put_targets(Rule="envelope-check", Targets=[{"Id": "q", "Arn": arn}])
    event_id = _put(cloud, "Anything", {"k": [1, 2]}, source="envelope.test")
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    body = json.loads(message["Body"])
    assert set(body) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert (body["id"], body["detail"], body["account"]) == (event_id, {"k": [1, 2]}, cloud.account)
    assert body["time"].endswith("Z")


def test_disabled_rule_delivers_nothing(cloud):
    events = cloud.client("events")
    rule = cloud.stack.physical_id("EchoFunctionGreeting")
    events.disable_rule(Name=rule)
    try:
        assert _deliveries(cloud, _put(cloud, "Greeting", {})) == []
    finally:
        events.enable_rule(Name=rule)
    assert len(_deliveries(cloud, _put(cloud, "Greeting", {}))) == 1


def test_duplicate_events_fault_delivers_twice(cloud):
    cloud.faults.duplicate_events(detail_type="Start Flow", copies=2)
    marker = str(uuid.uuid4())
    event_id = _put(cloud, "Start Flow", {"name": marker})
    assert len(_deliveries(cloud, event_id)) == 2
    executions = wait_until(
        lambda: len(_executions_with(cloud, marker)) == 2 and _executions_with(cloud, marker)
    )
    for execution in executions:
        cloud.wait_for_execution(execution["executionArn"])
    # other detail-types are delivered once
    assert len(_deliveries(cloud, _put(cloud, "Greeting", {}))) == 1


def test_function_error_is_retried_by_lambda_then_sent_to_the_function_dead_letter_queue(cloud):
    _drain(cloud)
    log_file = cloud.output_dir / "lambda-logs" / f"{cloud.stack.physical_id('FailFunction')}.log"
    before = log_file.read_text().count("START RequestId") if log_file.exists() else 0
    event_id = _put(cloud, "Broken", {"why": "test"})
    [delivery] = _deliveries(cloud, event_id)
    assert delivery.ok and delivery.function_error == "BrokenThingError"  # delivered; the function failed
    assert log_file.read_text().count("START RequestId") - before == 3  # Lambda's 2 async retries
    [dead] = _drain(cloud)
    assert json.loads(dead["Body"])["detail"] == {"why": "test"}
    assert "broken on purpose" in dead["MessageAttributes"]["ErrorMessage"]["StringValue"]


def test_failed_delivery_is_retried_per_retry_policy_then_dead_lettered(cloud):
    _drain(cloud)
    cloud.faults.throttle("lambda", "Invoke", times=3)  # the Greeting target retries twice
    event_id = _put(cloud, "Greeting", {"name": "lost"})
    [delivery] = _deliveries(cloud, event_id)
    assert not delivery.ok and delivery.dead_lettered
    assert cloud.faults.throttled_count("lambda", "Invoke") == 3
    [dead] = _drain(cloud)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "TooManyRequestsException"
    assert attributes["RULE_ARN"].endswith("rule/" + cloud.stack.physical_id("EchoFunctionGreeting"))
    assert json.loads(dead["Body"])["id"] == event_id


def test_handler_put_events_and_publish_go_through_the_router_and_outbox(cloud):
    marker = str(uuid.uuid4())
    result = cloud.invoke(
        "PublishFunction",
        {"subject": "hello", "message": marker, "emit": "Start Flow", "detail": {"name": marker}},
    )
    assert result.ok, result
    [note] = [m for m in cloud.outbox.messages if m.message == marker]
    assert (note.subject, note.attributes, note.topic_arn) == (
        "hello",
        {"kind": "fixture"},
        cloud.stack.outputs["NotificationTopicArn"],
    )
    lines = [json.loads(line) for line in cloud.outbox.path.read_text().splitlines()]
    assert any(line["message"] == marker for line in lines)
    [execution] = wait_until(lambda: _executions_with(cloud, marker), what="execution from handler event")
    cloud.wait_for_execution(execution["executionArn"])


def test_failed_execution_emits_status_change_routed_to_sns_with_input_transformer(cloud):
    arn = cloud.start_execution("FlowStateMachine", {"fail": True}, name=f"fails-{uuid.uuid4().hex[:8]}")
    described = cloud.wait_for_execution(arn)
    assert described["status"] == "FAILED"
    event = wait_until(
        lambda: next((e for e in cloud.router.emitted if e["detail"].get("executionArn") == arn), None),
        what="status change event",
    )
    assert event["source"] == "aws.states"
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert event["resources"] == [arn]
    detail = event["detail"]
    assert {
        "executionArn",
        "stateMachineArn",
        "name",
        "status",
        "startDate",
        "stopDate",
        "input",
        "output",
    } <= set(detail)
    assert (detail["status"], detail["error"], detail["output"]) == ("FAILED", "BrokenThingError", None)
    assert isinstance(detail["startDate"], int) and detail["stopDate"] >= detail["startDate"]
    assert json.loads(detail["input"]) == {"fail": True}
    name = described["name"]
    wait_until(
        lambda: any(m.message == f"Flow {name} ended FAILED" for m in cloud.outbox.messages), what="outbox"
    )


def test_succeeded_execution_emits_status_change_but_the_failure_rule_ignores_it(cloud):
    arn = cloud.start_execution("FlowStateMachine", {"name": "ok"})
    assert cloud.wait_for_execution(arn)["status"] == "SUCCEEDED"
    event = wait_until(
        lambda: next((e for e in cloud.router.emitted if e["detail"].get("executionArn") == arn), None)
    )
    assert event["detail"]["status"] == "SUCCEEDED"
    assert json.loads(event["detail"]["output"])["greeting"] == "hello ok"
    assert _deliveries(cloud, event["id"]) == []


def test_step_functions_put_events_task_goes_through_the_router(cloud):
    sfn = cloud.client("stepfunctions")
    marker = str(uuid.uuid4())
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {
                    "Entries": [
                        {"Source": "fixture.app", "DetailType": "Start Flow", "Detail": {"name.$": "$.m"}}
                    ]
                },
                "End": True,
            }
        },
    }
    role = service_role(cloud, "put-events", "states.amazonaws.com", ["events:PutEvents"])
    machine = sfn.create_state_machine(name="put-events", definition=json.dumps(definition), roleArn=role)[
        "stateMachineArn"
    ]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"m": marker}))["executionArn"]
    assert cloud.wait_for_execution(arn)["status"] == "SUCCEEDED"
    [started] = wait_until(lambda: _executions_with(cloud, marker), what="execution started by putEvents")
    cloud.wait_for_execution(started["executionArn"])


def test_emit_fills_the_envelope_and_requires_the_basics(cloud):
    event = cloud.emit({"source": "aws.sagemaker", "detail-type": "Something", "detail": {"a": 1}})
    assert event["account"] == cloud.account and event["region"] == cloud.region and event["version"] == "0"
    with pytest.raises(ValueError, match="detail"):
        cloud.emit({"source": "x", "detail-type": "y"})


def test_put_events_reports_bad_entries_like_eventbridge(cloud):
    response = cloud.client("events").put_events(
        Entries=[
            {"Source": "fixture.app", "DetailType": "Greeting", "Detail": "{not json"},
            {"Source": "fixture.app", "DetailType": "Greeting", "Detail": "{}"},
        ]
    )
    assert response["FailedEntryCount"] == 1
    assert response["Entries"][0]["ErrorCode"] == "MalformedDetail"


EVENT = {
    "id": "e1",
    "source": "aws.states",
    "time": "2026-11-24T02:00:00Z",
    "detail": {"status": "FAILED", "name": "run-1", "n": 3, "tags": ["a"]},
}


@pytest.mark.parametrize(
    ("template", "paths", "expected"),
    [
        (
            '"Run <name> is <status>"',
            {"name": "$.detail.name", "status": "$.detail.status"},
            "Run run-1 is FAILED",
        ),
        (
            '{"n": <n>, "tags": <tags>, "s": "<s>"}',
            {"n": "$.detail.n", "tags": "$.detail.tags", "s": "$.detail.status"},
            {"n": 3, "tags": ["a"], "s": "FAILED"},
        ),
        ('{"event": <aws.events.event.json>}', {}, {"event": EVENT}),
        ("plain <s> text", {"s": "$.detail.status"}, "plain FAILED text"),
        ('{"missing": "<m>"}', {"m": "$.detail.nothing"}, {"missing": "null"}),
    ],
)
def test_input_transformer(template, paths, expected):
    assert transform_input(template, paths, EVENT) == expected
