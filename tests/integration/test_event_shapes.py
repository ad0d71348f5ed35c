"""The documented event shapes, and the check that compares an emitted event with them.

An event the local cloud emits must look like the sample of its kind: the same keys with the
same JSON types at the top level and in `detail`. Two allowances, both from AWS's documents:
a JSON null stands for "no value" (a key whose value is null on either side may be absent on
the other, and a null in the sample takes any type), and the SageMaker events, whose detail is
the resource's Describe output, carry the API's optional fields only when they are set or apply
(`OPTIONAL_DETAIL_KEYS`: e.g. `FailureReason` only when failed, `TrainingEndTime` once ended).
Samples: `events/*.json` (what the handlers are tested with and `sam local invoke -e` uses) and,
for SageMaker job state changes that no handler consumes, the documented shapes in
tests/localcloud/fixtures/sagemaker_jobs/.
`shape_problems` is used by test_demo_story.py and test_flows.py; the tests below show it fails.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIRS = (REPO / "events", REPO / "tests" / "localcloud" / "fixtures" / "sagemaker_jobs")
_STATUS_KEYS = (
    "status",
    "ModelApprovalStatus",
    "currentPipelineExecutionStatus",
    "TrainingJobStatus",
    "TransformJobStatus",
    "ProcessingJobStatus",
)
# Fields the SageMaker API reference marks "Required: No" in the Describe output the event mirrors.
OPTIONAL_DETAIL_KEYS: dict[str, frozenset[str]] = {
    "SageMaker Model Package State Change": frozenset(
        {
            "ApprovalDescription",
            "CustomerMetadataProperties",
            "DriftCheckBaselines",
            "LastModifiedTime",
            "LastModifiedBy",
            "MetadataProperties",
            "ModelMetrics",
            "ModelPackageDescription",
            "SourceAlgorithmSpecification",
            "ValidationSpecification",
            "Domain",
            "Task",
            "SamplePayloadUrl",
            "AdditionalInferenceSpecifications",
            "CreatedBy",
            "UpdatedModelPackageFields",  # only on events of an UpdateModelPackage (e.g. an approval)
        }
    ),
    "SageMaker Training Job State Change": frozenset(
        {
            "FailureReason",
            "FinalMetricDataList",
            "HyperParameters",
            "ModelArtifacts",
            "SecondaryStatusTransitions",
            "Tags",
            "TrainingEndTime",
            "TrainingStartTime",
            "TrainingTimeInSeconds",
            "BillableTimeInSeconds",
            "VpcConfig",
        }
    ),
    "SageMaker Transform Job State Change": frozenset(
        {
            "BatchStrategy",
            "DataProcessing",
            "Environment",
            "FailureReason",
            "MaxConcurrentTransforms",
            "MaxPayloadInMB",
            "Tags",
            "TransformEndTime",
            "TransformStartTime",
        }
    ),
    "SageMaker Processing Job State Change": frozenset(
        {"ExitMessage", "FailureReason", "ProcessingEndTime", "ProcessingStartTime", "Tags", "Environment"}
    ),
}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@cache
def samples() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, event) of every sample that is an EventBridge event (has source and detail-type)."""
    found = []
    for folder in SAMPLE_DIRS:
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "source" in data and "detail-type" in data:
                found.append((f"{folder.name}/{path.name}", data))
    return tuple(found)


def _status(event: dict[str, Any]) -> Any:
    detail = event.get("detail") or {}
    return next((detail[k] for k in _STATUS_KEYS if k in detail), None)


