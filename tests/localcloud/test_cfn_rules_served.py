"""`Rules` on the served CloudFormation API (what `sam deploy` and the AWS CLI call): CreateChangeSet,
CreateStack and UpdateStack are refused with a ValidationError when an assertion fails."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

RULES = {
    "OnlyWithLambda": {
        "RuleCondition": {"Fn::Equals": [{"Ref": "Ids"}, "FirstColumn"]},
        "Assertions": [
            {
                "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Engine"}, "ModelMonitorProcessing"]}]},
                "AssertDescription": "FirstColumn needs the Lambda engine",
            }
        ],
    }
}
PARAMETERS = {"Ids": {"Type": "String", "Default": "None"}, "Engine": {"Type": "String", "Default": "Lambda"}}


def _template(sam: bool) -> str:
    template = {"Parameters": PARAMETERS, "Rules": RULES, "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    if sam:
        template["Transform"] = "AWS::Serverless-2016-10-31"
    return json.dumps(template)


def _parameters(ids: str, engine: str) -> list[dict[str, str]]:
    return [
        {"ParameterKey": "Ids", "ParameterValue": ids},
        {"ParameterKey": "Engine", "ParameterValue": engine},
    ]


@pytest.fixture
def cfn(cloud):
    # The host's own credentials: the local cloud's operator.
    return boto3.client("cloudformation", endpoint_url=cloud.serve(), region_name=cloud.region)


@pytest.mark.parametrize("sam", [True, False])
def test_create_change_set_is_refused_with_the_assert_description(cfn, sam):
    with pytest.raises(ClientError) as refused:
        cfn.create_change_set(
            StackName=f"rules-refused-{int(sam)}",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateBody=_template(sam),
            Parameters=_parameters("FirstColumn", "ModelMonitorProcessing"),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("ValidationError", "FirstColumn needs the Lambda engine")
    names = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]]
    assert f"rules-refused-{int(sam)}" not in names  # nothing was created


def test_create_stack_and_update_stack_check_the_rules(cfn):
    with pytest.raises(ClientError, match="FirstColumn needs the Lambda engine"):
        cfn.create_stack(
            StackName="rules-stack",
            TemplateBody=_template(False),
            Parameters=_parameters("FirstColumn", "ModelMonitorProcessing"),
        )
    cfn.create_stack(
        StackName="rules-stack",
        TemplateBody=_template(False),
        Parameters=_parameters("FirstColumn", "Lambda"),
    )
    with pytest.raises(ClientError, match="FirstColumn needs the Lambda engine") as refused:
        cfn.update_stack(
            StackName="rules-stack",
            TemplateBody=_template(False),
            Parameters=[
                {"ParameterKey": "Ids", "UsePreviousValue": True},
                {"ParameterKey": "Engine", "ParameterValue": "ModelMonitorProcessing"},
            ],
        )
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    stack = cfn.describe_stacks(StackName="rules-stack")["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Engine"] == "Lambda"


def test_a_lookup_function_is_refused_over_the_api(cfn):
    template = json.loads(_template(False))
    template["Rules"] = {
        "Vpc": {"Assertions": [{"Assert": {"Fn::Contains": [{"Fn::RefAll": "AWS::EC2::VPC::Id"}, "vpc-1"]}}]}
    }
    with pytest.raises(ClientError, match=r"RuleNotEvaluableError: .*Fn::RefAll reads the AWS account"):
        cfn.create_stack(StackName="rules-lookup", TemplateBody=json.dumps(template))
