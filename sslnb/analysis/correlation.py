"""How well each label-free metric tracks the linear probe across checkpoints, with bootstrap intervals.

For one method and layer, each checkpoint gives a pair (metric value, reference accuracy). Over the
checkpoints this computes Pearson's r (linear), Spearman's rho (monotone) and Kendall's tau-b (pairwise
order) between the two, and a percentile bootstrap 95% interval for each: resample the checkpoints with
replacement ``n_boot`` times and take the 2.5th and 97.5th percentiles of the statistic over the
resamples in which neither series is constant (Efron & Tibshirani, *An Introduction to the Bootstrap*,
1993, ch. 13). With a few dozen checkpoints the intervals are wide; that is the point of showing them.

``warmup_fraction`` keeps only the checkpoints after that fraction of training: the study reports that
entropy is unstable early on, so the correlations are worth reading over late training too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sslnb.analysis.statistics import kendall_tau_b

STATISTICS = ("pearson", "spearman", "kendall")
MIN_CHECKPOINTS = 3


def batched_correlation(statistic: str, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The correlation of each row pair (X[b], Y[b]) at once, for arrays of shape (B, n); NaN if constant.

    Spearman is Pearson on average ranks; Kendall is tau-b, sum_(i<j) sign(dx) sign(dy) over
    sqrt((n0 - n_x)(n0 - n_y)) with n0 = n(n-1)/2 and n_x, n_y the pairs tied in x, y (as scipy computes it).
    Vectorised over the rows, so a 1000-resample bootstrap costs one call.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}; choose one of {list(STATISTICS)}")
    X, Y = np.atleast_2d(np.asarray(X, dtype=float)), np.atleast_2d(np.asarray(Y, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        if statistic == "kendall":  # a row with a NaN has no correlation here (kendall_tau_b would skip the pair)
            values = np.where(np.isnan(X).any(axis=1) | np.isnan(Y).any(axis=1), np.nan, kendall_tau_b(X, Y))
        else:
            if statistic == "spearman":
                X, Y = stats.rankdata(X, axis=1), stats.rankdata(Y, axis=1)
            Xc, Yc = X - X.mean(axis=1, keepdims=True), Y - Y.mean(axis=1, keepdims=True)
            denominator = np.sqrt(np.sum(Xc**2, axis=1) * np.sum(Yc**2, axis=1))
            values = np.sum(Xc * Yc, axis=1) / denominator
    constant = (np.ptp(X, axis=1) == 0) | (np.ptp(Y, axis=1) == 0) | (X.shape[1] < MIN_CHECKPOINTS)
    return np.clip(np.where(constant, np.nan, values), -1.0, 1.0)


def _statistic(name: str, x: np.ndarray, y: np.ndarray) -> float:
    return float(batched_correlation(name, x[None, :], y[None, :])[0]) if len(x) else float("nan")


def bootstrap_interval(x: np.ndarray, y: np.ndarray, statistic: str, n_boot: int = 1000,
                       confidence: float = 0.95, random_state: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` between paired samples ``x`` and ``y``.

    Resamples pairs (checkpoints) with replacement; resamples where either series is constant have no
    defined correlation and are skipped. Returns (NaN, NaN) when fewer than half the resamples count.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}; choose one of {list(STATISTICS)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D and of the same length, got shapes {x.shape} and {y.shape}")
    draws = np.random.default_rng(random_state).integers(0, len(x), size=(n_boot, len(x)))
    values = batched_correlation(statistic, x[draws], y[draws])
    values = values[np.isfinite(values)]
    if len(values) < n_boot / 2:
        return float("nan"), float("nan")
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def late_checkpoints(epochs: pd.Series, warmup_fraction: float) -> pd.Series:
    """Mask of the checkpoints after ``warmup_fraction`` of the last epoch (0 keeps all)."""
    if not 0 <= warmup_fraction < 1:
        raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction}")
    return epochs > warmup_fraction * epochs.max() if warmup_fraction > 0 else epochs == epochs


def correlation_table(table: pd.DataFrame, metrics: list[str] | tuple[str, ...], reference: str = "reference",
                      by: tuple[str, ...] = ("method", "layer"), warmup_fraction: float = 0.0,
                      n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """Pearson, Spearman and Kendall between each metric and ``reference``, per group, with 95% intervals.

    Args:
        table: one row per checkpoint (and per ``by`` group) with an ``epoch`` column, the ``metrics``
            columns and a ``reference`` column (e.g. the backbone's linear-probe accuracy).
        warmup_fraction: drop the checkpoints up to this fraction of training first.

    Returns one row per group x metric x statistic with ``value``, ``ci_low``, ``ci_high``, the number of
    checkpoints ``n`` and the ``window`` (``all`` or ``after x% warm-up``).
    """
    missing = [c for c in (*by, "epoch", reference, *metrics) if c not in table]
    if missing:
        raise ValueError(f"the table has no column(s) {missing}")
    window = "all" if warmup_fraction == 0 else f"after {warmup_fraction:.0%} warm-up"
    rows = []
    for keys, group in table.groupby(list(by), sort=True):
        group = group[late_checkpoints(group["epoch"], warmup_fraction)]
        for metric in metrics:
            paired = group[[metric, reference]].dropna()
            x, y = paired[metric].to_numpy(float), paired[reference].to_numpy(float)
            for statistic in STATISTICS:
                low, high = (bootstrap_interval(x, y, statistic, n_boot, random_state=random_state)
                             if len(x) >= MIN_CHECKPOINTS else (float("nan"), float("nan")))
                rows.append({**dict(zip(by, keys if isinstance(keys, tuple) else (keys,))), "metric": metric,
                             "statistic": statistic, "value": _statistic(statistic, x, y), "ci_low": low,
                             "ci_high": high, "n": len(x), "window": window})
    return pd.DataFrame(rows)


def correlation_across_models(models: pd.DataFrame, metrics: list[str] | tuple[str, ...], label: str,
                              n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """:func:`correlation_table` across models instead of checkpoints: each row of ``models`` is one point.

    ``models`` needs the ``metrics`` and a ``reference`` column (one row per model, e.g. one per encoder of
    the architecture sweep); the bootstrap resamples the models. The result's ``method`` column is ``label``.
    """
    points = models.assign(method=label, epoch=np.arange(len(models)))  # every row kept, no warm-up to drop
    return correlation_table(points, metrics, by=("method",), n_boot=n_boot, random_state=random_state)