def samples_for(event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The samples of the same source and detail-type; those of the same status first, when any."""
    same = [
        (name, sample)
        for name, sample in samples()
        if sample["source"] == event.get("source") and sample["detail-type"] == event.get("detail-type")
    ]
    same_status = [(n, s) for n, s in same if _status(s) == _status(event)]
    return same_status or same


def _compare(
    where: str, got: dict[str, Any], expected: dict[str, Any], optional: frozenset[str]
) -> list[str]:
    problems = []
    present = {k for k, v in got.items() if v is not None}
    documented = {k for k, v in expected.items() if v is not None}
    missing = sorted(documented - set(got) - optional)
    extra = sorted(present - set(expected) - optional)
    if missing:
        problems.append(f"{where}: missing keys {missing}")
    if extra:
        problems.append(f"{where}: keys not in the sample {extra}")
    for key in sorted(set(got) & set(expected)):
        if got[key] is None or expected[key] is None:
            continue
        if json_type(got[key]) != json_type(expected[key]):
            problems.append(
                f"{where}.{key}: {json_type(got[key])}, the sample has {json_type(expected[key])}"
            )
    return problems


def shape_problems(event: dict[str, Any]) -> list[str]:
    """[] when the event matches one of its samples; otherwise what differs from the closest one."""
    candidates = samples_for(event)
    if not candidates:
        return [f"no sample for source {event.get('source')!r}, detail-type {event.get('detail-type')!r}"]
    best: list[str] | None = None
    for name, sample in candidates:
        problems = _compare("event", event, sample, frozenset())
        if isinstance(event.get("detail"), dict) and isinstance(sample.get("detail"), dict):
            optional = OPTIONAL_DETAIL_KEYS.get(str(event.get("detail-type")), frozenset())
            problems += _compare("detail", event["detail"], sample["detail"], optional)
        if not problems:
            return []
        if best is None or len(problems) < len(best):
            best = [f"(vs {name})", *problems]
    assert best is not None
    return best


def unique_kinds(events: list[dict[str, Any]]) -> dict[tuple[str, str, Any], dict[str, Any]]:
    """One event per (source, detail-type, status), the first seen."""
    kinds: dict[tuple[str, str, Any], dict[str, Any]] = {}
    for event in events:
        kinds.setdefault((event.get("source", ""), event.get("detail-type", ""), _status(event)), event)
    return kinds


# -- the check can fail ----------------------------------------------------------------------
def _drift_sample() -> dict[str, Any]:
    return copy.deepcopy(json.loads((REPO / "events" / "drift_detected.json").read_text()))


def test_every_sample_matches_itself() -> None:
    assert samples(), "no EventBridge samples found"
    for name, sample in samples():
        assert shape_problems(sample) == [], name


def test_a_missing_detail_key_is_reported() -> None:
    event = _drift_sample()
    del event["detail"]["driftEpisodeId"]
    assert any("missing keys ['driftEpisodeId']" in p for p in shape_problems(event))


def test_a_different_type_is_reported() -> None:
    event = _drift_sample()
    event["detail"]["modelPackageVersion"] = "3"
    assert any("modelPackageVersion: string, the sample has number" in p for p in shape_problems(event))


def test_an_extra_top_level_key_is_reported() -> None:
    event = _drift_sample()
    event["replay-name"] = "x"
    assert any("keys not in the sample ['replay-name']" in p for p in shape_problems(event))


def test_an_event_of_an_unknown_kind_has_no_sample() -> None:
    event = _drift_sample()
    event["detail-type"] = "Something Else"
    assert shape_problems(event) == ["no sample for source 'mlops.monitoring', detail-type 'Something Else'"]


def test_a_failure_reason_is_optional_but_a_wrong_type_of_it_is_not() -> None:
    name, failed = next((n, e) for n, e in samples() if n.endswith("transform_job_state_change.json"))
    completed = copy.deepcopy(failed)
    completed["detail"]["TransformJobStatus"] = "Completed"
    del completed["detail"]["FailureReason"]
    assert shape_problems(completed) == [], name
    completed["detail"]["FailureReason"] = 3
    assert any("FailureReason: number" in p for p in shape_problems(completed))


def test_a_null_in_the_sample_takes_any_value_and_a_null_may_be_absent() -> None:
    event = copy.deepcopy(next(e for n, e in samples() if n.endswith("sfn_execution_succeeded.json")))
    event["detail"]["output"] = '{"ok": true}'
    event["detail"]["error"] = None
    assert shape_problems(event) == []
