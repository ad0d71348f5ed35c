"""localcloud.request_validation on botocore's real service models: the requests the project makes
pass, broken ones fail with AWS's error code and message form (the AWS sources are cited in the
module), and every input pattern of the services the project uses translates from Java."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import ServiceModel
from mlops_loop.retraining import names
from mlops_loop.scheduling import execution_name

from localcloud import request_validation as rv
from localcloud.request_validation import (
    UnmodelledRejection,
    UntranslatablePattern,
    check_request,
    input_patterns,
    translate_pattern,
    untranslatable_patterns,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mlops-loop-SageMakerExecutionRole-1A2B3C"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GROUP = "churn-model"
PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/3"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
MONITOR = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SERVICES = (
    "sagemaker",
    "stepfunctions",
    "lambda",
    "sns",
    "events",
    "dynamodb",
    "ssm",
    "s3",
    "kms",
    "sqs",
    "scheduler",
    "sts",
)

_session = botocore.session.get_session()


def model(service: str) -> ServiceModel:
    return _session.get_service_model(service)


def refusal(service: str, operation: str, params: dict[str, Any], **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        check_request(model(service), operation, params, **kwargs)
    return caught.value


# ---------------------------------------------------------------------------------------------
# Requests the project makes (functions/, layers/shared/, statemachines/, localcloud/): all pass
# ---------------------------------------------------------------------------------------------

RUN_ID = execution_name("scheduled", datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # scheduling.py
JOBS = names.job_names(GROUP, RUN_ID)
TAGS = [
    {"Key": "mlops:environment", "Value": "dev"},
    {"Key": "mlops:model-package-arn", "Value": PACKAGE},
    {"Key": "mlops:run-id", "Value": RUN_ID},
]
S3_INPUT = f"s3://mlops-artifacts-{ACCOUNT}/batches/{RUN_ID}/"

PROJECT_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    # layers/shared/mlops_loop/registry.py, retraining/freshness.py
    ("sagemaker", "DescribeModelPackageGroup", {"ModelPackageGroupName": GROUP}),
    (
        "sagemaker",
        "ListModelPackages",
        {
            "ModelPackageGroupName": GROUP,
            "ModelApprovalStatus": "Approved",
            "ModelPackageType": "Versioned",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 100,
        },
    ),
    ("sagemaker", "DescribeModelPackage", {"ModelPackageName": PACKAGE}),
    ("sagemaker", "DescribeModel", {"ModelName": JOBS["modelName"]}),
    (
        "sagemaker",
        "StartPipelineExecution",  # retraining/starter.py
        {
            "PipelineName": "mlops-loop-retraining",
            "PipelineExecutionDisplayName": names.sagemaker_name(
                names.execution_name("drift-" + RUN_ID), names.DISPLAY_NAME_MAX
            ),
            "PipelineExecutionDescription": f"Retraining (drift), episode {RUN_ID}",
            "PipelineParameters": [{"Name": "QualityGateMinAuc", "Value": "0.8"}],
            "ClientRequestToken": names.client_request_token(GROUP, RUN_ID),
        },
    ),
    (
        "sagemaker",
        "DescribePipelineExecution",
        {"PipelineExecutionArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/p/execution/abc123def456"},
    ),
    # statemachines/batch_inference.asl.json, after JSONata / substitution
    (
        "sagemaker",
        "CreateModel",
        {
            "ModelName": names.sagemaker_name(f"{GROUP}-v3"),
            "ExecutionRoleArn": ROLE,
            "PrimaryContainer": {"ModelPackageName": PACKAGE},
            "Tags": TAGS,
        },
    ),
    (
        "sagemaker",
        "CreateTransformJob",
        {
            "TransformJobName": re.sub(r"-+$", "", re.sub(r"[^a-zA-Z0-9-]", "-", f"bt-v3-{RUN_ID}")[:63]),
            "ModelName": names.sagemaker_name(f"{GROUP}-v3"),
            "BatchStrategy": "MultiRecord",
            "MaxPayloadInMB": 6,
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": S3_INPUT}},
                "ContentType": "text/csv",
                "SplitType": "Line",
                "CompressionType": "None",
            },
            "TransformOutput": {
                "S3OutputPath": f"s3://mlops-artifacts-{ACCOUNT}/inference/{GROUP}/v3/{RUN_ID}/predictions/",
                "Accept": "text/csv",
                "AssembleWith": "Line",
                "KmsKeyId": KEY,
            },
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            "Tags": TAGS,
        },
    ),
    (
        "sagemaker",
        "CreateProcessingJob",
        {
            "ProcessingJobName": f"mm-v3-{RUN_ID}",
            "RoleArn": ROLE,
            "AppSpecification": {"ImageUri": MONITOR},
            "Environment": {
                "dataset_format": json.dumps({"csv": {"header": False}}),
                "dataset_source": "/opt/ml/processing/input/batch",
                "output_path": "/opt/ml/processing/output",
                "publish_cloudwatch_metrics": "Disabled",
            },
            "ProcessingInputs": [
                {
                    "InputName": "batch",
                    "S3Input": {
                        "S3Uri": S3_INPUT,
                        "LocalPath": "/opt/ml/processing/input/batch",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "report",
                        "S3Output": {
                            "S3Uri": f"s3://mlops-artifacts-{ACCOUNT}/monitoring/{RUN_ID}/",
                            "LocalPath": "/opt/ml/processing/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ],
                "KmsKeyId": KEY,
            },
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "Tags": TAGS,
        },
    ),
    # statemachines/retraining.asl.json
    (
        "sagemaker",
        "CreateTrainingJob",
        {
            "TrainingJobName": JOBS["trainingJobName"],
            "RoleArn": ROLE,
            "AlgorithmSpecification": {"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
            "HyperParameters": {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "100"},
            "InputDataConfig": [
                {
                    "ChannelName": "train",
                    "ContentType": "text/csv",
                    "CompressionType": "None",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://mlops-artifacts-{ACCOUNT}/retraining/{RUN_ID}/train/",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://mlops-artifacts-{ACCOUNT}/models/", "KmsKeyId": KEY},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "Tags": [{"Key": "mlops:run-id", "Value": RUN_ID}, {"Key": "mlops:reason", "Value": "drift"}],
        },
    ),
    (
        "sagemaker",
        "CreateModelPackage",
        {
            "ModelPackageGroupName": GROUP,
            "ModelPackageDescription": f"Retrained (drift) by run {RUN_ID}: AUC 0.97 on 114 held-out rows.",
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [{"Image": XGBOOST, "ModelDataUrl": "s3://b/models/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedTransformInstanceTypes": ["ml.m5.large"],
            },
            "ModelMetrics": {
                "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://b/e.json"}}
            },
            "CustomerMetadataProperties": {
                "reason": "drift",
                "episodeId": RUN_ID,
                "sourceExecutionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:batch:{RUN_ID}",
            },
        },
    ),
    # scheduling.py, retraining/starter.py, failures.py
    (
        "stepfunctions",
        "StartExecution",
        {
            "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:mlops-loop-batch-inference",
            "name": RUN_ID,
            "input": json.dumps({"runId": RUN_ID, "batchInputS3Uri": S3_INPUT, "trigger": "schedule"}),
        },
    ),
    (
        "stepfunctions",
        "StartExecution",
        {
            "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:mlops-loop-retraining",
            "name": names.execution_name(f"drift-{GROUP}-{RUN_ID}"),
            "input": "{}",
        },
    ),
    (
        "stepfunctions",
        "DescribeExecution",
        {"executionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:mlops-loop-batch-inference:{RUN_ID}"},
    ),
    # live.py
    ("ssm", "GetParameter", {"Name": f"/mlops-loop/{GROUP}/live-model"}),
    (
        "ssm",
        "PutParameter",
        {
            "Name": f"/mlops-loop/{GROUP}/live-model",
            "Value": json.dumps({"v": 3}),
            "Type": "String",
            "Overwrite": True,
        },
    ),
    # retraining/starter.py, statemachines/retraining.asl.json (ReleaseLock)
    (
        "dynamodb",
        "PutItem",
        {
            "TableName": "mlops-loop-StateTable-ABC123",
            "Item": {"id": {"S": names.lock_key(GROUP)}, "expiration": {"N": "1764000000"}},
            "ConditionExpression": "attribute_not_exists(id) OR expiration < :now",
            "ExpressionAttributeValues": {":now": {"N": "1763990000"}},
        },
    ),
    (
        "dynamodb",
        "DeleteItem",
        {
            "TableName": "mlops-loop-StateTable-ABC123",
            "Key": {"id": {"S": names.lock_key(GROUP)}},
            "ConditionExpression": "holder = :me",
            "ExpressionAttributeValues": {":me": {"S": RUN_ID}},
        },
    ),
    # notifications.py, batch_inference.asl.json (NotifyDrift)
    (
        "sns",
        "Publish",
        {
            "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:mlops-loop-notifications",
            "Subject": f"[dev] Drift detected: {GROUP} v3",
            "Message": "Data drift detected.",
        },
    ),
    # batch_inference.asl.json (PublishDriftEvent)
    (
        "events",
        "PutEvents",
        {
            "Entries": [
                {
                    "EventBusName": "default",
                    "Source": "mlops.loop",
                    "DetailType": "Data Drift Detected",
                    "Detail": json.dumps({"modelPackageGroupName": GROUP, "driftEpisodeId": RUN_ID}),
                }
            ]
        },
    ),
    # monitoring.py, retraining/prepare.py, evaluate.py
    (
        "s3",
        "PutObject",
        {"Bucket": "mlops-artifacts", "Key": f"retraining/{RUN_ID}/train.csv", "Body": b"1,2\n"},
    ),
    ("s3", "GetObject", {"Bucket": "mlops-artifacts", "Key": "baselines/statistics.json"}),
    ("s3", "ListObjectsV2", {"Bucket": "mlops-artifacts", "Prefix": f"monitoring/{RUN_ID}/"}),
    # localcloud/cloud.py (invoke), stack.py (schedules)
    (
        "lambda",
        "Invoke",
        {"FunctionName": "mlops-loop-ResolveModelFunction-AbC123", "Payload": b"{}", "LogType": "Tail"},
    ),
    (
        "scheduler",
        "CreateSchedule",
        {
            "Name": "mlops-loop-BatchInferenceSchedule",
            "ScheduleExpression": "cron(0 2 * * ? *)",
            "ScheduleExpressionTimezone": "Europe/Amsterdam",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:start-batch",
                "RoleArn": ROLE,
                "Input": "{}",
            },
            "State": "ENABLED",
        },
    ),
    ("kms", "Decrypt", {"CiphertextBlob": b"\x01" * 40, "KeyId": KEY}),
    (
        "sqs",
        "ReceiveMessage",
        {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/dlq", "MaxNumberOfMessages": 10},
    ),
    ("sts", "GetCallerIdentity", {}),
]


def project_request(operation: str) -> dict[str, Any]:
    """A copy of the project's request of this operation (from the table above)."""
    return dict(next(params for _, op, params in PROJECT_REQUESTS if op == operation))


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    PROJECT_REQUESTS,
    ids=[f"{s}.{o}-{i}" for i, (s, o, _) in enumerate(PROJECT_REQUESTS)],
)
def test_requests_the_project_makes_pass(service: str, operation: str, params: dict[str, Any]) -> None:
    check_request(model(service), operation, params)


