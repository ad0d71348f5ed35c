"""Distribution distances with Model Monitor's semantics.

- Numerical: L-infinity distance between the two cumulative distribution functions (the
  two-sample Kolmogorov-Smirnov statistic), from the baseline's KLL sketch and the batch's.
  ``Robust`` subtracts the K-S critical term ``c(alpha) * sqrt((n + m) / (n * m))`` so that small
  samples do not read as drift; ``Simple`` uses the raw distance.
- Categorical ``LInfinity``: the largest absolute difference of a category's frequency.
- Categorical ``ChiSquared``: Pearson's chi-square test of homogeneity over the 2 x k table of
  counts; the figure compared with the threshold is the test's p-value (drift when below it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

#: Significance of the K-S critical term used by ``Robust`` (c(0.05) = 1.358).
KS_ALPHA = 0.05


def ks_critical_term(n: float, m: float, alpha: float = KS_ALPHA) -> float:
    if n <= 0 or m <= 0:
        return 0.0
    c = math.sqrt(-0.5 * math.log(alpha / 2.0))
    return c * math.sqrt((n + m) / (n * m))


def _cdf_at(items: np.ndarray, cum: np.ndarray, points: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(items, points, side="right")
    out = np.zeros(points.shape, dtype=np.float64)
    has = idx > 0
    out[has] = cum[idx[has] - 1]
    return out


def linf_cdf_distance(
    a_items: np.ndarray, a_weights: np.ndarray, b_items: np.ndarray, b_weights: np.ndarray
) -> float:
    """sup_x |F_a(x) - F_b(x)| for two weighted samples (items sorted ascending)."""
    if a_items.size == 0 or b_items.size == 0:
        return 0.0
    a_cum = np.cumsum(a_weights) / a_weights.sum()
    b_cum = np.cumsum(b_weights) / b_weights.sum()
    points = np.union1d(a_items, b_items)
    return float(np.max(np.abs(_cdf_at(a_items, a_cum, points) - _cdf_at(b_items, b_cum, points))))


def categorical_linf(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    ta = float(sum(a.values()))
    tb = float(sum(b.values()))
    if ta <= 0 or tb <= 0:
        return 0.0
    return max(abs(a.get(k, 0.0) / ta - b.get(k, 0.0) / tb) for k in set(a) | set(b))


def chi_squared_p_value(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[float, float, int]:
    """(statistic, p-value, degrees of freedom) of the chi-square test of homogeneity."""
    keys = sorted(set(a) | set(b))
    table = np.array([[a.get(k, 0.0) for k in keys], [b.get(k, 0.0) for k in keys]], dtype=np.float64)
    col = table.sum(axis=0)
    keep = col > 0
    table = table[:, keep]
    col = col[keep]
    row = table.sum(axis=1)
    total = row.sum()
    dof = table.shape[1] - 1
    if dof < 1 or row.min() <= 0:
        return 0.0, 1.0, max(dof, 0)
    expected = np.outer(row, col) / total
    stat = float(((table - expected) ** 2 / expected).sum())
    return stat, chi2_sf(stat, dof), dof


def chi2_sf(x: float, dof: int) -> float:
    """Survival function of the chi-square distribution: Q(dof/2, x/2)."""
    if x <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, x / 2.0)


def _gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma function (series below a+1, continued fraction above)."""
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        term = 1.0 / a
        total = term
        ap = a
        for _ in range(10_000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)
