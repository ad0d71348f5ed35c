"""Several accounts on one local cloud: who serves a request, and what each side must allow.

One patch of moto per point, each tested here (localcloud/patches.py): the account of a local
cloud's access key, Model Registry ARNs served by the owning account, AWS::SageMaker::ModelPackageGroup
in CloudFormation. And the engine's own cross-account parts: stacks deployed into another account,
the group policy and event-bus policies held by IAM, a rule putting events on another account's bus.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.support.local_cloud import REGION

HOME = "123456789012"  # the cloud's own account: the host's credentials
REGISTRY = "111122223333"
OTHER = "444455556666"
_OWN_DEFAULT_BUS = "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """An empty local cloud (no stack), IAM enforced, hosting two more accounts."""
    out = tmp_path_factory.mktemp("accounts")
    with LocalCloud.start(template=None, output_dir=out, job_runner=False) as running:
        running.add_account(REGISTRY)
        running.add_account(OTHER)
        yield running


def _role(cloud: LocalCloud, account: str, name: str, statements: list[dict[str, Any]]) -> Any:
    """A role of `account` with one inline policy; returns a session signed as the role."""
    import boto3

    iam = cloud.client("iam", account=account)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=name, PolicyName="test", PolicyDocument=json.dumps(policy))
    credentials = cloud.iam.credentials_for_role(arn, "test").client_kwargs()
    return boto3.session.Session(region_name=REGION, **credentials)


def test_a_request_is_served_by_the_account_of_the_key_that_signs_it(cloud):
    # Given the registry account's operator and a session of a role of that account
    from moto.s3.models import s3_backends

    # When the operator creates a bucket and each asks STS who it is
    cloud.client("s3", account=REGISTRY).create_bucket(Bucket="registry-owned-bucket")
    role_session = _role(
        cloud, REGISTRY, "who-am-i", [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]
    )

    # Then the bucket is the registry account's, and both callers are in that account
    assert "registry-owned-bucket" in s3_backends[REGISTRY]["aws"].buckets
    assert "registry-owned-bucket" not in s3_backends[HOME]["aws"].buckets
    assert cloud.client("sts", account=REGISTRY).get_caller_identity()["Account"] == REGISTRY
    assert role_session.client("sts").get_caller_identity()["Account"] == REGISTRY
    assert cloud.client("sts").get_caller_identity()["Account"] == HOME


def test_model_registry_arns_are_served_by_the_owning_account_when_both_sides_allow(cloud):
    # Given a group and a version in the registry account, registered with the group's ARN
    registry = cloud.client("sagemaker", account=REGISTRY)
    group_arn = registry.create_model_package_group(ModelPackageGroupName="shared-group")[
        "ModelPackageGroupArn"
    ]
    version_arn = registry.create_model_package(
        ModelPackageGroupName=group_arn,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [
                {"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m.tar.gz"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    # and a role of the home account whose own policy allows reading any group's versions
    reader = _role(
        cloud,
        HOME,
        "registry-reader",
        [
            {
                "Effect": "Allow",
                "Action": [
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:ListModelPackages",
                    "sagemaker:DescribeModelPackageGroup",
                ],
                "Resource": "*",
            }
        ],
    ).client("sagemaker")
    # and the group's resource policy admitting the home account
    cloud.iam.group_policies[group_arn] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"},
                    "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
                    "Resource": f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/shared-group/*",
                },
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"},
                    "Action": "sagemaker:DescribeModelPackageGroup",
                    "Resource": group_arn,
                },
            ],
        }
    )

    # When the home account's role reads them by ARN
    described = reader.describe_model_package(ModelPackageName=version_arn)
    listed = reader.list_model_packages(ModelPackageGroupName=group_arn)["ModelPackageSummaryList"]
    group = reader.describe_model_package_group(ModelPackageGroupName=group_arn)

    # Then the registry account's backend answers, as AWS serves the owning account's resource
    assert (
        described["ModelPackageArn"]
        == version_arn
        == f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/shared-group/1"
    )
    assert [p["ModelPackageArn"] for p in listed] == [version_arn]
    assert group["ModelPackageGroupArn"] == group_arn
    # and a name resolves in the caller's own account, where there is no such group
    with pytest.raises(ClientError) as by_name:
        cloud.client("sagemaker").describe_model_package_group(ModelPackageGroupName="shared-group")
    assert by_name.value.response["Error"]["Code"] == "ValidationException"

    # When the group's policy no longer admits the home account
    cloud.iam.group_policies.pop(group_arn)
    with cloud.iam.expecting_denials(), pytest.raises(ClientError) as denied:
        reader.describe_model_package(ModelPackageName=version_arn)

    # Then the read is refused as AWS refuses it, naming the missing side
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:sts::{HOME}:assumed-role/registry-reader/test is not authorized to perform: "
        f"sagemaker:DescribeModelPackage on resource: {version_arn} because no resource-based policy allows "
        "the sagemaker:DescribeModelPackage action"
    )


def test_cloudformation_creates_a_model_package_group_and_iam_holds_its_policy(cloud, tmp_path: Path):
    # Given a template with a group and its resource policy
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "HomeReads",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"},
                "Action": "sagemaker:DescribeModelPackage",
                "Resource": {
                    "Fn::Sub": "arn:aws:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/cfn-group/*"
                },
            }
        ],
    }
    template = tmp_path / "group.json"
    template.write_text(
        json.dumps(
            {
                "Resources": {
                    "Group": {
                        "Type": "AWS::SageMaker::ModelPackageGroup",
                        "Properties": {
                            "ModelPackageGroupName": "cfn-group",
                            "ModelPackageGroupPolicy": policy,
                        },
                    }
                },
                "Outputs": {
                    "Ref": {"Value": {"Ref": "Group"}},
                    "Arn": {"Value": {"Fn::GetAtt": ["Group", "ModelPackageGroupArn"]}},
                },
            }
        )
    )

    # When it is deployed into the other account
    stack = cloud.deploy(template, parameters={}, stack_name="group-stack", account=OTHER)

    # Then the group exists there, Ref and GetAtt give its ARN, and IAM holds its resolved policy
    arn = f"arn:aws:sagemaker:{REGION}:{OTHER}:model-package-group/cfn-group"
    assert stack.account == OTHER
    assert stack.outputs == {"Ref": arn, "Arn": arn}
    described = cloud.client("sagemaker", account=OTHER).describe_model_package_group(
        ModelPackageGroupName="cfn-group"
    )
    assert described["ModelPackageGroupArn"] == arn
    held = json.loads(cloud.iam.group_policies[arn])
    assert held["Statement"][0]["Resource"] == f"arn:aws:sagemaker:{REGION}:{OTHER}:model-package/cfn-group/*"


def _bus_forwarding(cloud: LocalCloud, tmp_path: Path, rule_name: str) -> tuple[str, str]:
    """A rule on the registry account's default bus forwarding `test.forward` events to the home
    account's default bus with a role; on the home bus a rule sends them to a queue.
    Returns (queue URL, home bus ARN)."""
    home_bus = f"arn:aws:events:{REGION}:{HOME}:event-bus/default"
    sender = cloud.client("iam", account=REGISTRY)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = sender.create_role(RoleName=f"{rule_name}-role", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    sender.put_role_policy(
        RoleName=f"{rule_name}-role",
        PolicyName="put",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": home_bus}],
            }
        ),
    )
    events = cloud.client("events", account=REGISTRY)
    events.put_rule(Name=rule_name, EventPattern=json.dumps({"source": [f"test.{rule_name}"]}))
    events.put_targets(
        Rule=rule_name,
        Targets=[
            {"Id": "home", "Arn": home_bus, "RoleArn": role_arn, "RetryPolicy": {"MaximumRetryAttempts": 0}}
        ],
    )
    sqs = cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"{rule_name}-arrivals")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    home_events = cloud.client("events")
    rule_arn = home_events.put_rule(
        Name=f"{rule_name}-arrivals", EventPattern=json.dumps({"source": [f"test.{rule_name}"]})
    )["RuleArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue_arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                        }
                    ],
                }
            )
        },
    )
    home_events.put_targets(Rule=f"{rule_name}-arrivals", Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url, home_bus


def test_a_rule_puts_events_on_another_accounts_bus_when_its_role_and_that_bus_allow(cloud, tmp_path: Path):
    # Given a forwarding rule in the registry account and the home bus admitting the registry account
    queue_url, _ = _bus_forwarding(cloud, tmp_path, "forward-ok")
    cloud.client("events").put_permission(
        EventBusName="default", Action="events:PutEvents", Principal=REGISTRY, StatementId="registry"
    )

    # When the registry account puts an event on its own bus
    cloud.client("events", account=REGISTRY).put_events(
        Entries=[{"Source": "test.forward-ok", "DetailType": "Forwarded", "Detail": json.dumps({"n": 1})}]
    )

    # Then it went through the home bus's rules, its envelope unchanged (the sender's account)
    messages = cloud.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(messages[0]["Body"])
    assert (event["source"], event["account"], event["detail"]) == ("test.forward-ok", REGISTRY, {"n": 1})
    cloud.client("events").remove_permission(EventBusName="default", StatementId="registry")


def test_a_rule_cannot_put_on_another_accounts_bus_that_does_not_admit_it(cloud, tmp_path: Path):
    # Given the same forwarding, and a home bus whose policy admits no other account
    queue_url, home_bus = _bus_forwarding(cloud, tmp_path, "forward-refused")
    denials = len(cloud.iam.denials)

    # When the registry account puts an event on its bus
    with cloud.iam.expecting_denials():
        cloud.client("events", account=REGISTRY).put_events(
            Entries=[{"Source": "test.forward-refused", "DetailType": "Forwarded", "Detail": "{}"}]
        )

    # Then nothing arrives, and the delivery failed as EventBridge reports a refused target
    assert "Messages" not in cloud.client("sqs").receive_message(QueueUrl=queue_url)
    refused = cloud.iam.denials[denials:]
    assert [d.code for d in refused] == ["NO_PERMISSIONS"]
    assert refused[0].message == (
        f"User: arn:aws:sts::{REGISTRY}:assumed-role/forward-refused-role/events is not authorized to "
        f"perform: events:PutEvents on resource: {home_bus} because no resource-based policy allows the "
        "events:PutEvents action"
    )
    delivery = next(d for d in reversed(cloud.router.deliveries) if d.target_arn == home_bus)
    assert not delivery.ok


def test_an_event_bus_policy_of_a_template_is_put_only_when_its_condition_holds(cloud, tmp_path: Path):
    # Given a template whose bus policy admits the registry account when asked to
    template = tmp_path / "bus.json"
    template.write_text(
        json.dumps(
            {
                "Parameters": {"Admit": {"Type": "String"}},
                "Conditions": {"Admitting": {"Fn::Equals": [{"Ref": "Admit"}, "yes"]}},
                "Resources": {
                    "Queue": {"Type": "AWS::SQS::Queue"},
                    "BusPolicy": {
                        "Type": "AWS::Events::EventBusPolicy",
                        "Condition": "Admitting",
                        "Properties": {
                            "EventBusName": "default",
                            "StatementId": "RegistryPuts",
                            "Statement": {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{REGISTRY}:root"},
                                "Action": "events:PutEvents",
                                "Resource": {"Fn::Sub": _OWN_DEFAULT_BUS},
                            },
                        },
                    },
                },
            }
        )
    )

    # When it is deployed into one account with the condition true, into another with it false
    cloud.deploy(template, parameters={"Admit": "yes"}, stack_name="bus-yes", account=OTHER)
    cloud.deploy(template, parameters={"Admit": "no"}, stack_name="bus-no", account=REGISTRY)

    # Then only the first bus has the policy, with the template's statement
    policy = json.loads(cloud.client("events", account=OTHER).describe_event_bus(Name="default")["Policy"])
    assert policy["Statement"] == [
        {
            "Sid": "RegistryPuts",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{REGISTRY}:root"},
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:{REGION}:{OTHER}:event-bus/default",
        }
    ]
    assert "Policy" not in cloud.client("events", account=REGISTRY).describe_event_bus(Name="default")


def test_a_request_for_another_accounts_resource_the_cloud_does_not_route_is_refused_loudly(cloud):
    # Given a queue of the registry account, and a role of the home account allowed to send anywhere
    queue_url = cloud.client("sqs", account=REGISTRY).create_queue(QueueName="registry-queue")["QueueUrl"]
    sender = _role(
        cloud, HOME, "queue-sender", [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]
    )

    # When the role sends to the registry account's queue (moto would look the name up in the home
    # account, where a same-named queue could answer in its place)
    with cloud.iam.expecting_denials(), pytest.raises(ClientError) as refused:
        sender.client("sqs").send_message(QueueUrl=queue_url, MessageBody="x")

    # Then the local cloud says it cannot answer for that account, instead of answering wrongly
    assert refused.value.response["Error"]["Message"] == (
        "localcloud cannot authorize this request: SendMessage names "
        f"arn:aws:sqs:{REGION}:{REGISTRY}:registry-queue of account {REGISTRY}: across accounts the local "
        "cloud serves only S3, the Model Registry's ARNs, KMS key ARNs and PutEvents to a bus ARN, and "
        f"would answer this one from account {HOME}"
    )
    assert (
        cloud.client("sqs", account=REGISTRY).get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_a_kms_key_arn_of_another_account_is_served_there_when_both_sides_allow(cloud):
    # Given a key of the registry account whose policy lets the home account use it
    def key_policy(home_may_use: bool) -> str:
        statements: list[dict[str, Any]] = [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{REGISTRY}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        if home_may_use:
            statements.append(
                {
                    "Sid": "HomeUsesTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"},
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": "*",
                }
            )
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    registry_kms = cloud.client("kms", account=REGISTRY)
    key_arn = registry_kms.create_key(Policy=key_policy(True))["KeyMetadata"]["Arn"]
    # and a role of the home account allowed to use that key
    kms = _role(
        cloud,
        HOME,
        "key-user",
        [{"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key_arn}],
    ).client("kms")

    # When the role asks for a data key by the key's ARN and decrypts it again
    data_key = kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256")
    plain = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], KeyId=key_arn)

    # Then the registry account's key served both
    assert data_key["KeyId"] == plain["KeyId"] == key_arn
    assert plain["Plaintext"] == data_key["Plaintext"]

    # When the key policy no longer names the home account
    registry_kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=key_policy(False))
    with cloud.iam.expecting_denials(), pytest.raises(ClientError) as denied:
        kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256")

    # Then KMS refuses it: across accounts the key policy must allow as well
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert denied.value.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{HOME}:assumed-role/key-user/test is not authorized to perform: "
        f"kms:GenerateDataKey on resource: {key_arn} because no resource-based policy allows the "
        "kms:GenerateDataKey action"
    )
