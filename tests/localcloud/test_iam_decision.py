"""localcloud.iam.decision against AWS's policy evaluation logic.

Pages:
- EVAL: IAM User Guide, "Policy evaluation logic" and "Policy evaluation for requests within a single
  account" (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
  .../reference_policies_evaluation-logic_policy-eval-basics.html): "If either the identity-based
  policy or the resource-based policy within the same account allows the request and the other
  doesn't, the request is still allowed."; "An explicit deny in any of the policies overrides the allow."
- CROSS: "Cross-account policy evaluation logic" (.../reference_policies_evaluation-logic-cross-account.html):
  the identity-based policy in the calling account and the resource-based policy must both allow.
- PRINCIPAL: "AWS JSON policy elements: Principal", AWS account principals: naming the account
  "delegates" to it; its identities still need identity-based policies that allow.
- KMS: AWS KMS Developer Guide, "Key policies in AWS KMS" (docs.aws.amazon.com/kms/latest/developerguide/
  key-policies.html): "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
  access to a KMS key"; the default key policy's "Enable IAM User Permissions" statement (Principal the
  account root) is what lets IAM policies work; "Allowing users in other accounts to use a KMS key"
  (key-policy-modifying-external-accounts.html): the key policy must allow the external account and
  IAM policies in the external account must delegate the permission to its users and roles.
- LAMBDA: Lambda Developer Guide, "Viewing resource-based IAM policies in Lambda"
  (access-control-resource-based.html): add-permission --principal s3.amazonaws.com --source-arn
  ... --source-account ... gives {"StringEquals": {"AWS:SourceAccount": ...}, "ArnLike":
  {"AWS:SourceArn": ...}}; "When an AWS service ... calls your Lambda function, Lambda considers only
  the resource-based policy" (permissions-granting-access.html).
- SNS: EventBridge User Guide, "Using resource-based policies for Amazon EventBridge", Amazon SNS
  permissions: the topic policy allows Service events.amazonaws.com sns:Publish.
- TLS: Amazon S3 User Guide, bucket policy examples, "Managing access based on HTTP or HTTPS requests":
  Deny, Principal "*", s3:*, Condition {"Bool": {"aws:SecureTransport": "false"}}.
- Messages (real AWS responses):
  aws-samples/ml-edge-getting-started#18: "User: arn:aws:sts::<ACCOUNT>:assumed-role/<ROLE>/<SESSION> is
  not authorized to perform: sagemaker:DescribeModelPackage on resource:
  arn:aws:sagemaker:<REGION>:<ACCOUNT>:model-package/modelPackageGroupTurbine/1 because no
  identity-based policy allows the sagemaker:DescribeModelPackage action";
  aws-ia/terraform-aws-bedrock#41: "... is not authorized to perform: s3:GetObject on resource:
  \"arn:aws:s3:::test-s3-docs/Amazon-2021-Annual-Report.pdf\" because no identity-based policy allows
  the s3:GetObject action" (S3 quotes the ARN);
  noobaa/noobaa-core#10060 quoting AWS: "User: arn:aws:iam::<account-ID>:user/<username> is not
  authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::<bucket-name>\" with an explicit deny
  in a resource-based policy".
"""

from __future__ import annotations

from typing import Any

from localcloud.iam.decision import decide
from localcloud.iam.policy import Policy, Request

A = "111122223333"  # the caller's account
B = "444455556666"  # another account
ROLE = f"arn:aws:iam::{A}:role/ScoringRole"
SESSION = f"arn:aws:sts::{A}:assumed-role/ScoringRole/session-1"
OBJECT = "arn:aws:s3:::artifacts/models/v1/model.tar.gz"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FOREIGN_KEY = f"arn:aws:kms:us-east-1:{B}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy.parse("test", {"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(action: str = "s3:GetObject", resource: str = OBJECT, **context: str) -> Request:
    return Request(SESSION, A, action, resource, {"aws:SecureTransport": "true", **context})


