"""NESum: the sum of the covariance eigenvalues normalised by the largest one.

He & Ozay, "Exploring the Gap between Collapsed and Whitened Features in Self-Supervised Learning",
ICML 2022; used as a label-free quality measure by Tsitsulin, Munkhoeva & Perozzi (arXiv 2305.16562).
With lambda_1 >= ... >= lambda_D the eigenvalues of the sample covariance of the rows of Z:

    NESum(Z) = sum_i lambda_i / lambda_1

It lies in [1, D]: D for whitened (isotropic) features, 1 when all variance lies in one direction.
"""

from __future__ import annotations

import numpy as np

from sslnb.metrics._checks import CollapsedEmbeddingsError
from sslnb.metrics.moments import Moments, as_moments


def nesum(Z: np.ndarray | Moments) -> float:
    """NESum of ``Z`` (N x D, finite, N >= 2) or of its :class:`Moments`.

    Raises CollapsedEmbeddingsError for constant embeddings, whose covariance is zero.
    """
    moments = as_moments(Z)
    if moments.is_constant():
        raise CollapsedEmbeddingsError("NESum is undefined for constant embeddings: their covariance is zero")
    eigenvalues = moments.covariance_eigenvalues
    return float(eigenvalues.sum() / eigenvalues[0])
