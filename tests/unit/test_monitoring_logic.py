"""The monitoring, resolving and failure-notifying logic against in-memory fakes of its ports: no moto,
no S3; what AWS answers is what the fakes are told to answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dataquality
import msgspec
import pytest
from mlops_loop import failures, monitoring, resolve
from mlops_loop.errors import (
    BaselineUnreadable,
    ModelNameInUse,
    ModelNotCreated,
    ModelPackageGroupNotFound,
    MonitoringOutputInvalid,
    MonitoringOutputNotFound,
    MonitoringOutputUnreadable,
    NoApprovedModel,
)
from mlops_loop.models.failure import FailureCause
from mlops_loop.models.monitoring import MonitorBatchRequest, MonitoringResult
from mlops_loop.models.resolved import (
    AdoptModelRequest,
    CaughtError,
    ModelAdoption,
    ResolvedModel,
    ResolveModelRequest,
)
from mlops_loop.settings import MonitorBatchSettings, NotifyFailureSettings, ResolveModelSettings

from tests.support.fakes import FakeArtifactStore, FakeNotifier, FakeRegistry
from tests.support.helpers import load_event

CFG = MonitorBatchSettings(environment_name="dev", artifacts_bucket="mlops-loop-dev-artifacts-123456789012")
DRIFT = {
    "feature_name": "mean_texture",
    "constraint_check_type": "baseline_drift_check",
    "description": "Baseline drift distance: 0.3127 exceeds threshold: 0.1",
}


@pytest.fixture
def judge_request() -> MonitorBatchRequest:
    return msgspec.convert(load_event("monitor_batch_judge"), MonitorBatchRequest)


@pytest.fixture
def store(judge_request: MonitorBatchRequest, tmp_path: Path) -> FakeArtifactStore:
    """The version's baseline, and the statistics.json a successful Model Monitor job wrote."""
    train = tmp_path / "train.csv"
    train.write_text("mean_radius,mean_texture\n" + "\n".join(f"{i % 7}.5,{i % 11}.25" for i in range(200)))
    made = dataquality.suggest_baseline(str(train), has_header=True)
    fake = FakeArtifactStore()
    fake.put_json(judge_request.baseline_statistics_s3_uri, made.statistics)
    fake.put_json(judge_request.baseline_constraints_s3_uri, made.constraints)
    fake.put_json(f"{judge_request.output_s3_uri}statistics.json", made.statistics)
    # the run's listing of its batch (ListBatch, before every engine)
    batch = f"{judge_request.batch_input_s3_uri}part-0.csv"
    fake.put_json(judge_request.objects_s3_uri, [{"itemS3Uri": batch, "format": "csv"}])
    return fake


def judge(req: MonitorBatchRequest, store: FakeArtifactStore) -> MonitoringResult:
    result = monitoring.monitor(req, CFG, store)
    assert isinstance(result, MonitoringResult)
    return result


def test_no_violations_file_of_a_successful_job_means_no_violations(judge_request, store) -> None:
    # Given the job wrote statistics.json and no constraint_violations.json (Model Monitor's "none")
    # When the files are classified
    result = judge(judge_request, store)
    # Then the batch is clean, and the run's folder has its report
    assert (result.verdict, result.violations) == ("clean", [])
    assert result.report_s3_uri in store.objects


def test_an_unreadable_violations_file_fails_the_run_instead_of_reading_clean(judge_request, store) -> None:
    # Given constraint_violations.json exists but the function may not read it (AccessDenied, a KMS
    # key it may not use, the bucket gone): before, read_json took that for "not found" -> clean
    violations = f"{judge_request.output_s3_uri}constraint_violations.json"
    store.put_json(violations, {"violations": [DRIFT]})
    store.refused.add(violations)
    # When the files are classified, Then the run fails with a named error, and writes no verdict
    with pytest.raises(MonitoringOutputUnreadable, match=r"constraint_violations\.json"):
        judge(judge_request, store)
    assert not [uri for uri in store.objects if uri.endswith(("verdict.json", "report.html"))]


