"""Event models against the sample events; settings; names; notification rules."""

from __future__ import annotations

import json

import msgspec
import pytest
from mlops_loop import notifications, registry, settings
from mlops_loop.errors import ConfigurationError, InvalidEvent
from mlops_loop.models import (
    DataDriftDetectedEvent,
    ModelPackageStateChangeEvent,
    MonitorBatchRequest,
    PipelineExecutionStatusChangeEvent,
    ResolvedModel,
    ResolveModelRequest,
    ScheduledInvocation,
    StepFunctionsExecutionStatusChangeEvent,
    parse_event,
)
from mlops_loop.models.eventbridge import EventBridgeEvent
from mlops_loop.models.retraining import BaselineRequest, EvaluateRequest, PrepareRequest
from mlops_loop.models.s3 import ObjectCreatedEvent
from mlops_loop.models.schedule import ScheduledEvent

from tests.support.helpers import EVENTS, GROUP, load_event, logged

MODEL_FOR_EVENT = {
    "drift_detected": DataDriftDetectedEvent,
    "model_package_approved": ModelPackageStateChangeEvent,
    "model_package_rejected": ModelPackageStateChangeEvent,
    "model_package_pending_approval": ModelPackageStateChangeEvent,
    "pipeline_execution_failed": PipelineExecutionStatusChangeEvent,
    "sfn_execution_failed": StepFunctionsExecutionStatusChangeEvent,
    "sfn_execution_data_quality_failure": StepFunctionsExecutionStatusChangeEvent,
    "sfn_execution_timed_out": StepFunctionsExecutionStatusChangeEvent,
    "sfn_execution_aborted": StepFunctionsExecutionStatusChangeEvent,
    "sfn_execution_succeeded": StepFunctionsExecutionStatusChangeEvent,
    "schedule_batch_inference": ScheduledInvocation,
    "schedule_freshness": ScheduledInvocation,
    "schedule_default_envelope": ScheduledEvent,
    "resolve_model": ResolveModelRequest,
    "monitor_batch_analyze": MonitorBatchRequest,
    "monitor_batch_judge": MonitorBatchRequest,
    "monitor_batch_sketch": MonitorBatchRequest,
    "monitor_batch_merge": MonitorBatchRequest,
    "monitor_batch_list": MonitorBatchRequest,
    "prepare_training_data": PrepareRequest,
    "evaluate_model": EvaluateRequest,
    "compute_baseline": BaselineRequest,
    "check_model_quality_labels": ObjectCreatedEvent,
    "schedule_model_quality_sweep": ScheduledInvocation,
}


def test_every_sample_event_has_a_model_and_parses():
    assert {p.stem for p in EVENTS.glob("*.json")} == set(MODEL_FOR_EVENT)
    for name, model in MODEL_FOR_EVENT.items():
        parse_event(load_event(name), model)


@pytest.mark.parametrize(
    "name", [n for n, model in MODEL_FOR_EVENT.items() if issubclass(model, EventBridgeEvent)]
)
def test_eventbridge_samples_use_the_documented_envelope(name):
    event = load_event(name)
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert json.dumps(event).count(GROUP) >= 1 or name.startswith(("sfn", "pipeline", "schedule"))


def test_drift_event_carries_the_episode_and_the_violations():
    detail = parse_event(load_event("drift_detected"), DataDriftDetectedEvent).detail
    assert detail.drift_episode_id == "scheduled-20261124T020000Z"
    assert detail.drifted_features == ["mean_radius", "mean_texture"]
    assert detail.violations[0].constraint_check_type == "baseline_drift_check"


@pytest.mark.parametrize("missing", ["version", "id", "detail-type", "source", "account", "time", "region"])
def test_eventbridge_envelope_fields_are_required(missing):
    # Given a documented event without one envelope field
    event = load_event("model_package_approved")
    del event[missing]
    # When / Then it is rejected, naming the field
    with pytest.raises(InvalidEvent, match=missing):
        parse_event(event, ModelPackageStateChangeEvent)


def test_eventbridge_envelope_reads_replay_name_and_rejects_a_bad_account():
    event = load_event("drift_detected")
    event["replay-name"] = "replay-2026-11-24"
    parsed = parse_event(event, DataDriftDetectedEvent)
    assert parsed.replay_name == "replay-2026-11-24"
    assert parsed.time.tzinfo is not None
    assert parsed.resources == event["resources"]
    event["account"] = "not-an-account"
    with pytest.raises(InvalidEvent, match="account"):
        parse_event(event, DataDriftDetectedEvent)