# ---------------------------------------------------------------------------------------------
# Broken requests: AWS's code, status and message
# ---------------------------------------------------------------------------------------------


def test_pattern_violation_is_a_validation_exception_with_aws_message() -> None:
    err = refusal("sagemaker", "CreateModelPackageGroup", {"ModelPackageGroupName": "bad name!"})
    assert err.response["Error"]["Code"] == "ValidationException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.operation_name == "CreateModelPackageGroup"
    assert err.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name!' at 'modelPackageGroupName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
    )
    assert "An error occurred (ValidationException) when calling the CreateModelPackageGroup" in str(err)


def test_every_violation_is_listed_length_before_pattern() -> None:
    name = "m" * 70 + "!"
    err = refusal("sagemaker", "CreateModel", {"ModelName": name, "ExecutionRoleArn": ROLE})
    pattern = model("sagemaker").shape_for("ModelName").metadata["pattern"]
    assert err.response["Error"]["Message"] == (
        f"2 validation errors detected: Value '{name}' at 'modelName' failed to satisfy constraint: "
        "Member must have length less than or equal to 63; "
        f"Value '{name}' at 'modelName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern}"
    )


def test_list_members_are_reported_at_index_dot_member_one_based() -> None:
    tags = [{"Key": "ok", "Value": "v"}, {"Key": "k" * 129, "Value": "v"}, {"Key": "bad{key}", "Value": "v"}]
    err = refusal("sagemaker", "CreateModelPackageGroup", {"ModelPackageGroupName": GROUP, "Tags": tags})
    assert err.response["Error"]["Message"] == (
        "2 validation errors detected: "
        f"Value '{'k' * 129}' at 'tags.2.member.key' failed to satisfy constraint: "
        "Member must have length less than or equal to 128; "
        "Value 'bad{key}' at 'tags.3.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"
    )


