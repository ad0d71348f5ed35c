"""IAM switched off (`--no-iam`, for debugging only): every call goes through, each one AWS would deny
is logged as such, and every log line of the run says that IAM is not enforced."""

from __future__ import annotations

import logging

import boto3

from localcloud import LocalCloud
from localcloud.cloud import IAM_OFF_MARK
from tests.support.local_cloud import FIXTURE_TEMPLATE


def test_with_iam_off_a_denied_call_goes_through_and_every_log_line_says_so(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with LocalCloud.start(
        template=FIXTURE_TEMPLATE, parameters={}, output_dir=tmp_path, job_runner=False, enforce_iam=False
    ) as cloud:
        function = cloud.stack.physical_id("PublishFunction")
        role_arn = cloud.client("lambda").get_function_configuration(FunctionName=function)["Role"]
        as_publisher = cloud.iam.credentials_for_role(role_arn, "debug").client_kwargs()
        caplog.clear()
        # Given the publisher's role, which may not create queues: the call goes through
        boto3.client("sqs", region_name=cloud.region, **as_publisher).create_queue(QueueName="debugging")
        logging.getLogger("an.app.logger").info("a handler's own line")
        lines = [record.getMessage() for record in caplog.records]
        # Then the denial AWS would make is logged, and every line of the run is marked
        assert any("would deny" in line and "sqs:CreateQueue" in line for line in lines), lines
        assert lines and all(line.startswith(IAM_OFF_MARK) for line in lines), lines
    # and once the cloud is gone, logs are the process's own again
    caplog.clear()
    logging.getLogger("an.app.logger").info("after")
    assert [r.getMessage() for r in caplog.records] == ["after"]


def test_with_iam_on_lines_carry_no_mark(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with LocalCloud.start(template=None, output_dir=tmp_path, job_runner=False):
        logging.getLogger("an.app.logger").info("enforced")
    assert "enforced" in [r.getMessage() for r in caplog.records]
