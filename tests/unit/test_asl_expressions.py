"""tools/asl_expressions counts what a definition computes, and docs/architecture.md's figures are
the definitions' own."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tools.asl_expressions import expressions, measure

ROOT = Path(__file__).resolve().parents[2]


def test_jsonata_jsonpath_and_intrinsics_count_placeholders_and_literals_do_not() -> None:
    definition = {
        "States": {
            "A": {
                "Arguments": {"Name": "{% $run.runId %}", "Role": "${RoleArn}", "Fixed": "text"},
                "Parameters": {"Key.$": "$.args.key", "Description.$": "States.Format('{}', $.x)"},
                "ResultPath": "$.result",
                "Choices": [{"Variable": "$.auc", "NumericGreaterThanEqualsPath": "$.gate"}],
                "Output": "{% $merge([$states.input, {'a': 1}]) %}",
            }
        }
    }
    found = list(expressions(definition))
    assert found == [
        "$run.runId",
        "$.args.key",
        "States.Format('{}', $.x)",
        "$.result",
        "$.auc",
        "$.gate",
        "$merge([$states.input, {'a': 1}])",
    ]
    figures = measure(definition)
    assert (figures.count, figures.longest) == (7, len("$merge([$states.input, {'a': 1}])"))


def test_the_figures_in_the_architecture_doc_are_the_definitions() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    for name in ("batch_inference.asl.json", "retraining.asl.json"):
        figures = measure(json.loads((ROOT / "statemachines" / name).read_text()))
        row = re.search(rf"\| {re.escape(name)} \| [^|]+ \| ([^|]+) \|", doc)
        assert row, name
        stated = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", row.group(1))]
        assert stated == [figures.count, figures.total_chars, figures.longest], (name, figures)
