"""IAM policy documents and how one statement applies to one request.

Semantics from the IAM User Guide's policy reference ("IAM JSON policy elements", "Condition
operators", "Policy evaluation logic"). What is not implemented is refused with
`UnsupportedPolicyError`, never read as an allow or a deny: a local cloud that guesses would be
greener than AWS.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Effect = Literal["Allow", "Deny"]
ContextValue = str | Sequence[str]


class UnsupportedPolicyError(ValueError):
    """A policy uses an element, operator or variable the local evaluator does not implement."""


@dataclass(frozen=True)
class Request:
    """What one call asks for: who, which action on which resource, and the request context."""

    principal_arn: str  # a role ARN, or a service principal such as "events.amazonaws.com"
    principal_account: str  # "" for a service principal
    action: str  # "sagemaker:DescribeModelPackage"
    resource: str  # an ARN or "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    @property
    def is_service(self) -> bool:
        return self.principal_arn.endswith(".amazonaws.com")


@dataclass(frozen=True)
class Statement:
    sid: str
    effect: Effect
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None  # None: the element is absent (resource policies may omit it)
    not_resources: tuple[str, ...] | None
    principals: Mapping[str, tuple[str, ...]] | None  # None: identity policy (no Principal element)
    not_principals: Mapping[str, tuple[str, ...]] | None
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]]

    def covers_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(action_matches(pattern, action) for pattern in self.not_actions)
        return any(action_matches(pattern, action) for pattern in self.actions)

    def covers_resource(self, resource: str) -> bool:
        if self.not_resources is not None:
            return not any(_resource_matches(pattern, resource) for pattern in self.not_resources)
        if self.resources is None:
            return True  # a resource policy without Resource applies to the resource it is attached to
        return any(_resource_matches(pattern, resource) for pattern in self.resources)

    def principal_match(self, request: Request) -> PrincipalMatch:
        """How this statement's Principal names the caller: directly, through its account, or not."""
        if self.not_principals is not None:
            return "none" if _principal_in(self.not_principals, request) != "none" else "direct"
        if self.principals is None:
            return "direct"  # identity policies apply to the identity they are attached to
        return _principal_in(self.principals, request)

    def conditions_hold(self, request: Request) -> bool:
        return all(
            _condition_holds(operator, key, values, request.context)
            for operator, block in self.conditions.items()
            for key, values in block.items()
        )


PrincipalMatch = Literal["direct", "account", "none"]


@dataclass(frozen=True)
class Policy:
    name: str  # where it came from, for reports: "role/X inline Y", "bucket policy of b"
    statements: tuple[Statement, ...]

    @classmethod
    def parse(cls, name: str, document: str | Mapping[str, Any]) -> Policy:
        body = json.loads(document) if isinstance(document, str) else document
        raw = body.get("Statement", [])
        items = [raw] if isinstance(raw, Mapping) else list(raw)
        return cls(name, tuple(_statement(name, index, item) for index, item in enumerate(items)))