def _model_monitor_wrote(
    req: MonitorBatchRequest, store: FakeArtifactStore, tmp_path: Path, *, shift: float, violations: bool
) -> Any:
    """The files a Model Monitor job writes for a batch whose mean_texture moved by `shift` (the
    local cloud's job runs this analyzer); returns the analyzer's own result on that batch."""
    baseline_statistics = json.loads(store.objects[req.baseline_statistics_s3_uri])
    baseline_constraints = json.loads(store.objects[req.baseline_constraints_s3_uri])
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "mean_radius,mean_texture\n" + "\n".join(f"{i % 7}.5,{i % 11 + shift}" for i in range(300))
    )
    result = dataquality.check(
        str(batch),
        baseline_statistics=baseline_statistics,
        baseline_constraints=baseline_constraints,
        has_header=True,
    )
    store.put_json(f"{req.output_s3_uri}statistics.json", result.statistics)
    if violations:
        store.put_json(f"{req.output_s3_uri}constraint_violations.json", result.violations)
    return result


def _verdict_json(req: MonitorBatchRequest, store: FakeArtifactStore) -> dict[str, Any]:
    return json.loads(store.objects[f"{req.output_s3_uri}verdict.json"])


def test_drift_from_model_monitor_gives_the_statistics_distances_the_event_and_mail(
    judge_request, store, tmp_path
) -> None:
    # Given Model Monitor's files for a batch whose mean_texture moved
    checked = _model_monitor_wrote(judge_request, store, tmp_path, shift=6.0, violations=True)
    # When they are classified
    result = judge(judge_request, store)
    # Then the distances of every feature are the analyzer's on the same data, from statistics.json
    assert (result.verdict, result.drifted_features) == ("drift", ["mean_texture"])
    assert result.feature_distances == {k: v["distance"] for k, v in checked.feature_distances.items()}
    assert result.feature_distances["mean_texture"] > 0.1 >= result.feature_distances["mean_radius"]
    assert result.drift_event is not None and result.drift_event.drifted_features == ["mean_texture"]
    assert result.notification is not None and "mean_texture" in result.notification.message
    assert "driftDisagreements" not in _verdict_json(judge_request, store)


def test_distances_do_not_depend_on_the_wording_of_aws_descriptions(judge_request, store, tmp_path) -> None:
    # Given the violation's description in a wording no parser knows, claiming another distance
    checked = _model_monitor_wrote(judge_request, store, tmp_path, shift=6.0, violations=False)
    reworded = {**DRIFT, "description": "Drift of 0.3127 (limit 0.1) -- a future container's text"}
    store.put_json(f"{judge_request.output_s3_uri}constraint_violations.json", {"violations": [reworded]})
    # When classified, Then the distance is the statistics', whatever the text says
    result = judge(judge_request, store)
    assert result.feature_distances["mean_texture"] == checked.feature_distances["mean_texture"]["distance"]
    assert result.feature_distances["mean_texture"] != 0.3127
    assert result.violations[0].description == reworded["description"]  # AWS's text, passed on as is


def test_drift_the_statistics_find_and_the_violations_file_omits_is_drift_on_record(
    judge_request, store, tmp_path
) -> None:
    # Given a moved batch's statistics.json and no constraint_violations.json
    _model_monitor_wrote(judge_request, store, tmp_path, shift=6.0, violations=False)
    # When classified, Then the statistics decide: drift, told with the analyzer's description
    result = judge(judge_request, store)
    assert (result.verdict, result.drifted_features) == ("drift", ["mean_texture"])
    [violation] = result.violations
    assert (violation.feature_name, violation.constraint_check_type) == (
        "mean_texture",
        "baseline_drift_check",
    )
    assert violation.description.startswith("Numerical distance: ")
    disagreements = _verdict_json(judge_request, store)["driftDisagreements"]
    assert list(disagreements) == ["mean_texture"]


