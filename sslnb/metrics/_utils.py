"""Small numerical helpers shared by the metrics."""

from __future__ import annotations

import numpy as np


def l2_normalize(Z: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows of ``Z`` scaled to unit Euclidean norm (all-zero rows stay zero)."""
    return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), eps)


def exp_entropy(weights: np.ndarray, eps: float = 0.0) -> float:
    """exp(-sum_k p_k log p_k) with p_k = w_k / sum(w) + eps: the effective number of non-zero weights.

    RankMe (singular values) and LiDAR (discriminant eigenvalues) are both this; 0 log 0 counts as 0.
    """
    p = weights / weights.sum() + eps
    positive = p[p > 0]
    return float(np.exp(-np.sum(positive * np.log(positive))))
