"""Small numerical helpers shared by the metrics."""

from __future__ import annotations

import numpy as np


def l2_normalize(Z: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows of ``Z`` scaled to unit Euclidean norm (all-zero rows stay zero)."""
    return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), eps)
