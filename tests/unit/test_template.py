"""Static checks of template.yaml and the ASL files it deploys.

Two views of the template: the SAM source (what people edit) and the CloudFormation that the
SAM translator makes of it (what AWS deploys: generated roles, rules, schedules, permissions).
Nothing here touches AWS; the translator runs offline with local code URIs swapped for S3 ones.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from mlops_loop import settings as settings_module
from mlops_loop.model_quality import settings as model_quality_settings

from tests.support.template import ROOT, sam_template, translate

TAG_KEYS = {"Project", "Owner", "CostCenter", "Environment"}
PARAMETERS = {"ModelPackageGroup": "churn-model"}

# Actions that have no resource-level permissions in IAM: the only ones allowed on Resource "*".
RESOURCELESS_ACTIONS = {
    "sagemaker:ListModelPackages",
    "ecr:GetAuthorizationToken",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}

# The throttling error each integration really surfaces (localcloud.sfn_errors, from AWS's material):
# SageMaker and SNS do not model their throttling codes, so optimized tasks report the SDK's base
# exception and the aws-sdk SageMaker task SageMaker.SageMakerException; EventBridge models
# ThrottlingException, and a throttled entry of putEvents is EventBridge.FailedEntry.
THROTTLING_ERRORS = {
    "lambda": {"Lambda.TooManyRequestsException"},
    "sagemaker": {"SageMaker.AmazonSageMakerException"},
    "events": {"EventBridge.FailedEntry", "EventBridge.ThrottlingException"},
    "sns": {"SNS.AmazonSNSException"},
    "dynamodb": {"DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException"},
    "aws-sdk": {"SageMaker.SageMakerException"},
}

# Function logical ID -> the settings model its handler parses (mlops_loop.settings).
FUNCTION_SETTINGS = {
    "StartBatchInferenceFunction": "StartBatchInferenceSettings",
    "ResolveModelFunction": "ResolveModelSettings",
    "MonitorBatchFunction": "MonitorBatchSettings",
    "ModelPackageStateChangeFunction": "ModelPackageStateChangeSettings",
    "NotifyFailureFunction": "NotifyFailureSettings",
    "StartRetrainingFunction": "StartRetrainingSettings",
    "CheckFreshnessFunction": "CheckFreshnessSettings",
    "CheckModelQualityFunction": "CheckModelQualitySettings",
}


def _asl_files(sam: dict[str, Any]) -> dict[str, Path]:
    return {
        name: ROOT / res["Properties"]["DefinitionUri"]
        for name, res in sam["Resources"].items()
        if res["Type"] == "AWS::Serverless::StateMachine"
    }


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return sam_template()


@pytest.fixture(scope="module", params=["own-account", "cross-account-with-pipeline"])
def cfn(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "own-account":
        return translate(PARAMETERS)
    return translate(
        {
            "ModelPackageGroup": "arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/churn-model",
            "RetrainingPipelineName": "churn-retraining",
            "KmsKeyArn": "arn:aws:kms:eu-west-1:444455556666:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
            "NotificationEmail": "ml-team@example.com",
        }
    )


def _of_type(template: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, res in template["Resources"].items():
        if res["Type"] == kind:
            yield name, res


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _true_branch(value: Any) -> Any:
    """`Fn::If [cond, x, AWS::NoValue]` -> x (the branch that exists when the condition holds)."""
    while isinstance(value, dict) and "Fn::If" in value:
        value = value["Fn::If"][1]
    return value


def _identity_statements(cfn: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every inline identity policy, conditional ones included."""
    for name, role in _of_type(cfn, "AWS::IAM::Role"):
        for policy in map(_true_branch, role["Properties"].get("Policies", [])):
            for statement in map(_true_branch, _listify(policy["PolicyDocument"]["Statement"])):
                yield f"{name}/{policy['PolicyName']}", statement


# --- IAM -------------------------------------------------------------------------------------


def test_no_full_access_managed_policies(cfn: dict[str, Any]) -> None:
    for name, role in _of_type(cfn, "AWS::IAM::Role"):
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            text = json.dumps(arn)
            assert "FullAccess" not in text, f"{name} attaches {text}"
            assert "AdministratorAccess" not in text, f"{name} attaches {text}"


