"""The SageMaker job runner hook point: attached by LocalCloud, its events routed by the router."""

from __future__ import annotations

from localcloud import LocalCloud
from tests.support.local_cloud import FIXTURE_TEMPLATE, wait_until


def test_job_runner_is_attached_and_its_state_change_events_are_routed(tmp_path):
    with LocalCloud.start(FIXTURE_TEMPLATE, parameters={}, output_dir=tmp_path) as cloud:
        # Given the job runner and a fault for jobs named lc-*
        assert cloud.sagemaker_jobs is not None
        cloud.faults.fail_job("lc-*", "ClientError: injected by the test")
        sagemaker = cloud.client("sagemaker")
        # When a training job is created
        sagemaker.create_training_job(
            TrainingJobName="lc-train",
            AlgorithmSpecification={
                "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "TrainingInputMode": "File",
            },
            RoleArn="arn:aws:iam::123456789012:role/sagemaker",
            OutputDataConfig={"S3OutputPath": f"s3://{cloud.stack.outputs['ArtifactsBucketName']}/out/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            StoppingCondition={"MaxRuntimeInSeconds": 60},
        )
        # Then it ends Failed with the injected reason, and its state change went through the router
        described = wait_until(
            lambda: (
                (d := sagemaker.describe_training_job(TrainingJobName="lc-train"))["TrainingJobStatus"]
                == "Failed"
                and d
            ),
            timeout=30,
            what="training job to fail",
        )
        assert described["FailureReason"] == "ClientError: injected by the test"
        event = wait_until(
            lambda: next(
                (
                    e
                    for e in cloud.router.emitted
                    if e["detail-type"] == "SageMaker Training Job State Change"
                    and e["detail"].get("TrainingJobStatus") == "Failed"
                ),
                None,
            ),
            what="routed state change",
        )
        assert event["source"] == "aws.sagemaker" and event["account"] == cloud.account
