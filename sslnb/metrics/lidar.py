"""LiDAR: the effective rank of the linear discriminant of surrogate classes made by augmentation.

Thilak, Huang, Saremi, Dinh, Goh, Susskind & Littwin, "LiDAR: Sensing Linear Probing Performance in Joint
Embedding SSL Architectures", ICLR 2024. Each of n samples x forms a surrogate class: its clean embedding
and the embeddings of its q augmentations, e_x1 ... e_xm (m = q + 1 members). With class means mu_x and
the grand mean mu,

    S_b = 1/(n - 1) sum_x (mu_x - mu)(mu_x - mu)^T
    S_w = 1/(n (m - 1)) sum_x sum_i (e_xi - mu_x)(e_xi - mu_x)^T + delta I
    lambda = eigenvalues of S_w^(-1/2) S_b S_w^(-1/2)
    p_k = lambda_k / sum_j lambda_j + eps,          LiDAR = exp(- sum_k p_k log p_k)

It counts the directions in which samples differ more than their own augmentations do: high when the
embedding separates samples along many invariant directions. Like RankMe it lies in [1, D].
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh

from sslnb.metrics._checks import CollapsedEmbeddingsError, check_embeddings
from sslnb.metrics._utils import exp_entropy

DELTA = 1e-4  # the paper's regulariser of S_w
EPS = 1e-7


def lidar(views: np.ndarray, delta: float = DELTA, eps: float = EPS) -> float:
    """LiDAR of embeddings of shape (n, m, D): n surrogate classes of m >= 2 members each (n >= 2).

    Member 0 is typically the clean sample and members 1..m-1 its augmentations, but every member is
    treated alike. Raises CollapsedEmbeddingsError when the class means coincide (S_b = 0).
    """
    views = np.asarray(views)
    if views.ndim != 3:
        raise ValueError(
            f"views must be a 3-D array (n_samples, n_views, n_features), got shape {views.shape}"
        )
    n, m, d = views.shape
    if n < 2 or m < 2:
        raise ValueError(f"LiDAR needs at least 2 samples with at least 2 views each, got {n} x {m}")
    if delta < 0 or eps < 0:
        raise ValueError(f"delta and eps must be >= 0, got {delta} and {eps}")
    flat = check_embeddings(views.reshape(n * m, d), "views").astype(np.float64, copy=False).reshape(n, m, d)
    class_means = flat.mean(axis=1)
    between = np.cov(class_means, rowvar=False, ddof=1).reshape(d, d)
    deviations = (flat - class_means[:, None, :]).reshape(n * m, d)
    within = deviations.T @ deviations / (n * (m - 1)) + delta * np.eye(d)
    if not np.any(between):
        raise CollapsedEmbeddingsError("LiDAR is undefined when all samples have the same mean embedding (S_b = 0)")
    try:
        eigenvalues = eigh(between, within, eigvals_only=True)  # generalised: S_b v = lambda S_w v
    except np.linalg.LinAlgError as error:
        raise ValueError(
            "the within-class scatter S_w is singular (the views of each sample coincide); pass delta > 0"
        ) from error
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    if eigenvalues.sum() <= 0:
        raise CollapsedEmbeddingsError("LiDAR is undefined: the discriminant spectrum is zero")
    return exp_entropy(eigenvalues, eps)
