"""One test per moto patch point: an upgrade of moto that moves one of them fails here."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sagemaker.models import SageMakerModelBackend

from localcloud import patches, patching
from localcloud.sfn_sagemaker import SYNC_JOB_FAILED_ERROR
from tests.support.local_cloud import REGION, run_definition, wait_execution

ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def _transform_task(name: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
        "Parameters": {
            "TransformJobName": name,
            "ModelName": "m",
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {"S3OutputPath": "s3://b/out/"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        },
        "End": True,
        **(extra or {}),
    }


def _create_model() -> None:
    boto3.client("sagemaker", region_name=REGION).create_model(
        ModelName="m",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"},
    )


@pytest.fixture
def jobs_in_progress(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Transform jobs start InProgress (as in AWS) instead of moto's instant Completed."""
    created: list[Any] = []
    original = SageMakerModelBackend.create_transform_job

    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        job = original(self, *args, **kwargs)
        job.transform_job_status = "InProgress"
        created.append(job)
        return job

    monkeypatch.setattr(SageMakerModelBackend, "create_transform_job", create)
    return created


def _finish_later(created: list[Any], outcomes: list[tuple[str, str]]) -> threading.Thread:
    """Each created job ends with the next (status, reason) after a short InProgress time."""

    def run() -> None:
        for index, (status, reason) in enumerate(outcomes):
            deadline = time.monotonic() + 10
            while len(created) <= index and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)  # a few polls see InProgress
            created[index].transform_job_status = status
            created[index].failure_reason = reason

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_sync_transform_job_polls_until_completed_and_returns_describe_output(sfn_mock, jobs_in_progress):
    # Given a transform job that stays InProgress for a while
    _create_model()
    finisher = _finish_later(jobs_in_progress, [("Completed", "")])
    # When a .sync task creates it
    described = run_definition(sfn_mock, {"StartAt": "T", "States": {"T": _transform_task("job-ok")}}, {})
    finisher.join()
    # Then the task waited for Completed and returns the (JSON-safe) describe output
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["TransformJobName"] == "job-ok"
    assert output["TransformJobStatus"] == "Completed"
    assert isinstance(output["CreationTime"], str)


def test_sync_job_failure_is_the_documented_error_and_retries_create_a_new_job(sfn_mock, jobs_in_progress):
    # Given a first job that fails and a retried one that completes
    _create_model()
    finisher = _finish_later(jobs_in_progress, [("Failed", "AlgorithmError: boom"), ("Completed", "")])
    task = _transform_task("job-retry")
    task["Parameters"] = {
        **task["Parameters"],
        "TransformJobName.$": "States.Format('job-{}', $$.State.RetryCount)",
    }
    del task["Parameters"]["TransformJobName"]
    task["Retry"] = [{"ErrorEquals": [SYNC_JOB_FAILED_ERROR], "MaxAttempts": 1, "IntervalSeconds": 1}]
    # When the state machine runs
    described = run_definition(sfn_mock, {"StartAt": "T", "States": {"T": task}}, {})
    finisher.join()
    # Then the failure was retried (no stale callback endpoint) and the retry succeeded
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["TransformJobName"] == "job-1"


def test_sync_job_failure_fails_the_task_with_the_describe_output_as_cause(sfn_mock, jobs_in_progress):
    _create_model()
    finisher = _finish_later(jobs_in_progress, [("Failed", "AlgorithmError: boom")])
    described = run_definition(sfn_mock, {"StartAt": "T", "States": {"T": _transform_task("job-bad")}}, {})
    finisher.join()
    assert described["status"] == "FAILED"
    assert described["error"] == SYNC_JOB_FAILED_ERROR
    assert json.loads(described["cause"])["FailureReason"] == "AlgorithmError: boom"


