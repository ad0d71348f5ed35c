"""`python -m story.local`: the engine's serve/invoke with this app's set-up (`--seed`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from story.local import run
from tests.support.local_cloud import FIXTURE_TEMPLATE

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_invoke_with_seed_resolves_the_seeded_approved_v1_of_the_real_template(tmp_path, capsys):
    # Given the real template, seeded with sample v1 (Approved) before the invoke
    code = run(
        [
            "invoke",
            "ResolveModelFunction",
            "-t",
            str(REPO / "template.yaml"),
            "-e",
            str(REPO / "events" / "resolve_model.json"),
            "--seed",
            "--output-dir",
            str(tmp_path),
        ]
    )
    captured = capsys.readouterr()
    # Then ResolveModel finds v1 and its baseline, and the seed is reported on standard error
    assert code == 0, captured.err[-2000:]
    resolved = json.loads(captured.out)["model"]  # ResolvedRun: the version (`model`) and the run
    assert resolved["modelPackageVersion"] == 1
    assert resolved["baselineStatisticsS3Uri"].endswith("/baseline/statistics.json")
    assert "seeded: arn:aws:sagemaker:" in captured.err
    # and moto's notes on resources it does not model stay out of the function's logs
    assert "No Moto CloudFormation support" not in captured.err


def test_seed_on_a_template_without_the_stack_outputs_is_a_clear_error(tmp_path, capsys):
    code = run(
        ["invoke", "EchoFunction", "-t", str(FIXTURE_TEMPLATE), "--seed", "--output-dir", str(tmp_path)]
    )
    assert code == 2
    assert "--seed needs the stack outputs ModelPackageGroupName, which the template does not declare" in (
        capsys.readouterr().err
    )
