"""RetrainOnDataQualityFailure (issue 13, item 9): the seed's behaviour as an opt-in.

Off (the default), a batch run that fails with DataQualityFailure alerts people and starts nothing.
On, its `Step Functions Execution Status Change` (FAILED) reaches StartRetrainingFunction, which
starts one retraining for it under the drift rules: a later failure while that candidate awaits
approval starts nothing and says so. Counts are read once the cloud is quiescent (no sleeps).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.state_machines import ENVIRONMENT, GROUP, Stack, deployed

BROKEN = "missing-column"


def broken_run(stack: Stack, run_id: str) -> str:
    """A batch run whose data lacks a column, to its end (DataQualityFailure); returns its ARN."""
    rows = [r[:-1] for r in stack.data.batch_clean]
    run = stack.run_batch(run_id, stack.put_batch(run_id, rows))
    assert (run.status, run.error) == ("FAILED", "DataQualityFailure"), (run.error, run.cause)
    return run.arn


def retrainings(stack: Stack) -> list[str]:
    return sorted(e["name"] for e in stack.cloud.executions("RetrainingStateMachine"))


def deliveries_to_start_retraining(stack: Stack, run_arn: str) -> list[object]:
    """Deliveries of the run's status-change events to StartRetrainingFunction."""
    function = stack.cloud.function_name("StartRetrainingFunction")
    events = {e["id"] for e in stack.cloud.router.emitted if e.get("resources") == [run_arn]}
    return [
        d
        for d in stack.cloud.router.deliveries
        if d.target_arn.endswith(f":function:{function}") and d.event_id in events
    ]


@pytest.fixture(scope="module")
def opted_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with deployed(
        tmp_path_factory.mktemp("sm-dq-on"), with_part2=True, RetrainOnDataQualityFailure="true"
    ) as running:
        yield running


def test_by_default_a_data_quality_failure_alerts_once_and_never_retrains(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Given the default stack (its own cloud, gone before the opted-in one starts: one per process)
    with deployed(tmp_path_factory.mktemp("sm-dq-off")) as stack:
        # When a batch run fails on its data
        run_arn = broken_run(stack, "sm-dq-off")
        stack.cloud.wait_quiescent()
        # Then: one failure mail, no retraining, and StartRetraining never heard of it (rule disabled)
        mails = [n.subject for n in stack.cloud.outbox.messages if "sm-dq-off" in (n.subject or "")]
        assert mails == [f"[{ENVIRONMENT}] Data-quality failure in batch sm-dq-off"]
        assert retrainings(stack) == []
        assert deliveries_to_start_retraining(stack, run_arn) == []


def test_opted_in_a_data_quality_failure_retrains_once_per_condition(opted_in: Stack) -> None:
    stack = opted_in
    # When a batch run of v1 fails on its data
    first = broken_run(stack, "sm-dq-on-1")
    stack.cloud.wait_quiescent(timeout=240)
    # Then one retraining ran for it, with its lineage, and registered a candidate awaiting approval
    assert retrainings(stack) == ["retrain-sm-dq-on-1"]
    arn = stack.retraining_execution("sm-dq-on-1")
    run = stack.finished(arn)
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    args = run.output["args"]
    assert (args["reason"], args["episodeId"], args["sourceExecutionArn"]) == (
        "data_quality_failure",
        "sm-dq-on-1",
        first,
    )
    assert args["baseModelPackageArn"] == stack.v1_arn
    candidate = stack.versions()[-1]
    assert candidate["ModelApprovalStatus"] == "PendingManualApproval"
    assert candidate["CustomerMetadataProperties"]["reason"] == "data_quality_failure"

    # When v1's next batch run fails on its data too, while that candidate awaits approval
    second = broken_run(stack, "sm-dq-on-2")
    stack.cloud.wait_quiescent(timeout=240)
    # Then nothing starts, and people are told why, once
    assert retrainings(stack) == ["retrain-sm-dq-on-1"]
    assert len(deliveries_to_start_retraining(stack, second)) == 1
    version = candidate["ModelPackageVersion"]
    subject = f"[{ENVIRONMENT}] Data-quality failures persist: {GROUP} v{version} awaits approval"
    told = [n for n in stack.cloud.outbox.messages if n.subject == subject]
    assert len(told) == 1, [n.subject for n in stack.cloud.outbox.messages]
    assert "sm-dq-on-2" in told[0].message
