"""`sam deploy` into the local cloud: CloudFormation's change-set API, as `sam deploy` calls it over the
`serve` endpoint, answered by the local cloud's own deployer.

`sam deploy` uploads the code, layers and state-machine definitions to S3, then sends the packaged
template (`Transform: AWS::Serverless-2016-10-31`) to CreateChangeSet (TemplateURL), waits for the
change set, prints its changes, calls ExecuteChangeSet and waits for the stack (DescribeStacks,
DescribeStackEvents). moto's CloudFormation knows no SAM transform and does not run code, so:

- CreateChangeSet of a new stack with the SAM transform: the template is translated as AWS's
  transform would (samtranslator) and the change set moto makes lists the translated resources;
- ExecuteChangeSet of such a change set: the local cloud deploys the packaged template
  (`LocalCloud.deploy_packaged`: the code is unpacked from S3 and runs from there, the stack's roles
  and policies are enforced as for `make demo`). A failed deploy leaves the stack ROLLBACK_COMPLETE
  with the reason in its events, as CloudFormation does, and `sam deploy` fails on it.
- A change set that updates a stack is refused (ValidationError, saying so): the local cloud
  deploys new stacks only.
Templates without the SAM transform go to moto as before. Tests: tests/integration/test_sam_deploy.py.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from typing import Any
from urllib.parse import urlparse

from localcloud import patching

LOG = logging.getLogger("localcloud.cfn")

_SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


class _Front:
    cloud: Any = None
    # change set id -> (packaged template, parameters, stack name)
    pending: dict[str, tuple[dict[str, Any], dict[str, str], str]] = {}
    lock = threading.Lock()
    installed = False


def attach(cloud: Any) -> None:
    """Answer SAM change sets with `cloud` (while it serves)."""
    _install()
    with _Front.lock:
        _Front.cloud = cloud
        _Front.pending.clear()


def detach(cloud: Any) -> None:
    with _Front.lock:
        if _Front.cloud is cloud:
            _Front.cloud = None
            _Front.pending.clear()


def _sam_template(body: str) -> dict[str, Any] | None:
    from localcloud.stack import parse_template

    try:
        parsed = parse_template(body)
    except Exception:  # noqa: BLE001 - not YAML/JSON: moto answers as it does
        return None
    transform = parsed.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return parsed if _SAM_TRANSFORM in names else None


def _install() -> None:
    if _Front.installed:
        return
    from moto.cloudformation import responses
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend

    from localcloud.stack import translate

    create = CloudFormationBackend.create_change_set
    execute = CloudFormationBackend.execute_change_set
    from_s3_url = responses.get_stack_from_s3_url

    def create_change_set(self: Any, **request: Any) -> Any:  # moto's responses pass keywords
        sam = _sam_template(request["template"]) if _Front.cloud is not None else None
        if sam is None:
            return create(self, **request)
        stack_name = request["stack_name"]
        if request.get("change_set_type", "CREATE") != "CREATE":
            raise ValidationError(
                message=f"the local cloud deploys new stacks only: delete {stack_name} and deploy again"
            )
        parameters = dict(request.get("parameters") or {})
        translated = translate(copy.deepcopy(sam), parameters, self.region_name)
        ids = create(self, **{**request, "template": json.dumps(translated)})
        with _Front.lock:
            _Front.pending[ids[0]] = (sam, parameters, stack_name)
        return ids

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.describe_change_set(change_set_name)
        with _Front.lock:
            pending = _Front.pending.pop(change_set.change_set_id, None)
            cloud = _Front.cloud
        if pending is None or cloud is None:
            execute(self, change_set_name, stack_name)
            return
        template, parameters, name = pending
        placeholder = self.stacks.pop(change_set.stack_id)
        try:
            cloud.deploy_packaged(template, parameters, name, account=self.account_id)
        except Exception as error:  # noqa: BLE001 - any failure is the stack's, told as CloudFormation tells it
            LOG.error("sam deploy of %s failed: %s", name, error)
            # The stack the deploy created (a later step failed), else the change set's own.
            created = [s for s in self.stacks.values() if s.name == name and s.status != "DELETE_COMPLETE"]
            failed = created[-1] if created else placeholder
            failed._add_stack_event("CREATE_FAILED", resource_status_reason=str(error)[:1000])
            failed._add_stack_event("ROLLBACK_COMPLETE")
            failed.status = "ROLLBACK_COMPLETE"
            self.stacks[failed.stack_id] = failed
            change_set.execution_status = "EXECUTE_FAILED"
            return
        change_set.execution_status = "EXECUTE_COMPLETE"

    def stack_from_s3_url(template_url: str, account_id: str, partition: str) -> str:
        # moto reads path-style URLs of "localhost" only; the served endpoint is 127.0.0.1.
        parsed = urlparse(template_url)
        if parsed.hostname == "127.0.0.1":
            template_url = parsed._replace(netloc=parsed.netloc.replace("127.0.0.1", "localhost", 1)).geturl()
        return str(from_s3_url(template_url, account_id=account_id, partition=partition))

    patching.replace(CloudFormationBackend, "create_change_set", create_change_set)
    patching.replace(CloudFormationBackend, "execute_change_set", execute_change_set)
    patching.replace(responses, "get_stack_from_s3_url", stack_from_s3_url)
    _Front.installed = True
    patching.on_close(_uninstalled)


def _uninstalled() -> None:
    _Front.installed = False
