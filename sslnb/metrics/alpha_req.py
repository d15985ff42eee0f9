"""alpha-ReQ: the decay coefficient of the embedding eigenspectrum.

Agrawal, Mondal, Ghosh & Richards, "alpha-ReQ: Assessing Representation Quality in Self-Supervised
Learning by Measuring Eigenspectrum Decay", NeurIPS 2022. With lambda_1 >= lambda_2 >= ... the
eigenvalues of the sample covariance of the embeddings, fit the power law lambda_i ~ c i^(-alpha) by
least squares in log-log space over a range of ranks:

    log lambda_i = log c - alpha log i,      i = first_rank, ..., last_rank

The top eigenvalues are excluded (``first_rank``, default 2) because they are dominated by a few
directions, and numerically zero eigenvalues (below ``floor`` x lambda_1) end the range. The paper finds
representations generalise best for alpha close to 1; a fast decay (large alpha) means few dimensions
carry the variance, a slow one (alpha near 0) means noise-like, whitened features. The fit's R^2 says
how well a power law describes the spectrum at all, so it is returned too.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sslnb.metrics._checks import CollapsedEmbeddingsError, UndefinedMetricError, check_positive_int
from sslnb.metrics.moments import Moments, as_moments


class PowerLawFit(NamedTuple):
    alpha: float  # decay coefficient: lambda_i ~ i^(-alpha)
    r2: float  # coefficient of determination of the log-log least-squares fit
    first_rank: int  # ranks actually fitted (1-based, inclusive)
    last_rank: int


def power_law_fit(eigenvalues: np.ndarray, first_rank: int = 2, last_rank: int | None = None,
                  floor: float = 1e-10) -> PowerLawFit:
    """Fit lambda_i ~ c i^(-alpha) to a descending spectrum over ranks first_rank..last_rank."""
    values = np.sort(np.asarray(eigenvalues, dtype=np.float64))[::-1]
    first_rank = check_positive_int(first_rank, "first_rank")
    positive = int(np.sum(values > floor * values[0])) if values[0] > 0 else 0
    last = positive if last_rank is None else min(check_positive_int(last_rank, "last_rank"), positive)
    if last - first_rank + 1 < 3:
        raise UndefinedMetricError(
            f"alpha-ReQ needs at least 3 eigenvalues to fit between ranks {first_rank} and {last} "
            f"(the spectrum has {positive} non-negligible eigenvalues of {len(values)}); "
            "lower first_rank, or use embeddings with more dimensions"
        )
    log_rank = np.log(np.arange(first_rank, last + 1))
    log_value = np.log(values[first_rank - 1:last])
    slope, intercept = np.polyfit(log_rank, log_value, 1)
    residual = log_value - (slope * log_rank + intercept)
    total = np.sum((log_value - log_value.mean()) ** 2)
    r2 = 1.0 - np.sum(residual**2) / total if total > 0 else 1.0
    return PowerLawFit(float(-slope), float(r2), first_rank, last)


def alpha_req(Z: np.ndarray | Moments, first_rank: int = 2, last_rank: int | None = None,
              floor: float = 1e-10) -> PowerLawFit:
    """alpha-ReQ of embeddings ``Z`` (N x D, finite) or of their :class:`Moments`: ``(alpha, r2, ...)``.

    Args:
        first_rank: first eigenvalue rank in the fit (1-based); ranks above it are excluded.
        last_rank: last rank in the fit (default: the last eigenvalue above ``floor`` x lambda_1).
        floor: relative size below which an eigenvalue counts as numerically zero.

    Raises CollapsedEmbeddingsError for constant embeddings (their spectrum is zero).
    """
    moments = as_moments(Z)
    if moments.is_constant():
        raise CollapsedEmbeddingsError("alpha-ReQ is undefined for constant embeddings: their covariance is zero")
    return power_law_fit(moments.covariance_eigenvalues, first_rank, last_rank, floor)
