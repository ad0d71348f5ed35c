"""localcloud.iam.catalog: the IAM action and resource ARN each call this project makes needs.

The calls were enumerated from functions/, layers/shared/, localcloud/sagemaker_jobs/ and the Task
states of statemachines/*.asl.json (with what `.sync` polls and the managed rule it needs). Sources:
- SAR: the Service Authorization Reference page of each service ("Actions, resources, and condition
  keys for <service>", docs.aws.amazon.com/service-authorization/latest/reference/list_<service>.html):
  action names, resource types and their ARN formats, dependent actions (iam:PassRole, AddTags).
- S3: Amazon S3 API Reference, the "Permissions" line of each operation: ListObjectsV2 "you must have
  READ access to the bucket ... s3:ListBucket"; HeadObject "you must have the s3:GetObject permission";
  CopyObject "read access to the source object and write access to the destination bucket"
  (s3:GetObject, s3:PutObject); bucket ARNs arn:aws:s3:::bucket, objects arn:aws:s3:::bucket/key.
- LAMBDA: Lambda Developer Guide, "Resources and conditions for Lambda actions": Invoke is
  lambda:InvokeFunction ("a special case where the action identifier (lambda:InvokeFunction) differs
  from the API operation (Invoke)"); function, version and alias ARNs.
- SFN_SM: Step Functions Developer Guide, "IAM policies for Amazon SageMaker": the .sync pattern needs
  sagemaker:Create/Describe/Stop<Job>, sagemaker:ListTags, iam:PassRole with
  "iam:PassedToService": "sagemaker.amazonaws.com", and events:PutTargets/PutRule/DescribeRule on
  "arn:aws:events:[[region]]:[[accountId]]:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule".
- EVENTS: EventBridge User Guide, "Using IAM policy conditions in Amazon EventBridge": PutEvents is
  authorized per entry on the target bus with events:source and events:detail-type.
- SageMaker names keep their case in IAM evaluation: real AccessDenied messages show the ARN as the
  request named it (aws-samples/ml-edge-getting-started#18: "model-package/modelPackageGroupTurbine/1";
  awslabs/service-workbench-on-aws#1176: "notebook-instance-lifecycle-config/BasicNotebookInstance
  LifecycleConfig-pR9dIu4ZjVhk"), and policies had to match that case (aws-samples/ml-edge-getting-started
  #19 "remove .lower() to match model package group name"). Only some ARNs SageMaker *returns* are
  lower-cased (boto/boto3#4606, tuning jobs); the catalog never changes the case of what it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.iam.catalog import Need, UnmappedRequestError, needs_for

REGION = "us-east-1"
A = "111122223333"
B = "444455556666"
ROOT = Path(__file__).resolve().parents[2]
SM_ROLE = f"arn:aws:iam::{A}:role/SageMakerExecutionRole"


def needs(service: str, operation: str, **params: Any) -> list[tuple[str, str]]:
    return [(n.action, n.resource) for n in needs_for(service, operation, params, REGION, A)]


def only(service: str, operation: str, **params: Any) -> Need:
    (need,) = needs_for(service, operation, params, REGION, A)
    return need


# -- S3 ------------------------------------------------------------------------------------------------
def test_s3_object_reads_and_writes() -> None:
    # S3; SAR (Amazon S3): object ARN arn:${Partition}:s3:::${BucketName}/${ObjectName}
    assert needs("s3", "GetObject", Bucket="b", Key="monitoring/x.json") == [
        ("s3:GetObject", "arn:aws:s3:::b/monitoring/x.json")
    ]
    assert needs("s3", "PutObject", Bucket="b", Key="a/b.csv", Body=b"x") == [
        ("s3:PutObject", "arn:aws:s3:::b/a/b.csv")
    ]


def test_s3_head_object_needs_get_object() -> None:
    # S3, HeadObject: "you must have the s3:GetObject permission"
    assert needs("s3", "HeadObject", Bucket="b", Key="k") == [("s3:GetObject", "arn:aws:s3:::b/k")]


def test_s3_list_objects_v2_needs_list_bucket_on_the_bucket_with_the_prefix() -> None:
    # S3, ListObjectsV2: s3:ListBucket on the bucket; the prefix is the s3:prefix condition key (SAR).
    need = only("s3", "ListObjectsV2", Bucket="b", Prefix="batch/out/")
    assert (need.action, need.resource) == ("s3:ListBucket", "arn:aws:s3:::b")
    assert need.context == {"s3:prefix": "batch/out/"}


def test_s3_copy_object_reads_source_and_writes_target() -> None:
    # S3, CopyObject: s3:GetObject on the source, s3:PutObject on the destination.
    assert needs("s3", "CopyObject", Bucket="dst", Key="k2", CopySource="src/dir/k1?versionId=3") == [
        ("s3:GetObject", "arn:aws:s3:::src/dir/k1"),
        ("s3:PutObject", "arn:aws:s3:::dst/k2"),
    ]
    assert needs("s3", "CopyObject", Bucket="dst", Key="k2", CopySource={"Bucket": "src", "Key": "k1"})[
        0
    ] == (
        "s3:GetObject",
        "arn:aws:s3:::src/k1",
    )


# -- SSM, Step Functions, DynamoDB, SNS, SQS, KMS ------------------------------------------------------
def test_ssm_parameter_arn_has_one_slash() -> None:
    # SAR (Systems Manager): parameter ARN arn:...:parameter/${ParameterNameWithoutLeadingSlash}
    arn = f"arn:aws:ssm:{REGION}:{A}:parameter/stack/live-model-package"
    assert needs("ssm", "GetParameter", Name="/stack/live-model-package") == [("ssm:GetParameter", arn)]
    assert needs("ssm", "PutParameter", Name="/stack/live-model-package", Value="v") == [
        ("ssm:PutParameter", arn)
    ]


def test_step_functions_start_and_describe_execution() -> None:
    # SAR (Step Functions): StartExecution on the stateMachine, DescribeExecution on the execution.
    machine = f"arn:aws:states:{REGION}:{A}:stateMachine:Retraining"
    execution = f"arn:aws:states:{REGION}:{A}:execution:Retraining:run-1"
    assert needs("states", "StartExecution", stateMachineArn=machine, input="{}") == [
        ("states:StartExecution", machine)
    ]
    assert needs("states", "DescribeExecution", executionArn=execution) == [
        ("states:DescribeExecution", execution)
    ]


@pytest.mark.parametrize("operation", ["PutItem", "GetItem", "UpdateItem", "DeleteItem"])
def test_dynamodb_item_calls_on_the_table(operation: str) -> None:
    # SAR (DynamoDB): table ARN arn:...:dynamodb:${Region}:${Account}:table/${TableName}
    assert needs("dynamodb", operation, TableName="Locks", Key={}) == [
        (f"dynamodb:{operation}", f"arn:aws:dynamodb:{REGION}:{A}:table/Locks")
    ]


def test_sns_publish_on_the_topic() -> None:
    topic = f"arn:aws:sns:{REGION}:{A}:Notifications"
    assert needs("sns", "Publish", TopicArn=topic, Message="m") == [("sns:Publish", topic)]


def test_sqs_send_message_on_the_queue_of_the_url() -> None:
    # SAR (SQS): queue ARN arn:...:sqs:${Region}:${Account}:${QueueName}; the account from the URL.
    url = f"https://sqs.{REGION}.amazonaws.com/{B}/dlq"
    assert needs("sqs", "SendMessage", QueueUrl=url, MessageBody="x") == [
        ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{B}:dlq")
    ]


def test_kms_needs_the_key_and_refuses_when_the_request_names_none() -> None:
    # SAR (KMS): GenerateDataKey and Decrypt require the key resource; Decrypt's key is inside the
    # ciphertext, not in the request: it cannot be built here and is refused.
    key = f"arn:aws:kms:{REGION}:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert needs("kms", "GenerateDataKey", KeyId=key) == [("kms:GenerateDataKey", key)]
    with pytest.raises(UnmappedRequestError):
        needs("kms", "Decrypt", CiphertextBlob=b"x")


def test_sts_get_caller_identity_needs_nothing() -> None:
    # STS API Reference, GetCallerIdentity: "No permissions are required to perform this operation."
    assert needs("sts", "GetCallerIdentity") == []


# -- Lambda --------------------------------------------------------------------------------------------
def test_lambda_invoke_is_invoke_function_on_each_name_form() -> None:
    # LAMBDA: name, partial ARN, full ARN; a version or alias gives the qualified ARN.
    function = f"arn:aws:lambda:{REGION}:{A}:function:evaluate"
    assert needs("lambda", "Invoke", FunctionName="evaluate") == [("lambda:InvokeFunction", function)]
    assert needs("lambda", "Invoke", FunctionName=function, Payload=b"{}") == [
        ("lambda:InvokeFunction", function)
    ]
    assert needs("lambda", "Invoke", FunctionName=f"{B}:function:evaluate") == [
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{B}:function:evaluate")
    ]
    assert needs("lambda", "Invoke", FunctionName="evaluate:live") == [
        ("lambda:InvokeFunction", f"{function}:live")
    ]
    assert needs("lambda", "Invoke", FunctionName="evaluate", Qualifier="3") == [
        ("lambda:InvokeFunction", f"{function}:3")
    ]


# -- EventBridge ---------------------------------------------------------------------------------------
def test_put_events_is_authorized_per_entry_with_its_source() -> None:
    # EVENTS: one authorization per entry, on its bus, with events:source and events:detail-type.
    central = f"arn:aws:events:{REGION}:{B}:event-bus/central"
    found = needs_for(
        "events",
        "PutEvents",
        {
            "Entries": [
                {"Source": "mlops.monitoring", "DetailType": "Drift Detected", "Detail": "{}"},
                {"Source": "mlops.registry", "DetailType": "x", "Detail": "{}", "EventBusName": central},
            ]
        },
        REGION,
        A,
    )
    assert [(n.action, n.resource, dict(n.context)) for n in found] == [
        (
            "events:PutEvents",
            f"arn:aws:events:{REGION}:{A}:event-bus/default",
            {"events:source": "mlops.monitoring", "events:detail-type": "Drift Detected"},
        ),
        ("events:PutEvents", central, {"events:source": "mlops.registry", "events:detail-type": "x"}),
    ]


@pytest.mark.parametrize("operation", ["PutRule", "PutTargets", "DescribeRule"])
def test_managed_rule_on_the_default_bus_has_no_bus_in_its_arn(operation: str) -> None:
    # SFN_SM: "arn:aws:events:[[region]]:[[accountId]]:rule/
    #   StepFunctionsGetEventsForSageMakerTrainingJobsRule";
    # SAR (EventBridge): rule-on-default-event-bus rule/${RuleName}, rule-on-custom-event-bus
    # rule/${EventBusName}/${RuleName}.
    name = "StepFunctionsGetEventsForSageMakerTrainingJobsRule"
    params: dict[str, Any] = {"Rule": name, "Targets": []} if operation == "PutTargets" else {"Name": name}
    assert needs("events", operation, **params) == [
        (f"events:{operation}", f"arn:aws:events:{REGION}:{A}:rule/{name}")
    ]
    assert needs("events", operation, **params, EventBusName="central") == [
        (f"events:{operation}", f"arn:aws:events:{REGION}:{A}:rule/central/{name}")
    ]


# -- SageMaker -----------------------------------------------------------------------------------------
def sm(kind: str, name: str, account: str = A) -> str:
    return f"arn:aws:sagemaker:{REGION}:{account}:{kind}/{name}"


def test_sagemaker_describe_calls_on_their_resources_with_the_case_kept() -> None:
    # SAR (SageMaker): model/${ModelName}, training-job/${TrainingJobName}, transform-job/...,
    # processing-job/..., pipeline/${PipelineName}/execution/${RandomString}.
    assert needs("sagemaker", "DescribeModel", ModelName="Candidate-1") == [
        ("sagemaker:DescribeModel", sm("model", "Candidate-1"))
    ]
    assert needs("sagemaker", "DescribeTrainingJob", TrainingJobName="Retrain-1") == [
        ("sagemaker:DescribeTrainingJob", sm("training-job", "Retrain-1"))
    ]
    assert needs("sagemaker", "DescribeTransformJob", TransformJobName="Score-1") == [
        ("sagemaker:DescribeTransformJob", sm("transform-job", "Score-1"))
    ]
    assert needs("sagemaker", "DescribeProcessingJob", ProcessingJobName="Monitor-1") == [
        ("sagemaker:DescribeProcessingJob", sm("processing-job", "Monitor-1"))
    ]
    execution = sm("pipeline", "Retraining/execution/abc123")
    assert needs("sagemaker", "DescribePipelineExecution", PipelineExecutionArn=execution) == [
        ("sagemaker:DescribePipelineExecution", execution)
    ]


def test_model_package_group_by_name_or_by_arn_of_another_account() -> None:
    # SAR: model-package-group/${ModelPackageGroupName}; botocore's ArnOrName: a name (this account)
    # or an ARN (any account: the central registry).
    assert needs("sagemaker", "DescribeModelPackageGroup", ModelPackageGroupName="churn") == [
        ("sagemaker:DescribeModelPackageGroup", sm("model-package-group", "churn"))
    ]
    central = sm("model-package-group", "churn", B)
    assert needs("sagemaker", "DescribeModelPackageGroup", ModelPackageGroupName=central) == [
        ("sagemaker:DescribeModelPackageGroup", central)
    ]
    # Registering into a group (by name or by the central registry's ARN), and listing a group named
    # by ARN, are authorized on the group's versions, where AWS's documented cross-account group
    # policies grant them (model-registry-version#model-registry-version-xaccount,
    # model-registry-deploy-xaccount): the version SageMaker numbers is written "*".
    assert needs(
        "sagemaker", "CreateModelPackage", ModelPackageGroupName=central, ModelApprovalStatus="x"
    ) == [("sagemaker:CreateModelPackage", sm("model-package", "churn/*", B))]
    assert needs("sagemaker", "CreateModelPackage", ModelPackageGroupName="churn") == [
        ("sagemaker:CreateModelPackage", sm("model-package", "churn/*"))
    ]
    assert needs("sagemaker", "ListModelPackages", ModelPackageGroupName=central) == [
        ("sagemaker:ListModelPackages", sm("model-package", "churn/*", B))
    ]
    assert needs("sagemaker", "ListModelPackages", ModelPackageGroupName="churn") == [
        ("sagemaker:ListModelPackages", "*")
    ]


def test_model_package_by_arn_or_by_group_and_version() -> None:
    # SAR: model-package/${ModelPackageName}; botocore's VersionedArnOrName takes an ARN or
    # "group/version"; the case is kept (ml-edge-getting-started#18:
    # model-package/modelPackageGroupTurbine/1).
    package = sm("model-package", "modelPackageGroupTurbine/1", B)
    assert needs("sagemaker", "DescribeModelPackage", ModelPackageName=package) == [
        ("sagemaker:DescribeModelPackage", package)
    ]
    assert needs("sagemaker", "DescribeModelPackage", ModelPackageName="churn/3") == [
        ("sagemaker:DescribeModelPackage", sm("model-package", "churn/3"))
    ]


def test_list_model_packages_has_no_resource_level_permission() -> None:
    # SAR: ListModelPackages lists no required resource type: "*".
    assert needs("sagemaker", "ListModelPackages", ModelPackageGroupName="churn") == [
        ("sagemaker:ListModelPackages", "*")
    ]


def test_create_model_passes_the_role_to_sagemaker_and_tags() -> None:
    # SAR: CreateModel's dependent actions iam:PassRole and sagemaker:AddTags; SFN_SM: PassRole with
    # iam:PassedToService sagemaker.amazonaws.com.
    found = needs_for(
        "sagemaker",
        "CreateModel",
        {"ModelName": "candidate", "ExecutionRoleArn": SM_ROLE, "Tags": [{"Key": "k", "Value": "v"}]},
        REGION,
        A,
    )
    assert [(n.action, n.resource, dict(n.context)) for n in found] == [
        ("sagemaker:CreateModel", sm("model", "candidate"), {}),
        ("iam:PassRole", SM_ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
        ("sagemaker:AddTags", sm("model", "candidate"), {}),
    ]


def test_create_model_from_another_accounts_version_is_checked_on_that_version() -> None:
    # SageMaker Developer Guide, model-registry-deploy-xaccount: the owner's group policy grants
    # sagemaker:CreateModel on model-package/GROUP/*; a version of the caller's own account adds nothing.
    foreign = f"arn:aws:sagemaker:{REGION}:{B}:model-package/churn/3"
    own = f"arn:aws:sagemaker:{REGION}:{A}:model-package/churn/2"
    found = needs(
        "sagemaker",
        "CreateModel",
        ModelName="m",
        ExecutionRoleArn=SM_ROLE,
        PrimaryContainer={"ModelPackageName": foreign},
    )
    assert ("sagemaker:CreateModel", foreign) in found
    container = {"ModelPackageName": own}
    local = needs("sagemaker", "CreateModel", ModelName="m", ExecutionRoleArn=SM_ROLE, Containers=[container])
    assert ("sagemaker:CreateModel", own) not in local
    assert local[0] == ("sagemaker:CreateModel", sm("model", "m"))


def test_create_training_and_processing_jobs_pass_the_role() -> None:
    # SFN_SM (CreateTrainingJob, CreateProcessingJob) and SAR dependent actions.
    train = needs_for(
        "sagemaker", "CreateTrainingJob", {"TrainingJobName": "retrain-7", "RoleArn": SM_ROLE}, REGION, A
    )
    assert [(n.action, n.resource) for n in train] == [
        ("sagemaker:CreateTrainingJob", sm("training-job", "retrain-7")),
        ("iam:PassRole", SM_ROLE),
    ]
    assert train[1].context == {"iam:PassedToService": "sagemaker.amazonaws.com"}
    process = needs(
        "sagemaker",
        "CreateProcessingJob",
        ProcessingJobName="monitor-7",
        RoleArn=SM_ROLE,
        Tags=[{"Key": "k"}],
    )
    assert process[:2] == [
        ("sagemaker:CreateProcessingJob", sm("processing-job", "monitor-7")),
        ("iam:PassRole", SM_ROLE),
    ]


def test_create_transform_job_passes_no_role_and_tags_only_with_tags() -> None:
    # SAR: CreateTransformJob depends on sagemaker:AddTags (a request with Tags), not iam:PassRole.
    assert needs("sagemaker", "CreateTransformJob", TransformJobName="score-1", ModelName="m") == [
        ("sagemaker:CreateTransformJob", sm("transform-job", "score-1"))
    ]
    assert needs(
        "sagemaker", "CreateTransformJob", TransformJobName="score-1", ModelName="m", Tags=[{"Key": "k"}]
    ) == [
        ("sagemaker:CreateTransformJob", sm("transform-job", "score-1")),
        ("sagemaker:AddTags", sm("transform-job", "score-1")),
    ]


def test_add_tags_and_list_tags_on_the_arn_given() -> None:
    # SAR: AddTags/ListTags take any taggable type; the request's ResourceArn is the resource
    # (SFN_SM grants sagemaker:ListTags for the .sync pattern).
    job = sm("training-job", "retrain-7")
    assert needs("sagemaker", "ListTags", ResourceArn=job) == [("sagemaker:ListTags", job)]
    assert needs("sagemaker", "AddTags", ResourceArn=job, Tags=[]) == [("sagemaker:AddTags", job)]
    group = sm("model-package-group", "churn", B)
    assert needs("sagemaker", "ListTags", ResourceArn=group) == [("sagemaker:ListTags", group)]


# -- refusals ------------------------------------------------------------------------------------------
def test_unbuildable_or_unknown_is_refused_never_allowed() -> None:
    with pytest.raises(UnmappedRequestError):
        needs("sagemaker", "DescribeModel")  # the required model cannot be named
    with pytest.raises(UnmappedRequestError):
        needs("sagemaker", "NoSuchOperation")
    with pytest.raises(UnmappedRequestError):
        needs("nosuchservice", "Anything")
    with pytest.raises(UnmappedRequestError):
        needs("sagemaker", "DescribeEndpoint")


def test_a_stack_named_by_name_is_authorized_on_its_real_arn_and_a_new_one_on_name_star(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SAR (CloudFormation): stack ARN arn:...:stack/${StackName}/${Id}. CreateStack cannot know the
    # id AWS will assign (policies grant stack/NAME/*). A request naming an existing stack by name is
    # authorized on that stack's ARN, id included, so a Deny on the real id applies to it; a name no
    # stack has yet (sam deploy asks DescribeStacks first) is stack/NAME/*, as when it is created.
    assert needs("cloudformation", "CreateStack", StackName="mlops") == [
        ("cloudformation:CreateStack", f"arn:aws:cloudformation:{REGION}:{A}:stack/mlops/*")
    ]
    monkeypatch.setenv("MOTO_ACCOUNT_ID", A)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        assert needs("cloudformation", "DeleteStack", StackName="mlops") == [
            ("cloudformation:DeleteStack", f"arn:aws:cloudformation:{REGION}:{A}:stack/mlops/*")
        ]
        cfn = boto3.client("cloudformation", region_name=REGION)
        body = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
        created = cfn.create_stack(StackName="mlops", TemplateBody=json.dumps(body))["StackId"]
        assert f":{A}:stack/mlops/" in created
        assert needs("cloudformation", "DeleteStack", StackName="mlops") == [
            ("cloudformation:DeleteStack", created)
        ]
    stack = f"arn:aws:cloudformation:{REGION}:{A}:stack/mlops/1b2c3d4e"
    assert needs("cloudformation", "DeleteStack", StackName=stack) == [("cloudformation:DeleteStack", stack)]


# -- every Task state of the state machines is mapped --------------------------------------------------
# arn:aws:states:::<service>:<api>[.sync] -> the calls the task makes (SFN_SM for .sync: the create,
# then describe to poll, the managed rule; "Call other AWS services": aws-sdk:<service>:<api>).
def _rule(kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    name = f"StepFunctionsGetEventsForSageMaker{kind}JobsRule"
    return [
        ("events", "PutRule", {"Name": name}),
        ("events", "PutTargets", {"Rule": name, "Targets": []}),
        ("events", "DescribeRule", {"Name": name}),
    ]


TASK_CALLS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "arn:aws:states:::lambda:invoke": [("lambda", "Invoke", {"FunctionName": "f"})],
    "arn:aws:states:::sagemaker:createModel": [
        ("sagemaker", "CreateModel", {"ModelName": "m", "ExecutionRoleArn": SM_ROLE, "Tags": [{"Key": "k"}]})
    ],
    "arn:aws:states:::sagemaker:createTrainingJob.sync": [
        (
            "sagemaker",
            "CreateTrainingJob",
            {"TrainingJobName": "t", "RoleArn": SM_ROLE, "Tags": [{"Key": "k"}]},
        ),
        ("sagemaker", "DescribeTrainingJob", {"TrainingJobName": "t"}),
        ("sagemaker", "ListTags", {"ResourceArn": sm("training-job", "t")}),
        *_rule("Training"),
    ],
    "arn:aws:states:::sagemaker:createTransformJob.sync": [
        (
            "sagemaker",
            "CreateTransformJob",
            {"TransformJobName": "t", "ModelName": "m", "Tags": [{"Key": "k"}]},
        ),
        ("sagemaker", "DescribeTransformJob", {"TransformJobName": "t"}),
        ("sagemaker", "ListTags", {"ResourceArn": sm("transform-job", "t")}),
        *_rule("Transform"),
    ],
    "arn:aws:states:::sagemaker:createProcessingJob.sync": [
        (
            "sagemaker",
            "CreateProcessingJob",
            {"ProcessingJobName": "p", "RoleArn": SM_ROLE, "Tags": [{"Key": "k"}]},
        ),
        ("sagemaker", "DescribeProcessingJob", {"ProcessingJobName": "p"}),
        ("sagemaker", "ListTags", {"ResourceArn": sm("processing-job", "p")}),
        *_rule("Processing"),
    ],
    "arn:aws:states:::aws-sdk:sagemaker:createModelPackage": [
        ("sagemaker", "CreateModelPackage", {"ModelPackageGroupName": "churn"})
    ],
    # The retraining machine's idempotent steps (attach to a job of the run's name, stop it, adopt a model).
    "arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob": [
        ("sagemaker", "DescribeTrainingJob", {"TrainingJobName": "t"})
    ],
    "arn:aws:states:::aws-sdk:sagemaker:stopTrainingJob": [
        ("sagemaker", "StopTrainingJob", {"TrainingJobName": "t"})
    ],
    "arn:aws:states:::aws-sdk:sagemaker:describeTransformJob": [
        ("sagemaker", "DescribeTransformJob", {"TransformJobName": "t"})
    ],
    "arn:aws:states:::aws-sdk:sagemaker:stopTransformJob": [
        ("sagemaker", "StopTransformJob", {"TransformJobName": "t"})
    ],
    "arn:aws:states:::aws-sdk:sagemaker:describeProcessingJob": [
        ("sagemaker", "DescribeProcessingJob", {"ProcessingJobName": "p"})
    ],
    "arn:aws:states:::aws-sdk:sagemaker:stopProcessingJob": [
        ("sagemaker", "StopProcessingJob", {"ProcessingJobName": "p"})
    ],
    "arn:aws:states:::aws-sdk:sagemaker:describeModel": [("sagemaker", "DescribeModel", {"ModelName": "m"})],
    "arn:aws:states:::dynamodb:deleteItem": [("dynamodb", "DeleteItem", {"TableName": "Locks", "Key": {}})],
    "arn:aws:states:::events:putEvents": [("events", "PutEvents", {"Entries": [{"Source": "s"}]})],
    "arn:aws:states:::sns:publish": [("sns", "Publish", {"TopicArn": f"arn:aws:sns:{REGION}:{A}:t"})],
}


def _task_resources() -> set[str]:
    found: set[str] = set()

    def walk(states: dict[str, Any]) -> None:
        for state in states.values():
            if state.get("Type") == "Task":
                found.add(state["Resource"])
            for branch in state.get("Branches", []):
                walk(branch["States"])
            for key in ("Iterator", "ItemProcessor"):
                if key in state:
                    walk(state[key]["States"])

    for path in sorted((ROOT / "statemachines").glob("*.asl.json")):
        walk(json.loads(path.read_text())["States"])
    return found


def test_every_task_resource_of_the_state_machines_is_mapped() -> None:
    resources = _task_resources()
    assert resources, "no Task states found"
    assert resources <= set(TASK_CALLS), f"unmapped task integrations: {sorted(resources - set(TASK_CALLS))}"


@pytest.mark.parametrize("resource", sorted(TASK_CALLS))
def test_each_task_call_maps_to_the_documented_action(resource: str) -> None:
    service_api = resource.split(":::", 1)[1].removeprefix("aws-sdk:").removesuffix(".sync")
    service, api = service_api.split(":")
    for signing_name, operation, params in TASK_CALLS[resource]:
        found = needs_for(signing_name, operation, params, REGION, A)
        assert found, (resource, operation)
        expected_prefix = {"states": "states"}.get(signing_name, signing_name)
        assert found[0].action.split(":")[0] == expected_prefix
        assert found[0].resource.startswith(("arn:aws:", "*"))
    first_service, first_operation, _ = TASK_CALLS[resource][0]
    assert first_service == service
    assert first_operation.lower() == api.lower() or (api, first_operation) == ("invoke", "Invoke")
