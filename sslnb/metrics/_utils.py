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


def centred_rows(Z: np.ndarray | torch.Tensor, unit: bool = False) -> torch.Tensor:
    """The rows of ``Z`` (or their L2-normalised directions if ``unit``) in float64, minus their mean row.

    Every Euclidean distance between rows is unchanged, but the float32 expansion
    ||x||^2 + ||y||^2 - 2 x.y computed from these rows no longer cancels: rows that share an offset much
    larger than their spread (a model near collapse, a feature with a large bias) lose every significant
    digit of their distances otherwise (a relative error of about 1e-4 at an offset of 100x the spread,
    1e-2 at 1000x). Directions are centred on their mean direction for the same reason: when every row
    points almost the same way, 2 - 2 cos cancels just as badly.

    A tensor stays on its device; a NumPy array becomes a CPU tensor, so both paths then run the very same
    torch operations (and give identical numbers on the CPU).
    """
    X = Z.to(torch.float64) if isinstance(Z, torch.Tensor) else torch.from_numpy(np.asarray(Z, dtype=np.float64))
    if unit:
        X = X / X.norm(dim=1, keepdim=True).clamp_min(np.finfo(float).tiny)
    return X - X.mean(dim=0, keepdim=True)


def centred_array(Z: np.ndarray) -> np.ndarray:
    """``Z`` in float64 minus its column mean, with an exact power-of-two rescale into float32's safe range.

    For the scale- and translation-free searches that scikit-learn and SciPy run in float64 (neighbours of
    TwoNN and cluster learnability, spanning trees): same distances up to the exact scale, no cancellation.
    """
    X = np.asarray(Z, dtype=np.float64)
    X = X - X.mean(axis=0)
    return X * float32_safe_scale(X)


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
