"""The collapse indicator: the std of the L2-normalised embeddings.

Chen & He, "Exploring Simple Siamese Representation Learning", CVPR 2021 (Sec. 4.1), also used by
lightly to watch for collapse. With W the rows of Z scaled to unit norm,

    std(Z) = (1/D) sum_j std_i(W_ij)        (population std over the N samples, per dimension)

It is 0 when every embedding points the same way (complete collapse) and about 1/sqrt(D) when the
directions are spread isotropically over the sphere.
"""

from __future__ import annotations

import math

import numpy as np

from sslnb.metrics._checks import warn_collapsed
from sslnb.metrics.moments import Moments, as_moments


def embedding_std(Z: np.ndarray | Moments) -> float:
    """Mean per-dimension std of the L2-normalised rows of ``Z`` (N x D, finite, N >= 2)."""
    moments = as_moments(Z)
    second = np.diag(moments.unit_gram) / moments.n_samples
    variance = moments.unit_variances  # centred sums: no cancellation near collapse
    variance = np.where(variance > 16 * np.finfo(float).eps * second, variance, 0.0)  # round-off of exact collapse
    value = float(np.mean(np.sqrt(variance)))
    if value <= 1e-6 / math.sqrt(moments.dim):
        warn_collapsed("embedding std", value, "every row points in the same direction")
    return value


def healthy_std(dim: int) -> float:
    """The std of isotropically spread unit vectors in ``dim`` dimensions: about 1/sqrt(dim)."""
    return 1 / math.sqrt(dim)
