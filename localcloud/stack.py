"""Deploy the real SAM template into moto: translate, upload code, create the stack, fill its gaps.

What `sam deploy` would do, done locally:
1. parse `template.yaml` (samtranslator's YAML loader, which knows the short intrinsics);
2. zip every local CodeUri/ContentUri folder into the local deployment bucket (recording
   folder -> function for the in-process Lambda runtime) and inline every DefinitionUri;
3. SAM-translate with the parameters (samconfig.toml `[single-account]` parameter_overrides, or
   given; see LOCAL_ENVIRONMENT);
4. close moto's CloudFormation gaps: DefinitionSubstitutions become `Fn::Sub`; AWS-managed
   layers (Powertools, AWS SDK for pandas) are dropped - their packages are in the venv, and our
   own layers' folders go on the handler's sys.path; resources moto skips or half-creates
   (bucket policy, versioning, KMS key policy, Scheduler schedules, a function's dead-letter
   queue) are applied after the stack with boto3, their properties resolved by moto's
   `clean_json` against the stack's resources;
5. `create_stack` on moto's CloudFormation.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from localcloud.lambda_runtime import FunctionCode, FunctionRegistry

DEPLOY_BUCKET_PREFIX = "localcloud-deployments"
_POST_STACK_TYPES = (
    "AWS::S3::BucketPolicy",
    "AWS::Scheduler::Schedule",
    "AWS::Scheduler::ScheduleGroup",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::IAM::RolePolicy",
    "AWS::Events::EventBusPolicy",
    "AWS::SageMaker::Pipeline",
)


class StackDeployError(RuntimeError):
    """The template could not be translated or the stack did not reach CREATE_COMPLETE."""


class TemplateError(ValueError):
    """The template refers to something that is not there (a CodeUri folder, an ASL file)."""


@dataclass
class Schedule:
    """An EventBridge Scheduler schedule of the stack, properties resolved."""

    logical_id: str
    name: str
    arn: str
    expression: str
    timezone: str
    state: str
    target: dict[str, Any]
    start_date: str | None = None
    end_date: str | None = None


@dataclass
class DeployedStack:
    """What the deployed stack holds; names and ARNs as moto made them."""

    name: str
    stack_id: str
    region: str
    account: str
    outputs: dict[str, str]
    resources: dict[str, str]
    resource_types: dict[str, str]
    parameters: dict[str, str]
    schedules: list[Schedule] = field(default_factory=list)
    function_dead_letter_queues: dict[str, str] = field(default_factory=dict)
    function_async_retries: dict[str, int] = field(default_factory=dict)
    function_on_failure: dict[str, str] = field(default_factory=dict)
    template: dict[str, Any] = field(default_factory=dict)
    # bucket name -> its whole policy; moto holds it without conditional denies (below), the local
    # cloud's IAM evaluates it whole.
    bucket_policies: dict[str, str] = field(default_factory=dict)
    # model package group ARN -> its ModelPackageGroupPolicy (moto holds none; the local cloud's IAM does)
    group_policies: dict[str, str] = field(default_factory=dict)

    def physical_id(self, logical_id: str) -> str:
        """The physical id (name, ARN or URL, as CloudFormation's Ref gives it) of a resource."""
        try:
            return self.resources[logical_id]
        except KeyError:
            raise KeyError(f"no resource {logical_id!r} in stack {self.name}") from None

    def of_type(self, resource_type: str) -> dict[str, str]:
        return {k: self.resources[k] for k, t in self.resource_types.items() if t == resource_type}

    @property
    def functions(self) -> dict[str, str]:
        return self.of_type("AWS::Lambda::Function")

    @property
    def state_machines(self) -> dict[str, str]:
        return self.of_type("AWS::StepFunctions::StateMachine")


# -- parameters ---------------------------------------------------------------------------------
# The samconfig environment the local cloud deploys when given no parameters: one account holding
# its own group (samconfig.toml's `[default]` dev reads a registry account's group by ARN, which a
# one-account cloud does not have; story/multi_account.py plays that layout). A samconfig.toml
# without this environment falls back to `[default]`, as `sam deploy` with no --config-env.
LOCAL_ENVIRONMENT = "single-account"


def local_parameters(samconfig: Path) -> dict[str, str]:
    """The parameters the local cloud deploys with by default (LOCAL_ENVIRONMENT, else `[default]`)."""
    if samconfig.is_file() and LOCAL_ENVIRONMENT in tomllib.loads(samconfig.read_text(encoding="utf-8")):
        return samconfig_parameters(samconfig, LOCAL_ENVIRONMENT)
    return samconfig_parameters(samconfig)


def samconfig_parameters(samconfig: Path, environment: str = "default") -> dict[str, str]:
    """`parameter_overrides` of samconfig.toml's `[<environment>.deploy.parameters]` (or global)."""
    if not samconfig.is_file():
        return {}
    data = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    section = data.get(environment, {})
    overrides: Any = None
    for command in ("deploy", "global"):
        overrides = section.get(command, {}).get("parameters", {}).get("parameter_overrides")
        if overrides:
            break
    if not overrides:
        return {}
    items = shlex.split(overrides) if isinstance(overrides, str) else [str(i) for i in overrides]
    parameters: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise TemplateError(f"{samconfig}: parameter override {item!r} is not Key=Value")
        parameters[key] = value
    return parameters


# -- deployment ---------------------------------------------------------------------------------
class _AnyManagedPolicy(dict):
    """Managed policy names resolve to their AWS ARN (the translator asks IAM in AWS)."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def get(self, key: str, default: Any = None) -> str:
        return f"arn:aws:iam::aws:policy/{key}"

    def __getitem__(self, key: str) -> str:
        return self.get(key)


class _PolicyLoader:
    def load(self) -> dict[str, str]:
        return _AnyManagedPolicy()


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(2020, 1, 1, 0, 0, 0))
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


@contextlib.contextmanager
def _region_env(region: str) -> Iterator[None]:
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


@dataclass
class _LocalCode:
    """Where each function's code runs from: S3 key -> (bucket, SAM logical id, folder, handler);
    layer key -> folder on sys.path; state machine -> (ASL text, substitutions)."""

    bucket: str
    functions: dict[str, tuple[str, str, Path, str]] = field(default_factory=dict)
    layers: dict[str, Path] = field(default_factory=dict)
    definitions: dict[str, tuple[str, Any]] = field(default_factory=dict)


def deploy(  # noqa: PLR0917 - the documented interface takes these positionally
    template_path: Path,
    functions: FunctionRegistry,
    parameters: dict[str, str] | None = None,
    region: str = "us-east-1",
    stack_name: str = "mlops-loop-local",
    session: Any = None,
) -> DeployedStack:
    """Deploy `template_path` into the active moto mock; returns what was created.

    session: the boto3 session that deploys (its credentials' account is the stack's account, as
    `sam deploy` with that account's credentials); None: the host's default credentials."""
    template_path = template_path.resolve()
    if parameters is None:
        parameters = local_parameters(template_path.parent / "samconfig.toml")
    template = parse_template(template_path.read_text(encoding="utf-8"))
    return deploy_template(template, template_path.parent, functions, parameters, region, stack_name, session)


def deploy_template(  # noqa: PLR0917 - deploy()'s parameters, the template given parsed
    template: dict[str, Any],
    base: Path,
    functions: FunctionRegistry,
    parameters: dict[str, str],
    region: str,
    stack_name: str,
    session: Any = None,
) -> DeployedStack:
    """Deploy a parsed template. Local CodeUri/ContentUri/DefinitionUri are read under `base`; code
    already in S3 (a template `sam package` or `sam deploy` uploaded) is downloaded and unpacked
    under `base`, and runs from there."""
    session = session or boto3.session.Session()
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    local = _upload_local_code(template, base, region, account, session)
    translated = translate(template, parameters, region)
    post_stack = _close_gaps(translated, local, functions, stack_name)
    stack = _create_stack(translated, parameters, region, account, stack_name, session)
    _apply_post_stack(stack, post_stack, session)
    return stack


def parse_template(text: str) -> dict[str, Any]:
    """The template as samtranslator's `yaml_parse` reads it (short intrinsics such as `!Ref` become
    `{"Ref": ...}`), with libyaml's parser when PyYAML has it (several times faster)."""
    import yaml
    from samtranslator.yaml_helper import intrinsics_multi_constructor

    class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    _TemplateLoader.add_multi_constructor("!", intrinsics_multi_constructor)
    parsed = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a safe loader, plus the intrinsics
    if not isinstance(parsed, dict):
        raise TemplateError("the template is not a YAML/JSON mapping")
    return parsed


def _upload_local_code(
    template: dict[str, Any], base: Path, region: str, account: str, session: Any
) -> _LocalCode:
    """Zip local CodeUri/ContentUri folders into the deployment bucket and read DefinitionUri files;
    unpack what `sam package` already put in S3."""
    bucket = f"{DEPLOY_BUCKET_PREFIX}-{account}-{region}"
    s3 = session.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    placer = _CodePlacer(_LocalCode(bucket), base, s3)
    globals_function = template.get("Globals", {}).get("Function", {})
    for logical_id, resource in template.get("Resources", {}).items():
        kind = resource.get("Type")
        props = resource.setdefault("Properties", {})
        if kind == "AWS::Serverless::Function":
            placer.function(logical_id, props, globals_function)
        elif kind == "AWS::Serverless::LayerVersion":
            placer.layer(logical_id, props)
        elif kind == "AWS::Serverless::StateMachine" and props.get("DefinitionUri") is not None:
            placer.state_machine(logical_id, props)
    return placer.local


@dataclass
class _CodePlacer:
    """Puts each function's and layer's code where it runs from, and reads each definition."""

    local: _LocalCode
    base: Path
    s3: Any

    def _upload(self, folder: Path, key_prefix: str) -> str:
        if not folder.is_dir():
            raise TemplateError(f"{key_prefix}: no folder {folder}")
        body = _zip_folder(folder)
        key = f"{key_prefix}/{hashlib.sha256(body).hexdigest()[:16]}.zip"
        self.s3.put_object(Bucket=self.local.bucket, Key=key, Body=body)
        return key

    def _unpack(self, location: Any, into: Path) -> tuple[str, str, Path]:
        """Code `sam package` put in S3: unpacked under `into`, as Lambda unpacks it."""
        code_bucket, key = _s3_location(location)
        archive = self.s3.get_object(Bucket=code_bucket, Key=key)["Body"].read()
        shutil.rmtree(into, ignore_errors=True)
        into.mkdir(parents=True)
        with zipfile.ZipFile(io.BytesIO(archive)) as unpacked:
            unpacked.extractall(into)
        return code_bucket, key, into

    def function(self, logical_id: str, props: dict[str, Any], globals_function: dict[str, Any]) -> None:
        code_uri = props.get("CodeUri", globals_function.get("CodeUri"))
        if "InlineCode" in props or code_uri is None:
            return
        handler = props.get("Handler", globals_function.get("Handler"))
        if not handler:
            raise TemplateError(f"{logical_id}: no Handler")
        if _is_local(code_uri):
            folder = (self.base / code_uri).resolve()
            key = self._upload(folder, f"functions/{logical_id}")
            props["CodeUri"] = f"s3://{self.local.bucket}/{key}"
            self.local.functions[key] = (self.local.bucket, logical_id, folder, handler)
        else:
            code_bucket, key, folder = self._unpack(code_uri, self.base / "functions" / logical_id)
            self.local.functions[key] = (code_bucket, logical_id, folder, handler)

    def layer(self, logical_id: str, props: dict[str, Any]) -> None:
        if _is_local(props.get("ContentUri")):
            folder = (self.base / props["ContentUri"]).resolve()
            key = self._upload(folder, f"layers/{logical_id}")
            props["ContentUri"] = f"s3://{self.local.bucket}/{key}"
            self.local.layers[key] = folder
        else:
            _, key, folder = self._unpack(props.get("ContentUri"), self.base / "layers" / logical_id)
            # Lambda puts a Python layer's python/ on sys.path (a built layer has one).
            self.local.layers[key] = folder / "python" if (folder / "python").is_dir() else folder

    def state_machine(self, logical_id: str, props: dict[str, Any]) -> None:
        location = props.pop("DefinitionUri")
        if _is_local(location):
            asl_path = (self.base / location).resolve()
            if not asl_path.is_file():
                raise TemplateError(f"{logical_id}: no definition file {asl_path}")
            text = asl_path.read_text(encoding="utf-8")
        else:
            asl_bucket, asl_key = _s3_location(location)
            text = self.s3.get_object(Bucket=asl_bucket, Key=asl_key)["Body"].read().decode("utf-8")
        substitutions = props.pop("DefinitionSubstitutions", None)
        # A stand-in for the translator; the real text goes in after translation.
        props["Definition"] = {"StartAt": "Placeholder", "States": {"Placeholder": {"Type": "Succeed"}}}
        self.local.definitions[logical_id] = (text, substitutions)


def _s3_location(location: Any) -> tuple[str, str]:
    """(bucket, key) of `s3://bucket/key` or `{Bucket, Key}`, the two forms SAM's packageable
    properties take."""
    if isinstance(location, dict) and location.get("Bucket") and location.get("Key"):
        return str(location["Bucket"]), str(location["Key"])
    if isinstance(location, str) and location.startswith("s3://") and "/" in location[5:]:
        bucket, key = location[5:].split("/", 1)
        return bucket, key
    raise TemplateError(f"not a local path nor an S3 location: {location!r}")


def translate(template: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    """The SAM template as CloudFormation (samtranslator, with `parameters`, in `region`); a
    translator failure is a StackDeployError. Also `cfn_front`'s, for `sam deploy`'s change sets."""
    from samtranslator.translator.transform import transform

    with _region_env(region):
        try:
            translated: dict[str, Any] = transform(copy.deepcopy(template), dict(parameters), _PolicyLoader())
        except Exception as error:  # every translator failure is a deploy failure
            raise StackDeployError(f"SAM translation failed: {error}") from error
    return translated


def _close_gaps(
    translated: dict[str, Any], local: _LocalCode, functions: FunctionRegistry, stack_name: str
) -> dict[str, dict[str, Any]]:
    """Edit the translated template where moto's CloudFormation falls short; returns what to
    create after the stack (resolved then against the stack's resources)."""
    resources: dict[str, Any] = translated["Resources"]
    layer_dirs = {
        rid: local.layers[r["Properties"]["Content"]["S3Key"]]
        for rid, r in resources.items()
        if r["Type"] == "AWS::Lambda::LayerVersion"
        and r.get("Properties", {}).get("Content", {}).get("S3Key") in local.layers
    }
    for logical_id, (text, substitutions) in local.definitions.items():
        props = resources[logical_id]["Properties"]
        props.pop("Definition", None)
        props.pop("DefinitionSubstitutions", None)
        # One pass, as CloudFormation does: moto's Fn::Sub runs string.Template per key, which turns
        # the `$$.` of ASL context paths into `$.`. Unmapped `${X}` stay Refs, as in Fn::Sub.
        pieces = re.split(r"\$\{([A-Za-z0-9_:]+)\}", text)
        joined = [p if i % 2 == 0 else (substitutions or {}).get(p, {"Ref": p}) for i, p in enumerate(pieces)]
        props["DefinitionString"] = {"Fn::Join": ["", joined]} if substitutions else text
    post_stack: dict[str, dict[str, Any]] = {}
    for logical_id, resource in list(resources.items()):
        kind = resource["Type"]
        props = resource.get("Properties", {})
        if kind in _POST_STACK_TYPES:
            post_stack[logical_id] = resources.pop(logical_id)
        elif kind == "AWS::Lambda::Function":
            _function_gaps(logical_id, props, local, layer_dirs, functions, post_stack)
        elif kind == "AWS::KMS::Key":
            _key_gaps(logical_id, props, post_stack)
        elif kind == "AWS::SSM::Parameter":
            if not props.get("Name"):
                # CloudFormation names it CFN-<logical id>-<random>; moto needs a name given.
                props["Name"] = f"CFN-{logical_id}-{stack_name}"
            if isinstance(props.get("Tags"), dict):
                # AWS::SSM::Parameter takes tags as a map; moto reads a Key/Value list.
                props["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
        elif kind == "AWS::S3::Bucket" and "VersioningConfiguration" in props:
            post_stack[f"{logical_id}::Versioning"] = {
                "Type": "LocalCloud::BucketVersioning",
                "Properties": {"Bucket": {"Ref": logical_id}, **props.pop("VersioningConfiguration")},
            }
    return post_stack


def _key_gaps(logical_id: str, props: dict[str, Any], post_stack: dict[str, dict[str, Any]]) -> None:
    # moto's KMS takes tags as TagKey/TagValue (the API's shape), CloudFormation gives Key/Value.
    if props.get("Tags"):
        props["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"]]
    if isinstance(props.get("KeyPolicy"), dict):
        post_stack[f"{logical_id}::KeyPolicy"] = {
            "Type": "LocalCloud::KeyPolicy",
            "Properties": {"KeyId": {"Ref": logical_id}, "Policy": props["KeyPolicy"]},
        }
        # moto needs a policy at creation and keeps a dict one as is (describe_key then
        # breaks): create with an empty JSON policy, put the resolved one afterwards.
        props["KeyPolicy"] = json.dumps({"Version": "2012-10-17", "Statement": []})


def _function_gaps(  # noqa: PLR0917
    logical_id: str,
    props: dict[str, Any],
    local: _LocalCode,
    layer_dirs: dict[str, Path],
    functions: FunctionRegistry,
    post_stack: dict[str, dict[str, Any]],
) -> None:
    # AWS-managed layers do not exist here (their packages are in the venv); our own layers'
    # folders go on the handler's sys.path instead.
    layers = [
        layer_dirs[item["Ref"]]
        for item in props.pop("Layers", [])
        if isinstance(item, dict) and item.get("Ref") in layer_dirs
    ]
    key = props.get("Code", {}).get("S3Key")
    if key in local.functions:
        bucket, sam_id, folder, handler = local.functions[key]
        functions.register(bucket, key, FunctionCode(sam_id, folder, handler, tuple(layers)))
    if "DeadLetterConfig" in props:
        post_stack[f"{logical_id}::DeadLetterConfig"] = {
            "Type": "LocalCloud::FunctionDeadLetter",
            "Properties": {"Function": {"Ref": logical_id}, **props.pop("DeadLetterConfig")},
        }


def _create_stack(  # noqa: PLR0917
    translated: dict[str, Any],
    parameters: dict[str, str],
    region: str,
    account: str,
    stack_name: str,
    session: Any,
) -> DeployedStack:
    cfn = session.client("cloudformation", region_name=region)
    declared = translated.get("Parameters", {})
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise TemplateError(f"parameters not in the template: {unknown}")
    missing = sorted(k for k, v in declared.items() if "Default" not in v and k not in parameters)
    if missing:
        raise TemplateError(
            f"template parameters without a default need a value: {missing} "
            "(give them as parameters, --parameter-overrides, or in samconfig.toml)"
        )
    try:
        stack_id = cfn.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(translated),
            Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )["StackId"]
    except Exception as error:  # moto raises anything from any resource
        raise StackDeployError(f"create_stack failed: {error}") from error
    description = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    if description["StackStatus"] != "CREATE_COMPLETE":
        reasons = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
            for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
            if e.get("ResourceStatus", "").endswith("FAILED")
        ]
        raise StackDeployError(f"stack {description['StackStatus']}: {reasons}")
    stack = DeployedStack(
        name=stack_name,
        stack_id=stack_id,
        region=region,
        account=account,
        outputs={o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])},
        resources={},
        resource_types={},
        parameters={p["ParameterKey"]: p["ParameterValue"] for p in description.get("Parameters", [])},
        template=translated,
    )
    for summary in _stack_resources(cfn, stack_id):
        stack.resources[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
        stack.resource_types[summary["LogicalResourceId"]] = summary["ResourceType"]
    return stack


def _stack_resources(cfn: Any, stack_id: str) -> list[dict[str, Any]]:
    summaries: list[dict[str, Any]] = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id):
        summaries.extend(page["StackResourceSummaries"])
    return summaries


