"""What a workload stack leaves behind after `sam delete`, and removing it when asked.

    python -m tools.stack_leftovers --stack-name mlops-loop-dev                 # list (read-only)
    python -m tools.stack_leftovers --stack-name mlops-loop-dev --save-history live-model.json
    python -m tools.stack_leftovers --stack-name mlops-loop-dev --delete        # after sam delete
    ... --delete --including-approved-and-pending   # also registry versions Approved or Pending

`sam delete` removes what CloudFormation created, except what the template retains on purpose and
what the workflows created at run time:
- the artifacts bucket `<stack>-artifacts-<account>` (DeletionPolicy Retain: predictions, reports,
  baselines and model artifacts a registry version may still point at) and the stack's KMS key
  (Retain: everything in the bucket is encrypted with it), found through the bucket's default
  encryption; a key you brought (`KmsKeyArn`) is never touched;
- SageMaker models and jobs the state machines created, found by their `mlops:stack` tag. Models
  can be deleted; training, transform and processing jobs cannot (SageMaker keeps their records,
  which cost nothing once ended): a job still running is stopped;
- model package versions this stack's retraining registered (their `retrainingExecutionArn`
  metadata names this stack's state machine), in a group that may be the central registry shared
  with other environments. Versions Approved or PendingManualApproval are kept unless a second
  flag asks: one of them may be live here or elsewhere, or waiting for a person;
- the live-model parameter `/<stack>/live-model-package` is a stack resource: `sam delete` removes
  it and its history, the audit trail of approvals. `--save-history FILE` keeps a copy first.

`--delete` refuses while the stack exists (run `sam delete` first). The key is scheduled for
deletion after its 30-day waiting period (cancel with `aws kms cancel-key-deletion`), and only once
the bucket it encrypts is gone. Exit 0 = done, 1 = something could not be removed (each named),
2 = refused or unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

STACK_TAG = "mlops:stack"  # on every SageMaker resource the workflows create (statemachines/)
KEY_DELETION_WINDOW_DAYS = 30  # the longest KMS allows: time to notice and cancel
PROTECTED_STATUSES = ("Approved", "PendingManualApproval")
_JOB_KINDS = {"training-job": "Training", "transform-job": "Transform", "processing-job": "Processing"}


class LeftoversError(RuntimeError):
    """The leftovers cannot be listed or removed as asked (the message says why)."""


@dataclass(frozen=True)
class Leftover:
    kind: str  # bucket | kms-key | model | training-job | transform-job | processing-job | model-package
    identifier: str  # name or ARN, as the delete call takes it
    note: str
    removable: bool = True  # False: SageMaker cannot delete it (an ended job)
    protected: bool = False  # needs --including-approved-and-pending

    def line(self) -> str:
        flag = (
            " [kept: Approved/Pending]"
            if self.protected
            else ""
            if self.removable
            else " [cannot be deleted]"
        )
        return f"{self.kind:15s} {self.identifier}  {self.note}{flag}"


@dataclass
class Clients:
    cloudformation: Any
    s3: Any
    kms: Any
    sagemaker: Any
    ssm: Any
    tagging: Any
    account: str


def stack_exists(stack_name: str, cfn: Any) -> bool:
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return False
        raise
    return any(stack["StackStatus"] != "DELETE_COMPLETE" for stack in stacks)


def _group_from_stack(stack_name: str, cfn: Any) -> str | None:
    try:
        [stack] = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError:
        return None
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    return parameters.get("ModelPackageGroup")


def _retained(stack_name: str, clients: Clients) -> list[Leftover]:
    bucket = f"{stack_name}-artifacts-{clients.account}"
    try:
        clients.s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
            return []
        raise
    found = [Leftover("bucket", bucket, "retained: predictions, reports, baselines, model artifacts")]
    rules = clients.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    for rule in rules:
        key_id = rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
        if not key_id:
            continue
        metadata = clients.kms.describe_key(KeyId=key_id)["KeyMetadata"]
        # template.yaml's EncryptionKey describes itself "<stack>: ..."; a key brought by
        # KmsKeyArn does not, and stays.
        if metadata.get("Description", "").startswith(f"{stack_name}: ") and metadata["KeyState"] not in (
            "PendingDeletion",
            "PendingReplicaDeletion",
        ):
            found.append(Leftover("kms-key", metadata["Arn"], "retained: encrypts the bucket's objects"))
    return found


def _tagged_sagemaker(stack_name: str, clients: Clients) -> list[Leftover]:
    found: list[Leftover] = []
    pages = clients.tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": STACK_TAG, "Values": [stack_name]}], ResourceTypeFilters=["sagemaker"]
    )
    for page in pages:
        for mapping in page["ResourceTagMappingList"]:
            arn = mapping["ResourceARN"]
            kind, _, name = arn.split(":", 5)[5].partition("/")
            if kind == "model":
                found.append(Leftover("model", name, "created by a run; unused once the run ended"))
            elif kind in _JOB_KINDS:
                status = _job_status(kind, name, clients.sagemaker)
                running = status in ("InProgress", "Stopping")
                found.append(Leftover(kind, name, f"status {status}", removable=running))
    return found


def _job_status(kind: str, name: str, sagemaker: Any) -> str:
    describe = getattr(sagemaker, f"describe_{kind.replace('-', '_')}")
    answer = describe(**{f"{_JOB_KINDS[kind]}JobName": name})
    return str(answer.get(f"{_JOB_KINDS[kind]}JobStatus", "unknown"))


def _registered(stack_name: str, group: str, clients: Clients) -> list[Leftover]:
    execution_marker = f":execution:{stack_name}-retraining:"
    found: list[Leftover] = []
    pages = clients.sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group)
    for page in pages:
        for summary in page["ModelPackageSummaryList"]:
            arn = summary["ModelPackageArn"]
            package = clients.sagemaker.describe_model_package(ModelPackageName=arn)
            made_by = package.get("CustomerMetadataProperties", {}).get("retrainingExecutionArn", "")
            if execution_marker not in made_by:
                continue
            status = package["ModelApprovalStatus"]
            found.append(
                Leftover(
                    "model-package",
                    arn,
                    f"{status}, registered by {made_by.rsplit(':', 1)[-1]}",
                    protected=status in PROTECTED_STATUSES,
                )
            )
    return found


def find(stack_name: str, clients: Clients, group: str | None = None) -> list[Leftover]:
    """Everything of `stack_name` that `sam delete` leaves (or has left), listed, nothing changed."""
    group = group or _group_from_stack(stack_name, clients.cloudformation)
    leftovers = _retained(stack_name, clients) + _tagged_sagemaker(stack_name, clients)
    if group:
        leftovers += _registered(stack_name, group, clients)
    return leftovers


def save_history(stack_name: str, ssm: Any, path: str) -> int:
    """Write the live-model parameter's history (the approvals' audit trail) to `path` as JSON."""
    name = f"/{stack_name}/live-model-package"
    history: list[dict[str, Any]] = []
    for page in ssm.get_paginator("get_parameter_history").paginate(Name=name):
        history += [
            {
                "version": item["Version"],
                "value": item["Value"],
                "modified": item["LastModifiedDate"].isoformat(),
            }
            for item in page["Parameters"]
        ]
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"parameter": name, "history": history}, out, indent=2)
    return len(history)


def _empty_and_delete_bucket(bucket: str, s3: Any) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        if versions:
            s3.delete_objects(
                Bucket=bucket,
                Delete={
                    "Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions],
                    "Quiet": True,
                },
            )
    s3.delete_bucket(Bucket=bucket)


def _remove(item: Leftover, clients: Clients) -> str:
    """Remove one leftover; returns what was done (a ClientError says why not)."""
    if item.kind == "bucket":
        _empty_and_delete_bucket(item.identifier, clients.s3)
        return "deleted"
    if item.kind == "kms-key":
        # By key id: moto 5 looks keys up by id only; AWS takes either.
        clients.kms.schedule_key_deletion(
            KeyId=item.identifier.rsplit("/", 1)[-1], PendingWindowInDays=KEY_DELETION_WINDOW_DAYS
        )
        return f"scheduled for deletion in {KEY_DELETION_WINDOW_DAYS} days:"
    if item.kind == "model":
        clients.sagemaker.delete_model(ModelName=item.identifier)
        return "deleted"
    if item.kind == "model-package":
        clients.sagemaker.delete_model_package(ModelPackageName=item.identifier)
        return "deleted"
    stop = getattr(clients.sagemaker, f"stop_{item.kind.replace('-', '_')}")
    stop(**{f"{_JOB_KINDS[item.kind]}JobName": item.identifier})
    return "stopped"


def delete(
    stack_name: str, leftovers: list[Leftover], clients: Clients, *, including_protected: bool
) -> tuple[list[str], list[str]]:
    """Remove what can be removed; returns (done, failed), one line each."""
    if stack_exists(stack_name, clients.cloudformation):
        raise LeftoversError(f"stack {stack_name} still exists: run `sam delete` first, then --delete")
    done: list[str] = []
    failed: list[str] = []
    bucket_gone = not any(item.kind == "bucket" for item in leftovers)
    # The key last, and only once the bucket whose objects it encrypts is gone.
    for item in sorted(leftovers, key=lambda leftover: leftover.kind == "kms-key"):
        if (item.protected and not including_protected) or not item.removable:
            continue
        if item.kind == "kms-key" and not bucket_gone:
            failed.append(f"kms-key {item.identifier}: kept, the bucket it encrypts is still there")
            continue
        try:
            what = _remove(item, clients)
        except ClientError as exc:
            failed.append(f"{item.kind} {item.identifier}: {exc}")
            continue
        done.append(f"{what} {item.kind} {item.identifier}")
        bucket_gone = bucket_gone or item.kind == "bucket"
    return done, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument(
        "--model-package-group", help="name or ARN (default: the stack's ModelPackageGroup while it exists)"
    )
    parser.add_argument(
        "--save-history", metavar="FILE", help="write the live-model parameter's history first"
    )
    parser.add_argument("--delete", action="store_true", help="remove the leftovers (the stack must be gone)")
    parser.add_argument(
        "--including-approved-and-pending",
        action="store_true",
        help="with --delete: also registry versions Approved or PendingManualApproval",
    )
    args = parser.parse_args(argv)
    if args.including_approved_and_pending and not args.delete:
        parser.error("--including-approved-and-pending goes with --delete")
    import boto3

    session = boto3.session.Session(region_name=args.region)
    try:
        clients = Clients(
            cloudformation=session.client("cloudformation"),
            s3=session.client("s3"),
            kms=session.client("kms"),
            sagemaker=session.client("sagemaker"),
            ssm=session.client("ssm"),
            tagging=session.client("resourcegroupstaggingapi"),
            account=session.client("sts").get_caller_identity()["Account"],
        )
        if args.save_history:
            count = save_history(args.stack_name, clients.ssm, args.save_history)
            print(f"leftovers: {count} versions of the live-model parameter saved to {args.save_history}")
        leftovers = find(args.stack_name, clients, args.model_package_group)
    except (ClientError, BotoCoreError) as err:
        print(f"leftovers: cannot read what {args.stack_name} left: {err}", file=sys.stderr)
        return 2
    for item in leftovers:
        print(item.line())
    if not leftovers:
        print(f"leftovers: nothing of {args.stack_name} found")
    if not args.delete:
        return 0
    try:
        done, failed = delete(
            args.stack_name, leftovers, clients, including_protected=args.including_approved_and_pending
        )
    except LeftoversError as err:
        print(f"leftovers: {err}", file=sys.stderr)
        return 2
    for line in done:
        print(f"leftovers: {line}")
    for line in failed:
        print(f"leftovers: FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