def test_unicode_letters_pass_a_p_l_pattern() -> None:
    tags = [{"Key": "équipe", "Value": "Zürich 東京 +=@"}]
    check_request(
        model("sagemaker"), "CreateModelPackageGroup", {"ModelPackageGroupName": GROUP, "Tags": tags}
    )


def test_nested_structure_path_and_enum() -> None:
    params = project_request("CreateTransformJob")
    params["TransformResources"] = {"InstanceType": "ml.t2.nano", "InstanceCount": 1}
    message = refusal("sagemaker", "CreateTransformJob", params).response["Error"]["Message"]
    assert message.startswith(
        "1 validation error detected: Value 'ml.t2.nano' at 'transformResources.instanceType' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ml.m4.xlarge, "
    )
    enum = model("sagemaker").shape_for("TransformInstanceType").enum
    assert message.endswith(f"[{', '.join(enum)}]")


def test_number_above_max() -> None:
    err = refusal("sagemaker", "ListModelPackages", {"ModelPackageGroupName": GROUP, "MaxResults": 101})
    assert err.response["Error"]["Message"] == (
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )


def test_list_of_scalars_is_one_error_at_the_list() -> None:
    params = project_request("CreateModelPackage")
    spec = dict(params["InferenceSpecification"])
    spec["SupportedTransformInstanceTypes"] = ["ml.m5.large", "ml.bad"]
    params["InferenceSpecification"] = spec
    message = refusal("sagemaker", "CreateModelPackage", params).response["Error"]["Message"]
    enum = model("sagemaker").shape_for("TransformInstanceType").enum
    assert message == (
        "1 validation error detected: Value '[ml.m5.large, ml.bad]' at "
        "'inferenceSpecification.supportedTransformInstanceTypes' failed to satisfy constraint: "
        f"Member must satisfy constraint: [Member must satisfy enum value set: [{', '.join(enum)}]]"
    )