def _statement(policy: str, index: int, item: Mapping[str, Any]) -> Statement:
    known = {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
    unknown = set(item) - known
    if unknown:
        raise UnsupportedPolicyError(f"{policy}: statement {index} has unknown elements {sorted(unknown)}")
    # IAM User Guide, "IAM JSON policy element reference": a statement has exactly one of Action and
    # NotAction, at most one of Resource and NotResource (an identity-based statement, which has no
    # Principal, must have one: "MalformedPolicyDocument: Policy statement must contain resources"),
    # and at most one of Principal and NotPrincipal. Anything else is malformed: refused.
    for one, other in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
        if one in item and other in item:
            raise UnsupportedPolicyError(f"{policy}: statement {index} has both {one} and {other}")
    if "Action" not in item and "NotAction" not in item:
        raise UnsupportedPolicyError(f"{policy}: statement {index} has neither Action nor NotAction")
    if not {"Principal", "NotPrincipal", "Resource", "NotResource"} & set(item):
        raise UnsupportedPolicyError(f"{policy}: statement {index} of an identity policy has no Resource")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise UnsupportedPolicyError(f"{policy}: statement {index} has Effect {effect!r}")
    conditions: dict[str, dict[str, tuple[str, ...]]] = {}
    for operator, block in (item.get("Condition") or {}).items():
        _check_operator(policy, operator)
        conditions[operator] = {key: _strings(value) for key, value in block.items()}
    return Statement(
        sid=str(item.get("Sid", index)),
        effect=effect,
        actions=_strings(item.get("Action", ())),
        not_actions=_strings(item["NotAction"]) if "NotAction" in item else None,
        resources=_strings(item["Resource"]) if "Resource" in item else None,
        not_resources=_strings(item["NotResource"]) if "NotResource" in item else None,
        principals=_principals(item["Principal"]) if "Principal" in item else None,
        not_principals=_principals(item["NotPrincipal"]) if "NotPrincipal" in item else None,
        conditions=conditions,
    )


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str | bool | int | float):
        return (_text(value),)
    return tuple(_text(v) for v in value)


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _principals(value: Any) -> Mapping[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    return {kind: _strings(names) for kind, names in value.items()}


# -- matching --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards are `*` (any run of characters, "/" and ":" included) and `?` (one
    character); every other character is literal (no `[...]` classes as in shell globs)."""
    if "${" in pattern:
        raise UnsupportedPolicyError(f"policy variables are not evaluated locally: {pattern!r}")
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"(?s:{body})\\Z", re.IGNORECASE if ignore_case else 0)


def action_matches(pattern: str, action: str) -> bool:
    """Action names match case-insensitively with * and ? (IAM: "Action element")."""
    return bool(_glob(pattern, True).match(action))


def _resource_matches(pattern: str, resource: str) -> bool:
    """Resource ARNs match case-sensitively with * and ?, which may span segments."""
    if pattern == "*":
        return True
    return bool(_glob(pattern, False).match(resource))


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: the six colon-separated parts are matched one by one (IAM: "ARN condition operators")."""
    parts, values = pattern.split(":", 5), value.split(":", 5)
    if len(parts) != 6 or len(values) != 6:
        return False
    return all(_glob(p, False).match(v) for p, v in zip(parts, values, strict=True))


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _principal_in(principals: Mapping[str, tuple[str, ...]], request: Request) -> PrincipalMatch:
    best: PrincipalMatch = "none"
    for kind, names in principals.items():
        for name in names:
            if kind == "*" or (kind == "AWS" and name == "*"):
                return "direct"  # anyone, services included ("Principal": "*")
            if kind == "Service":
                if request.is_service and name == request.principal_arn:
                    return "direct"
            elif kind == "AWS":
                if request.is_service:
                    continue
                if name == request.principal_arn or name == _role_of_session(request.principal_arn):
                    return "direct"
                root = name if name.isdigit() else (account_of(name) if name.endswith(":root") else "")
                if root and root == request.principal_account:
                    best = "account"  # trusts the account: its identity policies must allow too
            elif kind in ("Federated", "CanonicalUser"):
                continue
            else:
                raise UnsupportedPolicyError(f"principal kind {kind!r}")
    return best


def _role_of_session(arn: str) -> str:
    """arn:aws:sts::A:assumed-role/R/s -> arn:aws:iam::A:role/R (policies name the role)."""
    match = re.match(r"arn:([^:]+):sts::(\d+):assumed-role/([^/]+)/", arn)
    return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else arn


# -- conditions ------------------------------------------------------------------------------------
_BASE_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
}


def _split_operator(operator: str) -> tuple[str, str, bool]:
    """("ForAnyValue:StringLikeIfExists") -> ("ForAnyValue", "StringLike", True)."""
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    return qualifier, base, if_exists


def _check_operator(policy: str, operator: str) -> None:
    qualifier, base, if_exists = _split_operator(operator)
    if qualifier not in ("", "ForAnyValue", "ForAllValues") or base not in _BASE_OPERATORS:
        raise UnsupportedPolicyError(f"{policy}: condition operator {operator!r} is not evaluated locally")
    if base == "Null" and (if_exists or qualifier):
        raise UnsupportedPolicyError(f"{policy}: {operator!r} is not a valid operator")


def _negated(base: str) -> bool:
    return "Not" in base


