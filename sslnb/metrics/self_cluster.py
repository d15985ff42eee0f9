"""SelfCluster: how much the L2-normalised embeddings cluster together, beyond random directions.

Tsitsulin, Munkhoeva & Perozzi, "Unsupervised Embedding Quality Evaluation", TAG-ML workshop at ICML 2023
(arXiv 2305.16562). With W the N x D matrix of L2-normalised rows of Z, the squared-cosine mass

    Q = ||W W^T||_F^2 = sum_ij (w_i . w_j)^2

is N + N(N-1)/D in expectation for N directions uniform on the sphere and N^2 when all rows coincide, so

    SelfCluster(Z) = (Q - N - N(N-1)/D) / (N^2 - N - N(N-1)/D)

is about 0 for random directions and 1 for a single direction (collapse). Lower is better spread.
Q is computed as ||W^T W||_F^2, from the D x D second moments, in O(N D^2) instead of O(N^2 D).
"""

from __future__ import annotations

import numpy as np

from sslnb.metrics._checks import UndefinedMetricError, warn_collapsed
from sslnb.metrics.moments import Moments, as_moments


def self_cluster(Z: np.ndarray | Moments) -> float:
    """SelfCluster of ``Z`` (N x D, finite, N >= 2, D >= 2, no all-zero row) or of its :class:`Moments`."""
    moments = as_moments(Z)
    if moments.zero_rows:
        raise ValueError(
            f"{moments.zero_rows} embedding row(s) are all zero and cannot be L2-normalised; "
            "SelfCluster needs a direction for every sample: drop those rows"
        )
    n, d = moments.n_samples, moments.dim
    if d < 2:
        raise UndefinedMetricError("SelfCluster is undefined for 1-dimensional embeddings: every direction is "
                                   "+1 or -1, so random and collapsed directions cannot be told apart")
    q = float(np.sum(moments.unit_gram**2))
    expected = n + n * (n - 1) / d
    value = (q - expected) / (n * n - expected)
    if value > 1 - 1e-9:
        warn_collapsed("SelfCluster", 1.0, "every row points in the same direction")
        return 1.0
    return float(value)
