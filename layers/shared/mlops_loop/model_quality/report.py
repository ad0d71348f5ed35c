"""The model-quality check's own report.html: the verdict, where the rows went, each constrained metric
against its baseline, the confusion matrix and the ROC curve (the run's and the baseline's).

Self-contained like the data-quality report (inline CSS and SVG, no scripts, no external assets);
every value shown comes from the check's statistics.json, the baseline and the join's counts.
"""

from __future__ import annotations

import html
import math
from typing import Any

from dataquality.model_quality import ModelQualityStatistics
from dataquality.stylesheet import STYLESHEET

from mlops_loop.model_quality.check import MetricComparison

_RUN = "#f58518"
_BASE = "#4c78a8"
_COLOURS = {
    "clean": "#2e7d32",
    "degraded": "#c0392b",
    "too_few_labels": "#b9770e",
    "version_not_live": "#555",
}
_ROC = "receiver_operating_characteristic_curve"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.4f}"


def _rows_table(rows: dict[str, Any]) -> str:
    names = (
        ("predictions", "predictions of the run"),
        ("labelRows", "label rows read"),
        ("matched", "joined: the rows the metrics are computed on"),
        ("unmatchedLabels", "labels without a prediction"),
        ("unlabelledPredictions", "predictions without a label"),
        ("duplicateLabels", "ids repeated within one object (the later line wins)"),
        ("correctedLabels", "ids labelled again by a later object (a correction)"),
        ("ambiguousIds", "ids carried by more than one prediction (not used)"),
        ("invalidLabels", "labels that are not valid values (not used)"),
    )
    body = "".join(
        f"<tr><td>{_e(text)}</td><td class='num'>{_e(rows.get(key, 0))}</td></tr>" for key, text in names
    )
    joined = _e(rows.get("joinedBy", ""))
    return f"<p class='sub'>Joined by {joined}.</p><table><tr><th>rows</th><th>count</th></tr>{body}</table>"


def _metrics_table(comparisons: list[MetricComparison], baseline: dict[str, float], tolerance: float) -> str:
    head = (
        "<tr><th>metric</th><th>this run</th><th>baseline</th><th>constraint</th>"
        "<th>threshold</th><th>tolerance</th><th></th></tr>"
    )
    rows = []
    for c in comparisons:
        state = (
            "<span class='flag'>violated</span>"
            if c.violated
            else ("ok" if c.comparable else "not comparable")
        )
        rows.append(
            f"<tr><td>{_e(c.metric_name)}</td><td class='num'>{_num(c.value)}</td>"
            f"<td class='num'>{_num(baseline.get(c.metric_name))}</td><td>{_e(c.comparison_operator)}</td>"
            f"<td class='num'>{_num(c.threshold)}</td><td class='num'>{_e(tolerance)}</td>"
            f"<td>{state}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _confusion(stats: ModelQualityStatistics) -> str:
    matrix = stats.confusion_matrix
    if not matrix:
        return ""
    labels = sorted({*matrix, *(p for row in matrix.values() for p in row)})
    head = "<tr><th>actual \\ predicted</th>" + "".join(f"<th>{_e(p)}</th>" for p in labels) + "</tr>"
    body = "".join(
        f"<tr><th>{_e(a)}</th>"
        + "".join(f"<td class='num'>{_e(matrix.get(a, {}).get(p, 0))}</td>" for p in labels)
        + "</tr>"
        for a in labels
    )
    return f"<h2>Confusion matrix (score &ge; 0.5 predicts 1)</h2><table>{head}{body}</table>"


def _polyline(curve: dict[str, list[float]], colour: str, size: int) -> str:
    xs, ys = curve["false_positive_rates"], curve["true_positive_rates"]
    points = " ".join(f"{20 + x * size:.1f},{20 + (1 - y) * size:.1f}" for x, y in zip(xs, ys, strict=True))
    return f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{points}'/>"


def _roc(stats: ModelQualityStatistics, baseline: ModelQualityStatistics | None, size: int = 260) -> str:
    run = stats.curves.get(_ROC)
    if not run:
        return ""
    lines = [_polyline(run, _RUN, size)]
    legend = f"<span style='background:{_RUN}'></span>this run"
    if baseline is not None and baseline.curves.get(_ROC):
        lines.insert(0, _polyline(baseline.curves[_ROC], _BASE, size))
        legend = f"<span style='background:{_BASE}'></span>baseline" + legend
    frame = (
        f"<rect x='20' y='20' width='{size}' height='{size}' fill='#fff' stroke='#999'/>"
        f"<line x1='20' y1='{20 + size}' x2='{20 + size}' y2='20' stroke='#ccc' stroke-dasharray='4 3'/>"
        f"<text x='20' y='{size + 36}' font-size='11'>false positive rate</text>"
        f"<text x='4' y='16' font-size='11'>true positive rate</text>"
    )
    svg = f"<svg width='{size + 40}' height='{size + 44}' role='img'>{frame}{''.join(lines)}</svg>"
    return f"<h2>ROC curve</h2><p class='legend sub'>{legend}</p>{svg}"


def render(
    *,
    title: str,
    verdict: str,
    rows: dict[str, Any],
    comparisons: list[MetricComparison],
    stats: ModelQualityStatistics,
    baseline: ModelQualityStatistics | None,
    tolerance: float,
) -> str:
    """The report's HTML."""
    values = {k: m.value for k, m in baseline.metrics.items()} if baseline is not None else {}
    colour = _COLOURS.get(verdict, "#555")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{STYLESHEET}</style></head><body>"
        f"<h1>{_e(title)}</h1><p><span class='badge' style='background:{colour}'>{_e(verdict)}</span></p>"
        f"<h2>Rows</h2>{_rows_table(rows)}"
        f"<h2>Metrics against the baseline</h2>{_metrics_table(comparisons, values, tolerance)}"
        f"{_confusion(stats)}{_roc(stats, baseline)}"
        "</body></html>"
    )
