"""The error names Step Functions gives the failures of its task integrations, from AWS's material.

One place for both sides: the local cloud's integrations raise these names
(`localcloud.patches.patch_task_error_names`, `localcloud.sfn_sagemaker`), and
`tools/check_error_names.py` refuses a Retry or Catch naming an error its task can never raise.

Sources (each rule below names the one it comes from):

[SDK-DG]  Step Functions Developer Guide, "supported-services-awssdk": an `aws-sdk:` task's error is
          `<ExceptionPrefix>.<ErrorName>`, Pascal case, "Exception" appended when the service's own
          name lacks it (S3's `BucketAlreadyExists` is `S3.BucketAlreadyExistsException`); the page's
          table gives each service's exception prefix (sagemaker -> SageMaker, dynamodb -> DynamoDb).
[SM-DG]   "connect-sagemaker": the optimized SageMaker integration's example retries
          `SageMaker.AmazonSageMakerException` and `SageMaker.ResourceLimitExceededException`.
[BP-DG]   "bp-lambda-serviceexception": `Lambda.ClientExecutionTimeoutException`,
          `Lambda.ServiceException`, `Lambda.AWSLambdaException`, `Lambda.SdkClientException`;
          unhandled function errors are `Lambda.Unknown`; Lambda's invocation limit is
          `Lambda.TooManyRequestsException`.
[EB-DG]   "connect-eventbridge": a PutEvents answer with FailedEntryCount > 0 fails the task with
          `EventBridge.FailedEntry`.
[NW-DG]   "concepts-nested-workflows": `StepFunctions.ExecutionLimitExceeded` for states:startExecution.
[COMMON]  Every API Reference's "Common Errors" page: the errors any AWS API may answer
          (ThrottlingException, InternalFailure, ServiceUnavailable, AccessDeniedException, ...).
[RECORDED] Answers recorded from AWS in LocalStack's Step Functions snapshot tests
          (tests/aws/services/stepfunctions/v2/error_handling/test_aws_sdk.snapshot.json and
          test_task_service_dynamodb.snapshot.json, localstack/localstack): an error code the SDK
          does not model is named after the SDK's base exception: `DynamoDb.DynamoDbException`,
          `SecretsManager.SecretsManagerException` for aws-sdk tasks (AWS SDK for Java 2.x names),
          `DynamoDB.AmazonDynamoDBException`, `SQS.AmazonSQSException` for optimized ones (1.x
          names), `SQS.SdkClientException` for the SDK client's own failures; modeled errors keep
          their shape name (`SNS.NotFoundException`, `Lambda.ResourceNotFoundException`).
[BOTOCORE] botocore's service models: each operation's declared errors, and which error codes a
          service models at all (an SDK maps a code to its exception class service-wide, as
          botocore's `client.exceptions` does).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

import botocore.session

# [COMMON] The errors common to the API actions of all AWS services.
COMMON_ERROR_CODES: Final[tuple[str, ...]] = (
    "AccessDeniedException",
    "IncompleteSignature",
    "InternalFailure",
    "InvalidAction",
    "InvalidClientTokenId",
    "NotAuthorized",
    "OptInRequired",
    "RequestExpired",
    "ServiceUnavailable",
    "ThrottlingException",
    "ValidationError",
)


@dataclass(frozen=True)
class _Optimized:
    botocore: str  # botocore's service name
    prefix: str  # the error-name prefix
    unmodeled: str  # what an error code the SDK does not model is named (the SDK's base exception)
    client: tuple[str, ...]  # the SDK client's own failures (no answer from the service)
    documented: tuple[str, ...] = ()  # further names the guide documents for the integration


# Optimized integrations (`arn:aws:states:::<service>:<action>`), keyed by the ARN's service.
OPTIMIZED: Final[dict[str, _Optimized]] = {
    # [BP-DG] every name; the modeled Invoke errors come from botocore.
    "lambda": _Optimized(
        "lambda",
        "Lambda",
        "AWSLambdaException",
        ("SdkClientException", "ClientExecutionTimeoutException"),
        ("Unknown",),
    ),
    # [SM-DG] AmazonSageMakerException; [BP-DG]/[RECORDED] SdkClientException (the 1.x client's own).
    "sagemaker": _Optimized("sagemaker", "SageMaker", "AmazonSageMakerException", ("SdkClientException",)),
    # [RECORDED] SNS.<Shape>; the 1.x base exception of the SNS client is AmazonSNSException.
    "sns": _Optimized("sns", "SNS", "AmazonSNSException", ("SdkClientException",)),
    # [EB-DG] the prefix and FailedEntry; the 1.x base exception of EventBridge is AmazonEventBridgeException.
    "events": _Optimized(
        "events", "EventBridge", "AmazonEventBridgeException", ("SdkClientException",), ("FailedEntry",)
    ),
    # [RECORDED] DynamoDB.AmazonDynamoDBException, DynamoDB.ResourceNotFoundException.
    "dynamodb": _Optimized("dynamodb", "DynamoDB", "AmazonDynamoDBException", ("SdkClientException",)),
    # [NW-DG] and [RECORDED] StepFunctions.StateMachineDoesNotExistException.
    "states": _Optimized(
        "stepfunctions",
        "StepFunctions",
        "AWSStepFunctionsException",
        ("SdkClientException",),
        ("ExecutionLimitExceeded",),
    ),
    # [RECORDED] SQS.AmazonSQSException, SQS.SdkClientException.
    "sqs": _Optimized("sqs", "SQS", "AmazonSQSException", ("SdkClientException",)),
}

# [SDK-DG] aws-sdk service name in the ARN -> (botocore service name, exception prefix) from the
# guide's table; the SDK's base exception is `<Prefix>Exception` ([RECORDED]).
AWS_SDK: Final[dict[str, tuple[str, str]]] = {
    "athena": ("athena", "Athena"),
    "cloudwatchlogs": ("logs", "CloudWatchLogs"),
    "dynamodb": ("dynamodb", "DynamoDb"),
    "ecr": ("ecr", "Ecr"),
    "eventbridge": ("events", "EventBridge"),
    "glue": ("glue", "Glue"),
    "kms": ("kms", "Kms"),
    "lambda": ("lambda", "Lambda"),
    "s3": ("s3", "S3"),
    "sagemaker": ("sagemaker", "SageMaker"),
    "secretsmanager": ("secretsmanager", "SecretsManager"),
    "sfn": ("stepfunctions", "Sfn"),
    "sns": ("sns", "Sns"),
    "sqs": ("sqs", "Sqs"),
    "ssm": ("ssm", "Ssm"),
    "sts": ("sts", "Sts"),
}

# `.sync` tasks describe what they started until it ends: those calls' errors can fail the task too.
SYNC_POLLS: Final[dict[tuple[str, str], str]] = {
    ("sagemaker", "createTransformJob"): "DescribeTransformJob",
    ("sagemaker", "createTrainingJob"): "DescribeTrainingJob",
    ("sagemaker", "createProcessingJob"): "DescribeProcessingJob",
    ("states", "startExecution"): "DescribeExecution",
}

_RESOURCE = re.compile(
    r"^arn:aws[a-z-]*:states:::(?:(?P<sdk>aws-sdk):)?(?P<service>[a-z0-9]+):(?P<action>[A-Za-z0-9]+)"
    r"(?:\.(?P<pattern>[A-Za-z0-9:]+))?$"
)
_LAMBDA_FUNCTION = re.compile(r"^arn:aws[a-z-]*:lambda:[^:]+:[0-9]+:function:[^:]+(?::[^:]+)?$")


def exception_name(name: str) -> str:
    """[SDK-DG] An error name as Step Functions gives it: `Exception` appended when missing."""
    return name if name.endswith("Exception") else f"{name}Exception"


@functools.cache
def _model(service: str) -> botocore.model.ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def modeled_errors(service: str) -> dict[str, str]:
    """[BOTOCORE] error code -> error shape name, for every error the service's model declares."""
    shapes: dict[str, str] = {}
    for shape in _model(service).error_shapes:
        shapes[shape.error_code or shape.name] = shape.name
        shapes.setdefault(shape.name, shape.name)
    return shapes