def test_no_wildcard_actions(cfn: dict[str, Any]) -> None:
    for where, statement in _identity_statements(cfn):
        for action in _listify(statement["Action"]):
            assert action != "*", f"{where}: Action '*'"
            assert not action.endswith(":*"), f"{where}: whole-service action {action}"


def test_resource_star_only_for_actions_without_resource_level_permissions(cfn: dict[str, Any]) -> None:
    for where, statement in _identity_statements(cfn):
        if statement.get("Effect") != "Allow" or "*" not in _listify(statement.get("Resource", [])):
            continue
        loose = set(_listify(statement["Action"])) - RESOURCELESS_ACTIONS
        assert not loose, f"{where}: {sorted(loose)} on Resource '*'"


def test_pass_role_is_limited_to_sagemaker(cfn: dict[str, Any]) -> None:
    passing: list[str] = []
    for where, statement in _identity_statements(cfn):
        if "iam:PassRole" in _listify(statement["Action"]):
            passing.append(where.split("/")[0])
            condition = statement.get("Condition", {}).get("StringEquals", {})
            assert condition.get("iam:PassedToService") == "sagemaker.amazonaws.com", where
    # Both state machines and the retraining pipeline pass the SageMaker execution role; nothing else
    assert sorted(passing) == [
        "BatchInferenceStateMachineRole",
        "RetrainingPipelineRole",
        "RetrainingStateMachineRole",
    ]


def test_sync_integrations_can_manage_their_managed_rules(cfn: dict[str, Any]) -> None:
    roles = dict(_of_type(cfn, "AWS::IAM::Role"))
    expected = {
        "BatchInferenceStateMachineRole": {"Transform", "Processing"},
        "RetrainingStateMachineRole": {"Training", "Transform"},
    }
    for role_name, kinds in expected.items():
        text = json.dumps(roles[role_name]["Properties"]["Policies"])
        for kind in kinds:
            assert f"rule/StepFunctionsGetEventsForSageMaker{kind}JobsRule" in text, (role_name, kind)


# --- Events, schedules, dead-letter queues ---------------------------------------------------


def test_every_rule_target_has_a_dlq_and_a_retry_policy(cfn: dict[str, Any]) -> None:
    rules = list(_of_type(cfn, "AWS::Events::Rule"))
    assert len(rules) >= 3
    for name, rule in rules:
        for target in rule["Properties"]["Targets"]:
            assert "Arn" in target.get("DeadLetterConfig", {}), f"{name}/{target['Id']} has no DLQ"
            assert "RetryPolicy" in target, f"{name}/{target['Id']} has no retry policy"


def test_every_schedule_has_a_dlq_retry_and_the_scheduler_context_input(cfn: dict[str, Any]) -> None:
    schedules = dict(_of_type(cfn, "AWS::Scheduler::Schedule"))
    assert len(schedules) == 3  # batch inference, freshness, the model-quality sweep
    for name, schedule in schedules.items():
        target = schedule["Properties"]["Target"]
        assert "Arn" in target["DeadLetterConfig"], name
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1, name
        assert json.loads(target["Input"]) == {
            "scheduledTime": "<aws.scheduler.scheduled-time>",
            "scheduleArn": "<aws.scheduler.schedule-arn>",
            "executionId": "<aws.scheduler.execution-id>",
        }
        assert "ScheduleExpressionTimezone" in schedule["Properties"], name


def test_asynchronously_invoked_functions_have_a_dlq(sam: dict[str, Any]) -> None:
    for name, res in _of_type(sam, "AWS::Serverless::Function"):
        if res["Properties"].get("Events"):
            assert res["Properties"].get("DeadLetterQueue", {}).get("Type") == "SQS", name