def _apply_post_stack(stack: DeployedStack, post_stack: dict[str, dict[str, Any]], session: Any) -> None:
    """Create what moto's CloudFormation skips, with boto3, properties resolved by moto."""
    from moto.cloudformation.models import cloudformation_backends
    from moto.cloudformation.parsing import clean_json

    moto_stack = cloudformation_backends[stack.account][stack.region].stacks[stack.stack_id]
    for logical_id, resource in stack.template.get("Resources", {}).items():
        policy = resource.get("Properties", {}).get("ModelPackageGroupPolicy")
        is_group = resource.get("Type") == "AWS::SageMaker::ModelPackageGroup"
        if is_group and policy and logical_id in stack.resources:
            resolved = clean_json(policy, moto_stack.resource_map)
            document = resolved if isinstance(resolved, str) else json.dumps(resolved)
            stack.group_policies[stack.resources[logical_id]] = document
    # Schedule groups before the schedules in them.
    ordered = sorted(post_stack.items(), key=lambda item: item[1]["Type"] != "AWS::Scheduler::ScheduleGroup")
    for logical_id, resource in ordered:
        condition = resource.get("Condition")
        if condition and not moto_stack.resource_map.lazy_condition_map[condition]:
            continue  # CloudFormation does not create a resource whose condition is false
        props = clean_json(resource.get("Properties", {}), moto_stack.resource_map)
        kind = resource["Type"]
        if kind == "AWS::Scheduler::Schedule":
            stack.schedules.append(_create_schedule(logical_id, props, stack, session))
        elif kind in ("LocalCloud::FunctionDeadLetter", "AWS::Lambda::EventInvokeConfig"):
            _record_async_config(kind, props, stack)
        elif kind == "AWS::SageMaker::Pipeline":  # moto's CloudFormation has no model for it
            stack.resources[logical_id] = _create_pipeline(props, stack.region, session)
            stack.resource_types[logical_id] = kind
        else:
            if kind == "AWS::S3::BucketPolicy":
                stack.bucket_policies[props["Bucket"]] = json.dumps(props["PolicyDocument"])
            _apply_resource(kind, props, stack.region, session)


