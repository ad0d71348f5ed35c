"""Regenerate or check the `ImageUris` Mappings table of template.yaml with the sagemaker SDK.

Dev-time only: the SDK (~1 GB) lives in its own venv (`make image-uris` builds .venv-sagemaker)
and never goes into a Lambda package. The table maps each region to the built-in XGBoost image
(training and inference use the same image) and SageMaker Model Monitor's analyzer image.

    .venv-sagemaker/bin/python tools/image_uris.py --write   # rewrite the block in template.yaml
    .venv-sagemaker/bin/python tools/image_uris.py --check   # exit 1 when a region disagrees
    .venv-sagemaker/bin/python tools/image_uris.py --print   # show the block

Only the text between the BEGIN/END marker lines is touched, so the rest of the template keeps
its comments and layout. Rendering and parsing need no SDK (the unit tests use them directly).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

XGBOOST_VERSION = "1.7-1"
TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
BEGIN_MARKER = "# BEGIN GENERATED ImageUris (tools/image_uris.py --write; do not edit by hand)"
END_MARKER = "# END GENERATED ImageUris"
KEYS = ("XGBoost", "ModelMonitor")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")

ImageTable = dict[str, dict[str, str]]


class TemplateMarkersError(ValueError):
    """The template has no (or a broken) generated ImageUris block."""


def sdk_regions() -> list[str]:
    """Regions where the SDK knows both images (XGBoost training/inference and Model Monitor)."""
    from sagemaker.core import image_uris

    xgb = image_uris.config_for_framework("xgboost")
    monitor = image_uris.config_for_framework("model-monitor")
    xgb_regions = set(xgb["training"]["versions"][XGBOOST_VERSION]["registries"]) & set(
        xgb["inference"]["versions"][XGBOOST_VERSION]["registries"]
    )
    monitor_regions: set[str] = set()
    for version in monitor["versions"].values():
        monitor_regions |= set(version["registries"])
    return sorted(xgb_regions & monitor_regions)


def sdk_images(region: str) -> dict[str, str]:
    """The two image URIs of one region, as the SDK's image-URI lookup gives them."""
    from sagemaker.core import image_uris

    training = image_uris.retrieve("xgboost", region, version=XGBOOST_VERSION, image_scope="training")
    inference = image_uris.retrieve("xgboost", region, version=XGBOOST_VERSION, image_scope="inference")
    if training != inference:
        raise RuntimeError(
            f"{region}: XGBoost training and inference images differ: {training} / {inference}"
        )
    return {
        "XGBoost": training,
        "ModelMonitor": image_uris.retrieve("model-monitor", region),
    }


def sdk_table() -> ImageTable:
    return {region: sdk_images(region) for region in sdk_regions()}


def render(table: ImageTable, indent: str = "  ") -> str:
    """The generated block, markers included, indented as a child of `Mappings:`."""
    lines = [f"{indent}{BEGIN_MARKER}", f"{indent}ImageUris:"]
    for region in sorted(table):
        lines.append(f"{indent * 2}{region}:")
        lines.extend(f"{indent * 3}{key}: {table[region][key]}" for key in KEYS)
    lines.append(f"{indent}{END_MARKER}")
    return "\n".join(lines) + "\n"


def _block_span(text: str) -> tuple[int, int, str]:
    """Start and end offsets of the generated block (whole lines) and its indentation."""
    begin = text.find(BEGIN_MARKER)
    end = text.find(END_MARKER)
    if begin < 0 or end < 0 or end < begin:
        raise TemplateMarkersError(f"template has no '{BEGIN_MARKER}' ... '{END_MARKER}' block")
    line_start = text.rfind("\n", 0, begin) + 1
    indent = text[line_start:begin]
    line_end = text.find("\n", end)
    return line_start, (len(text) if line_end < 0 else line_end + 1), indent


def parse(text: str) -> ImageTable:
    """Read the generated block back (plain `key: value` lines, no YAML library needed)."""
    start, end, _ = _block_span(text)
    table: ImageTable = {}
    region = None
    for raw in text[start:end].splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line == "ImageUris:":
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        if not value and _REGION.match(key):
            region = key
            table[region] = {}
        elif region is not None and key in KEYS and value:
            table[region][key] = value
        else:
            raise TemplateMarkersError(f"unexpected line in the generated block: {raw!r}")
    return table


def replace_block(text: str, table: ImageTable) -> str:
    start, end, indent = _block_span(text)
    return text[:start] + render(table, indent=indent) + text[end:]


def differences(template_table: ImageTable, lookup: dict[str, dict[str, str]]) -> list[str]:
    """Every (region, key) where the template and the SDK disagree; regions the SDK lacks too."""
    problems = []
    for region, images in sorted(template_table.items()):
        expected = lookup.get(region)
        if expected is None:
            problems.append(f"{region}: not known to the SDK")
            continue
        for key in KEYS:
            if images.get(key) != expected[key]:
                problems.append(f"{region} {key}: template {images.get(key)!r} != SDK {expected[key]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the ImageUris block of the template")
    mode.add_argument("--check", action="store_true", help="exit 1 if the template disagrees with the SDK")
    mode.add_argument("--print", action="store_true", help="print the block the SDK gives")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args(argv)

    if args.print:
        sys.stdout.write(render(sdk_table()))
        return 0
    text = args.template.read_text()
    if args.write:
        table = sdk_table()
        args.template.write_text(replace_block(text, table))
        print(f"wrote {len(table)} regions to {args.template}")
        return 0
    template_table = parse(text)
    lookup = {region: sdk_images(region) for region in template_table if region in set(sdk_regions())}
    problems = differences(template_table, lookup)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"checked {len(template_table)} regions: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