def test_map_values_are_one_error_listing_every_value_constraint() -> None:
    params = project_request("CreateProcessingJob")
    params["Environment"] = {"ok": "v", "long": "x" * 257}
    message = refusal("sagemaker", "CreateProcessingJob", params).response["Error"]["Message"]
    assert message == (
        f"1 validation error detected: Value '{{ok=v, long={'x' * 257}}}' at 'environment' failed to satisfy "
        "constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, "
        "Member must have length greater than or equal to 0, Member must satisfy regular expression "
        "pattern: [\\S\\s]*]"
    )


def test_sensitive_map_hides_its_value_as_lambda_does() -> None:
    # The exact message of klothoplatform/klotho#317 (CreateFunction, key "fs-cloud_bucket_name").
    params = {
        "FunctionName": "f",
        "Role": ROLE,
        "Code": {"ZipFile": b"zip"},
        "Environment": {"Variables": {"fs-cloud_bucket_name": "b"}},
    }
    err = refusal("lambda", "CreateFunction", params)
    assert err.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value at 'environment.variables' failed to satisfy "
        "constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
        "[a-zA-Z]([a-zA-Z0-9_])+]",
    }


def test_member_names_lower_only_the_first_letter() -> None:
    # Lambda reports KMSKeyArn "at 'kMSKeyArn'" (highsource/bitcoin-a-day#1).
    params = {"FunctionName": "f", "Role": ROLE, "Code": {"ZipFile": b"z"}, "KMSKeyArn": '"arn:aws:kms:x"'}
    message = refusal("lambda", "CreateFunction", params).response["Error"]["Message"]
    assert "Value '\"arn:aws:kms:x\"' at 'kMSKeyArn' failed to satisfy constraint" in message


