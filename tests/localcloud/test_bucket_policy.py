"""moto ignores Condition blocks in bucket policies: the local cloud drops conditional Denies."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud.stack import local_bucket_policy

TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::bucket-under-test", "arn:aws:s3:::bucket-under-test/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def test_moto_still_applies_a_conditional_deny_unconditionally() -> None:
    # Given moto's policy evaluation (the reason for the workaround; fails loudly once moto fixes it)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bucket-under-test")
        s3.put_bucket_policy(Bucket="bucket-under-test", Policy=json.dumps(TLS_ONLY))
        # When a request arrives over "TLS", Then moto denies it anyway
        with pytest.raises(ClientError):
            s3.put_object(Bucket="bucket-under-test", Key="k", Body=b"x")


def test_local_policy_drops_conditional_denies_and_keeps_the_rest() -> None:
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "s3:GetObject",
    }
    plain_deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket"}
    document = {**TLS_ONLY, "Statement": [*TLS_ONLY["Statement"], allow, plain_deny]}

    assert local_bucket_policy(document)["Statement"] == [allow, plain_deny]
