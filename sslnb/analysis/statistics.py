"""The rank statistics every analysis shares: Kendall's tau-b and Spearman's rho, vectorised for bootstraps.

One implementation of each, used by the within-run correlations (:mod:`sslnb.analysis.correlation`), the
leaderboard (:mod:`sslnb.analysis.runs`) and its calibrated test (:mod:`sslnb.analysis.verdict`); the
tests compare both with SciPy.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each row pair of ``x`` and ``y`` (shape (..., n)); NaN where either is all ties.

    tau_b = sum_{i<j} sgn(x_i - x_j) sgn(y_i - y_j) / sqrt(n_x n_y), with n_x (n_y) the pairs not tied in x
    (y): scipy.stats.kendalltau's default, vectorised over leading axes for the bootstrap. A pair with a
    NaN in either array is left out, so the result is tau-b of the candidates scored in both.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    paired = finite[..., :, None] & finite[..., None, :]  # a pair with a NaN counts nowhere: sign 0 in both
    with np.errstate(invalid="ignore"):
        sx = np.where(paired, np.sign(x[..., :, None] - x[..., None, :]), 0.0)
        sy = np.where(paired, np.sign(y[..., :, None] - y[..., None, :]), 0.0)
    upper = np.triu(np.ones(sx.shape[-2:], dtype=bool), k=1)
    numerator = (sx * sy)[..., upper].sum(axis=-1)
    nx, ny = (sx != 0)[..., upper].sum(axis=-1), (sy != 0)[..., upper].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((nx > 0) & (ny > 0), numerator / np.sqrt(nx * ny), np.nan)


def spearman_rho(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho (Pearson correlation of average ranks); NaN if either is constant."""
    rx, ry = rankdata(x), rankdata(y)
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])