def error_code(service: str, shape: str) -> str:
    """[BOTOCORE] The error code a service answers for one of its error shapes."""
    return _model(service).shape_for(shape).error_code or shape


def declared_errors(service: str, operation: str) -> list[str]:
    """[BOTOCORE] The error shapes an operation declares."""
    return [shape.name for shape in _model(service).operation_model(operation).error_shapes]


@dataclass(frozen=True)
class Integration:
    """A task's integration, from its Resource."""

    resource: str
    kind: str  # "optimized" or "aws-sdk"
    service: str  # as in the ARN
    action: str  # as in the ARN
    pattern: str | None
    botocore: str
    prefix: str
    unmodeled: str  # the full name of an error code the SDK does not model
    operations: tuple[str, ...]  # botocore operation names the task calls
    fixed: tuple[str, ...]  # full names that do not come from error codes (client, documented)

    @property
    def is_lambda_invoke(self) -> bool:
        return self.kind == "optimized" and self.service == "lambda" and self.action == "invoke"

    def error_name(self, code: str) -> str:
        """The name of a task failure whose service answered `code`."""
        shape = modeled_errors(self.botocore).get(code)
        if shape is not None:
            return f"{self.prefix}.{exception_name(shape)}"
        return self.unmodeled

    def raisable(self) -> dict[str, str]:
        """Every name this integration can raise -> where it comes from."""
        names: dict[str, str] = {}
        for operation in self.operations:
            for shape in declared_errors(self.botocore, operation):
                names.setdefault(
                    f"{self.prefix}.{exception_name(shape)}", f"{self.botocore} {operation} declares {shape}"
                )
        for code in COMMON_ERROR_CODES:
            names.setdefault(self.error_name(code), f"common error {code}")
        names.setdefault(self.unmodeled, "an error code the SDK does not model")
        for name in self.fixed:
            names.setdefault(name, "documented for the integration")
        return names


