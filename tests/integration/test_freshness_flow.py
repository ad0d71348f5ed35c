"""The freshness policy on the local cloud, with IAM enforced: the daily schedule finds the live
model older than MaxModelAgeDays and starts one retraining (reason `stale`), as the function's role
allows and no more (its grants are in the least-privilege report through this flow)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from localcloud import LocalCloud, quiet_moto_warnings, wait_until
from story import demo

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"

pytestmark = pytest.mark.integration


def test_a_stale_live_model_starts_one_retraining_and_nothing_is_denied(tmp_path: Path) -> None:
    # Given the demo's stack with a one-day freshness policy, and v1 approved and live now
    parameters = {**demo.demo_parameters(TEMPLATE), "MaxModelAgeDays": "1"}
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with (
        quiet_moto_warnings(),
        LocalCloud.start(template=TEMPLATE, parameters=parameters, output_dir=tmp_path, now=start) as cloud,
    ):
        story = demo.Story(
            cloud, demo.Timeline(quiet=True), demo.in_process_seed(cloud.region), step_timeout=180
        )
        story.v1_approved()
        # When three days pass (three daily freshness ticks; the first finds v1 two days old)
        fired = cloud.clock.advance(timedelta(days=3))
        ticks = [f for f in fired if "Freshness" in f.schedule_arn]
        assert len(ticks) == 3 and all(f.error is None for f in ticks), ticks
        wait_until(
            lambda: [e for e in cloud.executions(story.retraining_machine) if "stale-v1" in e["name"]],
            60,
            "a stale retraining to start",
        )
        story.settle("after the freshness ticks")
        # Then exactly one retraining ran for the stale episode, and no call was denied
        stale = [e for e in cloud.executions(story.retraining_machine) if "stale-v1" in e["name"]]
        assert len(stale) == 1, stale
        assert [r for r in cloud.iam.records if not r.allowed] == []
