"""What EventBridge, EventBridge Scheduler and Lambda's asynchronous invocation are allowed to
deliver, as AWS authorizes them:

- a rule's Lambda, SNS and SQS targets are called by the service principal `events.amazonaws.com`,
  so the target's resource policy must allow it (with `aws:SourceArn` the rule, `aws:SourceAccount`
  its account), and an encrypted topic or queue's key policy must let it use the key (EventBridge
  User Guide, "Using resource-based policies for Amazon EventBridge"; SNS "Encryption at rest");
- a rule's Step Functions target, and every Scheduler target, are called with the target's RoleArn
  (EventBridge: "IAM roles for sending events to targets"; Scheduler: "Set up the execution role");
- a rule's dead-letter queue receives from `events.amazonaws.com` (its queue policy), a schedule's
  from the schedule's role; a function's dead-letter queue and OnFailure destination are written
  with the function's execution role (Lambda Developer Guide, "Asynchronous invocation").

A denied delivery fails as AWS reports it: `NO_PERMISSIONS` in the dead-letter message's
ERROR_CODE (EventBridge User Guide, "Using dead-letter queues to process undelivered events").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.iam.catalog import needs_for
from localcloud.iam.decision import Decision
from localcloud.iam.enforcer import Enforcer, Principal
from localcloud.iam.policy import account_of

LOG = logging.getLogger("localcloud.iam")

NO_PERMISSIONS = "NO_PERMISSIONS"
EVENTS = "events.amazonaws.com"


class DeliveryDeniedError(RuntimeError):
    """A delivery the target's policies (or the caller's role) do not allow."""

    code = NO_PERMISSIONS

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.message())
        self.decision = decision


def _queue_url(arn: str) -> str:
    _, _, _, region, account, name = arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def _call_for(target_arn: str, event: Mapping[str, Any] | None = None) -> tuple[str, str, dict[str, Any]]:
    """(signing name, operation, parameters) of the call a delivery to `target_arn` makes."""
    service = target_arn.split(":")[2]
    if service == "events":  # another event bus: PutEvents of the event on it
        entry = {
            "EventBusName": target_arn,
            "Source": str((event or {}).get("source", "")),
            "DetailType": str((event or {}).get("detail-type", "")),
        }
        return "events", "PutEvents", {"Entries": [entry]}
    if service == "lambda":
        return "lambda", "Invoke", {"FunctionName": target_arn}
    if service == "states":
        return "states", "StartExecution", {"stateMachineArn": target_arn}
    if service == "sns":
        return "sns", "Publish", {"TopicArn": target_arn}
    if service == "sqs":
        return "sqs", "SendMessage", {"QueueUrl": _queue_url(target_arn)}
    raise ValueError(f"no delivery call known for {target_arn}")


@dataclass
class DeliveryAuthorizer:
    enforcer: Enforcer
    account: str
    function_role: Callable[[str], str | None]  # function name or ARN -> its execution role ARN

    def _check(
        self,
        principal: Principal,
        target_arn: str,
        source: Mapping[str, str] | None,
        event: Mapping[str, Any] | None = None,
    ) -> None:
        signing_name, operation, params = _call_for(target_arn, event)
        account = principal.account or account_of(target_arn) or self.account
        needs = needs_for(signing_name, operation, params, self.enforcer.region, account)
        needs.extend(self.enforcer.implied(signing_name, operation, params, principal))
        for need in needs:
            decision = self.enforcer.authorize(principal, need, source=source)
            if not decision.allowed:
                LOG.error("IAM: delivery denied: %s", decision.message())
                self.enforcer.note_denial(NO_PERMISSIONS, decision.message())
                raise DeliveryDeniedError(decision)

    def _events(self, rule_arn: str) -> tuple[Principal, dict[str, str]]:
        principal = Principal(EVENTS, "", "service")
        source_account = account_of(rule_arn) or self.account
        return principal, {"aws:SourceArn": rule_arn, "aws:SourceAccount": source_account}

    def rule_target(
        self, rule_arn: str, target: Mapping[str, Any], event: Mapping[str, Any] | None = None
    ) -> None:
        """Raise DeliveryDeniedError unless the rule may deliver to the target. Another account's
        event bus is put on with the target's role, which the receiving bus's resource policy must
        admit too (EventBridge User Guide, eb-cross-account: "the sending event bus must have IAM roles
        attached" and the receiver "edit the permissions on an event bus to allow" the sender)."""
        arn = str(target["Arn"])
        role = target.get("RoleArn")
        if role:
            self._check(self.enforcer.role_principal(str(role), "events"), arn, None, event)
            return
        if arn.split(":")[2] == "events" and account_of(arn) != account_of(rule_arn):
            # Cross-account bus targets without a role: EventBridge's own principal, which only the
            # receiving bus's policy can admit (the older, role-less form).
            principal, source = self._events(rule_arn)
            self._check(principal, arn, source, event)
            return
        if arn.split(":")[2] == "states":  # EventBridge needs a role to start an execution
            self._check(Principal(EVENTS, "", "service"), arn, None)
            return
        principal, source = self._events(rule_arn)
        self._check(principal, arn, source)

    def rule_dead_letter(self, rule_arn: str, queue_arn: str) -> None:
        principal, source = self._events(rule_arn)
        self._check(principal, queue_arn, source)

    def schedule_target(self, target: Mapping[str, Any]) -> None:
        """Scheduler calls the target, and sends to its dead-letter queue, with the schedule's role."""
        role = target.get("RoleArn")
        if not role:
            raise DeliveryDeniedError(_no_role(str(target["Arn"])))
        self._check(self.enforcer.role_principal(str(role), "scheduler"), str(target["Arn"]), None)

    def schedule_dead_letter(self, target: Mapping[str, Any], queue_arn: str) -> None:
        self._check(self.enforcer.role_principal(str(target.get("RoleArn")), "scheduler"), queue_arn, None)

    def function_destination(self, function: str, queue_arn: str) -> None:
        role = self.function_role(function)
        if not role:
            raise DeliveryDeniedError(_no_role(queue_arn))
        self._check(self.enforcer.role_principal(role, "lambda"), queue_arn, None)


def _no_role(arn: str) -> Decision:
    from localcloud.iam.policy import Request

    request = Request("(no role)", "", "sts:AssumeRole", arn)
    return Decision(False, request, "because the target names no RoleArn")
