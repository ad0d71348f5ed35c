"""The deployment pipeline's contract: .github/workflows/pipeline.yaml and pipeline/bootstrap.yaml.

No long-lived keys; OIDC where AWS is reached; prod only after the dev smoke test, in the protected
environment, from the same packaged artifacts; deploy roles trusted by this repository's subject
only, with the audience GitHub documents for AWS (sts.amazonaws.com).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from samtranslator.yaml_helper import yaml_parse

from tools.same_artifacts import same_artifacts

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
BOOTSTRAP = ROOT / "pipeline" / "bootstrap.yaml"
FORBIDDEN_INPUTS = ("aws-access-key-id", "aws-secret-access-key", "aws-session-token")
CONFIGURE = "aws-actions/configure-aws-credentials"


def load_workflow(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1): normalise it.
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


WORKFLOW_FILES = sorted(WORKFLOW_DIR.glob("*.y*ml"))
PIPELINE = load_workflow(WORKFLOW_DIR / "pipeline.yaml")
JOBS: dict[str, dict[str, Any]] = PIPELINE["jobs"]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action)]


def needs(job: dict[str, Any]) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def upstream(name: str) -> set[str]:
    """Every job `name` transitively waits for."""
    seen: set[str] = set()
    todo = list(needs(JOBS[name]))
    while todo:
        job = todo.pop()
        if job not in seen:
            seen.add(job)
            todo += needs(JOBS[job])
    return seen


def environment(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


# ----------------------------------------------------------------------------------- workflows


def test_workflows_exist_in_sam_pipeline_layout() -> None:
    assert (WORKFLOW_DIR / "pipeline.yaml") in WORKFLOW_FILES


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_long_lived_keys_anywhere(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for name in FORBIDDEN_INPUTS:
        assert name not in text, f"{path.name} mentions {name}"
    assert "AWS_SECRET_ACCESS_KEY" not in text and "AWS_ACCESS_KEY_ID" not in text
    assert "secrets." not in text, "the pipeline needs no secrets: roles are federated"


def test_every_aws_job_federates_with_oidc() -> None:
    aws_jobs = {name: job for name, job in JOBS.items() if steps_using(job, CONFIGURE)}
    assert {"build-and-package", "deploy-registry", "deploy-dev", "smoke-test-dev", "deploy-prod"} <= set(
        aws_jobs
    )
    for name, job in aws_jobs.items():
        permissions = job.get("permissions") or PIPELINE.get("permissions") or {}
        assert permissions.get("id-token") == "write", f"{name} lacks id-token: write"
        for step in steps_using(job, CONFIGURE):
            inputs = step.get("with", {})
            assert inputs.get("role-to-assume"), f"{name}: no role-to-assume"
            assert not set(inputs) & set(FORBIDDEN_INPUTS)


def test_id_token_only_where_needed() -> None:
    assert PIPELINE["permissions"] == {"contents": "read"}
    assert "permissions" not in JOBS["test"]


def test_pull_requests_run_lint_validate_tests_and_deploy_nothing() -> None:
    assert "pull_request" in PIPELINE["on"]
    runs = " ".join(step.get("run", "") for step in JOBS["test"]["steps"])
    for target in ("make lint", "make validate", "make test"):
        assert target in runs
    assert "if" not in JOBS["test"], "the test job runs on every event"
    for name, job in JOBS.items():
        if name != "test":
            assert "refs/heads/main" in job.get("if", ""), f"{name} must run on main only"


def test_stage_order_registry_dev_smoke_prod() -> None:
    assert "deploy-registry" in upstream("deploy-dev")
    assert "smoke-test-dev" in needs(JOBS["deploy-prod"])
    assert {"deploy-dev", "deploy-registry", "build-and-package"} <= upstream("deploy-prod")
    assert "deploy-dev" in needs(JOBS["smoke-test-dev"])


def test_each_stage_in_its_own_environment_prod_protected() -> None:
    assert environment(JOBS["deploy-registry"]) == "registry"
    assert environment(JOBS["deploy-dev"]) == "dev"
    assert environment(JOBS["smoke-test-dev"]) == "dev"
    assert environment(JOBS["deploy-prod"]) == "prod"
    assert environment(JOBS["build-and-package"]) is None


def test_each_stage_uses_its_samconfig_environment() -> None:
    dev = " ".join(s.get("run", "") for s in JOBS["deploy-dev"]["steps"])
    prod = " ".join(s.get("run", "") for s in JOBS["deploy-prod"]["steps"])
    assert "--config-env default" in dev and "--config-env prod" not in dev
    assert "--config-env prod" in prod
    registry = " ".join(s.get("run", "") for s in JOBS["deploy-registry"]["steps"])
    assert "--template-file registry/template.yaml" in registry


def test_build_once_and_deploy_the_packaged_artifacts_to_both_stages() -> None:
    builds = [n for n, j in JOBS.items() for s in j["steps"] if "make build" in s.get("run", "")]
    assert builds == ["build-and-package"], "exactly one build"
    package = " ".join(s.get("run", "") for s in JOBS["build-and-package"]["steps"])
    assert package.count("sam package") == 2
    assert "--output-template-file packaged-dev.yaml" in package
    assert "--output-template-file packaged-prod.yaml" in package
    assert "tools.same_artifacts packaged-dev.yaml packaged-prod.yaml" in package
    uploads = steps_using(JOBS["build-and-package"], "actions/upload-artifact")
    assert len(uploads) == 1
    artifact = uploads[0]["with"]["name"]
    for job, template in (("deploy-dev", "packaged-dev.yaml"), ("deploy-prod", "packaged-prod.yaml")):
        downloads = steps_using(JOBS[job], "actions/download-artifact")
        assert [d["with"]["name"] for d in downloads] == [artifact]
        assert "build-and-package" in needs(JOBS[job])
        runs = " ".join(s.get("run", "") for s in JOBS[job]["steps"])
        assert "sam deploy --config-env" in runs and f"--template-file {template}" in runs
        assert "sam build" not in runs and "make build" not in runs and "sam package" not in runs
        assert "--role-arn" in runs, "CloudFormation acts with the execution role"


def test_smoke_test_is_a_project_command() -> None:
    runs = " ".join(s.get("run", "") for s in JOBS["smoke-test-dev"]["steps"])
    assert "python -m tools.smoke_stack --stack-name" in runs


def test_the_smoke_run_is_opt_in_and_only_nothing_to_score_is_let_through() -> None:
    (step,) = [s for s in JOBS["smoke-test-dev"]["steps"] if "tools.smoke_run" in s.get("run", "")]
    assert step["if"] == "vars.SMOKE_RUN == 'true'", "it costs a transform job: run only when asked"
    script = step["run"]
    assert 'python -m tools.smoke_run --stack-name "$STACK_NAME"' in script
    assert '[ "$code" -eq 3 ]' in script and 'exit "$code"' in script
    # It waits within the role session it runs in (the bootstrap's MaxSessionDuration).
    (configure,) = steps_using(JOBS["smoke-test-dev"], CONFIGURE)
    timeout = float(script.split("--timeout ", 1)[1].split()[0])
    assert timeout < step["timeout-minutes"] * 60 <= int(configure["with"]["role-duration-seconds"])
    max_session = RES["PipelineExecutionRole"]["Properties"]["MaxSessionDuration"]
    assert int(configure["with"]["role-duration-seconds"]) <= max_session


# --------------------------------------------------------------------------------- bootstrap

BOOT = yaml_parse(BOOTSTRAP.read_text(encoding="utf-8"))
RES = BOOT["Resources"]


def statements(role: str) -> list[dict[str, Any]]:
    """Statements of a role's inline policies, with Fn::If branches flattened (both kinds)."""
    out: list[dict[str, Any]] = []

    def add(item: Any) -> None:
        if isinstance(item, dict) and "Fn::If" in item:
            for branch in item["Fn::If"][1:]:
                add(branch)
        elif isinstance(item, dict) and item != {"Ref": "AWS::NoValue"}:
            out.append(item)

    for policy in RES[role]["Properties"]["Policies"]:
        branches = policy["Fn::If"][1:] if "Fn::If" in policy else [policy]
        for branch in branches:
            if isinstance(branch, dict) and "PolicyDocument" in branch:
                for st in branch["PolicyDocument"]["Statement"]:
                    add(st)
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("role", ["PipelineExecutionRole", "ArtifactsPublisherRole"])
def test_deploy_roles_trust_only_this_repository_subject(role: str) -> None:
    trust = RES[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert len(trust) == 1
    (st,) = trust
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert "token.actions.githubusercontent.com" in json.dumps(st["Principal"]["Federated"])
    cond = st["Condition"]
    assert set(cond) == {"StringEquals"}, "exact match only: no StringLike wildcards"
    assert cond["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    sub = cond["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert sub["Fn::Sub"].startswith("repo:${GitHubRepository}:")
    assert "*" not in sub["Fn::Sub"]


def test_pipeline_role_subject_is_the_stage_environment() -> None:
    st = RES["PipelineExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    sub = st["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]["Fn::Sub"]
    assert sub == "repo:${GitHubRepository}:environment:${GitHubEnvironment}"


def test_publisher_role_only_uploads_artifacts() -> None:
    actions = {a for st in statements("ArtifactsPublisherRole") for a in as_list(st["Action"])}
    assert actions == {"s3:PutObject", "s3:GetObject", "s3:ListBucket"}


def test_pipeline_role_cloudformation_on_the_deployed_stack_only() -> None:
    for st in statements("PipelineExecutionRole"):
        cfn = [a for a in as_list(st["Action"]) if a.startswith("cloudformation:")]
        if not cfn:
            continue
        resource = json.dumps(st["Resource"])
        assert "stack/${DeployedStackName}/*" in resource or "transform/Serverless-2016-10-31" in resource
        if "transform/" in resource:
            assert cfn == ["cloudformation:CreateChangeSet"]


def test_pipeline_role_passes_only_the_execution_role_to_cloudformation() -> None:
    passes = [st for st in statements("PipelineExecutionRole") if "iam:PassRole" in as_list(st["Action"])]
    assert len(passes) == 1
    (st,) = passes
    assert st["Resource"] == {"Fn::GetAtt": ["CloudFormationExecutionRole", "Arn"]}
    assert st["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}


def test_pipeline_role_s3_only_on_the_artifacts_bucket() -> None:
    for st in statements("PipelineExecutionRole"):
        if st.get("Sid") == "SmokeRunListsTheStackBucket":
            # The smoke run lists (never reads) the deployed stack's own bucket, by its name.
            assert as_list(st["Action"]) == ["s3:ListBucket"]
            assert st["Resource"] == {
                "Fn::Sub": "arn:${AWS::Partition}:s3:::${DeployedStackName}-artifacts-${AWS::AccountId}"
            }
        elif any(a.startswith("s3:") for a in as_list(st["Action"])):
            assert "ArtifactsBucket" in json.dumps(st["Resource"])


def test_pipeline_role_starts_and_follows_only_the_batch_machine_for_the_smoke_run() -> None:
    states = {a: st["Resource"] for st in statements("PipelineExecutionRole") for a in as_list(st["Action"])
              if a.startswith("states:")}  # fmt: skip
    account = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    assert states["states:StartExecution"] == {
        "Fn::Sub": f"{account}:stateMachine:${{DeployedStackName}}-batch-inference"
    }
    assert states["states:DescribeExecution"] == {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
        "${DeployedStackName}-batch-inference:*"
    }
    assert set(states) == {"states:StartExecution", "states:DescribeExecution", "states:DescribeStateMachine"}


def test_no_wildcard_actions_and_star_resources_only_when_conditioned() -> None:
    for role in ("PipelineExecutionRole", "ArtifactsPublisherRole", "CloudFormationExecutionRole"):
        for st in statements(role):
            assert st["Effect"] == "Allow"
            assert all("*" not in a for a in as_list(st["Action"])), (role, st.get("Sid"))
            if st["Resource"] == "*":
                assert st.get("Condition"), (role, st.get("Sid"))


def test_cloudformation_role_trusted_by_cloudformation_only() -> None:
    trust = RES["CloudFormationExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudformation.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


def test_oidc_provider_optional_with_sts_audience() -> None:
    provider = RES["GitHubOidcProvider"]
    assert provider["Condition"] == "CreateOidcProvider"
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]


def test_artifacts_bucket_encrypted_versioned_private_tls_only() -> None:
    props = RES["ArtifactsBucket"]["Properties"]
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    policy = RES["ArtifactsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for st in policy
    )


def test_checkov_skips_are_justified() -> None:
    for name, res in RES.items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 40, f"{name} skips {skip['id']} without a reason"


# ------------------------------------------------------------------------- same_artifacts


def test_same_artifacts_ignores_only_the_bucket() -> None:
    dev = "CodeUri: s3://dev-b/mlops-loop/abc123\nContentUri: s3://dev-b/mlops-loop/def\n"
    prod = dev.replace("dev-b", "prod-b")
    assert same_artifacts(dev, prod, "dev-b", "prod-b")
    assert not same_artifacts(dev, prod.replace("abc123", "abc124"), "dev-b", "prod-b")
    with pytest.raises(ValueError):
        same_artifacts(dev, prod, "", "prod-b")
