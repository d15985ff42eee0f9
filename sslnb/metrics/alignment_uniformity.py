"""Alignment and uniformity of L2-normalised embeddings on the unit hypersphere.

Wang & Isola, "Understanding Contrastive Representation Learning through Alignment and Uniformity on the
Hypersphere", ICML 2020. With f(x) the L2-normalised embedding of x, positive pairs (x, y) two augmented
views of one image, and alpha = 2, t = 2 as in the paper:

    alignment  = E_(x,y) positive  || f(x) - f(y) ||^alpha         (lower: views agree; 0 to 2^alpha)
    uniformity = log E_(x,y) all pairs  exp(-t || f(x) - f(y) ||^2) (lower: spread over the sphere; <= 0)

Uniformity averages over the N(N-1)/2 pairs of distinct samples; on two views, sslnb reports the mean of
the uniformity of each view, as the paper's training loss does. It is 0 for collapsed embeddings (every
pair at distance 0) and -t * 2 (d+1)/d = -4 (d+1)/d for the d+1 vertices of a regular simplex, the most
uniform finite set on the sphere in d dimensions.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from sslnb.metrics._checks import check_embeddings, check_views, warn_collapsed
from sslnb.metrics._utils import centred_rows, l2_normalize
from sslnb.metrics.pairwise import BLOCK_ROWS, seeded_sample


def alignment(view1: np.ndarray, view2: np.ndarray, alpha: float = 2.0) -> float:
    """Mean ||f(x_i) - f(y_i)||^alpha over rows i of two (N, D) arrays of views of the same N samples."""
    view1, view2 = check_views(view1, view2)
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    distance = np.linalg.norm(l2_normalize(view1) - l2_normalize(view2), axis=1)
    return float(np.mean(distance**alpha))


def uniformity(Z: np.ndarray, t: float = 2.0, sample_size: int | None = 10_000, seed: int = 0) -> float:
    """log of the mean of exp(-t ||f(z_i) - f(z_j)||^2) over all pairs i < j of the rows of ``Z`` (N >= 2).

    ``sample_size`` bounds the O(N^2 D) cost by using a seeded random sample of the rows when N is larger.
    Collapsed embeddings give 0 (the maximum) with a RuntimeWarning.
    """
    Z = check_embeddings(Z)
    if t <= 0:
        raise ValueError(f"t must be positive, got {t}")
    sample = seeded_sample(len(Z), sample_size, seed)
    # unit rows centred on their mean direction: ||u - v||^2 from the expansion, without the cancellation of
    # 2 - 2 cos when every row points almost the same way (near collapse)
    unit = centred_rows(l2_normalize(np.asarray(Z if sample is None else Z[sample], dtype=np.float64)))
    squared = (unit * unit).sum(dim=1)
    n = unit.shape[0]
    # log-sum-exp over blocks of the upper triangle, so that no N x N matrix is held and nothing underflows
    logs = []
    for i0 in range(0, n, BLOCK_ROWS):
        block = unit[i0:i0 + BLOCK_ROWS]
        distance = squared[i0:i0 + BLOCK_ROWS, None] + squared[None, i0:] - 2 * (block @ unit[i0:].T)
        exponent = -t * distance.clamp_min(0)
        upper = torch.ones_like(exponent, dtype=torch.bool).triu(diagonal=1)  # pairs with j > i only
        logs.append(torch.logsumexp(exponent[upper], dim=0))
    value = float(torch.logsumexp(torch.stack(logs), dim=0)) - math.log(n * (n - 1) / 2)
    if value >= -1e-12:
        warn_collapsed("uniformity", 0.0, "every pair of samples coincides")
        return 0.0
    return value


def uniformity_of_views(view1: np.ndarray, view2: np.ndarray, t: float = 2.0,
                        sample_size: int | None = 10_000, seed: int = 0) -> float:
    """Mean of the uniformity of each of two views, as in Wang & Isola's loss."""
    view1, view2 = check_views(view1, view2)
    return 0.5 * (uniformity(view1, t, sample_size, seed) + uniformity(view2, t, sample_size, seed))