def test_drift_model_monitor_lists_within_the_threshold_stays_drift_on_record(judge_request, store) -> None:
    # Given statistics.json equal to the baseline's, and a violations file that says mean_texture drifted
    store.put_json(f"{judge_request.output_s3_uri}constraint_violations.json", {"violations": [DRIFT]})
    # When classified, Then AWS's signal is kept, with the statistics' distance, and the disagreement noted
    result = judge(judge_request, store)
    assert (result.verdict, result.drifted_features) == ("drift", ["mean_texture"])
    assert result.feature_distances == {"mean_radius": 0.0, "mean_texture": 0.0}
    assert "within threshold 0.1" in _verdict_json(judge_request, store)["driftDisagreements"]["mean_texture"]


def test_a_feature_the_statistics_cannot_compare_fails_unless_a_violation_names_it(
    judge_request, store
) -> None:
    # Given the job's statistics.json without mean_texture, and no violation naming it
    stats_uri = f"{judge_request.output_s3_uri}statistics.json"
    stats = json.loads(store.objects[stats_uri])
    stats["features"] = [f for f in stats["features"] if f["name"] != "mean_texture"]
    store.put_json(stats_uri, stats)
    # When classified, Then there is no verdict: its drift is unknown
    with pytest.raises(dataquality.DriftNotComparable, match="'mean_texture': absent"):
        judge(judge_request, store)
    assert f"{judge_request.output_s3_uri}verdict.json" not in store.objects
    # And when the job reported the column missing, that is the verdict (a data-quality failure)
    missing = {
        "feature_name": "mean_texture",
        "constraint_check_type": "missing_column_check",
        "description": "",
    }
    store.put_json(f"{judge_request.output_s3_uri}constraint_violations.json", {"violations": [missing]})
    assert judge(judge_request, store).verdict == "data_quality_failure"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", MonitoringOutputInvalid),
        (json.dumps({"version": 0.0, "features": "none"}).encode(), MonitoringOutputInvalid),
        (None, MonitoringOutputUnreadable),
        (b"", MonitoringOutputNotFound),
    ],
    ids=["not-json", "not-model-monitor-format", "refused", "absent"],
)
def test_statistics_json_not_there_refused_or_malformed_is_a_named_error_never_clean(
    judge_request, store, body: bytes | None, error: type[Exception]
) -> None:
    stats_uri = f"{judge_request.output_s3_uri}statistics.json"
    if body is None:
        store.refused.add(stats_uri)
    elif body == b"":
        del store.objects[stats_uri]
    else:
        store.objects[stats_uri] = body
    with pytest.raises(error, match=r"statistics\.json"):
        judge(judge_request, store)
    assert f"{judge_request.output_s3_uri}verdict.json" not in store.objects


def test_a_malformed_violations_file_is_a_named_error(judge_request, store) -> None:
    store.put_json(f"{judge_request.output_s3_uri}constraint_violations.json", {"nope": []})
    with pytest.raises(MonitoringOutputInvalid, match="violations"):
        judge(judge_request, store)


def test_a_missing_statistics_file_or_baseline_is_a_named_failure(judge_request, store) -> None:
    del store.objects[f"{judge_request.output_s3_uri}statistics.json"]
    with pytest.raises(MonitoringOutputNotFound, match=r"statistics\.json"):
        judge(judge_request, store)
    store.put_json(f"{judge_request.output_s3_uri}statistics.json", {})
    store.refused.add(judge_request.baseline_statistics_s3_uri)
    with pytest.raises(BaselineUnreadable, match="not readable"):
        judge(judge_request, store)


# -- ResolveModel --------------------------------------------------------------------------------
RESOLVE_CFG = ResolveModelSettings(
    environment_name="dev", model_package_group="churn", artifacts_bucket="artifacts"
)


def _summary(version: int, day: int) -> dict[str, object]:
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/{version}"
    return {
        "ModelPackageArn": arn,
        "ModelPackageVersion": version,
        "CreationTime": datetime(2026, 11, day, tzinfo=UTC),
    }


