"""Only the stack's own batch runs start training: a drift event is checked against the run it names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from mlops_loop.retraining.provenance import verify_drift_event

from functions.start_retraining import app
from tests.support.helpers import ACCOUNT, REGION, FakeLambdaContext, emf_metrics, load_event, logged
from tests.support.retraining import BATCH_STATE_MACHINE, BatchRunHistories, Retraining

FORGED_LOG = "Drift event not put by this stack's batch runs: nothing started"


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return app.lambda_handler(event, FakeLambdaContext())


def verify(event: dict[str, Any], histories: BatchRunHistories) -> Any:
    return verify_drift_event(
        source=event["source"],
        detail_type=event["detail-type"],
        detail=event["detail"],
        batch_state_machine_arn=BATCH_STATE_MACHINE,
        sfn=histories,
    )


def test_an_event_its_batch_run_put_starts_the_retraining(retraining: Retraining, batch_runs) -> None:
    # Given the batch run named in the event put it (its history holds the PutEvents entry)
    event = batch_runs.put(load_event("drift_detected"))

    # When it arrives
    result = invoke(event)

    # Then the run's history was read, newest first, and the retraining started
    assert (result["started"], result["outcome"]) == (True, "started")
    assert [c["executionArn"] for c in batch_runs.calls] == [event["detail"]["executionArn"]]
    assert batch_runs.calls[0]["reverseOrder"] is True
    assert len(retraining.executions()) == 1


def test_an_event_no_batch_run_put_starts_nothing_is_logged_and_counted(
    retraining: Retraining, batch_runs, capsys, caplog
) -> None:
    # Given someone put a drift-shaped event naming a batch run that does not exist
    event = load_event("drift_detected")

    # When it arrives
    result = invoke(event)

    # Then nothing starts, the reason is logged with the event's id, and the metric counts it
    assert (result["started"], result["outcome"]) == (False, "forged")
    assert "ExecutionDoesNotExist" in result["detail"]
    assert retraining.executions() == []
    assert retraining.lock("breast-cancer-classifier") is None
    [record] = logged(caplog, FORGED_LOG)
    assert record["eventId"] == event["id"]
    assert "ForgedDriftEvents" in [m["name"] for m in emf_metrics(capsys.readouterr().out)]


def test_a_real_runs_arn_with_another_detail_starts_nothing(retraining: Retraining, batch_runs) -> None:
    # Given a real batch run put its drift event
    genuine = batch_runs.put(load_event("drift_detected"))
    # When a copy naming that run but claiming other drifted features arrives
    forged = json.loads(json.dumps(genuine))
    forged["id"] = "0c6f1e7a-1d2b-4c3d-9e8f-7a6b5c4d3e2f"
    forged["detail"]["driftedFeatures"] = ["mean_area"]
    result = invoke(forged)

    # Then it is refused: the run put another detail
    assert result["outcome"] == "forged"
    assert "put no 'Data Drift Detected' event with this detail" in result["detail"]
    assert retraining.executions() == []


def test_an_execution_of_another_state_machine_is_refused_without_asking(batch_runs) -> None:
    # Given an event naming an execution of some other state machine (its history could say anything)
    event = load_event("drift_detected")
    other = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:someone-elses-machine:scheduled-20261124T020000Z"
    event["detail"]["executionArn"] = other
    batch_runs.put(event)

    # When it is checked, Then it is refused on its ARN alone
    provenance = verify(event, batch_runs)
    assert not provenance.verified
    assert "is not an execution of" in provenance.why
    assert batch_runs.calls == []


def test_a_machine_whose_name_extends_the_stacks_is_not_the_stacks(batch_runs) -> None:
    # `...:mlops-loop-dev-batch-inference-copy:<run>` must not pass a prefix check on the machine name
    event = load_event("drift_detected")
    event["detail"]["executionArn"] = event["detail"]["executionArn"].replace(
        "batch-inference:", "batch-inference-copy:"
    )
    batch_runs.put(event)
    assert not verify(event, batch_runs).verified


@pytest.mark.parametrize(
    "change",
    [
        {"source": "mlops.monitoring.copy"},
        {"detail-type": "Data Drift Detected (replayed)"},
    ],
)
def test_the_entry_must_carry_the_events_source_and_detail_type(batch_runs, change) -> None:
    event = batch_runs.put(load_event("drift_detected"))
    assert not verify(event | change, batch_runs).verified


def test_a_detail_put_as_a_json_string_matches_the_same_object() -> None:
    # JSONPath states pass Detail as a string (States.JsonToString), JSONata ones as an object
    event = load_event("drift_detected")

    class StringDetail(BatchRunHistories):
        def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
            entry = {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
            details = {
                "resourceType": "events",
                "resource": "putEvents",
                "parameters": json.dumps({"Entries": [entry]}),
            }
            return {"events": [{"id": 5, "type": "TaskScheduled", "taskScheduledEventDetails": details}]}

    assert verify(event, StringDetail()).verified


def test_the_history_is_read_page_by_page(batch_runs) -> None:
    # Given a run whose PutEvents entry is on the second page of its history
    event = load_event("drift_detected")
    entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": event["detail"]}
    put = {"resourceType": "events", "resource": "putEvents", "parameters": json.dumps({"Entries": [entry]})}
    pages = {
        None: {"events": [{"id": 9, "type": "TaskStateEntered"}], "nextToken": "page-2"},
        "page-2": {"events": [{"id": 4, "type": "TaskScheduled", "taskScheduledEventDetails": put}]},
    }

    class Paged(BatchRunHistories):
        def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append(kwargs)
            return pages[kwargs.get("nextToken")]

    histories = Paged()
    assert verify(event, histories).verified
    assert [c.get("nextToken") for c in histories.calls] == [None, "page-2"]


def test_an_access_error_is_raised_not_read_as_forged(batch_runs) -> None:
    # A missing grant must fail loudly (Lambda retries, the DLQ keeps the event), never drop drift
    class Denied(BatchRunHistories):
        def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetExecutionHistory"
            )

    with pytest.raises(ClientError, match="AccessDeniedException"):
        verify(load_event("drift_detected"), Denied())
