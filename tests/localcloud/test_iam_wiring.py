"""The local cloud's IAM where calls come from: callers known by their key, deliveries by their
service principal or role, state machines' managed rules at creation, requests validated."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.local_cloud import REGION, service_role, wait_until

TRANSFORM_SYNC = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
            "Parameters": {"TransformJobName": "x"},
            "End": True,
        }
    },
}


def test_an_unknown_access_key_is_refused_as_aws_refuses_it(cloud):
    # Given a client signed with a key no principal of this cloud holds
    stranger = boto3.client(
        "sqs", region_name=REGION, aws_access_key_id="AKIASTRANGER", aws_secret_access_key="s"
    )
    # Then the call is refused with the query services' code, and nothing is created
    with pytest.raises(ClientError) as refused:
        stranger.create_queue(QueueName="stranger")
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert "stranger" not in json.dumps(cloud.client("sqs").list_queues())


def test_a_function_calls_aws_as_its_role_and_is_denied_what_its_role_lacks(cloud):
    # Given EchoFunction, whose role may use the state table but not SNS
    result = cloud.invoke("PublishFunction", {"message": "allowed"})
    assert result.ok, result
    records = [r for r in cloud.iam.records if r.action == "sns:Publish" and r.allowed]
    assert records and "PublishFunctionRole" in records[-1].principal


def test_a_state_machine_whose_role_may_not_manage_the_sync_rule_is_refused_at_creation(cloud):
    sfn = cloud.client("stepfunctions")
    # Given a role that may run transform jobs but not manage the .sync integration's rule
    role = service_role(cloud, "no-rules", "states.amazonaws.com", ["sagemaker:*TransformJob"])
    # Then CreateStateMachine is refused as AWS refuses it
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(name="no-rules", definition=json.dumps(TRANSFORM_SYNC), roleArn=role)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert refused.value.response["Error"]["Message"] == f"'{role}' is not authorized to create managed-rule."
    # and with the three rule actions it is created
    allowed = service_role(
        cloud,
        "with-rules",
        "states.amazonaws.com",
        ["sagemaker:*TransformJob", "events:Put*", "events:DescribeRule"],
    )
    sfn.create_state_machine(name="with-rules", definition=json.dumps(TRANSFORM_SYNC), roleArn=allowed)


def test_a_rule_delivers_to_a_queue_only_when_the_queue_policy_lets_eventbridge(cloud):
    events, sqs = cloud.client("events"), cloud.client("sqs")
    url = sqs.create_queue(QueueName="no-policy")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name="to-no-policy", EventPattern=json.dumps({"source": ["iam.test"]}))["RuleArn"]
    events.put_targets(Rule="to-no-policy", Targets=[{"Id": "q", "Arn": arn}])
    # When an event matches and the queue has no policy: EventBridge may not send
    marker = str(uuid.uuid4())
    events.put_events(
        Entries=[{"Source": "iam.test", "DetailType": "t", "Detail": json.dumps({"m": marker})}]
    )
    [failed] = [d for d in cloud.router.deliveries if d.rule_arn == rule]
    assert not failed.ok
    assert "is not authorized to perform: sqs:SendMessage" in (failed.error or "")
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    # Given the policy AWS asks for (events.amazonaws.com, this rule as aws:SourceArn)
    allow = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage"}
    allow |= {"Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [allow]})})
    events.put_events(
        Entries=[{"Source": "iam.test", "DetailType": "t", "Detail": json.dumps({"m": marker})}]
    )
    # Then it is delivered
    messages = wait_until(lambda: sqs.receive_message(QueueUrl=url).get("Messages"), what="the delivery")
    assert marker in messages[0]["Body"]


def test_requests_are_validated_as_aws_validates_them(cloud):
    # botocore's client does not check `pattern`; AWS does, and so does the local cloud
    with pytest.raises(ClientError) as refused:
        cloud.client("sagemaker").describe_model_package_group(ModelPackageGroupName="bad name!")
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith(
        "1 validation error detected: Value 'bad name!' at 'modelPackageGroupName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
    )


def _in_another_process(endpoint: str, credentials: dict[str, str], calls: str) -> dict:
    """Run boto3 calls in a fresh interpreter (no local-cloud patches: plain HTTP to the endpoint)."""
    script = (
        textwrap.dedent(
            f"""
        import json, boto3, botocore.config
        from botocore.exceptions import ClientError
        kwargs = dict(endpoint_url={endpoint!r}, region_name={REGION!r}, **{credentials!r})
        out = {{}}
        def attempt(name, call):
            try:
                call()
                out[name] = "ok"
            except ClientError as error:
                out[name] = [error.response["Error"]["Code"], error.response["Error"]["Message"]]
        """
        )
        + textwrap.dedent(calls)
        + "\nprint(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_requests_to_the_served_endpoint_are_decided_as_in_process_ones(cloud):
    endpoint = cloud.serve()
    function = cloud.stack.physical_id("PublishFunction")
    role_arn = cloud.client("lambda").get_function_configuration(FunctionName=function)["Role"]
    as_publisher = cloud.iam.credentials_for_role(role_arn, "remote").client_kwargs()
    topic = cloud.stack.physical_id("NotificationTopic")
    bucket = cloud.stack.physical_id("ArtifactsBucket")
    # Given another process in the role of PublishFunction, talking to the served endpoint over HTTP
    results = _in_another_process(
        endpoint,
        as_publisher,
        f"""
        sns = boto3.client("sns", **kwargs)
        attempt("publish", lambda: sns.publish(TopicArn={topic!r}, Message="over http"))
        attempt("queue", lambda: boto3.client("sqs", **kwargs).create_queue(QueueName="not-mine"))
        attempt("object", lambda: boto3.client("s3", **kwargs).get_object(Bucket={bucket!r}, Key="x"))
        """,
    )
    # Then what the role allows goes through; what it lacks is AWS's refusal in the protocol's shape
    assert results["publish"] == "ok"
    assert results["queue"][0] == "AccessDenied"
    assert "is not authorized to perform: sqs:CreateQueue" in results["queue"][1]
    assert results["object"][0] == "AccessDenied"
    assert "s3:GetObject" in results["object"][1]
    # and a key no principal holds is refused
    stranger = {"aws_access_key_id": "AKIASTRANGER", "aws_secret_access_key": "x"}
    unknown = _in_another_process(
        endpoint,
        stranger,
        """
        attempt("topics", lambda: boto3.client("sns", **kwargs).list_topics())
        """,
    )
    assert unknown["topics"][0] == "InvalidClientTokenId"


def test_requests_to_the_served_endpoint_are_validated_as_aws_validates_them(cloud):
    endpoint = cloud.serve()
    operator = {"aws_access_key_id": cloud.iam.operator_keys[0], "aws_secret_access_key": "x"}
    topic = cloud.stack.physical_id("NotificationTopic")
    # Given another process sending what botocore's client lets through but AWS refuses: a name
    # breaking its pattern (SageMaker, JSON), a name over its length (Step Functions, JSON), and a
    # subject SNS's model does not constrain (so no violation: published)
    results = _in_another_process(
        endpoint,
        operator,
        f"""
        sm = boto3.client("sagemaker", **kwargs)
        attempt("pattern", lambda: sm.describe_model_package_group(ModelPackageGroupName="bad name!"))
        sfn = boto3.client("stepfunctions", **kwargs)
        attempt("length", lambda: sfn.list_executions(stateMachineArn="arn:aws:states:x", maxResults=1001))
        sns = boto3.client("sns", **kwargs, config=botocore.config.Config(retries={{"max_attempts": 1}}))
        attempt("fine", lambda: sns.publish(TopicArn={topic!r}, Message="m"))
        # SNS's answer to a broken constraint is not known here (no AWS example found)
        long_key = [{{"Key": "k" * 200, "Value": "v"}}]
        attempt("unknown", lambda: sns.tag_resource(ResourceArn={topic!r}, Tags=long_key))
        """,
    )
    # Then each is AWS's ValidationException with AWS's message, and nothing else happened
    assert results["pattern"][0] == "ValidationException"
    assert results["pattern"][1].startswith(
        "1 validation error detected: Value 'bad name!' at 'modelPackageGroupName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
    )
    assert results["length"][0] == "ValidationException"
    limit = "Member must have value less than or equal to 1000"
    assert f"at 'maxResults' failed to satisfy constraint: {limit}" in results["length"][1]
    assert results["fine"] == "ok"
    # and where the local cloud cannot know AWS's answer it refuses loudly, naming why
    assert results["unknown"][0] == "InternalFailure"
    assert "local cloud cannot decide: sns.TagResource breaks its input shape" in results["unknown"][1]


def test_a_bucket_policy_denies_plain_http_as_aws_does_and_the_local_endpoint_stands_in_for_https(cloud):
    bucket = cloud.stack.physical_id("ArtifactsBucket")
    # Given a client of the operator sent to a plain-HTTP endpoint that is not the local cloud's own
    insecure = boto3.client("s3", region_name=REGION, endpoint_url="http://s3.example.internal")
    # Then the bucket's TLS-only statement denies it, as AWS would
    with pytest.raises(ClientError) as refused:
        insecure.put_object(Bucket=bucket, Key="plain-http", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "with an explicit deny in a resource-based policy" in refused.value.response["Error"]["Message"]
    # while the local endpoint (HTTP on the loopback) stands in for AWS's HTTPS one
    local = boto3.client("s3", region_name=REGION, endpoint_url=cloud.serve())
    local.put_object(Bucket=bucket, Key="through-the-local-endpoint", Body=b"x")


def test_a_served_list_request_carries_its_prefix_to_the_s3_prefix_condition(cloud):
    endpoint = cloud.serve()
    bucket = cloud.stack.physical_id("ArtifactsBucket")
    # Given a role that may list the bucket only under runs/ (the template's ListRunFiles shape)
    role = service_role(cloud, "lister", "lambda.amazonaws.com", ["s3:GetObject"])
    statement = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{bucket}",
        "Condition": {"StringLike": {"s3:prefix": "runs/*"}},
    }
    cloud.client("iam").put_role_policy(
        RoleName="lister",
        PolicyName="list",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    credentials = cloud.iam.credentials_for_role(role, "remote").client_kwargs()
    results = _in_another_process(
        endpoint,
        credentials,
        f"""
        s3 = boto3.client("s3", **kwargs)
        attempt("runs", lambda: s3.list_objects_v2(Bucket={bucket!r}, Prefix="runs/1/"))
        attempt("other", lambda: s3.list_objects_v2(Bucket={bucket!r}, Prefix="other/"))
        """,
    )
    # Then the prefix of the HTTP request decides, as in AWS
    assert results["runs"] == "ok"
    assert results["other"][0] == "AccessDenied"
