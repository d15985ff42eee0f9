"""Stable rank of the embedding matrix.

Rudelson & Vershynin (2007); proposed as an embedding-quality measure by Tsitsulin, Munkhoeva & Perozzi,
"Unsupervised Embedding Quality Evaluation", TAG-ML workshop at ICML 2023 (arXiv 2305.16562):

    stable rank(Z) = ||Z||_F^2 / ||Z||_2^2 = sum_k sigma_k^2 / sigma_1^2

with sigma_k the singular values of the N x D matrix Z (not centred). It lies in [1, rank(Z)] and,
unlike the rank, does not jump under tiny perturbations.
"""

from __future__ import annotations

import numpy as np

from sslnb.metrics.moments import Moments, as_moments


def stable_rank(Z: np.ndarray | Moments) -> float:
    """Stable rank of ``Z`` (N x D, finite) or of its :class:`Moments`; 1 (with a warning) if constant."""
    moments = as_moments(Z)
    collapsed = moments.rank_one_value("stable rank")
    return collapsed if collapsed is not None else float(np.trace(moments.gram) / moments.singular_values[0] ** 2)
