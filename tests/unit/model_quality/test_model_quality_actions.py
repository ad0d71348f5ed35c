"""The model-quality actions' event on an in-memory bus (tests/support/fakes.py): what is put, and a
refused entry as a named error."""

from __future__ import annotations

import pytest
from mlops_loop.model_quality import actions
from mlops_loop.ports import EventNotPublished

from tests.support.fakes import FakeEventBus

DETAIL = {"modelPackageGroupName": "g", "modelPackageVersion": 1, "runId": "r1", "violations": []}


def test_the_degraded_event_is_put_with_its_detail_type_source_and_detail() -> None:
    # Given a bus, When the action puts the event
    bus = FakeEventBus()
    event_id = actions.put_event(bus, DETAIL, "mlops-loop.dev")
    # Then one event of the documented detail type, with the stack's source, carries the detail
    assert bus.events == [("mlops-loop.dev", "Model Quality Degraded", DETAIL)]
    assert event_id == "event-1"


def test_a_refused_event_is_a_named_error_with_the_entrys_error_code() -> None:
    # Given a bus whose PutEvents entry fails
    bus = FakeEventBus(refuse_with=("NotAuthorizedForSourceException", "not authorized for source"))
    # When the action puts the event, Then the refusal is named, with PutEvents' ErrorCode
    with pytest.raises(EventNotPublished, match="NotAuthorizedForSourceException") as refused:
        actions.put_event(bus, DETAIL, "mlops-loop.dev")
    assert refused.value.error_code == "NotAuthorizedForSourceException"
    assert bus.events == []
