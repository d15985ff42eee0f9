"""Small numerical helpers shared by the metrics."""

from __future__ import annotations

import numpy as np
import torch


def as_numpy(values: np.ndarray | torch.Tensor) -> np.ndarray:
    """A NumPy view of ``values``: tensors are copied to the CPU (the metrics that run on the host need it)."""
    return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)


def float32_safe_scale(Z: np.ndarray | float) -> float:
    """A power of two that brings the largest |z| near 1 when float32 arithmetic would over- or underflow.

    Squared norms and distances of float32 values above ~1e18 overflow (and below ~1e-19 underflow), which
    silently breaks the scale-free metrics. Multiplying by a power of two is exact in floating point, so
    a scale-free computation gives identical results on ``Z * scale``; ordinary embeddings get 1.0.
    """
    if isinstance(Z, torch.Tensor):  # reduced where it lives: a GPU matrix is not copied to the host
        largest = float(Z.abs().max()) if Z.numel() else 0.0
    else:
        largest = float(np.max(np.abs(Z))) if np.size(Z) else 0.0
    if largest == 0.0 or 2.0**-20 <= largest <= 2.0**20:
        return 1.0
    return 2.0 ** -np.frexp(largest)[1]


def l2_normalize(Z: np.ndarray | torch.Tensor, eps: float = 1e-12) -> np.ndarray | torch.Tensor:
    """Rows of ``Z`` scaled to unit Euclidean norm (all-zero rows stay zero); safe for any finite scale.

    A tensor is normalised on its device and returned as a tensor.
    """
    scale = float32_safe_scale(Z)
    if isinstance(Z, torch.Tensor):
        Z = Z * scale if scale != 1.0 else Z
        return Z / Z.norm(dim=1, keepdim=True).clamp_min(eps)
    if scale != 1.0:
        Z = Z * np.asarray(scale, dtype=Z.dtype)
    return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), eps)


def exp_entropy(weights: np.ndarray, eps: float = 0.0) -> float:
    """exp(-sum_k p_k log p_k) with p_k = w_k / sum(w) + eps: the effective number of non-zero weights.

    RankMe (singular values) and LiDAR (discriminant eigenvalues) are both this; 0 log 0 counts as 0.
    """
    p = weights / weights.sum() + eps
    positive = p[p > 0]
    return float(np.exp(-np.sum(positive * np.log(positive))))
