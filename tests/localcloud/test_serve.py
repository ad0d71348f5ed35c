"""`serve`: the local cloud's APIs on 127.0.0.1, for boto3 and the AWS CLI in other processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import boto3

from tests.support.local_cloud import REGION


def _client(endpoint: str, service: str):
    # The host's own credentials: the local cloud's operator (an unknown key would be refused).
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


def test_serve_shares_the_in_process_state(cloud):
    endpoint = cloud.serve()
    assert endpoint.startswith("http://127.0.0.1:")
    assert cloud.serve() == endpoint  # one server per cloud
    buckets = [b["Name"] for b in _client(endpoint, "s3").list_buckets()["Buckets"]]
    assert cloud.stack.outputs["ArtifactsBucketName"] in buckets


def test_another_process_runs_an_execution_with_in_process_lambdas(cloud):
    endpoint = cloud.serve()
    script = textwrap.dedent(
        f"""
        import json, time, boto3
        # the host's credentials (inherited environment): the local cloud's operator
        sfn = boto3.client("stepfunctions", endpoint_url="{endpoint}", region_name="{REGION}")
        arn = sfn.start_execution(stateMachineArn="{cloud.stack.outputs["FlowStateMachineArn"]}",
                                  input=json.dumps({{"name": "remote"}}))["executionArn"]
        while (d := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            time.sleep(0.05)
        print(json.dumps({{"status": d["status"], "output": d.get("output"), "arn": arn}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "SUCCEEDED", done.stderr
    assert json.loads(result["output"])["greeting"] == "hello remote"
    # and the execution is visible in-process
    assert cloud.wait_for_execution(result["arn"])["status"] == "SUCCEEDED"
    assert any(m.message == "hello remote" for m in cloud.outbox.messages)
