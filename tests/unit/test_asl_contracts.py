"""The names the state machines switch on and the fields they read are the Python types' own.

The ASL orchestrates: it switches on a few names and passes on values the steps shaped. These tests
pin both to the types that produce them, so a renamed field or verdict fails here, not in a run.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import msgspec
import pytest
from dataquality import engine
from mlops_loop import monitoring
from mlops_loop.models.failure import FailureCause
from mlops_loop.models.monitoring import MonitoringResult
from mlops_loop.models.notification import Notification
from mlops_loop.models.payloads import Verdict
from mlops_loop.models.resolved import ResolvedModel, ResolvedRun
from mlops_loop.models.retraining import BaselineResult, EvaluationResult, PreparedData, RetrainingInput
from mlops_loop.models.run import BatchRun
from mlops_loop.retraining import names

ROOT = Path(__file__).resolve().parents[2]
BATCH = json.loads((ROOT / "statemachines" / "batch_inference.asl.json").read_text())
RETRAINING = json.loads((ROOT / "statemachines" / "retraining.asl.json").read_text())


def _field_names(model: type[msgspec.Struct]) -> set[str]:
    return {f.encode_name for f in msgspec.structs.fields(model)}


def _expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [e for value in node.values() for e in _expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in _expressions(value)]
    if isinstance(node, str) and node.startswith("{%"):
        return [node]
    return []


def _read(prefix: str, definition: dict[str, Any] = BATCH) -> set[str]:
    """Fields read as `<prefix>.<field>` anywhere in a definition."""
    pattern = re.compile(re.escape(prefix) + r"\.([A-Za-z0-9]+)")
    return {m for e in _expressions(definition) for m in pattern.findall(e)}


def test_both_machines_speak_jsonata() -> None:
    for definition in (BATCH, RETRAINING):
        assert definition["QueryLanguage"] == "JSONata"
        assert all(
            state.get("QueryLanguage", "JSONata") == "JSONata" for state in definition["States"].values()
        )


def test_judge_outcome_switches_on_exactly_the_verdicts_monitor_batch_returns() -> None:
    conditions = [c["Condition"] for c in BATCH["States"]["ClassifyOutcome"]["Choices"]]
    condition = re.compile(r"\{% \$states\.input\.monitoring\.verdict = '(\w+)' %\}")
    switched = [condition.fullmatch(c) for c in conditions]
    assert all(switched), conditions
    assert [m.group(1) for m in switched if m] == list(typing.get_args(Verdict))
    # and the analyzer's verdict names are the same three
    analyzer = (engine.VERDICT_CLEAN, engine.VERDICT_DRIFT, engine.VERDICT_DATA_QUALITY_FAILURE)
    assert analyzer == typing.get_args(Verdict)


def test_the_batch_is_checked_before_any_transform_and_a_broken_one_ends_there() -> None:
    states = BATCH["States"]
    check = states["CheckDataQuality"]
    [choice] = check["Choices"]
    assert choice == {
        "Condition": "{% $states.input.monitoring.verdict = '" + engine.VERDICT_DATA_QUALITY_FAILURE + "' %}",
        "Next": "DataQualityFailure",
    }
    assert check["Default"] == "ModelExists"
    # every engine's verdict reaches CheckDataQuality, which is the only way to the transform
    for step in ("AnalyzeBatch", "MergeSketches", "JudgeModelMonitorResults"):
        assert states[step]["Next"] == "CheckDataQuality", step
    into_transform = {n for n, s in states.items() if s.get("Next") == "RunBatchTransform"}
    into_transform |= {c["Next"] for c in states["ModelExists"]["Choices"]} & {"RunBatchTransform"}
    assert into_transform <= {"CreateModel", "RunBatchTransform"} | {"ModelExists"}
    assert states["ResolveModel"]["Next"] == "ListBatch" and states["ListBatch"]["Next"] == "MonitorBatch"


def test_the_transform_and_model_monitor_read_the_runs_manifest_and_the_map_its_items() -> None:
    states = BATCH["States"]
    source = states["RunBatchTransform"]["Arguments"]["TransformInput"]["DataSource"]["S3DataSource"]
    assert source == {"S3DataType": "ManifestFile", "S3Uri": "{% $run.batchManifestS3Uri %}"}
    [batch] = [i["S3Input"] for i in states["RunModelMonitorJob"]["Arguments"]["ProcessingInputs"][:1]]
    assert (batch["S3DataType"], batch["S3Uri"]) == ("ManifestFile", "{% $run.batchManifestS3Uri %}")
    assert _read("$states.context.Map.Item.Value") == {monitoring.BATCH_ITEM_URI}


@pytest.mark.parametrize(
    ("prefix", "model"),
    [
        ("$run", BatchRun),
        ("$model", ResolvedModel),
        ("$states.result.Payload", ResolvedRun),
        ("$states.input.monitoring", MonitoringResult),
        ("$states.input.monitoring.notification", Notification),
    ],
)
def test_every_field_the_state_machine_reads_is_a_field_of_the_step_that_returns_it(
    prefix: str, model: type[msgspec.Struct]
) -> None:
    read = _read(prefix) - {"notification"} if prefix == "$states.input.monitoring" else _read(prefix)
    assert read, f"the definition reads nothing as {prefix}"
    assert read <= _field_names(model), sorted(read - _field_names(model))


def test_the_fail_state_causes_are_failure_causes() -> None:
    # BatchInferenceFailed builds its cause from the caught error; its keys are FailureCause's fields
    cause = BATCH["States"]["BatchInferenceFailed"]["Cause"]
    keys = set(re.findall(r"'(\w+)':", cause))
    assert keys <= _field_names(FailureCause), sorted(keys - _field_names(FailureCause))
    assert {"step", "error", "runId"} <= keys
    # DataQualityFailure passes on the one MonitorBatch built
    assert BATCH["States"]["DataQualityFailure"]["Cause"] == "{% $string($states.input.monitoring.failure) %}"


@pytest.mark.parametrize(
    ("prefix", "model"),
    [
        ("$args", RetrainingInput),
        ("$prepared", PreparedData),
        ("$evaluation", EvaluationResult),
        ("$baseline", BaselineResult),
    ],
)
def test_every_field_the_retraining_machine_reads_is_a_field_of_its_step(
    prefix: str, model: type[msgspec.Struct]
) -> None:
    read = _read(prefix, RETRAINING)
    assert read, f"the definition reads nothing as {prefix}"
    assert read <= _field_names(model), sorted(read - _field_names(model))


def test_the_retraining_fail_causes_are_failure_causes_and_the_lock_is_the_starters() -> None:
    states = RETRAINING["States"]
    for name in ("RetrainingFailed", "QualityGateFailed"):
        keys = set(re.findall(r"'(\w+)':", states[name]["Cause"]))
        assert {"step", "error", "runId"} <= keys <= _field_names(FailureCause), (name, keys)
    # the lock StartRetraining takes (names.lock_key) is the one every release deletes
    releases = [s for s in states.values() if s.get("Resource", "").endswith("dynamodb:deleteItem")]
    assert len(releases) == 3
    for release in releases:
        key = release["Arguments"]["Key"]["id"]["S"]
        assert key == "{% '" + names.LOCK_PREFIX + "' & $args.modelPackageGroupName %}"
