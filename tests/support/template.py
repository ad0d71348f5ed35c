"""template.yaml in the two views the static checks read: the SAM source (what people edit) and the
CloudFormation the SAM translator makes of it (what AWS deploys), translated offline with local code
URIs swapped for S3 ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _NoManagedPolicies:
    """The translator's managed-policy loader: the template uses no AWS managed policy by name."""

    def load(self) -> dict[str, str]:
        return {}


def sam_template() -> dict[str, Any]:
    """template.yaml as parsed SAM source."""
    return yaml_parse(TEMPLATE.read_text())


def translate(parameters: dict[str, str]) -> dict[str, Any]:
    """The CloudFormation the SAM translator makes of template.yaml with these parameters."""
    sam = copy.deepcopy(sam_template())
    for res in sam["Resources"].values():
        props = res.get("Properties", {})
        if "CodeUri" in props:
            props["CodeUri"] = "s3://code-bucket/function.zip"
        if "ContentUri" in props:
            props["ContentUri"] = "s3://code-bucket/layer.zip"
        if "DefinitionUri" in props:
            props["Definition"] = json.loads((ROOT / props.pop("DefinitionUri")).read_text())
    return transform(sam, parameters, _NoManagedPolicies())
