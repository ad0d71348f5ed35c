"""AWS console links for the region a resource lives in (where a person looks next)."""

from __future__ import annotations

from urllib.parse import quote

from mlops_loop.s3uri import S3Uri


def region_of_arn(arn: str, default: str = "us-east-1") -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def execution(execution_arn: str) -> str:
    region = region_of_arn(execution_arn)
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{quote(execution_arn, safe=':')}"
    )


def state_machine(state_machine_arn: str) -> str:
    region = region_of_arn(state_machine_arn)
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/statemachines/view/{quote(state_machine_arn, safe=':')}"
    )


def s3(uri: str, region: str) -> str:
    """Console link to an S3 object (or, for a prefix ending in '/', the folder)."""
    loc = S3Uri.parse(uri)
    if not loc.key or loc.key.endswith("/"):
        return (
            f"https://{region}.console.aws.amazon.com/s3/buckets/{loc.bucket}"
            f"?region={region}&prefix={quote(loc.key)}"
        )
    return (
        f"https://{region}.console.aws.amazon.com/s3/object/{loc.bucket}"
        f"?region={region}&prefix={quote(loc.key)}"
    )


def model_registry(region: str) -> str:
    """SageMaker Studio is where model versions are reviewed and approved."""
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/studio"


def pipeline_logs(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups"
