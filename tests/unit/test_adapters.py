"""The boto3 adapters behind the ports, on moto (and botocore's Stubber for answers moto never gives):
which S3 answers mean "absent" and which mean "refused"."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from botocore.stub import Stubber
from mlops_loop import adapters, aws
from mlops_loop.models.notification import Notification
from mlops_loop.ports import ArtifactNotFound, ArtifactUnreadable
from mlops_loop.s3uri import S3Uri


def test_the_store_reads_writes_and_lists_a_runs_files(function_env, bucket) -> None:
    store = adapters.S3ArtifactStore()
    store.write(S3Uri(bucket, "run/a.json"), b"{}", "application/json")
    store.write(S3Uri(bucket, "run/partials/b.profile"), b"x", "application/octet-stream")

    assert store.read(S3Uri(bucket, "run/a.json")) == b"{}"
    assert list(store.keys(S3Uri(bucket, "run/partials/"))) == [S3Uri(bucket, "run/partials/b.profile")]


def test_only_a_missing_key_is_not_found(function_env, bucket) -> None:
    store = adapters.S3ArtifactStore()
    with pytest.raises(ArtifactNotFound, match="NoSuchKey"):
        store.read(S3Uri(bucket, "run/constraint_violations.json"))


def test_a_missing_bucket_is_unreadable_not_absent(function_env) -> None:
    # Before, NoSuchBucket (like AccessDenied and 403) read as "not found", and a missing
    # constraint_violations.json reads as "no violations"
    with pytest.raises(ArtifactUnreadable, match="NoSuchBucket"):
        adapters.S3ArtifactStore().read(S3Uri("no-such-bucket-of-ours", "run/constraint_violations.json"))


@pytest.mark.parametrize("code", ["AccessDenied", "403", "KMS.AccessDeniedException"])
def test_a_refusal_is_unreadable_not_absent(function_env, bucket, code: str) -> None:
    with Stubber(aws.s3()) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=403)
        with pytest.raises(ArtifactUnreadable, match=code):
            adapters.S3ArtifactStore().read(S3Uri(bucket, "run/constraint_violations.json"))


def test_the_notifier_publishes_subject_and_message(function_env, topic) -> None:
    message_id = adapters.SnsNotifier().publish(topic.arn, Notification(subject="[dev] s", message="m"))
    [sent] = topic.messages()
    assert (sent["Subject"], sent["Message"]) == ("[dev] s", "m")
    assert message_id


def test_the_stubs_the_typed_accessors_name_are_installed() -> None:
    # mypy runs with ignore_missing_imports: a stub module missing or misnamed would silently type
    # the client as Any and check nothing
    source = Path(aws.__file__).read_text()
    modules = re.findall(r"^\s+from (mypy_boto3_\w+) import \w+Client$", source, flags=re.MULTILINE)
    assert len(modules) == 4, modules
    assert [m for m in modules if importlib.util.find_spec(m) is None] == []
