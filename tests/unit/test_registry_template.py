"""The registry account's template (registry/template.yaml) and its counterpart in template.yaml.

registry/template.yaml is plain CloudFormation: a small evaluator below resolves its conditions and
intrinsic functions for given parameters, so each test reads the policies CloudFormation would
create. Nothing here touches AWS (moto has no model package group policy to test through).
The second part translates template.yaml with test_template's helper and follows the
RegistryKmsKeyArn grant to the roles it reaches.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from tests.support.template import translate

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_TEMPLATE = ROOT / "registry" / "template.yaml"

REGION = "eu-west-1"
REGISTRY_ACCOUNT = "111122223333"
WORKLOADS = ["444455556666", "777788889999", "123412341234", "567856785678", "901290129012"]
GROUP = "churn-model"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": REGISTRY_ACCOUNT,
    "AWS::StackName": "mlops-loop-registry",
}
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/{GROUP}"
PACKAGES_ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/{GROUP}/*"
S3_VIA = f"s3.{REGION}.amazonaws.com"


def _root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def _bus(account: str) -> str:
    return f"arn:aws:events:{REGION}:{account}:event-bus/default"


# --- A CloudFormation evaluator, enough for registry/template.yaml ----------------------------

_NO_VALUE = object()


class _Stack:
    """The template as CloudFormation resolves it for one set of parameters.

    Resource references resolve to placeholders: `Ref X` -> "<X>", `GetAtt X.Attr` -> "<X.Attr>".
    """

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any]) -> None:
        self.template = template
        self.values: dict[str, Any] = dict(PSEUDO)
        for name, spec in template["Parameters"].items():
            value = parameters.get(name, spec.get("Default"))
            assert value is not None, f"parameter {name} has no value"
            if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            for item in value if isinstance(value, list) else [value]:
                if "AllowedPattern" in spec:
                    assert re.fullmatch(spec["AllowedPattern"], item), (name, item)
            self.values[name] = value
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self._condition(name)
        self.resources = {
            name: self.resolve(res)
            for name, res in template["Resources"].items()
            if "Condition" not in res or self.conditions[res["Condition"]]
        }
        self.outputs = {name: self.resolve(out["Value"]) for name, out in template["Outputs"].items()}

    def _condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self.conditions[name]

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in variables:
                return str(variables[key])
            if key in self.values:
                return str(self.values[key])
            name, _, attr = key.partition(".")
            assert name in self.template["Resources"], f"unknown ${{{key}}}"
            return f"<{key}>" if attr else f"<{name}>"

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def resolve(self, node: Any) -> Any:  # noqa: PLR0911, PLR0912
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                if arg == "AWS::NoValue":
                    return _NO_VALUE
                if arg in self.values:
                    return self.values[arg]
                assert arg in self.template["Resources"], f"Ref to unknown {arg}"
                return f"<{arg}>"
            if key == "Fn::GetAtt":
                name, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                assert name in self.template["Resources"], f"GetAtt of unknown {name}"
                return f"<{name}.{attr}>"
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                return self._sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::Join":
                return arg[0].join(self.resolve(arg[1]))
            if key == "Fn::Split":
                return self.resolve(arg[1]).split(arg[0])
            if key == "Fn::Select":
                items = self.resolve(arg[1])
                index = int(self.resolve(arg[0]))
                assert index < len(items), f"Fn::Select index {index} past the end of {items}"
                return items[index]
            if key == "Fn::If":
                return self.resolve(arg[1] if self._condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Condition":
                return self._condition(arg)
            assert not key.startswith("Fn::"), f"the evaluator does not know {key}"
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}


def _stack(workloads: list[str], retraining: list[str] | None = None, **extra: str) -> _Stack:
    parameters = {
        "WorkloadAccountIds": ",".join(workloads),
        "ModelPackageGroupName": GROUP,
        "RetrainingAccountIds": ",".join(retraining or []),
        **extra,
    }
    return _Stack(yaml_parse(REGISTRY_TEMPLATE.read_text()), parameters)


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any]) -> set[str]:
    principal = statement["Principal"]
    return {"*"} if principal == "*" else set(_listify(principal.get("AWS", [])))


def _actions(statement: dict[str, Any]) -> set[str]:
    return set(_listify(statement["Action"]))


def _by_sid(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids)), sids
    return {s["Sid"]: s for s in statements}


ACCOUNT_SETS = pytest.mark.parametrize(
    "workloads", [WORKLOADS[:1], WORKLOADS[:2], WORKLOADS[:4], WORKLOADS], ids=["1", "2", "4", "5"]
)


# --- The model package group's resource policy --------------------------------------------


@ACCOUNT_SETS
def test_group_policy_principals_are_exactly_the_workload_accounts(workloads: list[str]) -> None:
    stack = _stack(workloads, retraining=workloads[-1:])
    group = stack.resources["ModelPackageGroup"]["Properties"]
    assert group["ModelPackageGroupName"] == GROUP
    statements = _by_sid(group["ModelPackageGroupPolicy"]["Statement"])
    assert set(statements) == {
        "WorkloadAccountsDescribeTheGroup",
        "WorkloadAccountsListDescribeAndDeployVersions",
        "RetrainingAccountsRegisterVersions",
    }
    roots = {_root(a) for a in workloads}
    read_group = statements["WorkloadAccountsDescribeTheGroup"]
    assert _principals(read_group) == roots
    assert _actions(read_group) == {"sagemaker:DescribeModelPackageGroup"}
    assert read_group["Resource"] == GROUP_ARN
    versions = statements["WorkloadAccountsListDescribeAndDeployVersions"]
    assert _principals(versions) == roots
    assert _actions(versions) == {
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:CreateModel",
    }
    assert versions["Resource"] == PACKAGES_ARN
    register = statements["RetrainingAccountsRegisterVersions"]
    assert _principals(register) == {_root(workloads[-1])}
    assert _actions(register) == {"sagemaker:CreateModelPackage"}
    assert register["Resource"] == PACKAGES_ARN
    every_action = {a for s in statements.values() for a in _actions(s)}
    assert "sagemaker:UpdateModelPackage" not in every_action, "approving must stay in the registry account"
    assert all(s["Effect"] == "Allow" for s in statements.values())


@ACCOUNT_SETS
def test_every_retraining_account_and_only_they_register_versions(workloads: list[str]) -> None:
    # dev and prod (or however many retrain) each register into the central group
    stack = _stack(WORKLOADS, retraining=workloads)
    statements = _by_sid(
        stack.resources["ModelPackageGroup"]["Properties"]["ModelPackageGroupPolicy"]["Statement"]
    )
    register = statements["RetrainingAccountsRegisterVersions"]
    assert _principals(register) == {_root(a) for a in workloads}
    assert _actions(register) == {"sagemaker:CreateModelPackage"}
    assert register["Resource"] == PACKAGES_ARN
    assert "AtMostFiveWorkloadAccounts" not in stack.resources


def test_without_a_retraining_account_nobody_outside_writes() -> None:
    stack = _stack(WORKLOADS[:2])
    text = json.dumps(stack.resources)
    for action in ("sagemaker:CreateModelPackage", "s3:PutObject", "kms:GenerateDataKey"):
        assert action not in text, action


def test_no_account_outside_writes_to_the_registry_bucket_or_encrypts_with_its_key() -> None:
    # Retraining keeps a version's artifacts in its own account's bucket: the registry's bucket
    # and key admit reads only, whoever retrains.
    stack = _stack(WORKLOADS, retraining=WORKLOADS)
    bucket_and_key = json.dumps(
        [stack.resources["ArtifactsBucketPolicy"], stack.resources["RegistryKey"]["Properties"]["KeyPolicy"]]
    )
    for action in ("s3:PutObject", "kms:GenerateDataKey", "kms:Encrypt"):
        assert action not in bucket_and_key, action
    assert "RetrainingArtifactsPrefix" not in stack.template["Parameters"]


@pytest.mark.parametrize("too_many", ["workload", "retraining"])
def test_a_sixth_account_id_fails_the_deploy(too_many: str) -> None:
    assert "AtMostFiveWorkloadAccounts" not in _stack(WORKLOADS, retraining=WORKLOADS).resources
    six = [*WORKLOADS, "246824682468"]
    stack = _stack(six, retraining=WORKLOADS) if too_many == "workload" else _stack(WORKLOADS, retraining=six)
    guard = stack.resources["AtMostFiveWorkloadAccounts"]
    assert guard["Type"] == "AWS::CloudFormation::WaitCondition"
    assert "AtMostFiveWorkloadAccountsHandle" in stack.resources
    assert guard["Properties"]["Count"] == 1
    assert int(guard["Properties"]["Timeout"]) <= 60


# --- The key ------------------------------------------------------------------------------


@ACCOUNT_SETS
def test_key_policy_grants_decrypt_through_s3_to_the_workload_accounts(workloads: list[str]) -> None:
    stack = _stack(workloads, retraining=workloads)
    key = stack.resources["RegistryKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    statements = _by_sid(key["KeyPolicy"]["Statement"])
    admin = statements.pop("AccountAdministersKeyAndDelegatesToIam")
    assert _principals(admin) == {_root(REGISTRY_ACCOUNT)}
    decrypt = statements.pop("WorkloadAccountsDecryptThroughS3")
    assert _principals(decrypt) == {_root(a) for a in workloads}
    assert _actions(decrypt) == {"kms:Decrypt"}
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": S3_VIA}}
    assert statements == {}, f"unexpected key policy statements: {sorted(statements)}"


# --- The bucket ---------------------------------------------------------------------------


@ACCOUNT_SETS
def test_bucket_is_encrypted_with_the_key_private_and_tls_only(workloads: list[str]) -> None:
    stack = _stack(workloads, retraining=workloads)
    bucket = stack.resources["ArtifactsBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": "<RegistryKey.Arn>",
    }
    assert rule["BucketKeyEnabled"] is True
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    policy = stack.resources["ArtifactsBucketPolicy"]["Properties"]
    assert policy["Bucket"] == "<ArtifactsBucket>"
    statements = policy["PolicyDocument"]["Statement"]
    deny = statements[0]
    assert deny["Effect"] == "Deny"
    assert _principals(deny) == {"*"}
    assert _actions(deny) == {"s3:*"}
    assert set(deny["Resource"]) == {"<ArtifactsBucket.Arn>", "<ArtifactsBucket.Arn>/*"}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allows = _by_sid(statements[1:])
    roots = {_root(a) for a in workloads}
    assert _principals(allows["WorkloadAccountsListTheBucket"]) == roots
    assert _actions(allows["WorkloadAccountsListTheBucket"]) == {"s3:ListBucket"}
    assert allows["WorkloadAccountsListTheBucket"]["Resource"] == "<ArtifactsBucket.Arn>"
    assert _principals(allows["WorkloadAccountsReadArtifacts"]) == roots
    assert _actions(allows["WorkloadAccountsReadArtifacts"]) == {"s3:GetObject"}
    assert allows["WorkloadAccountsReadArtifacts"]["Resource"] == "<ArtifactsBucket.Arn>/*"
    assert len(allows) == 2
    assert all(s["Effect"] == "Allow" for s in allows.values())


# --- Forwarding the approvals -------------------------------------------------------------


@ACCOUNT_SETS
def test_forwarding_rule_targets_the_workload_buses_and_its_role_puts_only_there(
    workloads: list[str],
) -> None:
    stack = _stack(workloads)
    rule = stack.resources["ForwardApprovalsRule"]["Properties"]
    assert rule["EventBusName"] == "default"
    assert rule["State"] == "ENABLED"
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [GROUP]},
    }
    buses = {_bus(a) for a in workloads}
    targets = rule["Targets"]
    assert [t["Arn"] for t in targets] == [_bus(a) for a in workloads]
    assert len({t["Id"] for t in targets}) == len(targets)
    for target in targets:
        assert target["RoleArn"] == "<ForwardApprovalsRole.Arn>"
        assert target["DeadLetterConfig"] == {"Arn": "<ForwardApprovalsDLQ.Arn>"}
        assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400
    role = stack.resources["ForwardApprovalsRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": REGISTRY_ACCOUNT}}
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in _listify(p["PolicyDocument"]["Statement"])]
    assert [(_actions(s), s["Effect"]) for s in statements] == [({"events:PutEvents"}, "Allow")]
    assert set(_listify(statements[0]["Resource"])) == buses
    dlq_policy = stack.resources["ForwardApprovalsDLQPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    send = _by_sid(dlq_policy)["ForwardingRuleSendsFailedEvents"]
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": "<ForwardApprovalsRule.Arn>"}}


def test_outputs_feed_the_workload_stacks_parameters() -> None:
    outputs = _stack(WORKLOADS[:1]).outputs
    assert outputs["ModelPackageGroupArn"] == "<ModelPackageGroup.ModelPackageGroupArn>"
    assert outputs["ArtifactsBucketName"] == "<ArtifactsBucket>"
    assert outputs["KmsKeyArn"] == "<RegistryKey.Arn>"
    assert outputs["ForwardingRuleArn"] == "<ForwardApprovalsRule.Arn>"
    workload_parameters = yaml_parse((ROOT / "template.yaml").read_text())["Parameters"]
    template = yaml_parse(REGISTRY_TEMPLATE.read_text())
    for name in ("ModelPackageGroupArn", "ArtifactsBucketName", "KmsKeyArn"):
        named = template["Outputs"][name]["Description"].split()[0]
        assert named in workload_parameters, (name, named)


# --- template.yaml: what the workload side asks of the registry ---------------------------

REGISTRY_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
CROSS_ACCOUNT = {
    "ModelPackageGroup": GROUP_ARN,
    "RegistryArtifactsBucket": "mlops-loop-registry-artifacts-111122223333",
}
# The roles that read registry artifacts (transform and Model Monitor jobs) or baselines.
REGISTRY_READERS = {
    "SageMakerExecutionRole",
    "MonitorBatchFunctionRole",
    "ModelPackageStateChangeFunctionRole",
    "CheckModelQualityFunctionRole",  # a version's model-quality baseline in the registry's bucket
}


def _chosen(node: Any, conditions: dict[str, bool]) -> Any:
    """Fn::If resolved by the given conditions and AWS::NoValue dropped; nothing else resolved."""
    if isinstance(node, list):
        items = [_chosen(item, conditions) for item in node]
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::If"}:
        name, yes, no = node["Fn::If"]
        return _chosen(yes if conditions[name] else no, conditions)
    if node == {"Ref": "AWS::NoValue"}:
        return _NO_VALUE
    items = {key: _chosen(value, conditions) for key, value in node.items()}
    return {key: value for key, value in items.items() if value is not _NO_VALUE}


def _role_statements(parameters: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    cfn = translate(parameters)
    values = {name: p.get("Default") for name, p in cfn["Parameters"].items()} | parameters
    conditions = {}
    for name, expression in cfn["Conditions"].items():
        # Only the conditions these tests turn: the others are evaluated for the given values.
        text = json.dumps(expression)
        match = re.fullmatch(r'\{"Fn::Not": \[\{"Fn::Equals": \[\{"Ref": "(\w+)"\}, ""\]\}\]\}', text)
        conditions[name] = bool(values.get(match.group(1))) if match else True
    statements: dict[str, list[dict[str, Any]]] = {}
    for name, res in cfn["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        policies = _chosen(res["Properties"].get("Policies", []), conditions)
        statements[name] = [s for p in policies for s in _listify(p["PolicyDocument"]["Statement"])]
    return statements


def _grantees(statements: dict[str, list[dict[str, Any]]], parameter: str) -> dict[str, list[dict[str, Any]]]:
    """The roles whose statements use the parameter (by Ref or inside Fn::Sub), with those statements."""
    uses = re.compile(rf"(?<![\w:]){parameter}\b")
    found = {role: [s for s in found if uses.search(json.dumps(s))] for role, found in statements.items()}
    return {role: hits for role, hits in found.items() if hits}


def test_registry_key_reaches_exactly_the_roles_that_read_the_registry_bucket() -> None:
    statements = _role_statements({**CROSS_ACCOUNT, "RegistryKmsKeyArn": REGISTRY_KEY})
    key_grants = _grantees(statements, "RegistryKmsKeyArn")
    assert set(key_grants) == REGISTRY_READERS
    # ... which are the roles granted the registry bucket: the key follows the reads.
    assert set(_grantees(statements, "RegistryArtifactsBucket")) == REGISTRY_READERS
    for role, found in key_grants.items():
        (grant,) = found
        assert grant["Effect"] == "Allow", role
        assert _actions(grant) == {"kms:Decrypt"}, f"{role}: the workload stack never writes to the registry"
        assert grant["Resource"] == {"Ref": "RegistryKmsKeyArn"}, role
        assert grant["Condition"] == {
            "StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}
        }, role


def test_no_role_gets_a_registry_key_when_none_is_given() -> None:
    statements = _role_statements(CROSS_ACCOUNT)
    assert _grantees(statements, "RegistryKmsKeyArn") == {}
    assert set(_grantees(statements, "RegistryArtifactsBucket")) == REGISTRY_READERS


def test_registry_key_parameter_accepts_the_registry_output_form() -> None:
    parameter = yaml_parse((ROOT / "template.yaml").read_text())["Parameters"]["RegistryKmsKeyArn"]
    assert parameter["Default"] == ""
    assert re.fullmatch(parameter["AllowedPattern"], REGISTRY_KEY)
    assert re.fullmatch(parameter["AllowedPattern"], "")
    assert not re.fullmatch(parameter["AllowedPattern"], "alias/registry")


# Actions a workload role takes on the group or its versions, but the group policy does not
# grant, with the reason. Anything else a workload role starts doing there fails this test.
NOT_NEEDED_FROM_THE_GROUP_POLICY = {
    # RetrainingStateMachineRole's RegisterInTheGroup: createModelPackage sends no Tags
    # (statemachines/retraining.asl.json), so no cross-account AddTags happens.
    "sagemaker:AddTags",
}


def test_the_group_policy_allows_what_the_workload_roles_do_on_the_group() -> None:
    used = set()
    for found in _role_statements(CROSS_ACCOUNT).values():
        for statement in found:
            target = json.dumps(statement.get("Resource"))
            on_group = "model-package" in target or "ModelPackageGroup" in target or target == '"*"'
            used |= {a for a in _actions(statement) if a.startswith("sagemaker:") and on_group}
    # The filter finds what it looks for (a changed template shape would otherwise pass vacuously).
    assert {
        "sagemaker:ListModelPackages",
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:DescribeModelPackage",
        "sagemaker:CreateModelPackage",
    } <= used
    stack = _stack(WORKLOADS[:1], retraining=WORKLOADS[:1])
    policy = stack.resources["ModelPackageGroup"]["Properties"]["ModelPackageGroupPolicy"]
    allowed = {a for s in policy["Statement"] for a in _actions(s)}
    assert used - allowed - NOT_NEEDED_FROM_THE_GROUP_POLICY == set()