def _package(version: int) -> dict[str, object]:
    baseline = {
        "Statistics": {"S3Uri": f"s3://artifacts/retraining/r{version}/baseline/statistics.json"},
        "Constraints": {"S3Uri": f"s3://artifacts/retraining/r{version}/baseline/constraints.json"},
    }
    return {
        "ModelPackageArn": f"arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/{version}",
        "ModelPackageGroupName": "churn",
        "ModelPackageVersion": version,
        "CreationTime": datetime(2026, 11, version, tzinfo=UTC),
        "InferenceSpecification": {
            "Containers": [{"Image": "xgboost", "ModelDataUrl": "s3://artifacts/m.tar.gz"}]
        },
        "DriftCheckBaselines": {"ModelDataQuality": baseline},
    }


def test_the_newest_approved_version_on_any_page_is_resolved_with_its_run_layout() -> None:
    # Given the registry answers in two pages, the newest Approved (v7) on the second
    registry = FakeRegistry(
        pages=[[_summary(3, 3), _summary(5, 5)], [_summary(7, 7), _summary(6, 6)]],
        packages={_summary(7, 7)["ModelPackageArn"]: _package(7)},  # type: ignore[dict-item]
        models={"churn-v7"},
    )
    request = ResolveModelRequest(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:batch:r-1",
        batch_input_s3_uri="s3://artifacts/batch-input/",
    )
    # When the run is resolved
    resolved = resolve.resolve_run(request, RESOLVE_CFG, registry)
    # Then v7, its existing SageMaker Model and the run's places under v7
    assert (resolved.model.model_package_version, resolved.model.model_exists) == (7, True)
    assert resolved.run.monitoring_s3_uri == "s3://artifacts/batch-inference/churn/v7/r-1/monitoring/"


def test_no_approved_version_and_no_group_are_told_apart() -> None:
    request = ResolveModelRequest(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:batch:r-1",
        batch_input_s3_uri="s3://artifacts/batch-input/",
    )
    with pytest.raises(NoApprovedModel):
        resolve.resolve_run(request, RESOLVE_CFG, FakeRegistry(pages=[[]], groups={"churn"}))
    with pytest.raises(ModelPackageGroupNotFound):
        resolve.resolve_run(request, RESOLVE_CFG, FakeRegistry(pages=[[]]))


# -- NotifyFailure -------------------------------------------------------------------------------
def test_a_structured_cause_is_notified_as_its_fields_say() -> None:
    # Given the batch run failed at RunBatchTransform with the state machine's JSON cause
    event = failures.parse(load_event("sfn_execution_failed"))
    cause = FailureCause(
        step="RunBatchTransform",
        error="States.TaskFailed",
        run_id="scheduled-20261124T020000Z",
        model_package_group_name="churn",
        model_package_version=4,
        detail="ClientError: the instance ran out of disk",
    )
    event.detail.error, event.detail.cause = "RunBatchTransformFailed", msgspec.json.encode(cause).decode()
    notifier = FakeNotifier()
    cfg = NotifyFailureSettings(
        environment_name="dev",
        notification_topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        state_table_name="mlops-loop-dev-state",
    )
    # When it is notified
    failures.handle(event, cfg, notifier)
    # Then one message says which step failed for which version, in which run, and why
    [(_, note)] = notifier.published
    assert (
        "Cause: RunBatchTransform failed for churn v4 in run scheduled-20261124T020000Z: States.TaskFailed: "
        "ClientError: the instance ran out of disk" in note.message
    )
    assert "Model group: churn" in note.message


