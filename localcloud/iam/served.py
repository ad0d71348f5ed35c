"""IAM for requests that reach the `serve` endpoint over HTTP (another process: `sam local invoke`'s
containers, the AWS CLI), decided as in-process calls are (`Enforcer.refusal`).

moto asks `ActionAuthenticatorMixin._authenticate_and_authorize_normal_action` (every service) and
`..._s3_action` (S3, with the bucket and key) before it serves a request; that is where this checks.
The caller is the access key of the request's SigV4 `Credential=` (or `X-Amz-Credential`); the
operation and its parameters are parsed from the request with moto's own protocol parsers (botocore's
models); S3's are the operation moto routed to and the bucket and key. A refusal is the service's
error in its protocol's shape (JSON `__type`, query/XML `<Error>`, S3 `<Error>` with 403).
Requests made in-process pass `BaseClient._make_api_call` first, are decided there, and are not
decided twice (`enforcer.in_process()`). Request constraints are validated here too, on the
parameters moto's parsers read from the wire (typed by botocore's shapes, as the service reads them):
a violation is the service's `ValidationException` in the protocol's shape, and a violation whose AWS
answer the local cloud does not know is a loud `InternalFailure` naming it, never a pass. S3 requests
are checked for IAM only (S3's constraint answers are not modelled: `SERVICE_POLICIES`).
Tests in tests/localcloud/test_iam_wiring.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlparse

from botocore.exceptions import ClientError

from localcloud import patching
from localcloud.iam import enforcer
from localcloud.request_validation import UnmodelledRejection, UntranslatablePattern

LOG = logging.getLogger("localcloud.iam")

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def access_key_of(headers: Mapping[str, str], query: Mapping[str, Any]) -> str | None:
    match = _CREDENTIAL.search(str(headers.get("Authorization") or headers.get("authorization") or ""))
    if match:
        return match[1]
    credential = query.get("X-Amz-Credential")
    if isinstance(credential, list):
        credential = credential[0] if credential else None
    return str(credential).split("/", 1)[0] if credential else None


def install() -> None:
    """Wrap moto's two authorization points (once per process)."""
    from moto.core.authorization import ActionAuthenticatorMixin

    if getattr(ActionAuthenticatorMixin._authenticate_and_authorize_normal_action, "_localcloud", False):
        return

    normal: Callable[..., Any] = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action
    s3: Callable[..., Any] = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action

    def normal_action(self: Any, resource: str = "*") -> None:
        _check(self, None)
        normal(self, resource)

    def s3_action(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        _check(self, {"Bucket": bucket_name, "Key": key_name})
        s3(self, bucket_name=bucket_name, key_name=key_name)

    normal_action._localcloud = True  # type: ignore[attr-defined]
    patching.replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", normal_action)
    patching.replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_s3_action", s3_action)


def _check(response: Any, s3_params: dict[str, Any] | None) -> None:
    active = enforcer.active()
    if active is None or enforcer.in_process():
        return
    from moto.core.utils import get_service_model

    service_model = get_service_model(response.boto3_service_name)
    if s3_params is not None:
        operation = _s3_operation(response, service_model)
        params = {k: v for k, v in s3_params.items() if v}
        # ListObjects(V2): the s3:prefix condition key, from the request's own query string
        prefix = parse_qs(urlparse(str(response.uri)).query).get("prefix")
        if prefix:
            params["Prefix"] = prefix[0]
        copy_source = response.headers.get("x-amz-copy-source")
        if copy_source:
            operation, params["CopySource"] = "CopyObject", str(copy_source)
    else:
        operation = response._get_action()
        params = _parsed_parameters(response, service_model, operation)
    key = access_key_of(response.headers, response.querystring)
    # Every request here came through the local cloud's endpoint, the stand-in for AWS's HTTPS ones.
    try:
        refused = active.refusal(
            key,
            service_model,
            operation,
            params,
            secure=True,
            validate=None if s3_params is not None else _validation_error,
            client_validation=False,
        )
    except ClientError as invalid:
        error = invalid.response["Error"]
        LOG.info("refused %s:%s over serve: %s", service_model.service_name, operation, error["Message"])
        raise _error(service_model, error["Code"], 400, error["Message"]) from None
    except (UnmodelledRejection, UntranslatablePattern) as unknown:
        # The local cloud cannot know AWS's answer: refuse loudly rather than let the request through.
        LOG.error("cannot decide %s:%s over serve: %s", service_model.service_name, operation, unknown)
        raise _error(service_model, "InternalFailure", 500, f"local cloud cannot decide: {unknown}") from None
    if refused is not None:
        raise _error(service_model, *refused)


def _validation_error(code: str) -> type[ClientError]:
    return ClientError


def _s3_operation(response: Any, service_model: Any) -> str:
    """The S3 API operation. moto keeps some as the IAM action's name (a bucket listing is
    "ListBucket"): list-type=2 is ListObjectsV2, else ListObjects (S3 API reference). Other IAM
    names pass as they are: the catalog reads them as actions."""
    operation = str(response.data.get("Action") or response._get_action())
    if operation == "ListBucket":
        query = parse_qs(urlparse(str(response.uri)).query)
        return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
    return operation


def _parsed_parameters(response: Any, service_model: Any, operation: str) -> dict[str, Any]:
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import determine_request_protocol

    request = response.normalized_request
    operation_model = service_model.operation_model(operation)
    protocol = determine_request_protocol(service_model, request.content_type)
    parser = PROTOCOL_PARSERS[protocol](operation_model, map_type=dict)
    parsed = parser.parse(
        {
            "method": request.method,
            "values": request.values,
            "headers": request.headers,
            "body": request.data,
            "url_path": request.path,
            "url_params": getattr(response, "uri_match", None) or {},
        }
    )
    return dict(parsed)


def _error(service_model: Any, code: str, status: int, message: str) -> Exception:
    protocol = service_model.metadata.get("protocol", "")
    if protocol == "rest-xml":  # S3 answers in its own <Error> shape, as moto's S3 denials do
        from moto.s3.exceptions import S3ClientError

        return S3ClientError(code, message)
    if protocol == "query":  # moto's XML error body for query services (its own AccessDeniedError's base)
        from moto.core.exceptions import _RESTError

        denied: type[_RESTError] = type("QueryRefusal", (_RESTError,), {"code": status})
        return denied(code, message)
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)
