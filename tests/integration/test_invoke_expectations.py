"""The expectations table of `make sam-local`, run through the local cloud's in-process invoke.

Same table (tools/invoke_table.py), same order, same seeded cloud, same checks as the
container runner (tools/sam_local.py): two runners, one truth. Below it, tests of the table's
checks themselves and of the runner's pieces that need no container engine.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import invoke_table as table
from tools import sam_local

TEMPLATE = table.REPO / "template.yaml"


def _function_ids() -> list[str]:
    return sam_local.function_ids(sam_local.load_template(TEMPLATE))


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[table.SeededCloud]:
    # Given the stack deployed into a fresh local cloud, served on 127.0.0.1 and seeded like the demo
    with table.seeded_cloud(TEMPLATE, output_dir=tmp_path_factory.mktemp("localcloud")) as cloud:
        yield cloud


def test_every_function_and_every_event_file_has_a_case() -> None:
    assert table.coverage_problems(_function_ids()) == []


@pytest.mark.integration
@pytest.mark.parametrize("case", table.CASES, ids=lambda c: c.id)
def test_case_in_process(local: table.SeededCloud, case: table.Case) -> None:
    # When the function is invoked in-process with the case's event
    before = table.Snapshot.take(local)
    seen = len(local.cloud.iam.records)
    with local.cloud.iam.expecting_denials():  # denials are checked against the case right below
        outcome = local.invoke(case.function, case.event_body())
        local.settle()
    denied = tuple(sorted({r.action for r in local.cloud.iam.records[seen:] if not r.allowed}))
    assert denied == case.denied
    after = table.Snapshot.take(local)
    # Then the payload (or the named error), the logs and the side effects are as the table says
    assert table.check(case, outcome, before, after) == []


# -- the checks themselves ----------------------------------------------------------------------
def _snapshot(**changes: object) -> table.Snapshot:
    empty: frozenset[str] = frozenset()
    fields: dict[str, object] = {
        "executions": empty,
        "pipeline_executions": empty,
        "jobs": empty,
        "objects": empty,
        "items": empty,
        "parameters": empty,
        "model_packages": empty,
        "notifications": 0,
    }
    fields.update(changes)
    return table.Snapshot(**fields)  # type: ignore[arg-type]


def _outcome(payload: object, logs: str = "") -> table.Outcome:
    return table.Outcome.from_payload_text(json.dumps(payload), logs, 0.1)


def test_check_accepts_the_expected_subset_and_rejects_a_different_value() -> None:
    case = table.Case(
        "F", "e.json", "why", payload={"action": "notified", "detail": {"version": 1}, "id": table.ANY}
    )
    same = _snapshot()
    good = _outcome({"action": "notified", "detail": {"version": 1, "more": 2}, "id": "x", "extra": 1})
    assert table.check(case, good, same, same) == []
    bad = _outcome({"action": "ignored", "detail": {"version": 1}})
    assert table.check(case, bad, same, same) == ["action: expected 'notified', got 'ignored'", "id: missing"]


def test_check_wants_the_named_error_and_the_logged_text() -> None:
    case = table.Case("F", "e.json", "why", error="InvalidEvent", logged=("Rejected malformed event",))
    same = _snapshot()
    error = {"errorType": "InvalidEvent", "errorMessage": "bad"}
    assert table.check(case, _outcome(error, logs="... Rejected malformed event ..."), same, same) == []
    assert table.check(case, _outcome(error, logs=""), same, same) == ["log lacks 'Rejected malformed event'"]
    problems = table.check(case, _outcome({"ok": True}, logs="InvalidEvent"), same, same)
    assert problems and problems[0].startswith("expected error InvalidEvent, got success")


def test_an_unexpected_error_fails_a_payload_case() -> None:
    case = table.Case("F", "e.json", "why", payload={"ok": True})
    same = _snapshot()
    outcome = _outcome({"errorType": "Boom", "errorMessage": "no"})
    assert table.check(case, outcome, same, same) == ["unexpected error Boom: no"]


def test_side_effects_are_told_apart() -> None:
    before = _snapshot(objects=frozenset({"b/a@1"}), executions=frozenset({"batch/x"}))
    after = _snapshot(
        objects=frozenset({"b/a@1", "b/batch-inference/p@2"}),
        executions=frozenset({"batch/x", "mlops-loop-retraining/retrain-1"}),
        notifications=1,
    )
    assert table.NOTHING_STARTED.problem(before, before) is None
    assert table.NOTHING_WRITTEN.problem(before, before) is None
    assert "retrain-1" in (table.NOTHING_STARTED.problem(before, after) or "")
    assert "batch-inference/p" in (table.NOTHING_WRITTEN.problem(before, after) or "")
    assert table.Started("retraining").problem(before, after) is None
    assert table.Started("batch").problem(before, after) is not None
    assert table.Wrote("batch-inference/").problem(before, after) is None
    assert table.Notified(1).problem(before, after) is None
    assert table.Notified(1).problem(before, before) is not None


def test_derived_events_are_written_for_the_container_and_match_in_process(tmp_path: Path) -> None:
    events = tmp_path / "events"
    events.mkdir()
    arn = "arn:aws:sagemaker:us-east-1:1:model-package/churn-model/3"
    (events / "e.json").write_text(
        json.dumps({"detail": {"ModelPackageGroupName": "churn-model", "arn": arn}})
    )
    case = table.Case("F", "e.json", "why", mutate=table.other_group, variant="other-group")
    written = case.event_file(tmp_path / "scratch", events)
    assert json.loads(written.read_text()) == case.event_body(events)
    other = {
        "ModelPackageGroupName": "someone-elses-group",
        "arn": arn.replace("churn-model", "someone-elses-group"),
    }
    assert case.event_body(events) == {"detail": other}
    assert table.drop_detail({"detail": {}, "id": "1"}) == {"id": "1"}


def test_unknown_version_names_another_version_everywhere_and_the_samples_line_up() -> None:
    event = json.loads((table.EVENTS_DIR / "model_package_pending_approval.json").read_text())
    changed = table.unknown_version(json.loads(json.dumps(event)))
    arn = changed["detail"]["ModelPackageArn"]
    assert arn.endswith("/breast-cancer-classifier/99") and changed["resources"] == [arn]
    assert changed["detail"]["ModelPackageVersion"] == 99
    assert event["detail"]["ModelPackageArn"] not in json.dumps(changed)
    # PrepareTrainingData's expected folders are the ones the next steps' samples name
    prepared = table.prepared_payload()
    assert prepared["testLabelsS3Uri"].endswith(f"retraining/{table.SEEDED_RETRAINING_RUN}/test-labels/")
    assert table.seeded_drift_event()["detail"]["driftEpisodeId"] == table.SEEDED_EPISODE


# -- the runner's pieces that need no container engine ------------------------------------------
def test_the_runner_skips_without_an_engine_but_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sam_local, "engine_problem", lambda: "no container engine reachable (test)")
    monkeypatch.delenv("CI", raising=False)
    assert sam_local.main([]) == 0
    assert capsys.readouterr().out == "sam-local: skipped: no container engine reachable (test)\n"
    monkeypatch.setenv("CI", "1")
    assert sam_local.main([]) == 1
    assert "FAILED" in capsys.readouterr().out
    monkeypatch.delenv("CI")
    assert sam_local.main(["--require-engine"]) == 1


def test_managed_layer_arns_resolve_like_sam_local_and_cache_under_sams_names() -> None:
    template = {
        "Parameters": {"V": {"Type": "String", "Default": "7"}},
        "Globals": {
            "Function": {
                "Layers": [{"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:1:layer:L:${V}"}]
            }
        },
        "Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"Layers": [{"Ref": "Own"}]}}},
    }
    assert sam_local.layer_arns(template, "eu-west-1") == {"arn:aws:lambda:eu-west-1:1:layer:L:7"}
    # SAM CLI's LayerVersion._compute_layer_name: <name>-<version>-<sha256(arn)[:10]>
    assert sam_local.cached_layer_name("arn:aws:lambda:eu-west-1:1:layer:L:7").startswith("L-7-")


def test_the_template_declares_the_endpoint_variable_for_every_function() -> None:
    template = sam_local.load_template(TEMPLATE)
    missing = [
        f for f in sam_local.function_ids(template) if not sam_local.declares_endpoint_variable(template, f)
    ]
    assert missing == [], "sam local invoke --env-vars sets only variables the template declares"


def test_the_relay_forwards_to_a_server_on_loopback() -> None:
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"hello through the relay"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    relay = sam_local.Relay("127.0.0.1", server.server_address[1])
    try:
        for _ in range(3):  # several connections, one after the other
            with urllib.request.urlopen(f"http://{relay.address}/", timeout=5) as response:
                assert response.read() == b"hello through the relay"
    finally:
        relay.close()
        server.shutdown()
        server.server_close()


def test_env_vars_keep_the_stacks_values_and_add_the_endpoint() -> None:
    document = sam_local.env_vars_for({"F": {"ARTIFACTS_BUCKET": "b"}}, "http://172.17.0.1:5")
    assert document == {"F": {"ARTIFACTS_BUCKET": "b", "AWS_ENDPOINT_URL": "http://172.17.0.1:5"}}
    assert os.environ.get("AWS_ENDPOINT_URL") is None  # nothing leaks into this process