def test_rules_route_the_documented_events(sam: dict[str, Any]) -> None:
    def pattern(function: str, event: str) -> dict[str, Any]:
        return sam["Resources"][function]["Properties"]["Events"][event]["Properties"]["Pattern"]

    drift = pattern("StartRetrainingFunction", "DriftDetected")
    assert drift["source"] == ["mlops.monitoring"]
    assert drift["detail-type"] == ["Data Drift Detected"]
    approvals = pattern("ModelPackageStateChangeFunction", "ModelPackageStateChange")
    assert approvals["detail-type"] == ["SageMaker Model Package State Change"]
    assert "ModelPackageGroupName" in approvals["detail"]
    failures = pattern("NotifyFailureFunction", "WorkflowFailed")
    assert failures["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert len(failures["detail"]["stateMachineArn"]) == 2
    labels = pattern("CheckModelQualityFunction", "LabelSetComplete")
    assert (labels["source"], labels["detail-type"]) == (["aws.s3"], ["Object Created"])
    assert labels["detail"]["bucket"]["name"] == [{"Ref": "ArtifactsBucket"}]
    assert labels["detail"]["object"]["key"] == [{"wildcard": {"Fn::Sub": "${GroundTruthPrefix}/*/_SUCCESS"}}]
    pipeline = sam["Resources"]["PipelineFailedRule"]
    assert pipeline["Condition"] == "UsePipelineRetraining"
    assert pipeline["Properties"]["EventPattern"]["detail"]["currentPipelineExecutionStatus"] == [
        "Failed",
        "Stopped",
    ]


def test_pipeline_rule_and_permission_exist_only_with_a_pipeline_target(cfn: dict[str, Any]) -> None:
    for name in ("PipelineFailedRule", "PipelineFailedRulePermission"):
        assert cfn["Resources"][name]["Condition"] == "UsePipelineRetraining", name
    assert cfn["Conditions"]["UsePipelineRetraining"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "RetrainingPipelineName"}, ""]}]
    }


