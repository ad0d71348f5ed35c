"""Deploying a SAM template into the local cloud: the fixture app, and the real template.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.stack import LOCAL_ENVIRONMENT, local_parameters, samconfig_parameters
from tests.support.local_cloud import FIXTURE_APP, FIXTURE_TEMPLATE

REPO = Path(__file__).resolve().parents[2]


def test_outputs_and_physical_ids(cloud):
    bucket = cloud.stack.outputs["ArtifactsBucketName"]
    assert cloud.stack.physical_id("ArtifactsBucket") == bucket
    assert cloud.stack.outputs["FlowStateMachineArn"] == cloud.stack.state_machines["FlowStateMachine"]
    assert set(cloud.stack.functions) == {"EchoFunction", "FailFunction", "PublishFunction"}
    with pytest.raises(KeyError, match="NoSuchThing"):
        cloud.stack.physical_id("NoSuchThing")


def test_definition_substitutions_are_resolved(cloud):
    sfn = cloud.client("stepfunctions")
    definition = sfn.describe_state_machine(stateMachineArn=cloud.stack.outputs["FlowStateMachineArn"])[
        "definition"
    ]
    assert "${" not in definition
    states = json.loads(definition)["States"]
    echo_arn = cloud.client("lambda").get_function(FunctionName=cloud.stack.physical_id("EchoFunction"))[
        "Configuration"
    ]["FunctionArn"]
    assert states["Echo"]["Parameters"]["FunctionName"] == echo_arn
    assert states["Notify"]["Parameters"]["TopicArn"] == cloud.stack.outputs["NotificationTopicArn"]


def test_resources_moto_skips_are_created_after_the_stack(cloud):
    s3 = cloud.client("s3")
    bucket = cloud.stack.outputs["ArtifactsBucketName"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    # the TLS-only Deny is dropped locally (moto ignores its condition, see test_bucket_policy)
    [statement] = policy["Statement"]
    assert statement["Sid"] == "AccountRead"
    assert statement["Resource"] == f"arn:aws:s3:::{bucket}/*"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")  # writes work
    kms = cloud.client("kms")
    key_id = cloud.stack.physical_id("NotificationKey")
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert {s["Sid"] for s in key_policy["Statement"]} == {"Root", "EventBridge"}
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert (
        cloud.client("ssm").get_parameter(Name=cloud.stack.physical_id("LiveModelParameter"))["Parameter"][
            "Value"
        ]
        == "none"
    )
    topic_policy = cloud.client("sns").get_topic_attributes(
        TopicArn=cloud.stack.outputs["NotificationTopicArn"]
    )
    assert json.loads(topic_policy["Attributes"]["Policy"])["Statement"][0]["Sid"] == "EventBridgePublish"
    queue = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.stack.physical_id("EventsDeadLetterQueue"), AttributeNames=["Policy"]
    )
    assert json.loads(queue["Attributes"]["Policy"])["Statement"][0]["Sid"] == "EventBridgeDeadLetters"
    fail_name = cloud.stack.physical_id("FailFunction")
    assert cloud.stack.function_dead_letter_queues[fail_name].endswith(":" + _queue_name(cloud))


def test_schedules_are_created_with_timezone_and_state(cloud):
    scheduler = cloud.client("scheduler")
    nightly = scheduler.get_schedule(Name="EchoFunctionNightly")
    assert nightly["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert nightly["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert nightly["State"] == "ENABLED"
    assert scheduler.get_schedule(Name="EchoFunctionHourly")["State"] == "DISABLED"
    assert {s.logical_id for s in cloud.stack.schedules} == {
        "EchoFunctionNightly",
        "EchoFunctionHourly",
        "FlowStateMachineWeekly",
    }


def test_functions_get_the_template_environment_and_no_managed_layers(cloud):
    config = cloud.client("lambda").get_function_configuration(
        FunctionName=cloud.stack.physical_id("EchoFunction")
    )
    variables = config["Environment"]["Variables"]
    assert variables["ENVIRONMENT_NAME"] == "dev"
    assert variables["NOTIFICATION_TOPIC_ARN"] == cloud.stack.outputs["NotificationTopicArn"]
    assert variables["STATE_TABLE_NAME"] == cloud.stack.physical_id("StateTable")
    assert not config.get("Layers")


def test_samconfig_parameter_overrides(tmp_path):
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        'version = 0.1\n[default.deploy.parameters]\nparameter_overrides = "A=1 B=\\"two words\\""\n'
        '[prod.deploy.parameters]\nparameter_overrides = ["A=9"]\n'
    )
    assert samconfig_parameters(samconfig) == {"A": "1", "B": "two words"}
    assert samconfig_parameters(samconfig, "prod") == {"A": "9"}
    assert samconfig_parameters(tmp_path / "missing.toml") == {}


def test_the_local_cloud_deploys_the_single_account_environment_else_the_default(tmp_path):
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        'version = 0.1\n[default.deploy.parameters]\nparameter_overrides = "A=1"\n'
        '[single-account.deploy.parameters]\nparameter_overrides = "A=2"\n'
    )
    assert local_parameters(samconfig) == {"A": "2"}
    samconfig.write_text('version = 0.1\n[default.deploy.parameters]\nparameter_overrides = "A=1"\n')
    assert local_parameters(samconfig) == {"A": "1"}, "without the environment: sam deploy's [default]"
    assert local_parameters(tmp_path / "missing.toml") == {}


def test_the_repositorys_local_environment_holds_its_own_group():
    # samconfig.toml's [default] dev reads the registry account's group by ARN, which a one-account
    # cloud does not hold; the local cloud deploys the one-account layout instead.
    assert LOCAL_ENVIRONMENT == "single-account"
    local = local_parameters(REPO / "samconfig.toml")
    assert local["ModelPackageGroup"] == "breast-cancer-classifier"
    assert not {"RegistryArtifactsBucket", "RegistryKmsKeyArn"} & set(local)
    dev = samconfig_parameters(REPO / "samconfig.toml")
    assert dev["ModelPackageGroup"].startswith("arn:aws:sagemaker:")
    assert {k: v for k, v in local.items() if k not in {"ModelPackageGroup"}} == {
        k: v
        for k, v in dev.items()
        if k not in {"ModelPackageGroup", "RegistryArtifactsBucket", "RegistryKmsKeyArn"}
    }, "the two dev layouts differ only in where the registry is"


def test_fixture_app_has_no_samconfig():
    assert not (FIXTURE_APP / "samconfig.toml").exists()


def _queue_name(cloud) -> str:
    return cloud.stack.physical_id("EventsDeadLetterQueue").rsplit("/", 1)[-1]


def test_the_template_is_read_as_samtranslator_reads_it():
    from samtranslator.yaml_helper import yaml_parse

    from localcloud.stack import parse_template

    # Given the real template and the fixture app's (short intrinsics, !If, !Sub, !GetAtt a.b)
    for path in (Path(__file__).parents[2] / "template.yaml", FIXTURE_TEMPLATE):
        text = path.read_text()
        # Then the fast reading gives what samtranslator's own reading gives
        assert parse_template(text) == yaml_parse(text)