def test_sagemaker_request_response_and_client_errors_are_named_sagemaker_code(sfn_mock):
    # createModel (request-response) works; a missing model fails as AWS reports it: the SDK's
    # generic SageMaker.AmazonSageMakerException, the error code in the Cause
    definition = {
        "StartAt": "Create",
        "States": {
            "Create": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createModel",
                "Parameters": {
                    "ModelName": "rr",
                    "ExecutionRoleArn": ROLE,
                    "PrimaryContainer": {"Image": "img"},
                },
                "ResultPath": "$.created",
                "Next": "Missing",
            },
            "Missing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:describeModel",
                "Parameters": {"ModelName": "no-such-model"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    described = run_definition(sfn_mock, definition, {})
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["created"]["ModelArn"].endswith(":model/rr")
    assert output["error"]["Error"] == "SageMaker.AmazonSageMakerException"
    assert "no-such-model" in output["error"]["Cause"]
    assert "Error Code: ValidationException" in output["error"]["Cause"]


def test_jsonata_expressions_are_evaluated(sfn_mock):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Output": {
                    "total": "{% $sum($states.input.values) %}",
                    "upper": "{% $uppercase($states.input.name) %}",
                },
                "End": True,
            }
        },
    }
    described = run_definition(sfn_mock, definition, {"values": [1, 2, 3.5], "name": "drift"})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"total": 6.5, "upper": "DRIFT"}


def test_jsonpath_list_index_then_field_gives_the_value(sfn_mock):
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {
                    "first.$": "$.List[0].Field",
                    "all.$": "$.List[*].Field",
                    "whole.$": "$.List[1]",
                },
                "End": True,
            }
        },
    }
    described = run_definition(sfn_mock, definition, {"List": [{"Field": "a"}, {"Field": "b"}]})
    assert json.loads(described["output"]) == {"first": "a", "all": ["a", "b"], "whole": {"Field": "b"}}


def test_aws_sdk_errors_are_named_service_dot_code(sfn_mock):
    definition = {
        "StartAt": "D",
        "States": {
            "D": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeModelPackageGroup",
                "Parameters": {"ModelPackageGroupName": "missing"},
                "End": True,
            }
        },
    }
    described = run_definition(sfn_mock, definition, {})
    assert described["status"] == "FAILED"
    assert described["error"].startswith("SageMaker."), described["error"]
    assert not described["error"].startswith("SageMaker.sagemaker")


def test_cloudformation_state_machine_is_executable_and_has_arn(cloud):
    # The fixture's state machine was created by CloudFormation and referenced by !Ref / output
    arn = cloud.stack.outputs["FlowStateMachineArn"]
    execution = cloud.start_execution("FlowStateMachine", {"name": "cfn"})
    described = cloud.wait_for_execution(execution)
    assert described["stateMachineArn"] == arn
    assert described["status"] == "SUCCEEDED", described


def test_in_process_lambda_runs_the_real_handler_with_template_environment(cloud):
    result = cloud.invoke("EchoFunction", {"name": "ada"})
    assert result.ok, result
    assert result.payload["greeting"] == "hello ada"  # GreetingPrefix default, from the shared layer
    assert result.payload["table"] == cloud.stack.physical_id("StateTable")
    assert result.payload["functionName"] == cloud.stack.physical_id("EchoFunction")
    assert result.logs.startswith("START RequestId:")


def test_in_process_lambda_error_is_the_exception_class_in_step_functions(cloud):
    result = cloud.invoke("FailFunction", {"a": 1})
    assert (result.error_type, result.error_message) == ("BrokenThingError", "broken on purpose: ['a']")
    assert result.payload["stackTrace"]
    described = cloud.wait_for_execution(cloud.start_execution("FlowStateMachine", {"fail": True}))
    assert described["status"] == "FAILED"
    assert described["error"] == "BrokenThingError"


def test_patches_are_idempotent_and_all_applied_then_undone_with_their_scope():
    # Given the patches applied before (by a running cloud, or the unit tests' one)
    before = set(patches.applied())
    # When all are applied twice in a scope, then all are applied
    with patching.scoped():
        patches.apply_all()
        patches.apply_all()
        assert len(patches.applied()) == len(patches.ALL_PATCHES)
    # and when the scope ends, only what was applied before is
    assert set(patches.applied()) == before