@pytest.mark.parametrize(
    ("error", "detail", "subject", "said"),
    [
        (
            "BatchInputNotFound",
            "s3://artifacts/batch-input/2026-12-01/: no objects under this prefix (no such batch)",
            "[dev] No batch for run scheduled-20261124T020000Z: nothing scored",
            "No object was found at the batch input location",
        ),
        (
            "EmptyBatch",
            "s3://artifacts/batch-input/: no data objects: all 2 objects are skipped",
            "[dev] Empty batch for run scheduled-20261124T020000Z: nothing scored",
            "The batch input holds no data",
        ),
    ],
)
def test_a_missing_or_empty_batch_is_notified_as_such_not_as_a_workflow_failure(
    error: str, detail: str, subject: str, said: str
) -> None:
    # Given the batch run failed at ListBatch, before any transform
    event = failures.parse(load_event("sfn_execution_failed"))
    cause = FailureCause(
        step="ListBatch",
        error=error,
        run_id="scheduled-20261124T020000Z",
        model_package_group_name="churn",
        model_package_version=4,
        detail=json.dumps({"errorType": error, "errorMessage": detail}),
    )
    event.detail.error, event.detail.cause = error, msgspec.json.encode(cause).decode()
    notifier = FakeNotifier()
    cfg = NotifyFailureSettings(
        environment_name="dev",
        notification_topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        state_table_name="mlops-loop-dev-state",
    )
    # When it is notified
    failures.handle(event, cfg, notifier)
    # Then the mail names what happened: no batch, or an empty one; nothing scored, nothing retrains
    [(_, note)] = notifier.published
    assert note.subject == subject
    assert said in note.message
    assert "no transform job ran" in note.message and "no retraining" in note.message
    assert detail in note.message
    assert "Workflow failed" not in note.subject


# -- AdoptModel: CreateModel refused ---------------------------------------------------------------
_ARN = "arn:aws:sagemaker:us-east-1:123456789012"
_EXISTS = (
    'Cannot create already existing model "{arn}:model/churn-v7". (Service: AmazonSageMaker; '
    "Status Code: 400; Error Code: ValidationException; Request ID: r-1)"
)
_THROTTLED = "Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException)"


def _adopt(failures: list[str], **registry: Any) -> ModelAdoption:
    model = msgspec.convert(load_event("monitor_batch_analyze")["model"], ResolvedModel)
    package = f"{_ARN}:model-package/churn/7"
    model = msgspec.structs.replace(model, model_name="churn-v7", model_package_arn=package)
    request = AdoptModelRequest(
        action="adoptModel",
        model=model,
        failures=[CaughtError(error="SageMaker.AmazonSageMakerException", cause=c) for c in failures],
    )
    return resolve.adopt_model(request, FakeRegistry(**registry))


def test_create_model_answering_already_exists_for_the_same_package_is_success() -> None:
    # Given another run created churn-v7 from the same package between ResolveModel and CreateModel
    created = {"churn-v7": f"{_ARN}:model-package/churn/7"}
    # When this run's CreateModel is refused with "already exists", then the run goes on with it
    assert _adopt([_EXISTS.format(arn=_ARN)], model_packages=created) == ModelAdoption(
        adopted=True, model_name="churn-v7"
    )
    # And a lost answer followed by a throttle: the model is there, so no create again either
    assert _adopt(["InternalFailure", _THROTTLED], model_packages=created).adopted


def test_a_model_of_the_name_serving_another_package_or_none_is_not_adopted() -> None:
    with pytest.raises(ModelNameInUse, match=r"churn-v7 exists and serves .*churn/6, not .*churn/7"):
        _adopt([_EXISTS.format(arn=_ARN)], model_packages={"churn-v7": f"{_ARN}:model-package/churn/6"})


def test_a_throttled_create_is_tried_again_with_a_backoff_then_fails_named() -> None:
    # No model of the name: a throttle is created again, a few times, each later than the one before
    waits = [_adopt([_THROTTLED] * n).retry_in_seconds for n in (1, 2, 3)]
    assert waits == [2, 4, 8]
    assert not _adopt([_THROTTLED]).adopted
    # The sixth refusal, or any refusal that is not transient, fails the run naming the cause
    with pytest.raises(ModelNotCreated, match="6 attempt"):
        _adopt([_THROTTLED] * 6)
    with pytest.raises(ModelNotCreated, match="Could not access model data"):
        _adopt(["Could not access model data at s3://x (Error Code: ValidationException)"])
