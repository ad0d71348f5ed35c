"""IAM enforced on every call the local cloud serves, as AWS would enforce it.

Who calls is told by the access key the request is signed with, as in AWS: each role of the stack
gets its own credentials, which the local cloud hands to whatever runs as that role (a function's
environment, a state machine's task clients, a SageMaker job's S3 reads and writes). The
credentials in the host's environment when the cloud starts are the operator's (the person at the
keyboard, an administrator of the account). Any other key is refused as AWS refuses an unknown key.

For each call: the actions and resources it needs (`catalog`), plus what AWS checks besides the
action itself (the KMS key of an encrypted bucket, topic or queue; `iam:PassRole` for a role the
request passes), each decided against the caller's identity policies and the resource's own policy
(`decision`). A denial raises the service's own AccessDenied error with AWS's message and nothing
happens; every decision is kept for the least-privilege report.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from localcloud import patching
from localcloud.iam.catalog import Need, UnmappedRequestError, needs_for
from localcloud.iam.decision import Decision, Grant, decide
from localcloud.iam.policy import Policy, Request, UnsupportedPolicyError, account_of
from localcloud.iam.report import written_reason
from localcloud.request_validation import check_request

LOG = logging.getLogger("localcloud.iam")

# The error code each service answers a denied call with (botocore's models where they declare
# one; S3, SNS and SQS from their API references' error lists).
_ACCESS_DENIED_CODE = {
    "s3": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "sqs": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
}
# An unknown access key: "The security token included in the request is invalid." (JSON services),
# S3's InvalidAccessKeyId, the query services' InvalidClientTokenId.
_UNKNOWN_KEY_CODE = {
    "s3": ("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."),
    "sns": ("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
    "sqs": ("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
    "sts": ("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
    "iam": ("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
}


@dataclass(frozen=True)
class Principal:
    arn: str  # the role ARN (policies name it); sessions are reported as assumed-role ARNs
    account: str
    kind: str  # "role", "operator" (admin at the keyboard) or "internal" (the emulator itself)
    session: str = "localcloud"

    @property
    def caller_arn(self) -> str:
        if self.kind != "role":
            return self.arn
        name = self.arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account}:assumed-role/{name}/{self.session}"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str

    def as_environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_SESSION_TOKEN": self.token,
        }

    def client_kwargs(self) -> dict[str, str]:
        return {
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "aws_session_token": self.token,
        }


@dataclass(frozen=True)
class Record:
    """One decision, for the report."""

    principal: str  # role ARN (or the operator's, a service principal)
    action: str
    resource: str
    allowed: bool
    grants: tuple[Grant, ...]
    reason: str
    expected: bool  # a denial the caller set out to provoke (`Enforcer.expecting_denials`)


@dataclass(frozen=True)
class Denial:
    """A refused call or delivery as the caller saw it (CloudTrail records these as errorCode and
    errorMessage): the service's error code and AWS's message naming principal, action and resource."""

    code: str
    message: str


@dataclass
class Enforcer:
    """The IAM of one local cloud. `enabled=False` lets every call through and says so each time."""

    region: str
    enabled: bool = True
    principals: dict[str, Principal] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    bucket_policies: dict[str, str] = field(default_factory=dict)  # by bucket name: whole, as deployed
    # Model package group ARN -> its resource policy (ModelPackageGroupPolicy as deployed): moto has
    # no PutModelPackageGroupPolicy, the local cloud holds the policy and evaluates it.
    group_policies: dict[str, str] = field(default_factory=dict)
    denials: list[Denial] = field(default_factory=list)  # every refusal, in order
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _expecting: int = 0
    seconds: float = 0.0  # time spent deciding in-process calls (benchmarks/iam reads it)

    @contextmanager
    def expecting_denials(self) -> Iterator[None]:
        """Denials inside the block are the point (a test removed a grant); the report keeps them apart."""
        self._expecting += 1
        try:
            yield
        finally:
            self._expecting -= 1

    # -- identities --------------------------------------------------------------------------
    def credentials_for_role(self, role_arn: str, session: str = "localcloud") -> Credentials:
        """A session of `role_arn` (STS AssumeRole's temporary keys): the principal carries the
        role's account, which serves its requests, as moto does for AssumeRole of a role ARN in
        another account (moto.sts.models.STSBackend._create_access_key)."""
        key = _derived_key(f"{role_arn}/{session}")
        secret = _derived_secret(f"{role_arn}/{session}")
        with self._lock:
            self.principals[key] = Principal(role_arn, account_of(role_arn), "role", session)
        return Credentials(key, secret, f"localcloud-session-{key}")

    def account_of_key(self, access_key: str) -> str | None:
        """The account of the principal an access key of this cloud belongs to (moto serves the
        request from that account's backends, `patches.patch_account_from_access_key`)."""
        principal = self.principals.get(access_key)
        return principal.account if principal is not None else None

    def role_principal(self, role_arn: str, session: str) -> Principal:
        """The caller when a service acts with a role it was given (a target's or a schedule's)."""
        return Principal(role_arn, account_of(role_arn), "role", session)

    @property
    def operator_keys(self) -> list[str]:
        return [key for key, principal in self.principals.items() if principal.kind == "operator"]

    def register_operator(self, access_key: str, account: str) -> None:
        self.principals[access_key] = Principal(
            f"arn:aws:iam::{account}:user/localcloud-operator", account, "operator"
        )

    def operator_credentials(self, account: str) -> Credentials:
        """The keys of an administrator of `account` (another account's operator: who deploys that
        account's stack and acts there, as a person with that account's credentials would)."""
        key = _derived_key(f"operator/{account}")
        self.register_operator(key, account)
        return Credentials(key, _derived_secret(f"operator/{account}"), f"localcloud-operator-{account}")

    def internal_credentials(self, account: str) -> Credentials:
        """The emulator's own keys in `account` (a service reading its own state: a job runner
        describing the job it runs); never decided, never reported."""
        key = _derived_key(f"internal/{account}")
        self.principals[key] = Principal(
            f"arn:aws:iam::{account}:role/localcloud-emulator", account, "internal"
        )
        return Credentials(key, "localcloud-internal", "localcloud-internal")

    # -- the check -----------------------------------------------------------------------------
    def check_call(self, client: Any, operation: str, params: Mapping[str, Any]) -> None:
        """Raise the service's error if the call is not allowed; called before every in-process call."""
        started = time.perf_counter()
        try:
            self._check_call(client, operation, params)
        finally:
            self.seconds += time.perf_counter() - started

    def _check_call(self, client: Any, operation: str, params: Mapping[str, Any]) -> None:
        service_model = client.meta.service_model
        credentials = client._request_signer._credentials
        access_key = credentials.access_key if credentials is not None else None
        secure = transport_is_secure(str(client.meta.endpoint_url))
        refusal = self.refusal(
            access_key, service_model, operation, params, secure=secure, validate=client.exceptions.from_code
        )
        if refusal is not None:
            code, status, message = refusal
            raise _client_error(client, operation, code, status, message)

    def refusal(
        self,
        access_key: str | None,
        service_model: Any,
        operation: str,
        params: Mapping[str, Any],
        *,
        secure: bool,
        validate: Callable[[str], type[ClientError]] | None,
        client_validation: bool = True,
    ) -> tuple[str, int, str] | None:
        """(error code, HTTP status, message) AWS would answer this request with, or None to let it
        through. Shared by in-process calls and requests to the `serve` endpoint. `validate`: check the
        request's constraints too, raising that error class (the client's own, in-process).
        `client_validation`: a request botocore's own validator refuses raises its ParamValidationError
        (in-process: a real client never sends it); over `serve` the wire's request is judged as sent."""
        signing_name = service_model.signing_name or service_model.endpoint_prefix
        principal = self.principals.get(access_key or "")
        if principal is None:
            LOG.error(
                "IAM: refused %s:%s signed with an unknown access key %r", signing_name, operation, access_key
            )
            default = (
                "UnrecognizedClientException",
                400,
                "The security token included in the request is invalid.",
            )
            return _UNKNOWN_KEY_CODE.get(signing_name, default) if self.enabled else None
        if principal.kind == "internal":
            return None
        if validate is not None:
            # The service checks the request's constraints (botocore's client skips max/pattern/enum).
            filled = _with_tokens(service_model, operation, params)
            check_request(
                service_model,
                operation,
                filled,
                client_validation=client_validation,
                error_class_for=validate,
            )
        refused = self._authorization_refusal(principal, signing_name, operation, params, secure)
        if (
            refused is None
            and signing_name == "states"
            and operation in ("CreateStateMachine", "UpdateStateMachine")
        ):
            refused = self._managed_rules_refusal(params)
        return refused

    def _authorization_refusal(
        self, principal: Principal, signing_name: str, operation: str, params: Mapping[str, Any], secure: bool
    ) -> tuple[str, int, str] | None:
        try:
            needs = needs_for(signing_name, operation, params, self.region, principal.account)
            unserved = _unserved_cross_account(principal, signing_name, operation, needs)
            if unserved is not None:
                raise UnmappedRequestError(unserved)
            needs.extend(self.implied(signing_name, operation, params, principal))
        except (UnmappedRequestError, UnsupportedPolicyError) as error:
            LOG.error("IAM: cannot authorize %s:%s: %s", signing_name, operation, error)
            refused = ("AccessDeniedException", 400, f"localcloud cannot authorize this request: {error}")
            return refused if self.enabled else None
        for need in needs:
            decision = self.authorize(principal, need, secure_transport=secure)
            if decision.allowed:  # with IAM switched off, `authorize` logged what it would deny
                continue
            code, status = _ACCESS_DENIED_CODE.get(signing_name, ("AccessDeniedException", 400))
            LOG.error("IAM: denied: %s", decision.message())
            self.note_denial(code, decision.message())
            return (code, status, decision.message())
        return None

    def note_denial(self, code: str, message: str) -> None:
        with self._lock:
            self.denials.append(Denial(code, message))

    def _managed_rules_refusal(self, params: Mapping[str, Any]) -> tuple[str, int, str] | None:
        from localcloud.iam import managed_rules

        role, definition = params.get("roleArn"), params.get("definition")
        if not role or not definition:
            return None
        account = account_of(str(role))
        decision = managed_rules.denial(self, str(role), str(definition), self.region, account)
        if decision is None:
            return None
        LOG.error("IAM: denied: %s", decision.message())
        if not self.enabled:
            return None
        return ("AccessDeniedException", 400, managed_rules.message(str(role)))

    def authorize(
        self,
        principal: Principal,
        need: Need,
        *,
        secure_transport: bool = True,
        source: Mapping[str, str] | None = None,
    ) -> Decision:
        """Decide one need of `principal` (or of a service principal, for deliveries)."""
        context: dict[str, Any] = {
            "aws:SecureTransport": "true" if secure_transport else "false",
            "aws:RequestedRegion": self.region,
            **need.context,
            **(source or {}),
        }
        if principal.kind != "service":
            context.setdefault("aws:PrincipalArn", principal.arn)
            context.setdefault("aws:PrincipalAccount", principal.account)
        request = Request(
            principal_arn=principal.caller_arn if principal.kind == "role" else principal.arn,
            principal_account=principal.account,
            action=need.action,
            resource=need.resource,
            context=context,
        )
        identity = None if principal.kind == "service" else self.identity_policies(principal)
        resource_policy, owner, key_required = self.resource_policy(need)
        if principal.kind == "operator" and owner and owner != principal.account:
            identity = []  # the operator administers its own account only
        decision = decide(
            request, identity, resource_policy, resource_account=owner, key_policy_required=key_required
        )
        self._record(principal, decision)
        if not self.enabled and not decision.allowed:
            LOG.warning("IAM NOT ENFORCED (switched off): would deny %s", decision.message())
            return Decision(True, request, "", decision.grants)
        return decision

    def _record(self, principal: Principal, decision: Decision) -> None:
        if principal.kind in ("operator", "internal"):
            return  # the person at the keyboard and the emulator are not the stack's principals
        record = Record(
            principal=principal.arn,
            action=decision.request.action,
            resource=decision.request.resource,
            allowed=decision.allowed,
            grants=decision.grants,
            reason=decision.reason,
            expected=self._expecting > 0,
        )
        with self._lock:
            self.records.append(record)

    # -- policies ------------------------------------------------------------------------------
    def identity_policies(self, principal: Principal) -> list[Policy]:
        if principal.kind == "operator":
            return [_ADMINISTRATOR]
        from moto.iam.models import iam_backends

        backend = iam_backends[principal.account]["aws"]
        name = principal.arn.rsplit("/", 1)[-1]
        role = next((r for r in backend.roles.values() if r.name == name), None)
        if role is None:
            return []
        return [policy for _, policy in role_policies(role)]

    # -- the log the report reads --------------------------------------------------------------
    def log(self, roles: Mapping[str, str], reasons: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        """roles: role name -> logical id (the stack's roles); reasons: logical id -> {Sid: why}."""
        from moto.iam.models import iam_backends

        grants = []
        for account_backends in iam_backends.values():
            backend = account_backends.get("aws") if hasattr(account_backends, "get") else None
            for role in getattr(backend, "roles", {}).values():
                logical = roles.get(role.name)
                if logical is None:
                    continue
                for _, policy in role_policies(role):
                    for statement in policy.statements:
                        if statement.effect != "Allow":
                            continue
                        for action in statement.actions or ("NotAction",):
                            grants.append(
                                {
                                    "role": logical,
                                    "policy": policy.name,
                                    "sid": statement.sid,
                                    "action": action,
                                    "resources": list(statement.resources or ("*",)),
                                    "reason": written_reason(
                                        reasons,
                                        {"role": logical, "policy": policy.name, "sid": statement.sid},
                                    ),
                                }
                            )
        counted: Counter[tuple[Any, ...]] = Counter()
        with self._lock:
            records = list(self.records)
        for record in records:
            logical = roles.get(record.principal.rsplit("/", 1)[-1], record.principal)
            used = tuple(sorted((g.policy, g.sid, a) for g in record.grants for a in g.actions))
            counted[
                (
                    logical,
                    record.action,
                    record.resource,
                    record.allowed,
                    record.reason,
                    record.expected,
                    used,
                )
            ] += 1
        decisions = [
            {
                "role": logical,
                "action": action,
                "resource": resource,
                "allowed": allowed,
                "reason": reason,
                "expected": expected,
                "grants": [{"policy": p, "sid": s, "action": a} for p, s, a in used],
                "count": count,
            }
            for (logical, action, resource, allowed, reason, expected, used), count in counted.items()
        ]
        return {
            "enforced": self.enabled,
            "seconds": round(self.seconds, 4),
            "grants": grants,
            "decisions": decisions,
        }

    def resource_policy(self, need: Need) -> tuple[Policy | None, str, bool]:
        """(the resource's own policy, the account owning it, whether it is a KMS key policy)."""
        arn = need.resource
        service = arn.split(":")[2] if arn.startswith("arn:") else ""
        if service == "s3":
            bucket = arn.split(":::", 1)[-1].split("/", 1)[0]
            if bucket in self.bucket_policies:
                _, owner = _s3_policy(arn, self.region)
                return _parsed(f"bucket policy of {bucket}", self.bucket_policies[bucket]), owner, False
        if service == "sagemaker":
            group = _group_arn_of(arn)
            document = self.group_policies.get(group) if group else None
            policy = _parsed(f"model package group policy of {group}", document) if document else None
            return policy, account_of(arn), False
        lookup = _RESOURCE_POLICY_READERS.get(service)
        if lookup is None:
            return None, account_of(arn), False
        document, owner = lookup(arn, self.region)
        if service == "kms":
            return (_parsed(f"key policy of {arn}", document) if document else None), owner, True
        return (_parsed(f"{service} policy of {arn}", document) if document else None), owner, False

    # -- what AWS checks besides the action ----------------------------------------------------
    def implied(
        self, service: str, operation: str, params: Mapping[str, Any], principal: Principal
    ) -> list[Need]:
        """KMS for encrypted data (S3: "Using SSE-KMS", the caller needs kms:GenerateDataKey to write
        and kms:Decrypt to read; SNS/SQS SSE: a publisher needs kms:GenerateDataKey and kms:Decrypt)."""
        key_arn: str | None = None
        actions: tuple[str, ...] = ()
        via = f"{service}.{self.region}.amazonaws.com"
        if service == "s3" and operation in ("GetObject", "PutObject", "CreateMultipartUpload", "CopyObject"):
            key_arn = _s3_key(str(params.get("Bucket", "")), str(params.get("Key", "")), params, operation)
            actions = ("kms:Decrypt",) if operation == "GetObject" else ("kms:GenerateDataKey",)
            if operation in ("CreateMultipartUpload", "CopyObject"):
                actions = ("kms:GenerateDataKey", "kms:Decrypt")
        elif service == "sns" and operation == "Publish":
            key_arn = _sns_key(str(params.get("TopicArn") or params.get("TargetArn") or ""), self.region)
            actions = ("kms:GenerateDataKey", "kms:Decrypt")
        elif service == "sqs" and operation == "SendMessage":
            key_arn = _sqs_key(str(params.get("QueueUrl", "")), self.region)
            actions = ("kms:GenerateDataKey", "kms:Decrypt")
        if not key_arn:
            return []
        return [
            Need(action, key_arn, {"kms:ViaService": via, "kms:CallerAccount": principal.account})
            for action in actions
        ]


def _derived_key(seed: str) -> str:
    """A temporary access key id (ASIA + 16 base32 characters, the form STS issues)."""
    return "ASIA" + base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()[:16]


def _derived_secret(seed: str) -> str:
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()[:40]


def _unserved_cross_account(
    principal: Principal, signing_name: str, operation: str, needs: list[Need]
) -> str | None:
    """Why a request naming another account's resource cannot be answered here, or None. moto serves
    every request from its caller's account; the local cloud serves another account's resource only
    where it routes the request to the owner (Model Registry ARNs, KMS key ARNs, PutEvents to a bus
    ARN; S3 buckets are global). Anything else would be answered from the wrong account (not found, or a
    same-named resource of the caller's), so it is refused, loudly, instead of guessed."""
    from localcloud.patches import SAGEMAKER_ARN_PARAMETERS

    if (
        (signing_name, operation) == ("events", "PutEvents")
        or (signing_name == "sagemaker" and operation in SAGEMAKER_ARN_PARAMETERS)
        or signing_name == "kms"  # a key ARN's account serves it (patches.patch_kms_cross_account)
    ):
        return None
    for need in needs:
        owner = account_of(need.resource)
        if need.action.startswith("iam:") or not owner or owner == principal.account:
            continue
        if operation == "CreateModel" and ":model-package/" in need.resource:
            continue  # decided on the version's group policy; nothing is read from the other account
        return (
            f"{operation} names {need.resource} of account {owner}: across accounts the local cloud serves "
            "only S3, the Model Registry's ARNs, KMS key ARNs and PutEvents to a bus ARN, and would answer "
            f"this one from account {principal.account}"
        )
    return None


def transport_is_secure(endpoint_url: str) -> bool:
    """`aws:SecureTransport` of a call: AWS's endpoints are HTTPS. The local cloud's own endpoint
    (plain HTTP on the loopback, `serve`) stands in for them, as an SDK in AWS would use HTTPS; a
    client sent to another plain-HTTP endpoint (use_ssl=False) is not secure."""
    from urllib.parse import urlparse

    parsed = urlparse(endpoint_url)
    return parsed.scheme == "https" or (parsed.hostname or "") in ("127.0.0.1", "localhost", "::1")


def _with_tokens(service_model: Any, operation: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The request as sent: botocore fills idempotency tokens (ClientRequestToken) after this point."""
    from botocore.handlers import generate_idempotent_uuid

    filled = dict(params)
    generate_idempotent_uuid(filled, service_model.operation_model(operation))
    return filled


def role_policies(role: Any) -> list[tuple[str, Policy]]:
    """A moto role's identity policies: inline ones, then attached managed ones (default version)."""
    found = [(key, _parsed(f"inline {key}", doc)) for key, doc in role.policies.items()]
    for arn, managed in role.managed_policies.items():
        version = next((v for v in managed.versions if v.is_default), None)
        if version is not None:
            name = arn.rsplit("/", 1)[-1]
            found.append((name, _parsed(f"managed {name}", version.document)))
    return found


_ADMINISTRATOR = Policy.parse(
    "operator AdministratorAccess", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


_PARSED: dict[str, Policy] = {}


def _parsed(name: str, document: Any) -> Policy:
    text = document if isinstance(document, str) else json.dumps(document, sort_keys=True)
    cache_key = f"{name}\0{text}"
    policy = _PARSED.get(cache_key)
    if policy is None:
        from urllib.parse import unquote

        body = json.loads(text if text.lstrip().startswith("{") else unquote(text))
        policy = Policy.parse(name, body)
        _PARSED[cache_key] = policy
    return policy


def _client_error(client: Any, operation: str, code: str, status: int, message: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    error_class = client.exceptions.from_code(code)
    error: ClientError = error_class(response, operation)
    return error


# -- resource policies held by moto ---------------------------------------------------------------
def _s3_policy(arn: str, region: str) -> tuple[str | None, str]:
    from moto.s3.models import s3_backends

    bucket_name = arn.split(":::", 1)[-1].split("/", 1)[0]
    for account, backends in s3_backends.items():
        bucket = backends["aws"].buckets.get(bucket_name) if "aws" in backends else None
        if bucket is not None:
            policy = bucket.policy
            return (policy.decode() if isinstance(policy, bytes) else policy), account
    return None, ""


def _kms_policy(arn: str, region: str) -> tuple[str | None, str]:
    from moto.kms.models import kms_backends

    account, key_region = account_of(arn), arn.split(":")[3]
    backend = kms_backends[account][key_region]
    key_id = backend.get_key_id(arn)
    key = backend.keys.get(key_id)
    return (str(key.policy) if key is not None else None), account


def _sns_policy(arn: str, region: str) -> tuple[str | None, str]:
    from moto.sns.models import sns_backends

    account = account_of(arn)
    topic = sns_backends[account][arn.split(":")[3]].topics.get(arn)
    return (topic.policy if topic is not None else None), account


def _sqs_policy(arn: str, region: str) -> tuple[str | None, str]:
    from moto.sqs.models import sqs_backends

    account = account_of(arn)
    queue = sqs_backends[account][arn.split(":")[3]].queues.get(arn.rsplit(":", 1)[-1])
    return (queue.policy if queue is not None else None), account


def _lambda_policy(arn: str, region: str) -> tuple[str | None, str]:
    from moto.awslambda.models import lambda_backends

    account = account_of(arn)
    try:
        function = lambda_backends[account][arn.split(":")[3]].get_function(arn)
        statements = function.policy.statements
    except Exception:  # noqa: BLE001 - no such function: no policy
        return None, account
    if not statements:
        return None, account
    # moto writes a permission's Resource as the function ARN with ":$LATEST"; AWS authorizes an
    # unqualified invoke against the unqualified ARN, which that statement covers.
    cleaned = []
    for statement in statements:
        resource = statement.get("Resource")
        if isinstance(resource, str) and resource.endswith(":$LATEST"):
            resource = resource[: -len(":$LATEST")]
        cleaned.append(_lambda_conditions({**statement, "Resource": resource}))
    return json.dumps({"Statement": cleaned}), account


def _events_policy(arn: str, region: str) -> tuple[str | None, str]:
    """An event bus's resource policy (PutPermission, AWS::Events::EventBusPolicy); rules have none."""
    from moto.events.models import events_backends

    account = account_of(arn)
    if ":event-bus/" not in arn:
        return None, account
    try:
        bus = events_backends[account][arn.split(":")[3]].describe_event_bus(arn.rsplit("/", 1)[-1])
    except Exception:  # noqa: BLE001 - no such bus: no policy
        return None, account
    return bus.policy, account


def _group_arn_of(arn: str) -> str | None:
    """The model package group a Model Registry ARN belongs to: the group itself, or its versions
    (model-package/GROUP/VERSION), whose access the group's policy decides (SageMaker Developer
    Guide, model-registry-deploy-xaccount: the group policy grants on model-package/GROUP/*)."""
    prefix, _, rest = arn.partition(":model-package-group/")
    if rest:
        return arn
    prefix, _, rest = arn.partition(":model-package/")
    if rest and "/" in rest:
        return f"{prefix}:model-package-group/{rest.split('/', 1)[0]}"
    return None


def _lambda_conditions(statement: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in statement.items()
        if k in ("Sid", "Effect", "Action", "Resource", "Principal", "Condition")
    }


_RESOURCE_POLICY_READERS: Mapping[str, Callable[[str, str], tuple[str | None, str]]] = {
    "s3": _s3_policy,
    "kms": _kms_policy,
    "sns": _sns_policy,
    "sqs": _sqs_policy,
    "lambda": _lambda_policy,
    "events": _events_policy,
}


# -- the KMS keys of encrypted resources -----------------------------------------------------------
def _kms_arn(key_id: str, account: str, region: str) -> str | None:
    from moto.kms.models import kms_backends

    if not key_id:
        return None
    if key_id.startswith("arn:") and ":key/" in key_id:
        return key_id
    if key_id.startswith("arn:") and ":alias/" in key_id:
        account, region = account_of(key_id), key_id.split(":")[3]
    backend = kms_backends[account][region]
    try:
        raw = backend.any_id_to_key_id(key_id)
    except Exception:  # noqa: BLE001 - an AWS-managed alias moto does not hold
        return None
    return f"arn:aws:kms:{region}:{account}:key/{raw}"


def _s3_key(bucket_name: str, key: str, params: Mapping[str, Any], operation: str) -> str | None:
    from moto.s3.models import s3_backends

    for account, backends in s3_backends.items():
        bucket = backends["aws"].buckets.get(bucket_name) if "aws" in backends else None
        if bucket is None:
            continue
        region = bucket.region_name
        if operation == "GetObject":
            stored = bucket.keys.get(key)
            if stored is not None and getattr(stored, "encryption", None) == "aws:kms" and stored.kms_key_id:
                return _kms_arn(stored.kms_key_id, account, region)
        elif params.get("ServerSideEncryption") == "aws:kms" and params.get("SSEKMSKeyId"):
            return _kms_arn(str(params["SSEKMSKeyId"]), account, region)
        # S3 encrypts every new object with the bucket's default (moto records the default but
        # does not apply it): reads and writes of this bucket use that key.
        rules = (bucket.encryption or {}).get("Rule", []) if isinstance(bucket.encryption, dict) else []
        for rule in [rules] if isinstance(rules, dict) else rules:  # moto keeps one rule as a dict
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            if default.get("SSEAlgorithm") == "aws:kms":
                return _kms_arn(str(default.get("KMSMasterKeyID", "")), account, region)
        return None
    return None


def _sns_key(topic_arn: str, region: str) -> str | None:
    from moto.sns.models import sns_backends

    if not topic_arn.startswith("arn:"):
        return None
    account = account_of(topic_arn)
    topic = sns_backends[account][topic_arn.split(":")[3]].topics.get(topic_arn)
    return _kms_arn(topic.kms_master_key_id, account, topic_arn.split(":")[3]) if topic is not None else None


def _sqs_key(queue_url: str, region: str) -> str | None:
    from moto.sqs.models import sqs_backends

    parts = queue_url.rstrip("/").rsplit("/", 2)
    if len(parts) < 3:
        return None
    account, name = parts[-2], parts[-1]
    queue = sqs_backends[account][region].queues.get(name)
    key_id = getattr(queue, "kms_master_key_id", None) if queue is not None else None
    return _kms_arn(str(key_id), account, region) if key_id else None


# -- the active enforcer and the one place every in-process call passes ----------------------------
class _State:
    active: Enforcer | None = None
    original_make_api_call: Callable[..., Any] | None = None


_IN_PROCESS = threading.local()


def in_process() -> bool:
    """Whether this thread is inside an in-process call (not a request to the `serve` endpoint)."""
    return bool(getattr(_IN_PROCESS, "depth", 0))


def activate(enforcer: Enforcer) -> None:
    from localcloud.iam import served

    _install()
    served.install()
    _State.active = enforcer


def deactivate() -> None:
    _State.active = None


def active() -> Enforcer | None:
    return _State.active


def _install() -> None:
    """Wrap botocore's `BaseClient._make_api_call`, through which every client call passes."""
    from botocore.client import BaseClient

    if getattr(BaseClient._make_api_call, "_localcloud", False):
        return
    original = BaseClient._make_api_call
    _State.original_make_api_call = original

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        enforcer = _State.active
        if enforcer is not None:
            enforcer.check_call(self, operation_name, api_params)
        depth = getattr(_IN_PROCESS, "depth", 0)
        _IN_PROCESS.depth = depth + 1  # moto serves it on this thread: decided here, not again
        try:
            return original(self, operation_name, api_params)
        finally:
            _IN_PROCESS.depth = depth

    _make_api_call._localcloud = True  # type: ignore[attr-defined]
    patching.replace(BaseClient, "_make_api_call", _make_api_call)