def test_no_value_in_a_list_removes_the_element(sfn_mock):
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                    "Policies": [
                        {
                            "Fn::If": [
                                "Never",
                                {"PolicyName": "x", "PolicyDocument": {}},
                                {"Ref": "AWS::NoValue"},
                            ]
                        },
                        {
                            "PolicyName": "kept",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                            },
                        },
                    ],
                },
            }
        },
    }
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="novalue", TemplateBody=json.dumps(template))
    assert cfn.describe_stacks(StackName="novalue")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    role = cfn.describe_stack_resource(StackName="novalue", LogicalResourceId="Role")["StackResourceDetail"]
    policies = boto3.client("iam").list_role_policies(RoleName=role["PhysicalResourceId"])["PolicyNames"]
    assert policies == ["kept"]


def test_generated_role_names_fit_iams_64_characters_as_cloudformations_do(sfn_mock):
    # Given a stack and logical id whose "<stack>-<logical id>-<suffix>" is longer than 64 characters
    logical_id = "ModelPackageStateChangeFunctionRole"
    template = {
        "Resources": {
            logical_id: {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            }
        }
    }
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="mlops-loop-local-stack", TemplateBody=json.dumps(template))
    # Then the role's name is cut to 64, keeping the random suffix, and IAM knows it by that name
    detail = cfn.describe_stack_resource(StackName="mlops-loop-local-stack", LogicalResourceId=logical_id)
    name = detail["StackResourceDetail"]["PhysicalResourceId"]
    assert len(name) == 64
    assert name.startswith("mlops-loop-local-stack-ModelPackageStateChange")
    assert boto3.client("iam").get_role(RoleName=name)["Role"]["RoleName"] == name


def test_an_inline_role_policy_made_by_cloudformation_reads_back_as_a_document(sfn_mock):
    # Given a role whose inline policy comes from a template
    statement = {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    template = {
        "Resources": {
            "R": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                    "Policies": [
                        {
                            "PolicyName": "p",
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
                        }
                    ],
                },
            }
        }
    }
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="inline", TemplateBody=json.dumps(template))
    name = cfn.describe_stack_resource(StackName="inline", LogicalResourceId="R")["StackResourceDetail"]
    # Then GetRolePolicy answers the document (boto3 decodes IAM's JSON), not a Python repr
    document = boto3.client("iam").get_role_policy(RoleName=name["PhysicalResourceId"], PolicyName="p")
    assert document["PolicyDocument"]["Statement"] == [statement]


def test_start_execution_without_a_name_gets_a_generated_one(sfn_mock):
    arn = sfn_mock.create_state_machine(
        name="unnamed",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    execution = sfn_mock.start_execution(stateMachineArn=arn)["executionArn"]
    name = execution.rsplit(":", 1)[-1]
    assert name != "None" and len(name) == 36


def test_a_json_template_body_is_read_as_json_not_by_the_yaml_loader(sfn_mock, monkeypatch):
    import yaml
    from moto.cloudformation.models import Stack

    # Given PyYAML's loader made unusable, and a JSON template body
    def no_yaml(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a JSON body went to the YAML loader")

    body = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "json-body"}}}}
    with monkeypatch.context() as patched:
        patched.setattr(yaml, "load", no_yaml)
        # When a stack is created from it
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName="json-body", TemplateBody=json.dumps(body))
        # Then it is created, read as JSON
        status = cfn.describe_stacks(StackName="json-body")["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
    assert Stack.parse_template(json.dumps(body)) == body
    # and a YAML body is still read by moto's YAML reading
    assert Stack.parse_template("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n") == {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}
    }


