"""A self-contained HTML drift report: inline CSS and SVG, no scripts, no external assets."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import formats as fm
from .distance import categorical_linf, linf_cdf_distance
from .engine import VERDICT_CLEAN, VERDICT_DRIFT, classify, statistics_distances
from .stylesheet import STYLESHEET

_BASE = "#4c78a8"
_BATCH = "#f58518"
_BAD = "#c0392b"
_OK = "#2e7d32"
_WARN = "#b9770e"
_HIST_BINS = 24
_MAX_CATEGORIES = 12


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _count(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        return f"{x:.3e}"
    return f"{x:.4g}"


def _hist_svg(  # noqa: PLR0917
    b_items: np.ndarray, b_w: np.ndarray, c_items: np.ndarray, c_w: np.ndarray, w: int = 410, h: int = 150
) -> str:
    lo = float(min(b_items.min(), c_items.min()))
    hi = float(max(b_items.max(), c_items.max()))
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, _HIST_BINS + 1)
    bh, _ = np.histogram(b_items, bins=edges, weights=b_w)
    ch, _ = np.histogram(c_items, bins=edges, weights=c_w)
    bh = bh / max(bh.sum(), 1e-12)
    ch = ch / max(ch.sum(), 1e-12)
    top = float(max(bh.max(), ch.max(), 1e-12))
    pad_l, pad_b, pad_t = 34, 18, 6
    pw, ph = w - pad_l - 4, h - pad_b - pad_t
    bw = pw / _HIST_BINS
    parts = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">']
    parts.append(f'<line x1="{pad_l}" y1="{pad_t + ph}" x2="{w - 4}" y2="{pad_t + ph}" stroke="#999"/>')
    parts.append(f'<text x="2" y="{pad_t + 8}" font-size="9" fill="#666">{top:.0%}</text>')
    for i in range(_HIST_BINS):
        x = pad_l + i * bw
        for j, (val, color) in enumerate(((bh[i], _BASE), (ch[i], _BATCH))):
            hh = ph * float(val) / top
            parts.append(
                f'<rect x="{x + 1 + j * (bw - 2) / 2:.1f}" y="{pad_t + ph - hh:.1f}" '
                f'width="{(bw - 2) / 2:.1f}" '
                f'height="{hh:.1f}" fill="{color}" opacity="0.85"/>'
            )
    parts.append(f'<text x="{pad_l}" y="{h - 4}" font-size="10" fill="#444">{_e(_fmt(lo))}</text>')
    parts.append(
        f'<text x="{w - 4}" y="{h - 4}" font-size="10" fill="#444" text-anchor="end">{_e(_fmt(hi))}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _cat_svg(base: Mapping[str, float], batch: Mapping[str, float], w: int = 410) -> str:
    tb = max(sum(base.values()), 1e-12)
    tc = max(sum(batch.values()), 1e-12)
    keys = sorted(set(base) | set(batch), key=lambda k: -(base.get(k, 0) / tb + batch.get(k, 0) / tc))
    shown = keys[:_MAX_CATEGORIES]
    row = 18
    label_w = 110
    h = row * len(shown) + 8
    top = max(max(base.get(k, 0) / tb, batch.get(k, 0) / tc) for k in shown) if shown else 1.0
    pw = w - label_w - 50
    parts = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">']
    for i, k in enumerate(shown):
        y = 4 + i * row
        label = k if len(k) <= 16 else k[:15] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end" '
            f'fill="#333">{_e(label)}</text>'
        )
        for j, (val, color) in enumerate(((base.get(k, 0) / tb, _BASE), (batch.get(k, 0) / tc, _BATCH))):
            bw = pw * val / top if top else 0
            parts.append(
                f'<rect x="{label_w}" y="{y + 1 + j * 8}" width="{bw:.1f}" height="7" '
                f'fill="{color}" opacity="0.9"/>'
            )
            parts.append(
                f'<text x="{label_w + bw + 4:.1f}" y="{y + 8 + j * 8}" font-size="9" '
                f'fill="#555">{val:.1%}</text>'
            )
    parts.append("</svg>")
    if len(keys) > len(shown):
        parts.append(f'<div class="meta">{len(keys) - len(shown)} more categories not shown</div>')
    return "".join(parts)


def _gauge_svg(distance: float, threshold: float, below_is_bad: bool, w: int = 410) -> str:
    scale = max(distance, threshold, 1e-12) * 1.25
    if below_is_bad:
        scale = 1.0
    bad = distance < threshold if below_is_bad else distance > threshold
    x_d = (w - 10) * min(distance / scale, 1.0)
    x_t = (w - 10) * min(threshold / scale, 1.0)
    return (
        f'<svg width="{w}" height="22" viewBox="0 0 {w} 22" role="img">'
        f'<rect x="0" y="6" width="{w - 10}" height="10" fill="#eee"/>'
        f'<rect x="0" y="6" width="{x_d:.1f}" height="10" fill="{_BAD if bad else _OK}"/>'
        f'<line x1="{x_t:.1f}" y1="1" x2="{x_t:.1f}" y2="21" stroke="#222" stroke-width="2"/>'
        "</svg>"
    )


def render_report(
    baseline_statistics: Mapping[str, Any],
    batch_statistics: Mapping[str, Any],
    violations: Mapping[str, Any],
    *,
    title: str = "Data-quality report",
    feature_distances: Mapping[str, Mapping[str, Any]] | None = None,
    drift_check_types: Any = fm.DEFAULT_DRIFT_CHECK_TYPES,
    subtitle: str = "",
    baseline_constraints: Mapping[str, Any] | None = None,
) -> str:
    """Per-feature baseline-vs-batch charts, distance vs threshold, and the violations table.

    The distances are ``feature_distances`` when given (the check's), else, with
    ``baseline_constraints``, computed from the two statistics files (``statistics_distances``: the
    check's method and thresholds); a feature without one shows the raw L-infinity distance."""
    base = fm.parse_statistics(baseline_statistics, "baseline statistics.json")
    batch = fm.parse_statistics(batch_statistics, "batch statistics.json")
    fired = fm.parse_violations(violations)
    verdict, _ = classify(fired, drift_check_types)
    distances: dict[str, Mapping[str, Any]] = {}
    if feature_distances:
        distances.update(feature_distances)
    elif baseline_constraints is not None:
        computed = statistics_distances(baseline_statistics, baseline_constraints, batch_statistics)
        distances.update(computed.feature_distances)
    by_feature: dict[str, list[dict[str, str]]] = {}
    for v in fired:
        by_feature.setdefault(v["feature_name"], []).append(v)
    batch_by = batch.by_name()
    color = {VERDICT_CLEAN: _OK, VERDICT_DRIFT: _WARN}.get(verdict, _BAD)

    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{STYLESHEET}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<div class='sub'>{_e(subtitle)}</div>" if subtitle else "",
        f"<p><span class='badge' style='background:{color}'>{_e(verdict.replace('_', ' '))}</span> "
        f"&nbsp;baseline rows: <b>{_e(_count(base.item_count))}</b> &nbsp;batch rows: "
        f"<b>{_e(_count(batch.item_count))}</b> &nbsp;violations: <b>{len(fired)}</b></p>",
        "<div class='legend sub'>charts: <span style='background:" + _BASE + "'></span>baseline"
        "<span style='background:" + _BATCH + "'></span>batch; bar under each chart: distance "
        "(green within, red beyond) and threshold (black line)</div>",
    ]
    # ---- summary table
    out.append(
        "<h2>Features</h2><table><tr><th>feature</th><th>type (baseline / batch)</th><th>method</th>"
        "<th>distance</th><th>threshold</th><th>missing in batch</th><th>violations</th></tr>"
    )
    cards = []
    for feat in base.features:
        bf = batch_by.get(feat.name)
        dist = distances.get(feat.name)
        method = str(dist.get("method")) if dist else "-"
        d_val = float(dist["distance"]) if dist and dist.get("distance") is not None else None
        t_val = float(dist["threshold"]) if dist and dist.get("threshold") is not None else None
        if d_val is None and bf is not None:
            d_val, method = _raw_distance(feat, bf)
        viols = by_feature.get(feat.name, [])
        miss = "-"
        if bf is not None:
            total = bf.num_present + bf.num_missing
            miss = f"{bf.num_missing / total:.1%}" if total else "-"
        out.append(
            f"<tr><td>{_e(feat.name)}</td><td>{_e(feat.inferred_type)} / "
            f"{_e(bf.inferred_type if bf else 'absent')}"
            f"</td><td>{_e(method)}</td><td class='num'>{_e(_fmt(d_val))}</td>"
            f"<td class='num'>{_e(_fmt(t_val))}"
            f"</td><td class='num'>{_e(miss)}</td><td>"
            + (
                ", ".join(f"<span class='flag'>{_e(v['constraint_check_type'])}</span>" for v in viols)
                or "none"
            )
            + "</td></tr>"
        )
        cards.append(_card(feat, bf, d_val, t_val, method, viols))
    out.append("</table>")
    extra = [f for f in batch.features if f.name not in base.by_name()]
    if extra:
        out.append(f"<p class='sub'>Columns only in the batch: {_e(', '.join(f.name for f in extra))}</p>")
    out.append("<h2>Baseline vs batch</h2><div class='grid'>" + "".join(cards) + "</div>")
    # ---- violations
    out.append("<h2>Violations</h2>")
    if fired:
        out.append("<table><tr><th>feature</th><th>check</th><th>description</th></tr>")
        for v in fired:
            out.append(
                f"<tr><td>{_e(v['feature_name'])}</td><td>{_e(v['constraint_check_type'])}</td>"
                f"<td>{_e(v['description'])}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No violations.</p>")
    out.append("</body></html>")
    return "\n".join(x for x in out if x)


def _raw_distance(feat: fm.FeatureStats, bf: fm.FeatureStats) -> tuple[float | None, str]:
    """The raw L-infinity distance of a feature the check gave no distance for (no threshold)."""
    if feat.kll_items is not None and bf.kll_items is not None:
        d = linf_cdf_distance(
            np.asarray(feat.kll_items),
            np.asarray(feat.kll_weights),
            np.asarray(bf.kll_items),
            np.asarray(bf.kll_weights),
        )
        return d, "L-inf (Simple)"
    if feat.categorical and bf.categorical:
        return categorical_linf(feat.categorical, bf.categorical), fm.LINFINITY
    return None, "-"


def _card(  # noqa: PLR0917
    feat: fm.FeatureStats,
    bf: fm.FeatureStats | None,
    d_val: float | None,
    t_val: float | None,
    method: str,
    viols: list[dict[str, str]],
) -> str:
    parts = [f"<div class='card'><h3>{_e(feat.name)}</h3>"]
    status = (
        "<span class='flag'>" + _e(", ".join(v["constraint_check_type"] for v in viols)) + "</span>"
        if viols
        else "<span style='color:#2e7d32'>ok</span>"
    )
    parts.append(
        f"<div class='meta'>{_e(feat.inferred_type)} · {_e(method)} · distance {_e(_fmt(d_val))}"
        f" · threshold {_e(_fmt(t_val))} · {status}</div>"
    )
    if bf is None:
        parts.append("<p class='flag'>column absent from the batch</p></div>")
        return "".join(parts)
    if feat.kll_items is not None and bf.kll_items is not None:
        parts.append(
            _hist_svg(
                np.asarray(feat.kll_items),
                np.asarray(feat.kll_weights),
                np.asarray(bf.kll_items),
                np.asarray(bf.kll_weights),
            )
        )
        parts.append(_numeric_line(feat, bf))
    elif feat.categorical and bf.categorical:
        parts.append(_cat_svg(feat.categorical, bf.categorical))
    else:
        parts.append("<p class='sub'>no comparable distribution in the batch</p>")
    if d_val is not None and t_val is not None:
        parts.append(_gauge_svg(d_val, t_val, below_is_bad=method == fm.CHI_SQUARED))
    parts.append("</div>")
    return "".join(parts)


def _numeric_line(feat: fm.FeatureStats, bf: fm.FeatureStats) -> str:
    def stat(f: fm.FeatureStats, key: str) -> str:
        return _fmt(f.numeric.get(key)) if f.numeric and f.numeric.get(key) is not None else "-"

    shown = (("mean", "mean"), ("std", "std_dev"), ("min", "min"), ("max", "max"))
    pairs = [f"{label} {_e(stat(feat, key))} → {_e(stat(bf, key))}" for label, key in shown]
    return "<div class='meta'>" + " · ".join(pairs) + "</div>"
