"""localcloud.iam.policy against the IAM User Guide's policy reference.

Each test names the page it reproduces. Pages (docs.aws.amazon.com/IAM/latest/UserGuide/...):
- ACTION: reference_policies_elements_action.html ("IAM JSON policy elements: Action")
- NOTACTION: reference_policies_elements_notaction.html
- RESOURCE: reference_policies_elements_resource.html
- NOTRESOURCE: reference_policies_elements_notresource.html
- PRINCIPAL: reference_policies_elements_principal.html
- CONDITION: reference_policies_elements_condition.html ("Context key names are not case-sensitive")
- OPERATORS: reference_policies_elements_condition_operators.html ("Condition operators")
- MULTI: reference_policies_condition-single-vs-multi-valued-context-keys.html
- MULTI_EXAMPLES: reference_policies_condition_examples-multi-valued-context-keys.html
- BASICS: reference_policies_evaluation-logic_policy-eval-basics.html
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.iam.policy import Policy, Request, UnsupportedPolicyError, action_matches

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/R"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s"


def statement(**element: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **element}


def applies(item: dict[str, Any], request: Request) -> bool:
    """Whether the one statement of an identity policy applies to the request."""
    (parsed,) = Policy.parse("test", {"Version": "2012-10-17", "Statement": [item]}).statements
    return (
        parsed.covers_action(request.action)
        and parsed.covers_resource(request.resource)
        and parsed.conditions_hold(request)
    )


def req(
    action: str = "s3:GetObject", resource: str = "arn:aws:s3:::b/k", **context: str | list[str]
) -> Request:
    return Request(SESSION, ACCOUNT, action, resource, context)


def when(operator: str, key: str, value: Any, **context: str | list[str]) -> bool:
    return applies(statement(Condition={operator: {key: value}}), req(**context))


# -- Action, NotAction --------------------------------------------------------------------------------
def test_action_prefix_and_name_are_case_insensitive() -> None:
    # ACTION: "The prefix and the action name are case insensitive. For example, iam:ListAccessKeys
    # is the same as IAM:listaccesskeys."
    assert action_matches("IAM:listaccesskeys", "iam:ListAccessKeys")
    assert not action_matches("iam:ListAccessKey", "iam:ListAccessKeys")


def test_action_wildcards_star_and_question_mark() -> None:
    # ACTION: "Action": "s3:*" and "iam:*AccessKey*" (every action whose name contains AccessKey).
    assert action_matches("s3:*", "s3:GetObject")
    assert action_matches("iam:*AccessKey*", "iam:CreateAccessKey")
    assert not action_matches("iam:*AccessKey*", "iam:CreateUser")
    assert action_matches("sqs:?endMessage", "sqs:SendMessage")
    assert not action_matches("s3:*", "sagemaker:DescribeModel")


def test_action_brackets_are_literal_not_character_classes() -> None:
    # ACTION / RESOURCE: IAM's only wildcards are "*" and "?" (a shell-style [..] class is not one).
    assert not action_matches("s3:[GP]etObject", "s3:GetObject")


def test_notaction_matches_everything_except_the_listed_actions() -> None:
    # NOTACTION: "Allow": NotAction "iam:*" with Resource "*" allows every action except IAM's.
    item = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert applies(item, req("s3:PutObject"))
    assert not applies(item, req("iam:PassRole", "arn:aws:iam::123456789012:role/X"))


# -- Resource, NotResource -----------------------------------------------------------------------------
def test_resource_arns_are_case_sensitive() -> None:
    # RESOURCE: "Resource ARNs are case sensitive" (the resource part of the ARN is matched as written).
    item = statement(Resource="arn:aws:s3:::amzn-s3-demo-bucket/*")
    assert applies(item, req(resource="arn:aws:s3:::amzn-s3-demo-bucket/Key"))
    assert not applies(item, req(resource="arn:aws:s3:::AMZN-S3-DEMO-BUCKET/Key"))


def test_resource_wildcard_spans_path_segments() -> None:
    # BASICS, Carlos's DenyS3Logs statement: Resource "arn:aws:s3:::*log*" covers objects of the
    # bucket amzn-s3-demo-bucket-carlossalazar-logs ("*" matches across "/").
    item = statement(Resource="arn:aws:s3:::*log*")
    assert applies(item, req(resource="arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/2024/a.txt"))
    assert not applies(item, req(resource="arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/a.txt"))


def test_resource_question_mark_is_one_character() -> None:
    # RESOURCE: "?" matches any single character.
    item = statement(Resource="arn:aws:s3:::b/k?")
    assert applies(item, req(resource="arn:aws:s3:::b/k1"))
    assert not applies(item, req(resource="arn:aws:s3:::b/k12"))


def test_resource_brackets_are_literal() -> None:
    # RESOURCE: only "*" and "?" are wildcards.
    item = statement(Resource="arn:aws:s3:::b/[ab]")
    assert not applies(item, req(resource="arn:aws:s3:::b/a"))
    assert applies(item, req(resource="arn:aws:s3:::b/[ab]"))


def test_notresource_matches_everything_but_the_listed_resources() -> None:
    # NOTRESOURCE: a Deny with NotResource applies to every resource except the listed ones.
    item = {
        "Effect": "Deny",
        "Action": "s3:*",
        "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
    }
    assert applies(item, req(resource="arn:aws:s3:::HRBucket/Other"))
    assert not applies(item, req(resource="arn:aws:s3:::HRBucket/Payroll/june.csv"))


def test_policy_variables_are_refused_not_guessed() -> None:
    # RESOURCE: "arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*" needs policy variables,
    # which the local evaluator does not implement: refused, never read literally.
    item = statement(Resource="arn:aws:s3:::b/${aws:username}/*")
    with pytest.raises(UnsupportedPolicyError):
        applies(item, req())


def test_malformed_statements_are_refused() -> None:
    # IAM JSON policy element reference: an identity-based statement needs Resource or NotResource
    # (IAM: "MalformedPolicyDocument: Policy statement must contain resources"); Action and
    # NotAction are exclusive.
    with pytest.raises(UnsupportedPolicyError):
        Policy.parse("p", {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]})
    with pytest.raises(UnsupportedPolicyError):
        Policy.parse(
            "p", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}]}
        )
    with pytest.raises(UnsupportedPolicyError):
        Policy.parse("p", {"Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]})


# -- Principal -----------------------------------------------------------------------------------------
def principal(value: Any, request: Request) -> str:
    (parsed,) = Policy.parse(
        "resource policy", {"Statement": [{"Effect": "Allow", "Principal": value, "Action": "*"}]}
    ).statements
    return parsed.principal_match(request)


def test_principal_account_forms_delegate_to_the_account() -> None:
    # PRINCIPAL: "AWS": "arn:aws:iam::123456789012:root" and "AWS": "123456789012" are equivalent and
    # name the account: its administrators must still grant the permission through identity policies.
    assert principal({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, req()) == "account"
    assert principal({"AWS": ACCOUNT}, req()) == "account"
    assert principal({"AWS": "arn:aws:iam::111122223333:root"}, req()) == "none"


def test_principal_role_arn_names_its_sessions() -> None:
    # PRINCIPAL, "IAM role principals" and "Role session principals": a policy naming the role ARN
    # or the assumed-role session ARN applies to the session.
    assert principal({"AWS": ROLE}, req()) == "direct"
    assert principal({"AWS": SESSION}, req()) == "direct"
    assert principal({"AWS": f"arn:aws:iam::{ACCOUNT}:role/Other"}, req()) == "none"


def test_principal_service_and_everyone() -> None:
    # PRINCIPAL, "AWS service principals": {"Service": "events.amazonaws.com"}; "All principals":
    # "Principal": "*".
    service = Request("events.amazonaws.com", "", "lambda:InvokeFunction", "arn:aws:lambda:::f")
    assert principal({"Service": "events.amazonaws.com"}, service) == "direct"
    assert principal({"Service": "sns.amazonaws.com"}, service) == "none"
    assert principal({"AWS": ROLE}, service) == "none"
    assert principal("*", service) == "direct"
    assert principal("*", req()) == "direct"


# -- Condition operators -------------------------------------------------------------------------------
def test_condition_key_names_are_case_insensitive() -> None:
    # CONDITION: "Condition key names are not case-sensitive. For example, including the
    # aws:SourceIP condition key is equivalent to testing for AWS:SourceIp."
    assert when("StringEquals", "AWS:SourceAccount", ACCOUNT, **{"aws:SourceAccount": ACCOUNT})


def test_string_equals_is_case_sensitive_and_ignore_case_is_not() -> None:
    # OPERATORS, String condition operators: StringEquals "Exact matching, case sensitive";
    # StringEqualsIgnoreCase "Exact matching, ignoring case".
    assert not when(
        "StringEquals",
        "aws:PrincipalTag/job-category",
        "iamuser-admin",
        **{"aws:PrincipalTag/job-category": "IAMUser-Admin"},
    )
    assert when(
        "StringEqualsIgnoreCase",
        "aws:PrincipalTag/job-category",
        "iamuser-admin",
        **{"aws:PrincipalTag/job-category": "IAMUser-Admin"},
    )


def test_multiple_values_of_one_key_are_ored() -> None:
    # CONDITION, "Evaluation logic for conditions": several values for one key are evaluated with
    # a logical OR.
    assert when("StringEquals", "aws:PrincipalTag/dept", ["a", "b"], **{"aws:PrincipalTag/dept": "b"})
    assert not when("StringEquals", "aws:PrincipalTag/dept", ["a", "b"], **{"aws:PrincipalTag/dept": "c"})


def test_operators_and_keys_are_anded() -> None:
    # CONDITION, "Evaluation logic for conditions": several operators, or several keys, are ANDed.
    item = statement(
        Condition={
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"},
        }
    )
    good = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}
    assert applies(item, req(**good))
    assert not applies(item, req(**{**good, "aws:SourceAccount": "111122223333"}))


def test_string_like_wildcards() -> None:
    # OPERATORS: StringLike "Case-sensitive matching. The values can include multi-character match
    # wildcards (*) and single-character match wildcards (?) anywhere in the string."
    assert when("StringLike", "s3:prefix", "home/*", **{"s3:prefix": "home/carlos/"})
    assert not when("StringLike", "s3:prefix", "home/*", **{"s3:prefix": "HOME/carlos/"})
    assert not when("StringLike", "s3:prefix", "home/[a-z]*", **{"s3:prefix": "home/a"})


def test_missing_key_fails_positive_and_passes_negated_operators() -> None:
    # OPERATORS: "If the key that you specify in a policy condition is not present in the request
    # context, the values do not match and the condition is false. If the policy condition requires
    # that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
    # present, the condition is true."
    assert not when("StringEquals", "aws:SourceAccount", ACCOUNT)
    assert not when("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:t")
    assert when("StringNotLike", "aws:SourceAccount", ACCOUNT)
    assert when("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:t")
    assert when("StringNotEquals", "aws:SourceAccount", ACCOUNT)


def test_negated_operator_holds_when_no_value_matches() -> None:
    # OPERATORS: StringNotEquals "Negated matching": true when the request value matches none.
    assert when("StringNotEquals", "aws:SourceAccount", ["1", "2"], **{"aws:SourceAccount": "3"})
    assert not when("StringNotEquals", "aws:SourceAccount", ["1", "2"], **{"aws:SourceAccount": "2"})


def test_if_exists_passes_when_the_key_is_absent_only() -> None:
    # OPERATORS, "...IfExists condition operators": "If the policy key is present in the context of
    # the request, process the key as specified in the policy. If the key is not present, evaluate
    # the condition element as true."
    assert when("StringLikeIfExists", "ec2:InstanceType", "t1.*")
    assert when("StringLikeIfExists", "ec2:InstanceType", "t1.*", **{"ec2:InstanceType": "t1.micro"})
    assert not when("StringLikeIfExists", "ec2:InstanceType", "t1.*", **{"ec2:InstanceType": "m5.large"})


def test_null_checks_presence() -> None:
    # OPERATORS, "Condition operator to check existence of condition keys": Null "true" means the
    # key is absent, "false" that it is present and its value is not null.
    assert when("Null", "aws:TokenIssueTime", "true")
    assert not when("Null", "aws:TokenIssueTime", "true", **{"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    assert when("Null", "aws:TokenIssueTime", "false", **{"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    with pytest.raises(UnsupportedPolicyError):
        Policy.parse("p", {"Statement": [statement(Condition={"NullIfExists": {"k": "true"}})]})


def test_bool_secure_transport() -> None:
    # OPERATORS, Boolean condition operators: {"Bool": {"aws:SecureTransport": "false"}} matches
    # requests not sent over TLS.
    assert when("Bool", "aws:SecureTransport", "false", **{"aws:SecureTransport": "false"})
    assert not when("Bool", "aws:SecureTransport", "false", **{"aws:SecureTransport": "true"})
    assert when("Bool", "aws:SecureTransport", False, **{"aws:SecureTransport": "false"})  # JSON false


def test_numeric_operators() -> None:
    # OPERATORS, Numeric condition operators, e.g. {"NumericLessThanEquals": {"s3:max-keys": "10"}}.
    assert when("NumericLessThanEquals", "s3:max-keys", "10", **{"s3:max-keys": "10"})
    assert not when("NumericLessThanEquals", "s3:max-keys", "10", **{"s3:max-keys": "11"})
    assert when("NumericGreaterThan", "s3:max-keys", "10", **{"s3:max-keys": "11"})
    assert when("NumericNotEquals", "s3:max-keys", "10", **{"s3:max-keys": "11"})


def test_date_operators_with_iso_and_epoch() -> None:
    # OPERATORS, Date condition operators: {"DateGreaterThan": {"aws:TokenIssueTime":
    # "2020-01-01T00:00:01Z"}}; values in ISO 8601 or epoch (UNIX) time.
    key = "aws:CurrentTime"
    assert when("DateGreaterThan", key, "2020-01-01T00:00:01Z", **{key: "2020-06-30T00:00:00Z"})
    assert not when("DateGreaterThan", key, "2020-01-01T00:00:01Z", **{key: "2019-06-30T00:00:00Z"})
    assert when("DateLessThan", key, "1577836800", **{key: "2019-12-31T23:59:59Z"})  # epoch 2020-01-01


def test_arn_like_matches_each_of_the_six_segments_separately() -> None:
    # OPERATORS, ARN condition operators: ArnLike "Case-sensitive matching of the ARN. Each of the six
    # colon-delimited components of the ARN is checked separately and each can include
    # multi-character match wildcards (*) or single-character match wildcards (?)."
    key = "aws:SourceArn"
    assert when(
        "ArnLike", key, "arn:aws:sns:*:123456789012:*", **{key: "arn:aws:sns:us-east-1:123456789012:t"}
    )
    # a "*" in the resource segment cannot stand in for the missing region and account segments
    assert not when("ArnLike", key, "arn:aws:sns:*", **{key: "arn:aws:sns:us-east-1:123456789012:t"})
    assert not when("ArnLike", key, "arn:aws:sns:*:*:T", **{key: "arn:aws:sns:us-east-1:123456789012:t"})
    # the sixth part keeps its colons (arn:aws:lambda:...:function:name)
    assert when("ArnLike", key, "arn:aws:lambda:*:*:function:f*", **{key: "arn:aws:lambda:r:1:function:fn"})


def test_arn_equals_is_arn_like() -> None:
    # OPERATORS lists ArnEquals and ArnLike together with one description (wildcards per segment):
    # ArnEquals with a wildcard matches as ArnLike does; ArnNotEquals as ArnNotLike.
    key = "aws:SourceArn"
    arn = "arn:aws:events:us-east-1:123456789012:rule/MyRule"
    assert when("ArnEquals", key, "arn:aws:events:*:123456789012:rule/*", **{key: arn})
    assert not when("ArnNotEquals", key, "arn:aws:events:*:123456789012:rule/*", **{key: arn})


def test_for_all_values_every_request_value_must_match_and_absent_key_is_true() -> None:
    # MULTI_EXAMPLES: "In order for context key aws:TagKeys to match, every value in the request
    # context must match at least one value in the policy. The ForAllValues set operator also
    # returns true if there are no context keys in the request."
    op = "ForAllValues:StringLike"
    assert when(op, "aws:TagKeys", ["key1*", "key2"], **{"aws:TagKeys": ["key1a", "key2"]})
    assert not when(op, "aws:TagKeys", ["key1*", "key2"], **{"aws:TagKeys": ["key1a", "key3"]})
    assert when(op, "aws:TagKeys", ["key1*"])


def test_for_any_value_one_request_value_must_match_and_absent_key_is_false() -> None:
    # MULTI: ForAnyValue "tests whether at least one member of the set of request context key values
    # matches"; an absent key does not match, negated operators included (iam.cloudcopilot.io,
    # operators "ForAnyValue:ArnNotEqualsIfExists"/"ForAnyValue:ArnEquals": key null -> statement
    # does not apply).
    op = "ForAnyValue:StringEquals"
    assert when(op, "aws:TagKeys", ["env"], **{"aws:TagKeys": ["team", "env"]})
    assert not when(op, "aws:TagKeys", ["env"], **{"aws:TagKeys": ["team"]})
    assert not when(op, "aws:TagKeys", ["env"])
    assert not when("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"])
    assert not when(op, "aws:TagKeys", ["env"], **{"aws:TagKeys": []})


def test_single_valued_operator_on_a_multivalued_key_is_refused() -> None:
    # MULTI: "Multivalued context keys require a condition set operator."
    with pytest.raises(UnsupportedPolicyError):
        when("StringEquals", "aws:TagKeys", "env", **{"aws:TagKeys": ["env", "team"]})


def test_unknown_operators_are_refused_at_parse() -> None:
    # An operator the evaluator does not implement is never read as true or false.
    with pytest.raises(UnsupportedPolicyError):
        Policy.parse("p", {"Statement": [statement(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})]})
    with pytest.raises(UnsupportedPolicyError):
        Policy.parse("p", {"Statement": [statement(Condition={"ForEveryValue:StringEquals": {"k": "v"}})]})
