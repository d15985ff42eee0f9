"""Input checks shared by the metrics, with messages that name the problem and the fix."""

from __future__ import annotations

import warnings

import numpy as np
import torch


def check_embeddings(Z: np.ndarray, name: str = "Z", min_samples: int = 2) -> np.ndarray:
    """Return ``Z`` as a float array after checking it is a finite (N, D) matrix with N >= min_samples.

    A torch tensor is checked where it lives (any device) and returned as a floating tensor there; the
    metrics that accept tensors (:func:`~sslnb.metrics.label_free_metrics`, :func:`second_moments`) keep it
    on its device.
    """
    if isinstance(Z, torch.Tensor):
        return _check_tensor(Z, name, min_samples)
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features), got shape {Z.shape}")
    if not np.issubdtype(Z.dtype, np.number) or np.issubdtype(Z.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers, got dtype {Z.dtype}")
    if Z.shape[0] < min_samples:
        raise ValueError(f"{name} has {Z.shape[0]} sample(s); this metric needs at least {min_samples}")
    if Z.shape[1] < 1:
        raise ValueError(f"{name} has no features (shape {Z.shape})")
    Z = Z.astype(np.float64, copy=False) if not np.issubdtype(Z.dtype, np.floating) else Z
    bad = ~np.isfinite(Z)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise ValueError(
            f"{name} contains NaN or inf in {len(rows)} row(s) (first: {rows[:5].tolist()}); "
            "the encoder probably diverged: check the training loss, or drop those checkpoints"
        )
    return Z


def _check_tensor(Z: torch.Tensor, name: str, min_samples: int) -> torch.Tensor:
    if Z.ndim != 2:
        raise ValueError(f"{name} must be a 2-D tensor of shape (n_samples, n_features), got shape {tuple(Z.shape)}")
    if Z.dtype == torch.bool or Z.is_complex():
        raise ValueError(f"{name} must hold real numbers, got dtype {Z.dtype}")
    if Z.shape[0] < min_samples:
        raise ValueError(f"{name} has {Z.shape[0]} sample(s); this metric needs at least {min_samples}")
    if Z.shape[1] < 1:
        raise ValueError(f"{name} has no features (shape {tuple(Z.shape)})")
    Z = Z.detach()
    Z = Z if Z.is_floating_point() and Z.dtype in (torch.float32, torch.float64) else Z.to(torch.float32)
    bad_rows = (~torch.isfinite(Z)).any(dim=1)
    if bool(bad_rows.any()):
        rows = torch.nonzero(bad_rows).flatten()[:5].tolist()
        raise ValueError(
            f"{name} contains NaN or inf in {int(bad_rows.sum())} row(s) (first: {rows}); "
            "the encoder probably diverged: check the training loss, or drop those checkpoints"
        )
    return Z


def check_labels(labels: np.ndarray, n_samples: int, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D array after checking its length matches the embeddings."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {labels.shape}")
    if len(labels) != n_samples:
        raise ValueError(f"{name} has {len(labels)} entries but the embeddings have {n_samples} rows")
    return labels


def check_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class UndefinedMetricError(ValueError):
    """The metric is undefined on these embeddings (too few dimensions, collapse); the suite records NaN."""


class CollapsedEmbeddingsError(UndefinedMetricError):
    """The embeddings are collapsed (constant or zero) and the metric is undefined there."""


def warn_collapsed(metric: str, value: float, why: str) -> None:
    """Warn that ``metric`` takes its defined collapse value on collapsed embeddings."""
    warnings.warn(f"{metric}: the embeddings are collapsed ({why}); returning {value}", RuntimeWarning, stacklevel=3)


def check_views(view1: np.ndarray, view2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both views checked as embeddings of one shape: row i of each is a view of sample i."""
    view1 = check_embeddings(view1, "view1", min_samples=1)
    view2 = check_embeddings(view2, "view2", min_samples=1)
    if view1.shape != view2.shape:
        raise ValueError(
            f"view1 {view1.shape} and view2 {view2.shape} must have the same shape: row i of each is a view "
            "of the same sample"
        )
    return view1, view2
