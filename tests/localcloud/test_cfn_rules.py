"""A template's `Rules` (localcloud.cfn_rules): the evaluator's functions, and the real template's rule
refusing the deploy CloudFormation refuses (BatchRecordIds=FirstColumn with ModelMonitorProcessing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.cfn_rules import (
    InvalidRuleError,
    RuleAssertionError,
    RuleNotEvaluableError,
    StackContext,
    check,
)
from localcloud.stack import StackDeployError, local_parameters

REPO = Path(__file__).resolve().parents[2]
CONTEXT = StackContext(
    region="eu-west-1", account="111122223333", stack_name="s", notification_arns=("arn:n",)
)
PARAMETERS = {
    "Engine": {"Type": "String", "Default": "Lambda"},
    "Ids": {"Type": "String", "Default": "None"},
    "Types": {"Type": "CommaDelimitedList", "Default": "a,b"},
    "Count": {"Type": "Number", "Default": 2},
}


def _holds(expression: Any, given: dict[str, Any] | None = None) -> bool:
    """Whether `expression` holds, as the Assert of a one-rule template."""
    template = {
        "Parameters": PARAMETERS,
        "Rules": {"R": {"Assertions": [{"Assert": expression, "AssertDescription": "refused"}]}},
    }
    try:
        check(template, given or {}, CONTEXT)
    except RuleAssertionError as error:
        assert (error.rule, error.description) == ("R", "refused")
        return False
    return True


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Fn::Equals": [{"Ref": "Engine"}, "Lambda"]}, True),
        ({"Fn::Equals": [{"Ref": "Engine"}, "ModelMonitorProcessing"]}, False),
        ({"Fn::Equals": [{"Ref": "Count"}, 2]}, True),  # a Number parameter's value is its text
        ({"Fn::Not": [{"Fn::Equals": [{"Ref": "Engine"}, "Lambda"]}]}, False),
        ({"Fn::Not": [{"Fn::Equals": [{"Ref": "Engine"}, "x"]}]}, True),
        ({"Fn::And": [{"Fn::Equals": ["a", "a"]}, {"Fn::Equals": [{"Ref": "Ids"}, "None"]}]}, True),
        ({"Fn::And": [{"Fn::Equals": ["a", "a"]}, {"Fn::Equals": ["a", "b"]}]}, False),
        ({"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Fn::Equals": ["a", "a"]}]}, True),
        ({"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Fn::Equals": ["a", "c"]}]}, False),
        ({"Fn::Contains": [["Lambda", "DistributedLambda"], {"Ref": "Engine"}]}, True),
        ({"Fn::Contains": [["DistributedLambda"], {"Ref": "Engine"}]}, False),
        ({"Fn::Contains": [{"Ref": "Types"}, "b"]}, True),  # a CommaDelimitedList is a list
        ({"Fn::EachMemberEquals": [["x", "x"], "x"]}, True),
        ({"Fn::EachMemberEquals": [{"Ref": "Types"}, "a"]}, False),
        ({"Fn::EachMemberIn": [{"Ref": "Types"}, ["a", "b", "c"]]}, True),
        ({"Fn::EachMemberIn": [{"Ref": "Types"}, ["a"]]}, False),
        ({"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}, True),
        ({"Fn::Equals": [{"Ref": "AWS::AccountId"}, "111122223333"]}, True),
        ({"Fn::Equals": [{"Ref": "AWS::StackName"}, "s"]}, True),
        ({"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws"]}, True),
        ({"Fn::Contains": [{"Ref": "AWS::NotificationARNs"}, "arn:n"]}, True),
    ],
)
def test_each_rule_function(expression, expected):
    assert _holds(expression) is expected


def test_given_parameters_override_defaults():
    assert _holds({"Fn::Equals": [{"Ref": "Engine"}, "Lambda"]}, {"Engine": "Lambda"})
    assert not _holds({"Fn::Equals": [{"Ref": "Engine"}, "Lambda"]}, {"Engine": "DistributedLambda"})
    assert _holds({"Fn::EachMemberIn": [{"Ref": "Types"}, ["c", "d"]]}, {"Types": "c,d"})


def test_a_false_rule_condition_skips_the_assertions():
    template = {
        "Parameters": PARAMETERS,
        "Rules": {
            "R": {
                "RuleCondition": {"Fn::Equals": [{"Ref": "Ids"}, "FirstColumn"]},
                "Assertions": [{"Assert": {"Fn::Equals": ["a", "b"]}, "AssertDescription": "no"}],
            }
        },
    }
    check(template, {}, CONTEXT)
    with pytest.raises(RuleAssertionError, match=r"^no$"):
        check(template, {"Ids": "FirstColumn"}, CONTEXT)


@pytest.mark.parametrize(
    "lookup",
    [
        {"Fn::Contains": [{"Fn::RefAll": "AWS::EC2::VPC::Id"}, "vpc-1"]},
        {"Fn::Equals": [{"Fn::ValueOf": ["Subnet", "VpcId"]}, "vpc-1"]},
        {"Fn::EachMemberEquals": [{"Fn::ValueOfAll": ["AWS::EC2::VPC::Id", "Tags.Department"]}, "IT"]},
    ],
)
def test_functions_that_read_the_account_are_refused_not_allowed(lookup):
    with pytest.raises(RuleNotEvaluableError, match=r"Fn::(RefAll|ValueOf|ValueOfAll) reads the AWS account"):
        _holds(lookup)
    # also where a false condition in the same Or would have made it irrelevant to a lenient evaluator
    with pytest.raises(RuleNotEvaluableError):
        _holds({"Fn::Or": [{"Fn::Equals": ["a", "a"]}, lookup]})


def test_what_the_local_cloud_does_not_evaluate_is_refused():
    with pytest.raises(RuleNotEvaluableError, match="Fn::If"):
        _holds({"Fn::If": ["C", {"Fn::Equals": ["a", "a"]}, {"Fn::Equals": ["a", "a"]}]})
    with pytest.raises(RuleNotEvaluableError, match="AWS::StackId"):
        _holds({"Fn::Equals": [{"Ref": "AWS::StackId"}, "x"]})


@pytest.mark.parametrize(
    "expression",
    [
        {"Fn::Equals": ["a"]},
        {"Fn::And": [{"Fn::Equals": ["a", "a"]}]},  # And/Or take 2 to 10 conditions
        {"Fn::Not": [{"Fn::Equals": ["a", "a"]}, {"Fn::Equals": ["a", "a"]}]},
        {"Ref": "NoSuchParameter"},
        "true",  # an Assert is a rule function, not a literal
    ],
)
def test_malformed_rules_are_template_errors(expression):
    with pytest.raises(InvalidRuleError, match="Template error"):
        _holds(expression)


def test_a_rule_without_assertions_is_a_template_error():
    with pytest.raises(InvalidRuleError, match="Assertions"):
        check({"Rules": {"R": {"RuleCondition": {"Fn::Equals": ["a", "a"]}}}}, {}, CONTEXT)


def _real_parameters(**overrides: str) -> dict[str, str]:
    parameters = local_parameters(REPO / "samconfig.toml")
    parameters.setdefault("ModelPackageGroup", "churn-model")
    return {**parameters, **overrides}


def test_the_real_template_refuses_record_ids_with_model_monitor_processing(tmp_path):
    parameters = _real_parameters(BatchRecordIds="FirstColumn", MonitoringEngine="ModelMonitorProcessing")
    with (
        pytest.raises(
            StackDeployError, match=r"\(ValidationError\).*BatchRecordIds=FirstColumn needs MonitoringEngine"
        ),
        LocalCloud.start(
            REPO / "template.yaml", parameters=parameters, output_dir=tmp_path, job_runner=False
        ),
    ):
        pass


def test_the_real_template_deploys_record_ids_with_lambda(tmp_path):
    parameters = _real_parameters(BatchRecordIds="FirstColumn", MonitoringEngine="Lambda")
    with LocalCloud.start(
        REPO / "template.yaml", parameters=parameters, output_dir=tmp_path, job_runner=False
    ) as cloud:
        assert cloud.stack.parameters["BatchRecordIds"] == "FirstColumn"
        assert cloud.stack.parameters["MonitoringEngine"] == "Lambda"