def test_step_functions_execution_name_too_long() -> None:
    name = "test." + "x" * 80
    err = refusal(
        "stepfunctions",
        "StartExecution",
        {"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:sm", "name": name},
    )
    assert err.response["Error"]["Code"] == "ValidationException"
    assert err.response["Error"]["Message"] == (
        f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 80"
    )


def test_step_functions_input_is_sensitive() -> None:
    params = {"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:sm", "input": "x" * 262145}
    message = refusal("stepfunctions", "StartExecution", params).response["Error"]["Message"]
    assert message == (
        "1 validation error detected: Value at 'input' failed to satisfy constraint: "
        "Member must have length less than or equal to 262144"
    )


def test_sts_says_validation_error_with_sender_type() -> None:
    # JuliaCloud/AWSCore.jl#38: {"Code":"ValidationError","Message":"1 validation error detected: Value
    # 'a:b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression
    # pattern: [\\w+=,.@-]*","Type":"Sender"}
    err = refusal("sts", "AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "a:b"})
    assert err.response["Error"] == {
        "Code": "ValidationError",
        "Message": "1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        "Type": "Sender",
    }


def test_pattern_must_match_the_whole_value() -> None:
    # A prefix ("PowerUser") and the empty string match [\w+=,.@-]*; AWS still refuses.
    err = refusal("sts", "AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "PowerUser/hjacobs"})
    assert "Value 'PowerUser/hjacobs' at 'roleSessionName'" in err.response["Error"]["Message"]


def test_required_member_missing_when_the_client_does_not_validate() -> None:
    err = refusal("sagemaker", "DescribeModelPackageGroup", {}, client_validation=False)
    assert err.response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'modelPackageGroupName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_min_violation_is_botocores_own_error_when_the_client_validates() -> None:
    with pytest.raises(ParamValidationError, match="valid min length: 1"):
        check_request(model("ssm"), "GetParameter", {"Name": ""})
    err = refusal("ssm", "GetParameter", {"Name": ""}, client_validation=False)
    assert err.response["Error"]["Message"] == (
        "1 validation error detected: Value '' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_error_class_for_gives_the_clients_modelled_exception() -> None:
    client = boto3.client("scheduler", region_name=REGION)
    params = {
        "Name": "schedule_root-Cms/Entry/xyz",  # webiny/webiny-js#5445's refused name
        "ScheduleExpression": "rate(1 day)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", "RoleArn": ROLE},
    }
    with pytest.raises(client.exceptions.ValidationException) as caught:
        check_request(
            client.meta.service_model, "CreateSchedule", params, error_class_for=client.exceptions.from_code
        )
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'schedule_root-Cms/Entry/xyz' at 'name' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+"
    )


def test_services_whose_answer_is_unknown_refuse_loudly() -> None:
    with pytest.raises(UnmodelledRejection, match=r"s3\.PutObject .*'storageClass'"):
        check_request(model("s3"), "PutObject", {"Bucket": "b", "Key": "k", "StorageClass": "FAST"})
    with pytest.raises(UnmodelledRejection, match=r"lambda\.CreateFunction .*'runtime'"):
        check_request(
            model("lambda"),
            "CreateFunction",
            {"FunctionName": "f", "Role": ROLE, "Code": {"ZipFile": b"z"}, "Runtime": "python2"},
        )
    with pytest.raises(UnmodelledRejection, match=r"sns\.CreateTopic .*'tags\.1\.member\.key'"):
        check_request(model("sns"), "CreateTopic", {"Name": "t", "Tags": [{"Key": "k" * 129, "Value": "v"}]})


def _toy_model(pattern: str) -> ServiceModel:
    return ServiceModel(
        {
            "metadata": {"protocol": "json", "apiVersion": "2020-01-01", "endpointPrefix": "toy"},
            "operations": {"Go": {"name": "Go", "input": {"shape": "GoRequest"}}},
            "shapes": {
                "GoRequest": {"type": "structure", "members": {"Word": {"shape": "Word"}}},
                "Word": {"type": "string", "pattern": pattern},
            },
        },
        service_name=f"toy-{abs(hash(pattern))}",
    )


def test_an_untranslatable_pattern_is_a_named_refusal_not_a_pass() -> None:
    toy = _toy_model("\\p{InGreek}+")
    with pytest.raises(UntranslatablePattern) as caught:
        check_request(toy, "Go", {"Word": "anything"})
    assert caught.value.pattern == "\\p{InGreek}+"
    assert "\\p{InGreek}+" in str(caught.value)
    check_request(toy, "Go", {})  # no value, nothing to match: no refusal
    assert [r.pattern for r in untranslatable_patterns(toy)] == ["\\p{InGreek}+"]


def test_a_service_not_in_the_table_refuses_loudly() -> None:
    with pytest.raises(UnmodelledRejection, match="not in SERVICE_POLICIES"):
        check_request(_toy_model("[a-z]+"), "Go", {"Word": "ABC"})


# ---------------------------------------------------------------------------------------------
# The Java -> Python translator
# ---------------------------------------------------------------------------------------------


def matches(java: str, value: str) -> bool:
    return re.fullmatch(translate_pattern(java), value, re.ASCII) is not None


def test_unicode_categories() -> None:
    assert matches("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", "Zürich\u00a0東京 ٣")
    assert not matches("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", "a{b}")
    assert matches("\\P{L}+", "123 !") and not matches("\\P{L}+", "a")
    assert matches("\\p{Lu}\\p{Ll}+", "Ab") and not matches("\\p{Lu}", "a")


def test_posix_classes_are_ascii() -> None:
    assert matches("\\p{Print}+", "hello world~") and not matches("\\p{Print}+", "é")
    assert matches("\\p{ASCII}*", "\x00\x7f") and not matches("\\p{ASCII}*", "\x80")
    assert matches("arn:[\\p{Alnum}\\-]+:lambda:.*", "arn:aws-cn:lambda:x")


def test_java_escapes_are_ascii_and_a_dash_after_a_class_is_literal() -> None:
    java = "^arn:aws[a-z0-9-]*:iam::\\d{12}:role\\/[\\w-\\/.@+=,]{1,1017}$"  # an SSM pattern
    assert matches(java, "arn:aws:iam::123456789012:role/path-x/name.v@1")
    assert not matches(java, "arn:aws:iam::123456789012:role/nämé")


def test_escaped_surrogate_pairs_are_one_code_point() -> None:
    java = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*"
    assert matches(java, "emoji \U0001f600 ok\t")
    assert not matches(java, "bell \x07")


def test_quantified_anchor_and_dot_without_line_terminators() -> None:
    java = "([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}"  # SageMaker CustomerMetadataKey
    assert matches(java, "episodeId") and not matches(java, "a\n")
    assert matches("a.c", "abc")
    for terminator in ("\n", "\r", "\x85", "\u2028", "\u2029"):
        assert not matches("a.c", f"a{terminator}c")


def test_classes_nested_intersected_negated() -> None:
    assert matches("[a-z&&[^aeiou]]+", "bcd") and not matches("[a-z&&[^aeiou]]+", "bad")
    assert matches("[a[0-9]]+", "a1a2") and not matches("[a[0-9]]+", "b")
    assert matches("[^ /\\.$\\x22]*", "abc") and not matches("[^ /\\.$\\x22]*", 'a"b')
    assert matches("[!#-\\[\\]-~]+", "a[b]") and not matches("[!#-\\[\\]-~]+", '"')


def test_lookbehind_named_group_possessive_inline_flag() -> None:
    java = (  # a SageMaker name-or-ARN pattern
        "(arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*\\/)?"
        "([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)"
    )
    assert matches(java, "my-model") and not matches(java, "my-model-")
    assert matches("(?<word>[a-z]++)!", "abc!")
    assert matches("(?i)all|[0-9]{12}", "ALL")


def test_word_boundaries_are_javas_on_ascii_text_and_refused_next_to_other_text() -> None:
    # CloudFormation's StackName (CreateChangeSet, what `sam deploy` sends): `arn:\b(aws|...)\b:`.
    # Java's \b reads Unicode letters until JDK 19 and [a-zA-Z0-9_] since: equal on ASCII text.
    cfn = model("cloudformation")
    stack_name = "([a-zA-Z][-a-zA-Z0-9]*)|(arn:\\b(aws|aws-us-gov|aws-cn)\\b:[-a-zA-Z0-9:/._+]*)"
    assert matches(stack_name, "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1")
    assert matches(stack_name, "my-stack") and not matches(stack_name, "1-stack")
    assert matches("a\\Bb", "ab") and not matches("\\ba\\b-b", "ab")
    check_request(cfn, "CreateChangeSet", {"StackName": "my-stack", "ChangeSetName": "c1"})
    with pytest.raises(UntranslatablePattern, match="Java 8-18 and 19"):
        check_request(cfn, "CreateChangeSet", {"StackName": "stäck", "ChangeSetName": "c1"})


@pytest.mark.parametrize(
    "java",
    [
        "\\p{InGreek}",
        "\\p{IsLatin}+",
        "(?x) a b",
        "\\k<n>",
        "(a)\\1",
        "[a",
        "{1}",
        "a{x}",
        "\\R",
    ],
)
def test_what_is_not_handled_is_refused_by_name(java: str) -> None:
    with pytest.raises(UntranslatablePattern) as caught:
        translate_pattern(java)
    assert caught.value.pattern == java


PROBES = [
    "",
    "a",
    "abc-123",
    "A_b.c",
    "churn-model",
    "churn-model-",
    "-lead",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/3",
    "arn:aws:iam::123456789012:role/x",
    "s3://bucket/key/part-0.csv",
    "with space",
    "tab\tx",
    "ünïcödé",
    "x" * 300,
    "/path/to",
    "UPPER",
    "123456789012",
    '{"json": 1}',
    "a@b.c",
    "cron(0 2 * * ? *)",
    "%41%",
]


def test_plain_patterns_translate_to_the_same_matches() -> None:
    # Patterns Python can also read as they are (re.ASCII gives Java's \d \w \s): the translation
    # must accept and refuse exactly the same probes. Probes hold no line terminators, where `.`
    # differs on purpose.
    compared = 0
    for service in SERVICES:
        for java in input_patterns(model(service)):
            try:
                native = re.compile(java, re.ASCII)
            except re.error:
                continue
            translated = re.compile(translate_pattern(java), re.ASCII)
            for probe in PROBES:
                assert bool(native.fullmatch(probe)) == bool(translated.fullmatch(probe)), (java, probe)
            compared += 1
    assert compared > 300


def test_every_input_pattern_of_the_projects_services_translates() -> None:
    """None silently skipped: each is translated and compiled, or the test names it."""
    total = 0
    refused: list[str] = []
    for service in SERVICES:
        for java in input_patterns(model(service)):
            total += 1
            try:
                re.compile(translate_pattern(java), re.ASCII)
            except UntranslatablePattern as exc:
                refused.append(f"{service}: {exc}")
        assert untranslatable_patterns(model(service)) == []
    assert refused == []
    assert total == 389  # distinct patterns per service, botocore 1.44.5 (README figure)


def test_cli_lists_refusals_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert rv.main(["sagemaker", "CreateModelPackage"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"\d+ distinct input patterns in sagemaker\.CreateModelPackage, 0 untranslatable", err)


def test_java_double_to_string() -> None:
    assert [rv._java_double(x) for x in (0.25, 100.0, 1e-5, 1.5e7, -0.0)] == [
        "0.25",
        "100.0",
        "1.0E-5",
        "1.5E7",
        "-0.0",
    ]