# -- one account ---------------------------------------------------------------------------------------
def test_default_is_implicit_deny() -> None:
    # EVAL: "By default, all requests are implicitly denied".
    decision = decide(request(), [policy(allow("s3:PutObject", "arn:aws:s3:::artifacts/*"))], None)
    assert not decision.allowed
    assert decision.reason == "because no identity-based policy allows the s3:GetObject action"


def test_same_account_identity_policy_alone_allows() -> None:
    # EVAL: identity allows, the bucket has no policy: allowed.
    assert decide(request(), [policy(allow("s3:GetObject", "arn:aws:s3:::artifacts/*"))], None).allowed


def test_same_account_resource_policy_naming_the_role_alone_allows() -> None:
    # EVAL: "If either the identity-based policy or the resource-based policy within the same account
    # allows the request and the other doesn't, the request is still allowed."
    bucket = policy(allow("s3:GetObject", "arn:aws:s3:::artifacts/*", Principal={"AWS": ROLE}))
    assert decide(request(), [policy()], bucket).allowed
    bucket = policy(allow("s3:GetObject", "arn:aws:s3:::artifacts/*", Principal={"AWS": SESSION}))
    assert decide(request(), [], bucket).allowed


def test_same_account_resource_policy_naming_the_account_delegates_to_identity() -> None:
    # PRINCIPAL: a resource policy naming the account root grants the account, whose identities
    # still need an identity-based allow.
    bucket = policy(
        allow("s3:GetObject", "arn:aws:s3:::artifacts/*", Principal={"AWS": f"arn:aws:iam::{A}:root"})
    )
    denied = decide(request(), [policy()], bucket)
    assert not denied.allowed
    assert denied.reason == "because no identity-based policy allows the s3:GetObject action"
    assert decide(request(), [policy(allow("s3:GetObject", "arn:aws:s3:::artifacts/*"))], bucket).allowed


