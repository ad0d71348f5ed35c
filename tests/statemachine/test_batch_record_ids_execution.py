"""Record ids carried through the batch transform (BatchRecordIds, docs/model-quality.md "By id"),
EXECUTED on the local cloud with the real template: the transform request carries ResolveModel's
DataProcessing, the model never sees the id column, the predictions are `<id>,<score>`, and
data-quality monitoring leaves the id column out of its check.

One stack per parameter value, one after the other (one local cloud per process): the default
stack's run is recorded first, then the stack with BatchRecordIds=FirstColumn is deployed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.state_machines import GROUP, Stack, deployed

PREDICTIONS = f"batch-inference/{GROUP}/v1/{{run}}/predictions/batch.csv.out"
# CreateTransformJob's DataProcessing (botocore's sagemaker model, shape DataProcessing; SageMaker
# Developer Guide, "Associate Prediction Results with Their Corresponding Input Records")
AWS_DEFAULTS = {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"}
IDS_IN_FIRST_COLUMN = {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}


@dataclass
class Plain:
    """The default stack's run of the clean batch (features only)."""

    status: str
    data_processing: dict[str, Any]
    scores: list[list[str]]
    feature_names: list[str]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Plain:
    with deployed(tmp_path_factory.mktemp("sm-no-record-ids")) as stack:
        run = stack.run_batch("sm-plain", stack.put_batch("sm-plain", stack.data.batch_clean))
        statistics = json.loads(stack.read(run.output["monitoring"]["statisticsS3Uri"]))
        return Plain(
            run.status,
            _transform_request(stack, "sm-plain")["DataProcessing"],
            _scores(stack, "sm-plain"),
            [f["name"] for f in statistics["features"]],
        )


@pytest.fixture(scope="module")
def with_ids(plain: Plain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(tmp_path_factory.mktemp("sm-record-ids"), BatchRecordIds="FirstColumn") as running:
        yield running


def _transform_request(stack: Stack, run_id: str) -> dict[str, Any]:
    [job] = stack.cloud.client("sagemaker").list_transform_jobs(NameContains=run_id)["TransformJobSummaries"]
    return stack.cloud.client("sagemaker").describe_transform_job(TransformJobName=job["TransformJobName"])


def _scores(stack: Stack, run_id: str) -> list[list[str]]:
    lines = stack.read(PREDICTIONS.format(run=run_id)).decode().splitlines()
    return [line.split(",") for line in lines]


def test_a_batch_whose_first_column_is_the_record_id_is_scored_without_it_and_keeps_it(
    plain: Plain, with_ids: Stack
) -> None:
    # Given the clean batch run on the default stack (features only), and the same rows with an id
    # column first on the stack with BatchRecordIds=FirstColumn
    rows = with_ids.data.batch_clean
    ids = [f"rec-{i:04d}" for i in range(len(rows))]
    batch = with_ids.put_batch("sm-ids", [[i, *row] for i, row in zip(ids, rows, strict=True)])
    # When the keyed batch runs
    keyed = with_ids.run_batch("sm-ids", batch)
    assert plain.status == keyed.status == "SUCCEEDED", keyed.cause
    # Then each transform request carried its DataProcessing ...
    assert plain.data_processing == AWS_DEFAULTS
    assert _transform_request(with_ids, "sm-ids")["DataProcessing"] == IDS_IN_FIRST_COLUMN
    # ... the keyed predictions are `<id>,<score>`, each id on its own record's line, and the
    # scores are those of the features alone (the model never saw the id)
    keyed_lines = _scores(with_ids, "sm-ids")
    assert [line[0] for line in keyed_lines] == ids
    assert all(len(line) == 2 for line in keyed_lines)
    assert [line[1] for line in keyed_lines] == [line[0] for line in plain.scores]
    # And data-quality monitoring checked the features only: clean, the same columns, no id
    assert keyed.output["monitoring"]["verdict"] == "clean"
    statistics = json.loads(with_ids.read(keyed.output["monitoring"]["statisticsS3Uri"]))
    assert [f["name"] for f in statistics["features"]] == plain.feature_names
