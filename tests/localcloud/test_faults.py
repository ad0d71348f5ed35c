"""Injected faults: throttled APIs (handlers' boto3 and Step Functions integrations), job failures."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from localcloud.faults import Faults
from tests.support.local_cloud import REGION, service_role


def test_throttle_counts_down_and_matches_names_loosely():
    faults = Faults()
    faults.throttle("states", "StartExecution", times=2)
    assert faults.take_throttle("stepfunctions", "start_execution")
    assert faults.take_throttle("sfn", "startExecution")
    assert not faults.take_throttle("stepfunctions", "StartExecution")
    assert faults.throttled_count("states", "StartExecution") == 2
    with pytest.raises(ValueError, match="times"):
        faults.throttle("sns", "Publish", times=0)
    with pytest.raises(ValueError, match="S3"):
        faults.throttle("s3", "GetObject")


def test_job_failures_match_glob_patterns():
    faults = Faults()
    faults.fail_job("retrain-*-train", "AlgorithmError: injected")
    assert faults.job_failure_for("retrain-ep1-train") == "AlgorithmError: injected"
    assert faults.job_failure_for("scheduled-transform") is None


def test_duplicates_by_detail_type_and_source():
    faults = Faults()
    faults.duplicate_events(detail_type="Data Drift Detected", copies=3)
    assert faults.copies_for({"detail-type": "Data Drift Detected", "source": "x"}) == 3
    assert faults.copies_for({"detail-type": "Other"}) == 1


def test_throttled_sdk_call_in_a_handler_is_retried_by_boto3(cloud):
    cloud.faults.throttle("sns", "Publish", times=2)
    result = cloud.invoke("PublishFunction", {"message": "after throttling"})
    assert result.ok, result
    assert cloud.faults.throttled_count("sns", "Publish") == 2
    assert cloud.outbox.messages[-1].message == "after throttling"


def test_throttling_beyond_boto3_retries_fails_the_handler(cloud):
    cloud.faults.throttle("sns", "Publish", times=50)
    result = cloud.invoke("PublishFunction", {"message": "never"})
    assert result.error_type == "ClientError"
    assert "An error occurred (Throttling) when calling the Publish operation" in (result.error_message or "")


def test_throttled_optimised_integration_fails_the_task(cloud):
    cloud.faults.throttle("sns", "Publish", times=1)
    described = cloud.wait_for_execution(cloud.start_execution("FlowStateMachine", {"name": "t"}))
    assert described["status"] == "FAILED"
    assert "Throttling" in described["error"] + described.get("cause", "")


def _run(cloud, definition):
    sfn = cloud.client("stepfunctions")
    name = f"faults-{len(sfn.list_state_machines()['stateMachines'])}"
    actions = [
        "sagemaker:ListModels",
        "sagemaker:*TransformJob",
        "iam:PassRole",
        "events:*Rule",
        "events:PutTargets",
    ]
    role = service_role(cloud, name, "states.amazonaws.com", actions)
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)
    machine = machine["stateMachineArn"]
    return cloud.wait_for_execution(sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"])


def test_throttled_sdk_integration_is_retried_by_the_state_machine(cloud):
    cloud.faults.throttle("sagemaker", "ListModels", times=1)
    described = _run(
        cloud,
        {
            "StartAt": "List",
            "States": {
                "List": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:sagemaker:listModels",
                    "Retry": [
                        {
                            "ErrorEquals": ["SageMaker.SageMakerException"],
                            "IntervalSeconds": 1,
                            "MaxAttempts": 2,
                        }
                    ],
                    "End": True,
                }
            },
        },
    )
    assert described["status"] == "SUCCEEDED", described
    assert cloud.faults.throttled_count("sagemaker", "ListModels") == 1


def test_throttled_sagemaker_sync_create_is_retried(cloud):
    sagemaker = cloud.client("sagemaker")
    sagemaker.create_model(
        ModelName="faults-m",
        ExecutionRoleArn=service_role(cloud, "faults-model", "sagemaker.amazonaws.com", ["s3:*"]),
        PrimaryContainer={"Image": "i"},
    )
    cloud.faults.throttle("sagemaker", "CreateTransformJob", times=1)
    described = _run(
        cloud,
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
                    "Parameters": {
                        "TransformJobName": "faults-job",
                        "ModelName": "faults-m",
                        "TransformInput": {
                            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}}
                        },
                        "TransformOutput": {"S3OutputPath": "s3://b/out/"},
                        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
                    },
                    "Retry": [
                        {
                            "ErrorEquals": ["SageMaker.AmazonSageMakerException"],
                            "IntervalSeconds": 1,
                            "MaxAttempts": 1,
                        }
                    ],
                    "End": True,
                }
            },
        },
    )
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["TransformJobStatus"] == "Completed"
    assert (
        cloud.client("sagemaker").describe_transform_job(TransformJobName="faults-job")["ModelName"]
        == "faults-m"
    )
    assert REGION in described["executionArn"]


def test_throttled_lambda_invoke_reaches_api_callers(cloud):
    from botocore.exceptions import ClientError

    cloud.faults.throttle("lambda", "Invoke", times=1)
    with pytest.raises(ClientError, match="TooManyRequestsException"):
        cloud.invoke("EchoFunction", {"name": "first"})
    assert cloud.invoke("EchoFunction", {"name": "second"}).ok


def test_a_lost_answer_makes_the_call_then_answers_the_error(cloud):
    sns = cloud.client("sns")
    topic = sns.list_topics()["Topics"][0]["TopicArn"]
    sent = len(cloud.outbox.messages)
    # Given the next Publish's answer is lost
    cloud.faults.lose_answer("sns", "Publish")
    # When it is called
    with pytest.raises(ClientError) as lost:
        sns.publish(TopicArn=topic, Message="published, answer lost")
    # Then the caller saw the error, the message went out, and a throttle-only caller never takes the fault
    assert lost.value.response["Error"]["Code"] == "InternalFailure"
    assert [m.message for m in cloud.outbox.messages[sent:]] == ["published, answer lost"]
    assert cloud.faults.throttled_count("sns", "Publish") == 1
    faults = Faults()
    faults.lose_answer("sns", "Publish")
    assert faults.take_throttle_code("sns", "Publish") is None
    assert faults.take_fault("sns", "Publish") == ("InternalFailure", True)


def test_held_jobs_match_glob_patterns_until_cleared():
    faults = Faults()
    faults.hold_job("*-retrain-ep1")
    assert faults.job_held("group-retrain-ep1")
    assert not faults.job_held("group-retrain-ep2")
    faults.clear()
    assert not faults.job_held("group-retrain-ep1")


def test_wait_quiescent_returns_once_every_run_and_its_events_are_done(cloud):
    # Given a run is going on
    arn = cloud.start_execution("FlowStateMachine", {"name": "quiescent"})
    # When the cloud is quiescent
    cloud.wait_quiescent(timeout=60)
    # Then the run has ended and its status-change event was routed: counts read now are final
    assert cloud.client("stepfunctions").describe_execution(executionArn=arn)["status"] != "RUNNING"
    assert [e for e in cloud.router.emitted if e.get("resources") == [arn]]
    assert cloud.router.wait_idle(0)