def test_explicit_deny_in_identity_policy_overrides_a_bucket_policy_allow() -> None:
    # EVAL/BASICS, Carlos's example: his identity policy's DenyS3Logs ("s3:*" on "arn:aws:s3:::*log*")
    # wins over the bucket policy that allows him to PutObject into the ...-logs bucket.
    carlos = f"arn:aws:iam::{A}:user/carlossalazar"
    identity = policy(
        allow("s3:*", ["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*"]),
        deny("s3:*", "arn:aws:s3:::*log*"),
    )
    bucket = policy(
        allow(
            "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*", Principal={"AWS": carlos}
        )
    )
    put = Request(carlos, A, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/x.log")
    decision = decide(put, [identity], bucket)
    assert not decision.allowed
    assert decision.reason == "with an explicit deny in an identity-based policy"


def test_tls_only_bucket_policy_denies_plain_http_for_everyone() -> None:
    # TLS: Deny, Principal "*", Action s3:*, Bool aws:SecureTransport false.
    bucket = policy(
        deny(
            "s3:*",
            ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
            Principal="*",
            Condition={"Bool": {"aws:SecureTransport": "false"}},
        )
    )
    identity = [policy(allow("s3:GetObject", "arn:aws:s3:::artifacts/*"))]
    assert decide(request(), identity, bucket).allowed  # over TLS: the deny does not apply
    plain = request(**{"aws:SecureTransport": "false"})
    decision = decide(plain, identity, bucket)
    assert not decision.allowed
    assert decision.reason == "with an explicit deny in a resource-based policy"
    # a service principal is "*" too
    service = Request(
        "logging.s3.amazonaws.com", "", "s3:PutObject", OBJECT, {"aws:SecureTransport": "false"}
    )
    assert not decide(service, None, bucket).allowed


def test_deny_in_a_resource_policy_for_another_principal_does_not_apply() -> None:
    # EVAL: a statement applies only to the principals it names.
    bucket = policy(deny("s3:GetObject", OBJECT, Principal={"AWS": f"arn:aws:iam::{A}:role/Other"}))
    assert decide(request(), [policy(allow("s3:GetObject", OBJECT))], bucket).allowed


# -- across accounts -----------------------------------------------------------------------------------
def test_cross_account_needs_both_sides() -> None:
    # CROSS: "the identity-based policy in the trusted account and the resource-based policy in the
    # trusting account must both allow".
    foreign = "arn:aws:s3:::registry-artifacts/models/v1/model.tar.gz"
    identity = [policy(allow("s3:GetObject", "arn:aws:s3:::registry-artifacts/*"))]
    bucket = policy(
        allow(
            "s3:GetObject", "arn:aws:s3:::registry-artifacts/*", Principal={"AWS": f"arn:aws:iam::{A}:root"}
        )
    )
    assert decide(request(resource=foreign), identity, bucket, resource_account=B).allowed

    only_identity = decide(request(resource=foreign), identity, None, resource_account=B)
    assert not only_identity.allowed
    assert only_identity.reason == "because no resource-based policy allows the s3:GetObject action"

    only_resource = decide(request(resource=foreign), [policy()], bucket, resource_account=B)
    assert not only_resource.allowed
    assert only_resource.reason == "because no identity-based policy allows the s3:GetObject action"

    other_account = policy(allow("s3:GetObject", "*", Principal={"AWS": "arn:aws:iam::999988887777:root"}))
    assert not decide(request(resource=foreign), identity, other_account, resource_account=B).allowed


def test_cross_account_resource_policy_naming_the_role_still_needs_identity() -> None:
    # CROSS: naming the role itself does not spare the caller's account its identity-based allow.
    group = f"arn:aws:sagemaker:us-east-1:{B}:model-package/churn/1"
    registry = policy(
        allow(
            "sagemaker:DescribeModelPackage",
            f"arn:aws:sagemaker:us-east-1:{B}:model-package/churn/*",
            Principal={"AWS": ROLE},
        )
    )
    ask = request("sagemaker:DescribeModelPackage", group)
    assert not decide(ask, [policy()], registry).allowed  # owner read from the ARN: account B
    assert decide(ask, [policy(allow("sagemaker:DescribeModelPackage", group))], registry).allowed


def test_cross_account_explicit_deny_on_either_side_wins() -> None:
    foreign = "arn:aws:s3:::registry-artifacts/k"
    identity = [policy(allow("s3:GetObject", "*"))]
    bucket = policy(
        allow("s3:GetObject", "*", Principal={"AWS": A}),
        deny("s3:GetObject", "*", Principal={"AWS": A}),
    )
    decision = decide(request(resource=foreign), identity, bucket, resource_account=B)
    assert not decision.allowed
    assert decision.reason == "with an explicit deny in a resource-based policy"


# -- KMS -----------------------------------------------------------------------------------------------
ENABLE_IAM = allow(
    "kms:*", "*", Principal={"AWS": f"arn:aws:iam::{A}:root"}, Sid="Enable IAM User Permissions"
)


def kms(action: str = "kms:Decrypt", key: str = KEY) -> Request:
    return request(action, key)


def test_kms_key_policy_enabling_iam_lets_the_identity_policy_decide() -> None:
    # KMS: the default key policy's root statement makes IAM policies effective.
    identity = [policy(allow("kms:Decrypt", KEY))]
    assert decide(kms(), identity, policy(ENABLE_IAM), key_policy_required=True).allowed
    denied = decide(kms(), [policy()], policy(ENABLE_IAM), key_policy_required=True)
    assert not denied.allowed
    assert denied.reason == "because no identity-based policy allows the kms:Decrypt action"


def test_kms_identity_policy_alone_is_not_enough() -> None:
    # KMS: "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access
    # to a KMS key. Without permission from the key policy, IAM policies that allow permissions have
    # no effect."
    identity = [policy(allow("kms:*", "*"))]
    other = policy(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{A}:role/KeyAdmin"}))
    decision = decide(kms(), identity, other, key_policy_required=True)
    assert not decision.allowed
    assert decision.reason == "because no resource-based policy allows the kms:Decrypt action"
    assert not decide(kms(), identity, None, key_policy_required=True).allowed


def test_kms_key_policy_naming_the_role_allows_without_iam() -> None:
    # KMS: a key policy statement whose Principal is the role gives it access by itself.
    key_policy = policy(allow(["kms:Decrypt", "kms:GenerateDataKey"], "*", Principal={"AWS": ROLE}))
    assert decide(kms(), [policy()], key_policy, key_policy_required=True).allowed
    assert not decide(kms("kms:Encrypt"), [policy()], key_policy, key_policy_required=True).allowed


def test_kms_cross_account_needs_key_policy_and_identity_policy() -> None:
    # KMS, "Allowing users in other accounts to use a KMS key": both the key policy (naming the
    # external account or its role) and an IAM policy in the external account.
    key_policy = policy(allow("kms:Decrypt", "*", Principal={"AWS": f"arn:aws:iam::{A}:root"}))
    identity = [policy(allow("kms:Decrypt", FOREIGN_KEY))]
    assert decide(kms(key=FOREIGN_KEY), identity, key_policy, key_policy_required=True).allowed
    assert not decide(kms(key=FOREIGN_KEY), [policy()], key_policy, key_policy_required=True).allowed
    naming_role = policy(allow("kms:Decrypt", "*", Principal={"AWS": ROLE}))
    assert not decide(kms(key=FOREIGN_KEY), [policy()], naming_role, key_policy_required=True).allowed
    assert decide(kms(key=FOREIGN_KEY), identity, naming_role, key_policy_required=True).allowed
    assert not decide(kms(key=FOREIGN_KEY), identity, policy(), key_policy_required=True).allowed


def test_kms_explicit_deny_in_key_policy_wins() -> None:
    key_policy = policy(ENABLE_IAM, deny("kms:Decrypt", "*", Principal={"AWS": ROLE}))
    decision = decide(kms(), [policy(allow("kms:*", "*"))], key_policy, key_policy_required=True)
    assert not decision.allowed
    assert decision.reason == "with an explicit deny in a resource-based policy"


# -- service principals: Lambda, SNS -------------------------------------------------------------------
FUNCTION = f"arn:aws:lambda:us-east-1:{A}:function:score"
RULE = f"arn:aws:events:us-east-1:{A}:rule/drift"


def lambda_permission(source_arn: str = RULE) -> Policy:
    # LAMBDA: the statement add-permission writes (the keys capitalized as Lambda writes them).
    return policy(
        {
            "Sid": "events-invoke",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": FUNCTION,
            "Condition": {"StringEquals": {"AWS:SourceAccount": A}, "ArnLike": {"AWS:SourceArn": source_arn}},
        }
    )


def delivery(source_arn: str, source_account: str = A, principal: str = "events.amazonaws.com") -> Request:
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account}
    return Request(principal, "", "lambda:InvokeFunction", FUNCTION, context)


def test_lambda_permission_for_a_service_with_source_conditions() -> None:
    # LAMBDA: the service principal is allowed by the function policy alone, only from the named
    # source in the named account.
    assert decide(delivery(RULE), None, lambda_permission()).allowed
    other_rule = decide(delivery(f"arn:aws:events:us-east-1:{A}:rule/other"), None, lambda_permission())
    assert not other_rule.allowed
    assert other_rule.reason == "because no resource-based policy allows the lambda:InvokeFunction action"
    assert not decide(delivery(RULE, source_account=B), None, lambda_permission()).allowed
    assert not decide(delivery(RULE, principal="sns.amazonaws.com"), None, lambda_permission()).allowed
    assert not decide(delivery(RULE), None, None).allowed  # no permission at all


def test_lambda_source_arn_wildcard() -> None:
    # LAMBDA: AddPermission's SourceArn is compared with ArnLike, so wildcards work per segment.
    permission = lambda_permission(f"arn:aws:events:*:{A}:rule/*")
    assert decide(delivery(RULE), None, permission).allowed
    assert not decide(delivery(f"arn:aws:events:us-east-1:{B}:rule/drift"), None, permission).allowed


def test_sns_topic_policy_lets_eventbridge_publish() -> None:
    # SNS: the topic policy statement for Service events.amazonaws.com, sns:Publish.
    topic = f"arn:aws:sns:us-east-1:{A}:drift-alerts"
    topic_policy = policy(
        {
            "Sid": "PublishEventsToMyTopic",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic,
        }
    )
    publish = Request("events.amazonaws.com", "", "sns:Publish", topic, {})
    assert decide(publish, None, topic_policy).allowed
    assert not decide(
        Request("events.amazonaws.com", "", "sns:Subscribe", topic, {}), None, topic_policy
    ).allowed
    # a role of the same account is allowed by its identity policy, the topic policy not naming it
    role_publish = request("sns:Publish", topic)
    assert decide(role_publish, [policy(allow("sns:Publish", topic))], topic_policy).allowed
    assert not decide(role_publish, [policy()], topic_policy).allowed


# -- the message ---------------------------------------------------------------------------------------
def test_message_has_aws_form_for_sagemaker() -> None:
    # aws-samples/ml-edge-getting-started#18 (see the module docstring)
    package = f"arn:aws:sagemaker:us-east-1:{A}:model-package/modelPackageGroupTurbine/1"
    decision = decide(request("sagemaker:DescribeModelPackage", package), [policy()], None)
    assert decision.message() == (
        f"User: arn:aws:sts::{A}:assumed-role/ScoringRole/session-1 is not authorized to perform: "
        f"sagemaker:DescribeModelPackage on resource: {package} because no identity-based policy "
        "allows the sagemaker:DescribeModelPackage action"
    )


def test_message_has_aws_form_for_s3_with_quoted_resource() -> None:
    # aws-ia/terraform-aws-bedrock#41 and noobaa/noobaa-core#10060 (see the module docstring)
    implicit = decide(request(), [policy()], None)
    assert implicit.message() == (
        f'User: {SESSION} is not authorized to perform: s3:GetObject on resource: "{OBJECT}" '
        "because no identity-based policy allows the s3:GetObject action"
    )
    bucket = policy(deny("s3:ListBucket", "arn:aws:s3:::artifacts", Principal={"AWS": [A]}))
    listing = request("s3:ListBucket", "arn:aws:s3:::artifacts")
    explicit = decide(listing, [policy(allow("s3:ListBucket", "*"))], bucket)
    assert explicit.message() == (
        f"User: {SESSION} is not authorized to perform: s3:ListBucket on resource: "
        '"arn:aws:s3:::artifacts" with an explicit deny in a resource-based policy'
    )


def test_allowed_decision_names_the_statements_that_allowed_it() -> None:
    identity = policy({**allow("s3:Get*", "arn:aws:s3:::artifacts/*"), "Sid": "ReadArtifacts"})
    decision = decide(request(), [identity], None)
    assert decision.allowed and decision.reason == ""
    assert [(g.sid, g.actions) for g in decision.grants] == [("ReadArtifacts", ("s3:Get*",))]


def test_kms_key_policy_statement_for_a_service_principal_allows_it_alone() -> None:
    # KMS, key policies: a statement whose Principal is {"Service": "events.amazonaws.com"} lets the
    # service use the key (a service principal has no identity policies; it acts in the key's account).
    key_policy = policy(
        ENABLE_IAM,
        allow(["kms:Decrypt", "kms:GenerateDataKey"], "*", Principal={"Service": "events.amazonaws.com"}),
    )
    service = Request("events.amazonaws.com", "", "kms:GenerateDataKey", KEY, {})
    assert decide(service, None, key_policy, key_policy_required=True).allowed
    assert not decide(service, None, policy(ENABLE_IAM), key_policy_required=True).allowed