def local_bucket_policy(document: dict[str, Any]) -> dict[str, Any]:
    """The bucket policy without conditional Deny statements.

    moto 5.2 evaluates bucket policies but ignores their Condition blocks, so the template's
    TLS-only statement (Deny when aws:SecureTransport is false) would deny every request.
    """
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [s for s in statements if not (s.get("Effect") == "Deny" and s.get("Condition"))]
    return {**document, "Statement": kept}


def _apply_resource(kind: str, props: dict[str, Any], region: str, session: Any) -> None:  # noqa: PLR0912 - one branch per resource type
    policy = json.dumps(props.get("PolicyDocument") or props.get("Policy"))
    if kind == "AWS::S3::BucketPolicy":
        document = local_bucket_policy(props["PolicyDocument"])
        if document["Statement"]:
            session.client("s3", region_name=region).put_bucket_policy(
                Bucket=props["Bucket"], Policy=json.dumps(document)
            )
    elif kind == "AWS::SNS::TopicPolicy":
        for topic in props["Topics"]:
            session.client("sns", region_name=region).set_topic_attributes(
                TopicArn=topic, AttributeName="Policy", AttributeValue=policy
            )
    elif kind == "AWS::SQS::QueuePolicy":
        for queue_url in props["Queues"]:
            session.client("sqs", region_name=region).set_queue_attributes(
                QueueUrl=queue_url, Attributes={"Policy": policy}
            )
    elif kind == "LocalCloud::BucketVersioning":
        session.client("s3", region_name=region).put_bucket_versioning(
            Bucket=props["Bucket"], VersioningConfiguration={"Status": props.get("Status", "Enabled")}
        )
    elif kind == "LocalCloud::KeyPolicy":
        session.client("kms", region_name=region).put_key_policy(
            KeyId=props["KeyId"], PolicyName="default", Policy=policy
        )
    elif kind == "AWS::IAM::RolePolicy":  # moto's CloudFormation skips it
        for role in props.get("Roles") or [props["RoleName"]]:
            session.client("iam", region_name=region).put_role_policy(
                RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=policy
            )
    elif kind == "AWS::Events::EventBusPolicy":  # moto's CloudFormation skips it
        # The Statement form (CloudFormation Template Reference, AWS::Events::EventBusPolicy: "Statement
        # ... A JSON string that describes the permission policy statement"), its Sid the StatementId.
        statement = props.get("Statement")
        if not statement:
            raise TemplateError("AWS::Events::EventBusPolicy without Statement is not deployed locally")
        document = {"Version": "2012-10-17", "Statement": [{**statement, "Sid": props["StatementId"]}]}
        session.client("events", region_name=region).put_permission(
            EventBusName=props.get("EventBusName", "default"), Policy=json.dumps(document)
        )
    elif kind == "AWS::Scheduler::ScheduleGroup":
        session.client("scheduler", region_name=region).create_schedule_group(Name=props["Name"])