def test_the_stack_creates_the_retraining_pipeline_from_the_committed_definition(sam: dict[str, Any]) -> None:
    from pipelines import template_body

    resources = sam["Resources"]
    pipeline = resources["RetrainingPipeline"]
    # Only with a pipeline target whose creation is asked for (CreateRetrainingPipeline=false: yours)
    assert (
        pipeline["Condition"]
        == resources["RetrainingPipelineRole"]["Condition"]
        == "DeployRetrainingPipeline"
    )
    assert sam["Conditions"]["DeployRetrainingPipeline"] == {
        "Fn::And": [
            {"Condition": "UsePipelineRetraining"},
            {"Fn::Equals": [{"Ref": "CreateRetrainingPipeline"}, "true"]},
        ]
    }
    props = pipeline["Properties"]
    assert props["PipelineName"] == {"Ref": "RetrainingPipelineName"}
    assert props["RoleArn"] == {"Fn::GetAtt": ["RetrainingPipelineRole", "Arn"]}
    assert props["ParallelismConfiguration"] == {
        "MaxParallelExecutionSteps": {"Ref": "RetrainingPipelineMaxParallelSteps"}
    }
    # The body is the committed definition, and the !Sub fills exactly its placeholders
    body, variables = props["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]
    definition = template_body.DEFINITION.read_text()
    assert json.loads(body) == json.loads(definition)
    assert set(variables) == template_body.placeholders(definition)
    # The role: SageMaker assumes it, it invokes exactly the Lambda steps' functions, passes only
    # the jobs' execution role
    role = resources["RetrainingPipelineRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sagemaker.amazonaws.com"
    }
    statements = {st["Sid"]: st for st in role["Policies"][0]["PolicyDocument"]["Statement"]}
    lambda_steps = [
        step["FunctionArn"]
        for step in _pipeline_steps(json.loads(definition)["Steps"])
        if step["Type"] == "Lambda"
    ]
    assert statements["LambdaSteps"]["Resource"] == [variables[arn[2:-1]] for arn in lambda_steps]
    assert statements["PassExecutionRoleToSageMaker"]["Resource"] == variables["SageMakerExecutionRoleArn"]


def _pipeline_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for step in steps:
        found.append(step)
        if step["Type"] == "Condition":
            found += _pipeline_steps(step["Arguments"]["IfSteps"]) + _pipeline_steps(
                step["Arguments"]["ElseSteps"]
            )
    return found


def test_template_pipeline_body_is_current() -> None:
    from pipelines import template_body

    assert template_body.main(["--check"]) == 0


# --- Tags, logs, encryption ------------------------------------------------------------------


def _tag_keys(tags: Any) -> set[str]:
    if isinstance(tags, dict):
        return set(tags)
    return {tag["Key"] for tag in tags}


@pytest.mark.parametrize(
    "kind",
    [
        "AWS::Lambda::Function",
        "AWS::StepFunctions::StateMachine",
        "AWS::IAM::Role",
        "AWS::S3::Bucket",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
        "AWS::DynamoDB::Table",
    ],
)
def test_resources_carry_the_tag_set(cfn: dict[str, Any], kind: str) -> None:
    resources = list(_of_type(cfn, kind))
    assert resources, kind
    for name, res in resources:
        tags = res["Properties"].get("Tags")
        if kind == "AWS::StepFunctions::StateMachine":
            tags = {t["Key"]: t["Value"] for t in res["Properties"]["Tags"]}
        assert tags, f"{name} has no tags"
        assert _tag_keys(tags) >= TAG_KEYS, f"{name}: {_tag_keys(tags)}"


def test_every_function_and_state_machine_logs_to_a_kms_log_group_with_retention(sam: dict[str, Any]) -> None:
    groups = dict(_of_type(sam, "AWS::Logs::LogGroup"))
    for group in groups.values():
        assert "RetentionInDays" in group["Properties"]
        assert "KmsKeyId" in group["Properties"]
    for name, res in _of_type(sam, "AWS::Serverless::Function"):
        assert res["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] in groups, name
    for name, res in _of_type(sam, "AWS::Serverless::StateMachine"):
        destination = res["Properties"]["Logging"]["Destinations"][0]["CloudWatchLogsLogGroup"]
        assert destination["LogGroupArn"]["Fn::GetAtt"][0] in groups, name


def test_bucket_is_encrypted_versioned_private_and_tls_only(sam: dict[str, Any]) -> None:
    bucket = sam["Resources"]["ArtifactsBucket"]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"]
    statement = sam["Resources"]["ArtifactsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_topic_and_queue_use_the_customer_managed_key(sam: dict[str, Any]) -> None:
    for name in ("NotificationTopic", "EventTargetDLQ"):
        props = sam["Resources"][name]["Properties"]
        key = props.get("KmsMasterKeyId")
        assert key and "alias/aws" not in json.dumps(key), name
    principals = json.dumps(sam["Resources"]["EncryptionKey"]["Properties"]["KeyPolicy"])
    for service in ("events.amazonaws.com", "sns.amazonaws.com", "cloudwatch.amazonaws.com", "logs."):
        assert service in principals, service


def test_alarms_cover_both_state_machines_and_the_dlq(sam: dict[str, Any]) -> None:
    alarms = [res["Properties"] for _, res in _of_type(sam, "AWS::CloudWatch::Alarm")]
    watched = {json.dumps(a["Dimensions"][0]["Value"]) for a in alarms}
    assert '{"Ref": "BatchInferenceStateMachine"}' in watched
    assert '{"Ref": "RetrainingStateMachine"}' in watched
    assert any(a["MetricName"] == "ApproximateNumberOfMessagesVisible" for a in alarms)
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "NotificationTopic"}]


# --- Parameters and functions ----------------------------------------------------------------


def test_every_parameter_is_described_and_constrained(sam: dict[str, Any]) -> None:
    for name, parameter in sam["Parameters"].items():
        assert parameter.get("Description"), name
        if parameter["Type"] == "String":
            assert "AllowedPattern" in parameter or "AllowedValues" in parameter, name
        else:
            assert {"MinValue", "AllowedValues"} & set(parameter), name


def test_functions_use_the_managed_layers_and_python311(sam: dict[str, Any]) -> None:
    function_globals = sam["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.11"
    assert function_globals["Architectures"] == ["x86_64"]
    assert function_globals["Tracing"] == "Active"
    assert "AWSLambdaPowertoolsPythonV3-python311-x86_64" in json.dumps(function_globals["Layers"])
    pandas = {
        name
        for name, res in _of_type(sam, "AWS::Serverless::Function")
        if "AWSSDKPandas-Python311" in json.dumps(res["Properties"].get("Layers", []))
    }
    assert pandas == {
        "MonitorBatchFunction",
        "PrepareTrainingDataFunction",
        "EvaluateModelFunction",
        "ComputeBaselineFunction",
        "CheckModelQualityFunction",
    }


@pytest.mark.parametrize("function, model_name", sorted(FUNCTION_SETTINGS.items()))
def test_functions_get_every_variable_their_settings_require(
    sam: dict[str, Any], function: str, model_name: str
) -> None:
    # Given the variables the template gives the function (Globals + its own)
    names = set(sam["Globals"]["Function"]["Environment"]["Variables"])
    names |= set(sam["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {}))
    # When we list what its settings model requires
    model = getattr(settings_module, model_name, None) or getattr(model_quality_settings, model_name)
    required = {field.encode_name for field in msgspec.structs.fields(model) if field.required}
    # Then nothing is missing
    assert required <= names, f"{function} lacks {sorted(required - names)}"


def test_code_folders_match_the_architecture(sam: dict[str, Any]) -> None:
    for name, res in _of_type(sam, "AWS::Serverless::Function"):
        folder = res["Properties"]["CodeUri"].rstrip("/")
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Function")).lower()
        assert folder == f"functions/{snake}", name


# --- State machines --------------------------------------------------------------------------


def _caught(state: dict[str, Any]) -> set[str]:
    return {error for catcher in state.get("Catch", []) for error in catcher["ErrorEquals"]}


def _tasks(
    states: dict[str, Any], enclosing: frozenset[str] = frozenset()
) -> Iterator[tuple[str, dict[str, Any], frozenset[str]]]:
    """Every Task, with what the Map / Parallel states around it catch."""
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state, enclosing
        around = enclosing | _caught(state)
        for branch in state.get("Branches", []):
            yield from _tasks(branch["States"], around)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _tasks(state[key]["States"], around)


def _integration(resource: str) -> str:
    # arn:aws:states:::lambda:invoke, arn:aws:states:::sagemaker:createModel, ...aws-sdk:sagemaker:...
    service = resource.split(":::", 1)[1].split(":", maxsplit=1)[0]
    return service


#: Tasks whose throttling error shares its name with an error that must not be retried blindly:
#: CreateModel's "already exists" and a throttle are both SageMaker.AmazonSageMakerException;
#: AdoptModel (resolve.adopt_model) creates again after a throttle, adopts an existing model.
THROTTLING_DECIDED_BY = {("batch_inference.asl.json", "CreateModel"): "AdoptModel"}


@pytest.mark.parametrize("asl", ["batch_inference.asl.json", "retraining.asl.json"])
def test_every_task_retries_throttling_and_catches_everything(asl: str) -> None:
    path = ROOT / "statemachines" / asl
    if not path.exists():
        pytest.skip(f"{asl} not written yet")
    definition = json.loads(path.read_text())
    tasks = list(_tasks(definition["States"]))
    assert tasks
    for name, task, enclosing in tasks:
        retried = {error for retrier in task.get("Retry", []) for error in retrier["ErrorEquals"]}
        service = _integration(task["Resource"])
        if (asl, name) in THROTTLING_DECIDED_BY:
            # its throttling error is caught into a step that decides whether to try again
            decider = {c["Next"] for c in task["Catch"] if set(c["ErrorEquals"]) & THROTTLING_ERRORS[service]}
            assert decider == {THROTTLING_DECIDED_BY[asl, name]}, f"{asl}:{name} catches into {decider}"
            retried |= THROTTLING_ERRORS[service]
        assert retried & THROTTLING_ERRORS[service], f"{asl}:{name} retries {retried}"
        for retrier in task.get("Retry", []):
            assert retrier.get("BackoffRate", 2.0) > 1, f"{asl}:{name} retries without backoff"
        # A task inside a Map may leave its errors to the Map's Catch (the child fails, so the map
        # fails): catching them in the child would turn a failed item into a missing one.
        caught = _caught(task) | enclosing
        assert "States.ALL" in caught, f"{asl}:{name} does not catch everything"


def test_definition_substitutions_cover_every_placeholder(sam: dict[str, Any]) -> None:
    for name, path in _asl_files(sam).items():
        if not path.exists():
            continue
        placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", path.read_text()))
        given = set(sam["Resources"][name]["Properties"]["DefinitionSubstitutions"])
        assert placeholders <= given, f"{name} lacks {sorted(placeholders - given)}"


def test_every_sagemaker_model_and_job_the_runs_create_carries_the_cost_tags() -> None:
    # Instance time is the loop's biggest cost: the stack's Project/Owner/CostCenter/Environment
    # reach it, and mlops:stack lets tools/stack_leftovers find what a deleted stack left.
    expected = {
        "mlops:stack": "${StackName}",
        "Project": "${ProjectTag}",
        "Owner": "${OwnerTag}",
        "CostCenter": "${CostCenterTag}",
        "Environment": "${EnvironmentName}",
    }
    creating = ("createModel", "createTransformJob", "createTrainingJob", "createProcessingJob")
    seen = 0
    for path in (ROOT / "statemachines").glob("*.asl.json"):
        for name, state in _all_states(json.loads(path.read_text())["States"]):
            resource = state.get("Resource", "")
            if (
                ":sagemaker:" not in resource
                or resource.rsplit(":", 1)[-1].removesuffix(".sync") not in creating
            ):
                continue
            seen += 1
            tags = {
                t["Key"]: t["Value"] for t in (state.get("Arguments") or state["Parameters"]).get("Tags", [])
            }
            assert tags.items() >= expected.items(), f"{path.name} {name}: {tags}"
    assert seen == 6  # batch: model, transform, Model Monitor job; retraining: training, model, transform


def _all_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        for nested in ("Iterator", "ItemProcessor"):
            if nested in state:
                yield from _all_states(state[nested]["States"])
        for branch in state.get("Branches", []):
            yield from _all_states(branch["States"])


def test_asl_holds_no_account_or_region() -> None:
    for path in (ROOT / "statemachines").glob("*.asl.json"):
        text = path.read_text()
        assert not re.search(r"\b\d{12}\b", text), f"{path.name} hard-codes an account"
        assert not re.search(r"\b(us|eu|ap|sa|ca|me|af)-[a-z]+-\d\b", text), (
            f"{path.name} hard-codes a region"
        )


def test_batch_inference_follows_the_contract() -> None:
    definition = json.loads((ROOT / "statemachines" / "batch_inference.asl.json").read_text())
    states = definition["States"]
    assert definition["StartAt"] == "ResolveModel"
    assert states["RunBatchTransform"]["Resource"].endswith("createTransformJob.sync")
    assert states["RunModelMonitorJob"]["Resource"].endswith("createProcessingJob.sync")
    # The Model Monitor contract and the drift event's detail are shaped in Python (run_layout.py,
    # monitoring.py; their unit tests check them); the state machine passes them on.
    assert states["RunModelMonitorJob"]["Arguments"]["Environment"] == "{% $run.modelMonitorEnvironment %}"
    entry = states["PublishDriftEvent"]["Arguments"]["Entries"][0]
    assert entry["DetailType"] == "Data Drift Detected"
    assert entry["Detail"] == "{% $states.input.monitoring.driftEvent %}"
    assert states["DataQualityFailure"]["Type"] == "Fail"
    assert states["DataQualityFailure"]["Error"] == "DataQualityFailure"
    choices = {c["Next"] for c in states["ClassifyOutcome"]["Choices"]}
    assert choices == {"BatchClean", "PublishDriftEvent", "DataQualityFailure"}
    # Data-quality failures never reach the drift event.
    assert "PublishDriftEvent" not in json.dumps(states["DataQualityFailure"])


# --- samconfig.toml --------------------------------------------------------------------------


def _overrides(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(text))


@pytest.mark.parametrize("env", ["default", "single-account", "prod"])
def test_samconfig_environments_set_valid_parameters(sam: dict[str, Any], env: str) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())[env]
    assert config["validate"]["parameters"]["lint"] is True
    assert config["build"]["parameters"] == {"cached": True, "parallel": True}
    deploy = config["deploy"]["parameters"]
    assert deploy["confirm_changeset"] is (env == "prod")
    overrides = _overrides(deploy["parameter_overrides"])
    assert overrides["EnvironmentName"] == ("prod" if env == "prod" else "dev")
    for name, value in overrides.items():
        parameter = sam["Parameters"][name]  # KeyError = a parameter the template does not have
        if "AllowedValues" in parameter:
            assert value in [str(v) for v in parameter["AllowedValues"]], (name, value)
        if "AllowedPattern" in parameter:
            assert re.fullmatch(parameter["AllowedPattern"], value), (name, value)
        if "MinValue" in parameter:
            assert parameter["MinValue"] <= float(value) <= parameter.get("MaxValue", float("inf")), name
    required = {name for name, p in sam["Parameters"].items() if "Default" not in p}
    assert required <= set(overrides), sorted(required - set(overrides))


def test_dev_and_prod_read_and_register_into_the_central_registry_as_the_seed_does() -> None:
    # The seed's layout: dev and prod, each in its own account, share the registry account's group,
    # bucket and key (registry/samconfig.toml admits both); one account is the alternative.
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    registry = {"ModelPackageGroup", "RegistryArtifactsBucket", "RegistryKmsKeyArn"}

    def shared(env: str) -> dict[str, str]:
        overrides = _overrides(config[env]["deploy"]["parameters"]["parameter_overrides"])
        return {k: v for k, v in overrides.items() if k in registry}

    dev, prod = shared("default"), shared("prod")
    assert set(dev) == registry
    assert dev == prod
    group_account = dev["ModelPackageGroup"].split(":")[4]
    assert dev["ModelPackageGroup"].startswith("arn:aws:sagemaker:")
    assert dev["RegistryArtifactsBucket"].endswith(f"-artifacts-{group_account}")
    assert dev["RegistryKmsKeyArn"].split(":")[4] == group_account
    single = shared("single-account")
    assert single == {"ModelPackageGroup": "breast-cancer-classifier"}, "one account: its own group, by name"
    # and the registry stack's configuration admits dev and prod as readers and registrars
    registry_config = tomllib.loads((ROOT / "registry" / "samconfig.toml").read_text())
    registry_overrides = _overrides(registry_config["default"]["deploy"]["parameters"]["parameter_overrides"])
    workloads = registry_overrides["WorkloadAccountIds"].split(",")
    assert len(workloads) == 2
    assert set(registry_overrides["RetrainingAccountIds"].split(",")) == set(workloads)
    assert dev["ModelPackageGroup"].rsplit("/", 1)[-1] == registry_overrides["ModelPackageGroupName"]


def test_deploy_guide_documents_every_parameter_and_output(sam: dict[str, Any]) -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for name in [*sam["Parameters"], *sam["Outputs"]]:
        assert f"`{name}`" in guide, f"docs/deploy.md does not mention {name}"
    assert "sam deploy --config-env prod" in guide


def _rule_value(expr: Any, params: dict[str, str]) -> Any:
    """CloudFormation's rule functions the template's Rules use (Fn::Equals, Fn::Not, Fn::And, Ref)."""
    if isinstance(expr, dict):
        [(fn, arg)] = expr.items()
        if fn == "Ref":
            return params[arg]
        values = [_rule_value(a, params) for a in arg]
        if fn == "Fn::Equals":
            return values[0] == values[1]
        if fn == "Fn::Not":
            return not values[0]
        if fn == "Fn::And":
            return all(values)
        raise AssertionError(f"rule function {fn} not evaluated by this test")
    return expr


@pytest.mark.parametrize(
    ("record_ids", "engine", "refused"),
    [
        ("FirstColumn", "ModelMonitorProcessing", True),
        ("FirstColumn", "Lambda", False),
        ("FirstColumn", "DistributedLambda", False),
        ("None", "ModelMonitorProcessing", False),
    ],
)
def test_record_ids_are_refused_at_deploy_with_the_model_monitor_engine(
    sam: dict[str, Any], record_ids: str, engine: str, refused: bool
) -> None:
    # Given the parameters (Model Monitor's analyzer cannot leave the id column out of a CSV dataset)
    params = {"BatchRecordIds": record_ids, "MonitoringEngine": engine}
    # When CloudFormation evaluates the template's rules (a failed assertion refuses the stack)
    failed = [
        name
        for name, rule in sam.get("Rules", {}).items()
        if _rule_value(rule.get("RuleCondition", True), params)
        and not all(_rule_value(a["Assert"], params) for a in rule["Assertions"])
    ]
    # Then only the id column with Model Monitor's engine is refused
    assert bool(failed) is refused, failed
