"""Differential entropy of an embedding distribution, in bits: the study's H(Z).

Two estimators:

``"kl"`` (default), Kozachenko & Leonenko, Problems Inf. Transmission 23(2), 1987, with k neighbours
(Kraskov, Stoegbauer & Grassberger, Phys. Rev. E 69, 2004, eq. 20):

    H = psi(N) - psi(k) + log V_d + (d / N) sum_i log eps_i        [nats]

where eps_i is the Euclidean distance from sample i to its k-th nearest neighbour, psi the digamma
function and V_d = pi^(d/2) / Gamma(d/2 + 1) the volume of the unit d-ball.

``"gaussian"``, the entropy of a Gaussian with the sample covariance Sigma (+ ridge * I):

    H = 1/2 log det(2 pi e Sigma)                                   [nats]

Both are divided by ln 2 to give bits. The kNN estimator is the default because it is consistent for
any density: it sees clusters, holes and multimodality, which is what SSL training changes, whereas the
Gaussian estimator sees only the second moments and is an upper bound on the true entropy. The Gaussian
one is cheap and stable in high dimension and useful as a contrast.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import digamma, gammaln
from sklearn.neighbors import NearestNeighbors

from sslnb.metrics._checks import check_embeddings, check_positive_int

ESTIMATORS = ("kl", "gaussian")


def _kl_nats(Z: np.ndarray, k: int) -> float:
    n, d = Z.shape
    if k >= n:
        raise ValueError(f"the kNN entropy estimator needs k < N, got k={k} with N={n} samples")
    distances, _ = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(Z).kneighbors(Z)
    eps = distances[:, k]  # column 0 is the sample itself (or an exact duplicate of it)
    if not np.any(eps > 0):
        raise ValueError(
            "the embeddings are collapsed (every sample coincides with its neighbours): "
            "the differential entropy is -inf and the kNN estimator is undefined"
        )
    if np.any(eps == 0):
        warnings.warn(
            f"{int(np.sum(eps == 0))} samples have {k} or more exact duplicates; their neighbour "
            "distance is floored at the smallest positive one, so the entropy is an upper estimate",
            RuntimeWarning, stacklevel=3,
        )
        eps = np.maximum(eps, eps[eps > 0].min())
    log_unit_ball = (d / 2) * math.log(math.pi) - gammaln(d / 2 + 1)
    return float(digamma(n) - digamma(k) + log_unit_ball + d * np.mean(np.log(eps)))


def _gaussian_nats(Z: np.ndarray, ridge: float) -> float:
    d = Z.shape[1]
    covariance = np.atleast_2d(np.cov(Z, rowvar=False)) + ridge * np.eye(d)
    sign, logdet = np.linalg.slogdet(covariance)
    if sign <= 0:
        raise ValueError(
            "the covariance of the embeddings is singular; pass ridge > 0 to the Gaussian entropy estimator"
        )
    return float(0.5 * (d * math.log(2 * math.pi * math.e) + logdet))


def entropy(Z: np.ndarray, estimator: str = "kl", k: int = 3, ridge: float = 1e-6) -> float:
    """Differential entropy of the distribution of the rows of ``Z``, in bits (see the module docstring).

    Args:
        Z: (N, D) finite embeddings, N >= 2 (and N > k for ``"kl"``).
        estimator: ``"kl"`` (Kozachenko-Leonenko kNN, default) or ``"gaussian"``.
        k: neighbour rank used by ``"kl"``.
        ridge: added to the covariance diagonal by ``"gaussian"``, so rank-deficient embeddings get a
            finite value.
    """
    Z = check_embeddings(Z)
    if estimator == "kl":
        nats = _kl_nats(Z, check_positive_int(k, "k"))
    elif estimator == "gaussian":
        nats = _gaussian_nats(Z, ridge)
    else:
        raise ValueError(f"unknown entropy estimator {estimator!r}; choose one of {ESTIMATORS}")
    return nats / math.log(2)
