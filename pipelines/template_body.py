"""The committed pipeline definition, as the body of the template's `AWS::SageMaker::Pipeline`.

    python -m pipelines.template_body --write   # after `make pipeline-definition`
    python -m pipelines.template_body --check   # exit 1 when template.yaml's body is stale

`pipelines/retraining-pipeline.json` stays the source (generated with the sagemaker SDK by
`pipelines.build_definition`). template.yaml's `RetrainingPipeline` carries the same JSON, minified,
as the `!Sub` string of `PipelineDefinitionBody` between generated markers, so the stack deploys and
versions the pipeline the start handler targets; the `${Placeholders}` are filled by the `!Sub`'s
variable map (CloudFormation `Fn::Sub`). Why not `PipelineDefinitionS3Location`: `sam package`
uploads local files only for the properties it knows, and the Pipeline's is not among them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "pipelines" / "retraining-pipeline.json"
TEMPLATE = ROOT / "template.yaml"
BEGIN_MARKER = (
    "# BEGIN GENERATED RetrainingPipelineBody"
    " (python -m pipelines.template_body --write; do not edit by hand)"
)
END_MARKER = "# END GENERATED RetrainingPipelineBody"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class TemplateBlockError(ValueError):
    """template.yaml lacks the generated block, or has it more than once."""


def body(definition_text: str) -> str:
    """The definition minified: the same JSON document, one line (CloudFormation's 1 MB template
    limit and SageMaker's 1 MB definition limit are far away at 6 KB)."""
    return json.dumps(json.loads(definition_text), separators=(",", ":"), ensure_ascii=False)


def _yaml_single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _block_span(template_text: str) -> tuple[int, int, str]:
    begin = template_text.find(BEGIN_MARKER)
    if begin < 0 or template_text.count(BEGIN_MARKER) != 1 or template_text.count(END_MARKER) != 1:
        raise TemplateBlockError(
            f"template.yaml must hold exactly one {BEGIN_MARKER!r} ... {END_MARKER!r} block"
        )
    line_start = template_text.rfind("\n", 0, begin) + 1
    indent = template_text[line_start:begin]
    start = template_text.index("\n", begin) + 1
    end = template_text.index(END_MARKER, start)
    end = template_text.rfind("\n", 0, end) + 1
    return start, end, indent


def template_body(template_text: str) -> str:
    """The JSON document inside the template's generated block (its YAML quoting undone)."""
    start, end, _ = _block_span(template_text)
    line = template_text[start:end].strip()
    if not (line.startswith("- '") and line.endswith("'")):
        raise TemplateBlockError("the generated block must be one single-quoted list item")
    return line[3:-1].replace("''", "'")


def replace_block(template_text: str, definition_text: str) -> str:
    start, end, indent = _block_span(template_text)
    return (
        template_text[:start]
        + f"{indent}- {_yaml_single_quoted(body(definition_text))}\n"
        + template_text[end:]
    )


def placeholders(definition_text: str) -> set[str]:
    return set(PLACEHOLDER.findall(definition_text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated block of template.yaml")
    mode.add_argument("--check", action="store_true", help="exit 1 if the block differs from the definition")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--definition", type=Path, default=DEFINITION)
    args = parser.parse_args(argv)
    template_text = args.template.read_text(encoding="utf-8")
    definition_text = args.definition.read_text(encoding="utf-8")
    if args.write:
        args.template.write_text(replace_block(template_text, definition_text), encoding="utf-8")
        return 0
    if template_body(template_text) != body(definition_text):
        print(
            f"{args.template}: RetrainingPipeline's body differs from {args.definition}; "
            "run python -m pipelines.template_body --write",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
