"""One authorization decision, as AWS's policy evaluation logic takes it.

IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic": an explicit
deny in any applicable policy wins; within one account an identity-based or a resource-based policy
that allows is enough, except that a resource policy naming only the account (`:root`) delegates to
the identity's own policies; across accounts both sides must allow. KMS is stricter: the key policy
must allow, directly or by enabling IAM policies through the account (KMS Developer Guide, "Key
policies"). Organisations' SCPs, permission boundaries and session policies are not modelled (the
stack uses none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from localcloud.iam.policy import Policy, Request, Statement, account_of, action_matches


@dataclass(frozen=True)
class Grant:
    """One statement of one policy, as the report names it."""

    policy: str
    sid: str
    actions: tuple[str, ...] = ()  # the statement's action patterns that cover the request

    def __str__(self) -> str:
        return f"{self.policy} [{self.sid}]"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    request: Request
    reason: str  # AWS's "because ..." clause when denied, "" when allowed
    grants: tuple[Grant, ...] = field(default=())  # the statements that allowed it

    def message(self) -> str:
        """AWS's AccessDenied message form. SageMaker (aws-samples/ml-edge-getting-started#18):
        "User: arn:aws:sts::A:assumed-role/R/S is not authorized to perform:
        sagemaker:DescribeModelPackage on resource: arn:aws:sagemaker:...:model-package/G/1 because
        no identity-based policy allows the sagemaker:DescribeModelPackage action". S3 quotes the
        resource (aws-ia/terraform-aws-bedrock#41: ... on resource: "arn:aws:s3:::b/k" because ...;
        noobaa/noobaa-core#10060: ... on resource: "arn:aws:s3:::b" with an explicit deny in a
        resource-based policy)."""
        resource = self.request.resource
        if self.request.action.lower().startswith("s3:"):
            resource = f'"{resource}"'
        return (
            f"User: {self.request.principal_arn} is not authorized to perform: {self.request.action} "
            f"on resource: {resource} {self.reason}"
        )


def decide(
    request: Request,
    identity_policies: Sequence[Policy] | None,
    resource_policy: Policy | None,
    *,
    resource_account: str | None = None,
    key_policy_required: bool = False,
) -> Decision:
    """identity_policies: None for a service principal (it has none); resource_policy: None when
    the resource has none. resource_account: defaults to the account in the resource ARN."""
    owner = resource_account if resource_account is not None else account_of(request.resource)
    identity = _applicable(identity_policies or (), request)
    resource = _applicable((resource_policy,) if resource_policy else (), request)
    action = request.action

    for grant, statement in identity:
        if statement.effect == "Deny":
            return Decision(False, request, "with an explicit deny in an identity-based policy", (grant,))
    for grant, statement in resource:
        if statement.effect == "Deny" and statement.principal_match(request) != "none":
            return Decision(False, request, "with an explicit deny in a resource-based policy", (grant,))

    identity_allows = tuple(g for g, s in identity if s.effect == "Allow")
    direct = tuple(g for g, s in resource if s.effect == "Allow" and s.principal_match(request) == "direct")
    via_account = tuple(
        g for g, s in resource if s.effect == "Allow" and s.principal_match(request) == "account"
    )
    no_identity = f"because no identity-based policy allows the {action} action"
    no_resource = f"because no resource-based policy allows the {action} action"
    # A service principal (events.amazonaws.com) acts for the resource's account: one account.
    cross_account = bool(owner) and not request.is_service and owner != request.principal_account
    if key_policy_required:
        # KMS Developer Guide, "Key policies": "Unless the key policy explicitly allows it, you cannot
        # use IAM policies to allow access to a KMS key"; the key policy allows a principal directly,
        # or names the account (root), which "allows IAM policies ... to allow access". Across
        # accounts ("Allowing users in other accounts to use a KMS key") both the key policy and an
        # IAM policy in the caller's account must allow.
        if cross_account:
            key_side = direct + via_account
            allowing = key_side + identity_allows if identity_allows and key_side else ()
        elif direct:
            allowing = direct + identity_allows
        else:
            allowing = via_account + identity_allows if via_account and identity_allows else ()
        missing = no_identity if (direct or via_account) and not identity_allows else no_resource
    elif request.is_service:  # a service principal has no identity policies
        allowing, missing = direct, no_resource
    elif not cross_account:
        allowing, missing = direct + identity_allows, no_identity
    else:  # across accounts both sides must allow
        allowing = (
            direct + via_account + identity_allows if identity_allows and (direct or via_account) else ()
        )
        missing = no_identity if not identity_allows else no_resource
    if allowing:
        return Decision(True, request, "", allowing)
    return Decision(False, request, missing)


def _applicable(policies: Sequence[Policy], request: Request) -> list[tuple[Grant, Statement]]:
    found: list[tuple[Grant, Statement]] = []
    for policy in policies:
        for statement in policy.statements:
            if (
                statement.covers_action(request.action)
                and statement.covers_resource(request.resource)
                and statement.conditions_hold(request)
            ):
                patterns = tuple(a for a in statement.actions if action_matches(a, request.action))
                found.append((Grant(policy.name, statement.sid, patterns or ("NotAction",)), statement))
    return found