def test_an_asl_definition_is_parsed_once_and_every_execution_gets_fresh_components(sfn_mock, monkeypatch):
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser

    parses: list[int] = []
    original = ASLParser.state_machine

    def counting(self: Any) -> Any:
        parses.append(1)
        return original(self)

    monkeypatch.setattr(ASLParser, "state_machine", counting)
    # Given a definition this process has not seen, with a counter of the ANTLR parses
    definition = {
        "Comment": f"parse-once-{time.monotonic_ns()}",
        "StartAt": "Add",
        "States": {"Add": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": True}},
    }
    arn = sfn_mock.create_state_machine(
        name=f"parse-once-{time.monotonic_ns()}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]

    # When it is created and run twice with different input
    outputs = []
    for a in (1, 10):
        execution = sfn_mock.start_execution(stateMachineArn=arn, input=json.dumps({"a": a, "b": 2}))
        outputs.append(json.loads(wait_execution(sfn_mock, execution["executionArn"])["output"]))
    # Then the ANTLR parser ran once, and each execution computed its own result
    assert len(parses) == 1
    assert outputs == [{"sum": 3}, {"sum": 12}]
    # and a definition with a syntax error is refused every time (nothing cached)
    for _ in range(2):
        with pytest.raises(ClientError, match="ASLParserException"):
            sfn_mock.create_state_machine(
                name=f"broken-{time.monotonic_ns()}",
                definition='{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": tru}}}',
                roleArn="arn:aws:iam::123456789012:role/sfn",
            )


def test_botocore_loaders_share_parsed_models_while_a_cloud_is_active(cloud, monkeypatch):
    from localcloud import runtime

    def loader() -> Any:
        return boto3.session.Session()._session.get_component("data_loader")

    # Given two sessions' loaders while the cloud is active
    first, second = loader(), loader()
    assert first is not second
    # Then a service model is parsed once and shared, as botocore shares it within one loader
    model = first.load_service_model("sqs", "service-2")
    assert second.load_service_model("sqs", "service-2") is model
    assert model["metadata"]["serviceId"] == "SQS"
    # and with no cloud active each loader parses its own, as botocore ships
    monkeypatch.setattr(runtime, "current", lambda: None)
    assert loader().load_service_model("sqs", "service-2") is not loader().load_service_model(
        "sqs", "service-2"
    )


def test_botocore_data_is_shared_while_the_patches_import_moto_backends():
    # moto.ec2 makes three Sessions at import; applying the patches imports it. In a fresh
    # interpreter (this process has applied them long ago), endpoints.json is parsed once.
    import subprocess
    import sys

    script = (
        "import botocore.loaders as L\n"
        "seen = []\n"
        "original = L.JSONFileLoader.load_file\n"
        "def load_file(self, path):\n"
        "    seen.append(path)\n"
        "    return original(self, path)\n"
        "L.JSONFileLoader.load_file = load_file\n"
        "from localcloud import patches\n"
        "patches.apply_all()\n"
        "import sys; assert 'moto.ec2' in sys.modules\n"
        "print(sum(1 for p in seen if p.endswith('/endpoints')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"


def test_each_asl_preprocessor_has_its_own_query_language_scopes(sfn_mock):
    # moto keeps the scope stack in a class attribute; two machines of different query languages
    # starting in two threads at once read each other's scope and one execution never started.
    from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguage, QueryLanguageMode
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    # Given a preprocessor inside a JSONata scope (a batch machine being parsed)
    jsonata = Preprocessor()
    jsonata._query_language_per_scope.append(QueryLanguage(query_language_mode=QueryLanguageMode.JSONata))
    # When another one starts (a JSONPath machine in another thread)
    jsonpath = Preprocessor()
    # Then it sees no scope of the first
    assert jsonpath._query_language_per_scope == []
    # and a JSONPath definition still parses and runs while the JSONata scope is open
    arn = sfn_mock.create_state_machine(
        name=f"scopes-{time.monotonic_ns()}",
        definition=json.dumps(
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "End": True}}}
        ),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    execution = sfn_mock.start_execution(stateMachineArn=arn, input='{"a": 1}')
    assert json.loads(wait_execution(sfn_mock, execution["executionArn"])["output"]) == {"x": 1}


def test_two_conditional_puts_of_one_item_at_once_let_exactly_one_through(monkeypatch):
    # DynamoDB checks a condition and writes as one operation; moto checked, then wrote, unlocked:
    # two deliveries taking the retraining lock at once both got it.
    from moto import mock_aws
    from moto.dynamodb.models import table as moto_table

    patches.patch_dynamodb_atomic_writes()
    both_checking = threading.Barrier(2)
    original = moto_table.get_filter_expression

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        # Without the patch both writers meet here, between the read and the write; with it, the
        # second writer waits for the first to finish instead (the barrier times out).
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checking.wait(timeout=0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(moto_table, "get_filter_expression", slow_check)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName="state",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        outcomes: list[str] = []

        def take_lock(holder: str) -> None:
            try:
                ddb.put_item(
                    TableName="state",
                    Item={"id": {"S": "lock"}, "holder": {"S": holder}},
                    ConditionExpression="attribute_not_exists(id)",
                )
                outcomes.append("took")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])

        writers = [threading.Thread(target=take_lock, args=(name,)) for name in ("a", "b")]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert sorted(outcomes) == ["ConditionalCheckFailedException", "took"]