def test_eventbridge_envelope_pins_source_and_detail_type():
    event = load_event("model_package_approved")
    event["detail-type"] = "SageMaker Training Job State Change"
    with pytest.raises(InvalidEvent, match="detail-type"):
        parse_event(event, ModelPackageStateChangeEvent)
    event = load_event("model_package_approved")
    event["source"] = "aws.states"
    with pytest.raises(InvalidEvent, match="source"):
        parse_event(event, ModelPackageStateChangeEvent)


def test_resolved_model_round_trips_through_the_state_machine_json():
    model = load_event("monitor_batch_analyze")["model"]
    assert msgspec.convert(model, ResolvedModel).dump() == model


def test_invalid_event_names_fields_but_not_values():
    event = load_event("drift_detected")
    event["detail"]["modelPackageArn"] = "secret-looking-value-123"
    with pytest.raises(InvalidEvent) as info:
        parse_event(event, DataDriftDetectedEvent)
    assert "detail.modelPackageArn" in str(info.value)
    assert "secret-looking-value-123" not in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e["detail"].update(ModelApprovalStatus="Maybe-42"), "detail.ModelApprovalStatus"),
        (lambda e: e.update({"detail-type": "Secret Detail 42"}), "detail-type"),
        (lambda e: e.update(source="secret.source.42"), "source"),
    ],
)
def test_a_value_outside_a_literal_is_named_by_field_and_not_echoed(mutate, field, caplog):
    # msgspec quotes the value in these messages ("Invalid enum value '...'"); we must not.
    event = load_event("model_package_approved")
    mutate(event)
    with pytest.raises(InvalidEvent) as info:
        parse_event(event, ModelPackageStateChangeEvent)
    assert str(info.value) == f"ModelPackageStateChangeEvent: {field}: not one of the allowed values"
    records = logged(caplog, "Rejected malformed event")
    assert records[-1]["model"] == "ModelPackageStateChangeEvent"
    assert records[-1]["problems"] == [{"field": field, "problem": "not one of the allowed values"}]


def test_a_missing_nested_field_is_named_with_its_path():
    event = load_event("model_package_approved")
    del event["detail"]["ModelApprovalStatus"]
    with pytest.raises(InvalidEvent) as info:
        parse_event(event, ModelPackageStateChangeEvent)
    assert str(info.value) == (
        "ModelPackageStateChangeEvent: detail.ModelApprovalStatus: required field is missing"
    )


def test_a_wrong_type_is_named_without_the_value():
    event = load_event("drift_detected")
    event["detail"]["driftedFeatures"] = ["mean_radius", 1234567]
    with pytest.raises(InvalidEvent) as info:
        parse_event(event, DataDriftDetectedEvent)
    assert str(info.value) == "DataDriftDetectedEvent: detail.driftedFeatures[1]: Expected `str`, got `int`"


def test_a_non_object_event_is_rejected_as_a_whole():
    with pytest.raises(InvalidEvent, match="ScheduledInvocation: <event>: Expected `object`, got `array`"):
        parse_event(["not", "an", "event"], ScheduledInvocation)


def test_settings_name_every_missing_variable():
    with pytest.raises(ConfigurationError) as info:
        settings.load(settings.ModelPackageStateChangeSettings, {"ENVIRONMENT_NAME": "dev"})
    for name in ("MODEL_PACKAGE_GROUP", "NOTIFICATION_TOPIC_ARN", "LIVE_MODEL_PARAMETER_NAME"):
        assert f"missing environment variable {name}" in str(info.value)


def test_settings_parse_types_and_defaults():
    cfg = settings.load(
        settings.ModelPackageStateChangeSettings,
        {
            "ENVIRONMENT_NAME": "prod",
            "MODEL_PACKAGE_GROUP": f"arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/{GROUP}",
            "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
            "LIVE_MODEL_PARAMETER_NAME": "/mlops/prod/live",
            "STATE_TABLE_NAME": "mlops-prod-state",
            "RUN_ON_APPROVAL": "true",
            "BATCH_INFERENCE_STATE_MACHINE_ARN": "",
        },
    )
    assert cfg.run_on_approval is True
    assert cfg.batch_inference_state_machine_arn is None
    assert cfg.batch_input_s3_uri is None  # not set at all: the default
    with pytest.raises(ConfigurationError, match="MODEL_PACKAGE_GROUP"):
        settings.load(
            settings.ResolveModelSettings,
            {"ENVIRONMENT_NAME": "dev", "MODEL_PACKAGE_GROUP": "bad name!", "ARTIFACTS_BUCKET": "bucket"},
        )


