"""The ImageUris Mappings table: its generator's rendering/parsing, and agreement with the SDK.

The `sdk` test runs the generator's `--check` in the SDK's own venv (.venv-sagemaker, made by
`make image-uris`); the others need no SDK.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from samtranslator.yaml_helper import yaml_parse

from tools import image_uris

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SDK_PYTHON = ROOT / ".venv-sagemaker" / "bin" / "python"
DEPLOY_REGIONS = {"us-east-1"}  # samconfig.toml's regions

TABLE = {
    "eu-west-1": {
        "XGBoost": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "ModelMonitor": "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer",
    },
    "us-east-1": {
        "XGBoost": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "ModelMonitor": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
    },
}


def test_render_then_parse_round_trips() -> None:
    assert image_uris.parse("Mappings:\n" + image_uris.render(TABLE)) == TABLE


def test_replace_block_keeps_the_rest_of_the_template() -> None:
    # Given a template whose block holds one stale region
    text = "Before: 1\nMappings:\n" + image_uris.render({"us-east-1": TABLE["us-east-1"]}) + "After: 2\n"
    # When the block is replaced
    updated = image_uris.replace_block(text, TABLE)
    # Then only the block changed
    assert updated.startswith("Before: 1\nMappings:\n")
    assert updated.endswith("After: 2\n")
    assert image_uris.parse(updated) == TABLE


def test_missing_markers_is_a_named_error() -> None:
    with pytest.raises(image_uris.TemplateMarkersError):
        image_uris.parse("Mappings:\n  ImageUris: {}\n")


def test_differences_name_each_disagreement() -> None:
    wrong = {"us-east-1": dict(TABLE["us-east-1"], XGBoost="123.dkr.ecr/other:1"), "xx-nowhere-1": {}}
    problems = image_uris.differences(wrong, {"us-east-1": TABLE["us-east-1"]})
    assert problems == [
        "us-east-1 XGBoost: template '123.dkr.ecr/other:1' != SDK "
        "'683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1'",
        "xx-nowhere-1: not known to the SDK",
    ]
    assert image_uris.differences(TABLE, TABLE) == []


def test_template_block_is_what_yaml_sees() -> None:
    # The marker-delimited block and the YAML Mappings the template deploys are the same table.
    parsed = image_uris.parse(TEMPLATE.read_text())
    assert yaml_parse(TEMPLATE.read_text())["Mappings"]["ImageUris"] == parsed
    assert set(parsed) >= DEPLOY_REGIONS
    for region, images in parsed.items():
        assert f".dkr.ecr.{region}." in images["XGBoost"] and images["XGBoost"].endswith(
            f"/sagemaker-xgboost:{image_uris.XGBOOST_VERSION}"
        )
        assert images["ModelMonitor"].endswith("/sagemaker-model-monitor-analyzer")


@pytest.mark.sdk
def test_template_agrees_with_the_sagemaker_sdk_for_every_region() -> None:
    if not SDK_PYTHON.exists():
        pytest.skip("no .venv-sagemaker: run `make image-uris` first")
    result = subprocess.run(
        [str(SDK_PYTHON), str(ROOT / "tools" / "image_uris.py"), "--check", "--template", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"checked {len(image_uris.parse(TEMPLATE.read_text()))} regions: OK" in result.stdout