def test_sagemaker_refuses_a_model_name_in_use_and_stops_only_running_jobs(sfn_mock, jobs_in_progress):
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    # CreateModel of a name in use: AWS's ValidationException (moto replaced the model)
    _create_model()
    with pytest.raises(ClientError) as refused:
        _create_model()
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    message = refused.value.response["Error"]["Message"]
    assert message.startswith('Cannot create already existing model "arn:aws:')
    # StopTransformJob: an InProgress job becomes Stopping; any other status is refused
    sagemaker.create_transform_job(**_transform_task("to-stop")["Parameters"])
    sagemaker.stop_transform_job(TransformJobName="to-stop")
    assert sagemaker.describe_transform_job(TransformJobName="to-stop")["TransformJobStatus"] == "Stopping"
    with pytest.raises(ClientError) as again:
        sagemaker.stop_transform_job(TransformJobName="to-stop")
    assert again.value.response["Error"]["Code"] == "ValidationException"
    # An unknown name: ResourceNotFound, the error botocore declares for StopTrainingJob
    with pytest.raises(ClientError) as unknown:
        sagemaker.stop_training_job(TrainingJobName="no-such-job")
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFound"


def test_an_s3_object_event_has_aws_eventbridge_shape_and_the_stacks_wildcard_rule_matches_it(sfn_mock):
    from moto.events.models import EventPattern
    from moto.s3.models import s3_backends

    # Given an object written to a bucket (moto)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="labels")
    key = "ground-truth/group/v3/scheduled-20261124T020000Z/_SUCCESS"
    s3.put_object(Bucket="labels", Key=key, Body=b"")
    bucket = s3_backends["123456789012"]["aws"].buckets["labels"]
    # When S3's EventBridge event is made for it
    event = patches.s3_eventbridge_event(
        "123456789012", REGION, bucket, "s3:ObjectCreated:Put", bucket.keys[key]
    )
    # Then it has AWS's documented fields (etag, not moto's eTag; the API as the reason)
    assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
    assert event["detail"]["object"]["etag"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert "eTag" not in event["detail"]["object"]
    assert event["detail"]["reason"] == "PutObject"
    # and the template's pattern (EventBridge's wildcard, across '/') matches the marker only
    pattern = EventPattern.load(
        json.dumps(
            {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": ["labels"]},
                    "object": {"key": [{"wildcard": "ground-truth/*/_SUCCESS"}]},
                },
            }
        )
    )
    assert pattern.matches_event(event)
    labels = {
        **event,
        "detail": {**event["detail"], "object": {**event["detail"]["object"], "key": key[:-8] + "x.csv"}},
    }
    assert not pattern.matches_event(labels)