def _create_pipeline(props: dict[str, Any], region: str, session: Any) -> str:
    """CreatePipeline from the resource's properties (CloudFormation Template Reference,
    AWS::SageMaker::Pipeline); returns its name, the resource's Ref."""
    definition = props["PipelineDefinition"]
    if "PipelineDefinitionBody" not in definition:
        raise TemplateError("AWS::SageMaker::Pipeline: only PipelineDefinitionBody is deployed locally")
    request: dict[str, Any] = {
        "PipelineName": props["PipelineName"],
        "PipelineDefinition": definition["PipelineDefinitionBody"],
        "RoleArn": props["RoleArn"],
    }
    for key in ("PipelineDisplayName", "PipelineDescription", "Tags"):
        if props.get(key):
            request[key] = props[key]
    parallelism = props.get("ParallelismConfiguration", {}).get("MaxParallelExecutionSteps")
    if parallelism is not None:
        request["ParallelismConfiguration"] = {"MaxParallelExecutionSteps": int(parallelism)}
    session.client("sagemaker", region_name=region).create_pipeline(**request)
    return str(props["PipelineName"])


def _record_async_config(kind: str, props: dict[str, Any], stack: DeployedStack) -> None:
    """Lambda's asynchronous-invocation settings, which the router applies (moto has none)."""
    if kind == "LocalCloud::FunctionDeadLetter":
        stack.function_dead_letter_queues[props["Function"]] = props["TargetArn"]
        return
    name = props["FunctionName"]
    if "MaximumRetryAttempts" in props:
        stack.function_async_retries[name] = int(props["MaximumRetryAttempts"])
    on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    if on_failure:
        stack.function_on_failure[name] = on_failure