def test_settings_convert_numbers_from_text_and_name_an_invalid_variable():
    env = {
        "ENVIRONMENT_NAME": "dev",
        "MODEL_PACKAGE_GROUP": GROUP,
        "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
        "TRAINING_DATA_S3_URI": "s3://bucket/training-data/",
        "STATE_TABLE_NAME": "state",
        "QUALITY_GATE_MIN_AUC": "0.75",
        "LIVE_MODEL_PARAMETER_NAME": "/mlops/dev/live",
        "MAX_MODEL_AGE_DAYS": "8",
        "RETRAINING_STATE_MACHINE_ARN": "",
    }
    cfg = settings.load(settings.CheckFreshnessSettings, env)
    assert (cfg.quality_gate_min_auc, cfg.max_model_age_days) == (0.75, 8)
    assert cfg.retraining_state_machine_arn is None
    assert cfg.retraining_pipeline_name == ""
    with pytest.raises(ConfigurationError) as info:
        settings.load(settings.CheckFreshnessSettings, env | {"QUALITY_GATE_MIN_AUC": "1.5"})
    assert str(info.value) == (
        "CheckFreshnessSettings: environment variable QUALITY_GATE_MIN_AUC: Expected `float` <= 1.0"
    )
    with pytest.raises(ConfigurationError, match="environment variable MAX_MODEL_AGE_DAYS: Expected `int`"):
        settings.load(settings.CheckFreshnessSettings, env | {"MAX_MODEL_AGE_DAYS": "eight"})


def test_group_arn_gives_region_account_and_name():
    ref = registry.GroupRef.parse(f"arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/{GROUP}")
    assert (ref.name, ref.region, ref.account) == (GROUP, "eu-west-1", "111122223333")
    assert ref.api_name.startswith("arn:aws:sagemaker:eu-west-1:111122223333:")
    assert ref.owns(f"arn:aws:sagemaker:eu-west-1:111122223333:model-package/{GROUP}/4", GROUP)
    assert not ref.owns(f"arn:aws:sagemaker:eu-west-1:444455556666:model-package/{GROUP}/4", GROUP)
    with pytest.raises(ValueError, match="not a model package group"):
        registry.GroupRef.parse("arn:aws:s3:::bucket")


def test_model_names_follow_sagemakers_rules_and_stay_distinct():
    import re

    assert registry.model_name(GROUP, 7) == f"{GROUP}-v7"
    long_a, long_b = "a" * 60 + "-x", "a" * 60 + "-y"
    names = {registry.model_name(long_a, 123), registry.model_name(long_b, 123)}
    assert len(names) == 2
    for name in names:
        assert len(name) <= 63
        assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name)
        assert name.endswith("-v123")
    assert registry.model_name(long_a, 123) == registry.model_name(long_a, 123)


def test_subjects_are_one_line_and_under_100_characters():
    note = notifications.workflow_failed(
        env="prod",
        status="FAILED",
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:" + "x" * 80,
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:" + "m" * 80,
        execution_name="x" * 80 + "\nInjected: header",
        error="States.TaskFailed",
        cause="c" * 5000,
        run_id=None,
        region="us-east-1",
    )
    assert len(note.subject) < 100
    assert "\n" not in note.subject
    assert len(note.message) < 2000


def test_metrics_are_read_from_sagemaker_and_flat_evaluation_shapes():
    nested = {"binary_classification_metrics": {"auc": {"value": 0.98, "standard_deviation": 0.01}}}
    assert notifications.flatten_metrics(nested) == {"auc": 0.98}
    assert notifications.flatten_metrics({"auc": 0.9, "n": True, "name": "x"}) == {"auc": 0.9}
    text = notifications.compare_metrics({"auc": 0.98}, {"auc": 0.95}, 2)
    assert "auc: 0.9800 (live v2: 0.9500, +0.0300)" in text


@pytest.mark.parametrize("creation_time", [1614186014000, 1614186014.345, "2021-02-24T17:00:14Z", None])
def test_approval_event_does_not_depend_on_fields_it_does_not_read(creation_time):
    # Given an approval event whose CreationTime / LastModifiedTime come in another format
    # (AWS documents ISO strings; describe calls give epoch numbers), or not at all
    event = load_event("model_package_approved")
    event["detail"]["CreationTime"] = creation_time
    event["detail"]["LastModifiedTime"] = creation_time
    # When it is parsed, then it is accepted: nothing decides on those fields
    parsed = parse_event(event, ModelPackageStateChangeEvent)
    assert parsed.detail.model_approval_status == "Approved"