def _condition_holds(
    operator: str, key: str, expected: tuple[str, ...], context: Mapping[str, ContextValue]
) -> bool:
    """One key of one operator. Keys are case-insensitive; a missing key fails a positive operator and
    passes a negated one (IAM: "Condition operators"; the ...IfExists forms pass when it is missing)."""
    qualifier, base, if_exists = _split_operator(operator)
    present = _lookup(context, key)
    if base == "Null":
        if len(expected) != 1 or expected[0].lower() not in ("true", "false"):
            raise UnsupportedPolicyError(f"Null takes one value, true or false: {key} {list(expected)}")
        wanted_null = expected[0].lower() == "true"
        return (present is None) == wanted_null
    if present is None:
        return _absent(operator, qualifier, base, if_exists)
    values = (present,) if isinstance(present, str) else tuple(present)
    if qualifier == "ForAllValues":
        return all(_single(base, v, expected) for v in values)
    if qualifier == "ForAnyValue":
        return any(_single(base, v, expected) for v in values)
    if len(values) != 1:
        raise UnsupportedPolicyError(
            f"{operator} on the multivalued key {key} needs ForAnyValue/ForAllValues"
        )
    return _single(base, values[0], expected)


def _absent(operator: str, qualifier: str, base: str, if_exists: bool) -> bool:
    """A key the request does not have."""
    if qualifier == "ForAllValues":
        return True  # "ForAllValues ... also returns true if there are no context keys in the request"
    if qualifier == "ForAnyValue":
        if if_exists:  # documented sources disagree on ForAnyValue:...IfExists with the key absent
            raise UnsupportedPolicyError(f"{operator} on an absent key is not evaluated locally")
        return False  # ForAnyValue needs at least one value in the request, negated operators too
    return True if if_exists else _negated(base)


def _lookup(context: Mapping[str, ContextValue], key: str) -> ContextValue | None:
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


def _single(base: str, value: str, expected: Iterable[str]) -> bool:
    """A negated operator holds when no expected value matches (IAM: "...NotEquals" semantics)."""
    positive = base.replace("Not", "") if _negated(base) else base
    matched = any(_compare(positive, value, want) for want in expected)
    return not matched if _negated(base) else matched


def _compare(base: str, value: str, want: str) -> bool:
    if base.startswith("Numeric"):
        return _ordered(base[len("Numeric") :], *_operands(float, value, want))
    if base.startswith("Date"):
        return _ordered(base[len("Date") :], *_operands(_date, value, want))
    compare = _STRING_COMPARISONS.get(base)
    if compare is None:
        raise UnsupportedPolicyError(f"condition operator {base!r}")
    return compare(value, want)


_STRING_COMPARISONS: Mapping[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, want: _no_variables(want) == value,
    "StringEqualsIgnoreCase": lambda value, want: _no_variables(want).lower() == value.lower(),
    "StringLike": lambda value, want: bool(_glob(want, False).match(value)),
    "Bool": lambda value, want: want.lower() == value.lower(),
    # ArnEquals and ArnLike are one operator under two names: "Case-sensitive matching of the ARN.
    # Each of the six colon-delimited components of the ARN is checked separately and each can
    # include multi-character match wildcards (*) or single-character match wildcards (?)".
    "ArnEquals": lambda value, want: _arn_like(want, value),
    "ArnLike": lambda value, want: _arn_like(want, value),
}


def _operands(parse: Callable[[str], float], value: str, want: str) -> tuple[float, float]:
    """A policy value that is no number (date) is a malformed policy; a request value that is none
    matches nothing (the comparison cannot hold), so it is reported as -inf/+inf never equal."""
    try:
        right = parse(want)
    except ValueError as error:
        raise UnsupportedPolicyError(f"condition value {want!r} is not of the operator's type") from error
    try:
        left = parse(value)
    except ValueError:
        return float("nan"), right  # nan compares false with everything: no match
    return left, right


def _no_variables(text: str) -> str:
    if "${" in text:
        raise UnsupportedPolicyError(f"policy variables are not evaluated locally: {text!r}")
    return text


def _ordered(relation: str, left: float, right: float) -> bool:
    return {
        "Equals": left == right,
        "LessThan": left < right,
        "LessThanEquals": left <= right,
        "GreaterThan": left > right,
        "GreaterThanEquals": left >= right,
    }[relation]


def _date(text: str) -> float:
    """ISO 8601 (a time without zone is UTC, as AWS's request times are) or epoch seconds."""
    if text.isdigit():
        return float(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