def _create_schedule(logical_id: str, props: dict[str, Any], stack: DeployedStack, session: Any) -> Schedule:
    scheduler = session.client("scheduler", region_name=stack.region)
    name = props.get("Name") or f"{stack.name}-{logical_id}"[:64]
    request: dict[str, Any] = {
        "Name": name,
        "ScheduleExpression": props["ScheduleExpression"],
        "FlexibleTimeWindow": props.get("FlexibleTimeWindow", {"Mode": "OFF"}),
        "Target": props["Target"],
        "State": props.get("State", "ENABLED"),
    }
    for optional in ("GroupName", "ScheduleExpressionTimezone", "Description", "StartDate", "EndDate"):
        if props.get(optional):
            request[optional] = props[optional]
    arn = scheduler.create_schedule(**request)["ScheduleArn"]
    stack.resources[logical_id] = arn
    stack.resource_types[logical_id] = "AWS::Scheduler::Schedule"
    return Schedule(
        logical_id=logical_id,
        name=name,
        arn=arn,
        expression=props["ScheduleExpression"],
        timezone=props.get("ScheduleExpressionTimezone") or "UTC",
        state=props.get("State", "ENABLED"),
        target=props["Target"],
        start_date=props.get("StartDate"),
        end_date=props.get("EndDate"),
    )