def _operation(service: str, action: str) -> str:
    operation = action[:1].upper() + action[1:]
    if operation not in _model(service).operation_names:
        raise UnknownIntegrationError(f"{service} has no operation {operation}")
    return operation


class UnknownIntegrationError(ValueError):
    """A Resource whose errors this module cannot name."""


def integration(resource: str) -> Integration:
    """The integration of a Task's Resource (raises UnknownIntegrationError when it has no rule here)."""
    if _LAMBDA_FUNCTION.match(resource):  # a function ARN as Resource: Lambda's invoke
        resource_key, sdk, service, action, pattern = resource, None, "lambda", "invoke", None
    else:
        match = _RESOURCE.match(resource)
        if match is None:
            raise UnknownIntegrationError(f"not a task integration ARN: {resource}")
        resource_key = resource
        sdk, service, action, pattern = match["sdk"], match["service"], match["action"], match["pattern"]
    if sdk:
        if service not in AWS_SDK:
            raise UnknownIntegrationError(f"no exception prefix recorded for aws-sdk:{service}")
        botocore_name, prefix = AWS_SDK[service]
        return Integration(
            resource_key,
            "aws-sdk",
            service,
            action,
            pattern,
            botocore_name,
            prefix,
            f"{prefix}.{prefix}Exception",
            (_operation(botocore_name, action),),
            (),
        )
    if service not in OPTIMIZED:
        raise UnknownIntegrationError(f"no error naming recorded for the optimized {service} integration")
    spec = OPTIMIZED[service]
    operations = [_operation(spec.botocore, action)]
    if pattern and pattern.startswith("sync") and (service, action) in SYNC_POLLS:
        operations.append(SYNC_POLLS[(service, action)])
    fixed = tuple(f"{spec.prefix}.{name}" for name in (*spec.client, *spec.documented))
    return Integration(
        resource_key,
        "optimized",
        service,
        action,
        pattern,
        spec.botocore,
        spec.prefix,
        f"{spec.prefix}.{spec.unmodeled}",
        tuple(operations),
        fixed,
    )


def optimized(service: str, action: str) -> Integration:
    """The optimized integration `arn:aws:states:::<service>:<action>` (the local cloud's lookup)."""
    return integration(f"arn:aws:states:::{service}:{action}")


def aws_sdk(service: str, action: str) -> Integration:
    """The integration `arn:aws:states:::aws-sdk:<service>:<action>`."""
    return integration(f"arn:aws:states:::aws-sdk:{service}:{action}")
