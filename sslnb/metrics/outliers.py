"""Outlying samples in an embedding: robust z-scores of the distance to the median embedding.

The study highlights checkpoints "whose embeddings contained outlying samples" in its entropy plots
(Xu, Lowe & Trappenberg, CCECE 2022) without defining them. sslnb uses the median/MAD rule of
Leys et al., "Detecting outliers: do not use standard deviation around the mean, use absolute deviation
around the median", J. Exp. Soc. Psychol. 2013, applied to each sample's distance from the
coordinate-wise median embedding m:

    d_i = || z_i - m ||_2,            m_j = median_i Z_ij
    z_i = (d_i - median(d)) / (1.4826 * MAD(d)),    MAD(d) = median_i |d_i - median(d)|

The factor 1.4826 makes 1.4826 * MAD a consistent estimate of the standard deviation for Gaussian data,
and median and MAD ignore the outliers they are looking for (a mean/std rule would be inflated by them).
A sample is outlying when z_i > threshold; a checkpoint is an *outlier milestone* when it has at least one
outlying sample. The threshold is ``metrics.outlier_z`` in params.yaml (default 6: among 5,000 Gaussian
samples the largest z is about 3.7, so 6 flags genuinely detached points, not the tail of the bulk).
"""

from __future__ import annotations

import numpy as np

from sslnb.metrics._checks import CollapsedEmbeddingsError, check_embeddings

MAD_TO_STD = 1.4826  # 1 / Phi^-1(3/4): MAD * this estimates the std of Gaussian data


def outlier_scores(Z: np.ndarray) -> np.ndarray:
    """Robust z-score of each row's distance to the median embedding (formula in the module docstring).

    ``Z``: (N, D) finite embeddings, N >= 2. Raises :class:`CollapsedEmbeddingsError` when more than
    half of the distances are equal (MAD = 0), e.g. when the rows have collapsed to one point.
    """
    Z = check_embeddings(Z, "outlier_scores")
    distances = np.linalg.norm(Z.astype(np.float64) - np.median(Z, axis=0), axis=1)
    centre = np.median(distances)
    spread = MAD_TO_STD * np.median(np.abs(distances - centre))
    if spread == 0 or spread <= 1e-12 * centre:  # relative: the scores are scale-free
        raise CollapsedEmbeddingsError(
            "outlier_scores: the distances to the median embedding have zero spread (MAD = 0), so robust "
            "z-scores are undefined; the embeddings have (nearly) collapsed"
        )
    return (distances - centre) / spread


def outlier_summary(Z: np.ndarray, threshold: float) -> dict[str, float]:
    """``outlier_fraction`` (share of rows with z > ``threshold``) and ``outlier_max_z`` of ``Z``."""
    if not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"outlier threshold must be a positive number of robust standard deviations, got {threshold}")
    scores = outlier_scores(Z)
    return {"outlier_fraction": float(np.mean(scores > threshold)), "outlier_max_z": float(scores.max())}
