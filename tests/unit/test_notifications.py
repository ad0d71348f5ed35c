"""The drift mail (notifications.drift_detected) where it and the state machine's own mail disagreed:
the state machine used to cut the subject at 100 characters and list every drifted feature."""

from __future__ import annotations

from mlops_loop import notifications
from mlops_loop.models.failure import FailureCause

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:mlops-loop-dev-batch-inference:scheduled-1"


def drift_mail(group: str, features: list[str], env: str = "dev") -> notifications.Notification:
    return notifications.drift_detected(
        env=env,
        group=group,
        version=12,
        model_package_arn=f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/12",
        execution_arn=EXECUTION,
        drifted_features=features,
        report_s3_uri="s3://bucket/batch-inference/g/v12/scheduled-1/monitoring/report.html",
        region="us-east-1",
    )


def test_the_longest_names_keep_the_subject_under_snss_100_characters() -> None:
    # Given the longest environment name (16, EnvironmentName's pattern) and group name (63)
    env, group = "e" * 16, "a" * 63
    # When the drift mail of v12 is built
    subject = drift_mail(group, ["f1"], env=env).subject
    # Then the subject is less than 100 characters, as SNS requires, cut with an ellipsis; the ASL
    # cut it to 100, which SNS refuses (InvalidParameter), so the run failed at NotifyDrift
    assert len(f"[{env}] Drift detected: {group} v12") > 100
    assert len(subject) == 99
    assert subject.startswith(f"[{env}] Drift detected: aaa") and subject.endswith("...")


def test_the_drifted_features_are_listed_up_to_ten_then_counted() -> None:
    # Given 25 drifted features
    features = [f"feature_{i:02d}" for i in range(25)]
    # When the drift mail is built
    message = drift_mail("churn", features).message
    # Then ten are named and the rest counted (the ASL listed all of them)
    assert "on 25 feature(s): " in message
    assert "feature_09 (+15 more)" in message
    assert "feature_10" not in message


def test_a_structured_failure_cause_reads_as_one_sentence() -> None:
    lambda_error = '{"errorMessage": "no Approved version", "errorType": "NoApprovedModel", "stackTrace": []}'
    cause = FailureCause(step="ResolveModel", error="NoApprovedModel", run_id="r1", detail=lambda_error)
    parsed = FailureCause.from_cause(notifications_json(cause))
    assert parsed == cause
    assert parsed.summary() == (
        "ResolveModel failed for an unresolved model version in run r1: NoApprovedModel: no Approved version"
    )


def test_a_cause_that_is_not_ours_is_not_parsed() -> None:
    assert FailureCause.from_cause("States.Timeout after 14400 s") is None
    assert FailureCause.from_cause('{"unexpected": true}') is None
    assert FailureCause.from_cause(None) is None


def notifications_json(cause: FailureCause) -> str:
    import json

    return json.dumps(cause.dump())
