"""Differential entropy of an embedding distribution, in bits: the study's H(Z).

Three estimators:

``"kl"`` (default), Kozachenko & Leonenko, Problems Inf. Transmission 23(2), 1987, with k neighbours
(Kraskov, Stoegbauer & Grassberger, Phys. Rev. E 69, 2004, eq. 20):

    H = psi(N) - psi(k) + log V_d + (d / N) sum_i log eps_i        [nats]

where eps_i is the Euclidean distance from sample i to its k-th nearest neighbour, psi the digamma
function and V_d = pi^(d/2) / Gamma(d/2 + 1) the volume of the unit d-ball.

``"gaussian"``, the entropy of a Gaussian with the sample covariance Sigma (+ ridge * I):

    H = 1/2 log det(2 pi e Sigma)                                   [nats]

``"binned"``, the sum of the plug-in entropies of the D marginal histograms (``bins`` equal-width bins
of width Delta_j spanning each dimension's range), each corrected to a differential entropy:

    H = sum_j ( - sum_b p_jb log p_jb + log Delta_j )                  [nats]

It ignores the dependence between dimensions, so it is an upper bound on the joint entropy (equal for
independent dimensions); a joint histogram is hopeless in more than a few dimensions. Constant
dimensions (dead units; their entropy is -inf) are left out of the sum, with a warning.

All are divided by ln 2 to give bits. The kNN estimator is the default because it is the only one of the
three that is consistent for any density: it sees clusters, holes and multimodality, which is what SSL
training changes, whereas the Gaussian estimator sees only the second moments (an upper bound on the
true entropy) and the binned one only the marginals. Those two are cheap, stable contrasts.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from scipy.special import digamma, gammaln

from sslnb.metrics._checks import CollapsedEmbeddingsError, check_embeddings, check_positive_int
from sslnb.metrics._utils import l2_normalize
from sslnb.metrics.moments import CHUNK_ROWS, Moments, as_moments
from sslnb.metrics.pairwise import pairwise_pass, seeded_sample

ESTIMATORS = ("kl", "gaussian", "binned")


def _kl_nats(Z: np.ndarray, k: int, neighbor_distances: np.ndarray | None = None) -> float:
    n, d = Z.shape
    if k >= n:
        raise ValueError(f"the kNN entropy estimator needs k < N, got k={k} with N={n} samples")
    if neighbor_distances is None:
        neighbor_distances = pairwise_pass(Z, n_neighbors=k, unit_neighbors=False).neighbor_distances
    return kl_from_neighbor_distances(neighbor_distances[:, k - 1], d, k)


def kl_from_neighbor_distances(eps: np.ndarray, d: int, k: int) -> float:
    """The Kozachenko-Leonenko estimate (nats) from each sample's distance to its k-th nearest neighbour."""
    n = len(eps)
    if not np.any(eps > 0):
        raise CollapsedEmbeddingsError(
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


def gaussian_nats(Z: np.ndarray | Moments, ridge: float) -> float:
    """Entropy in nats of the Gaussian with Z's covariance (+ ``ridge`` I): (D/2) log(2 pi e) + log det / 2."""
    moments = as_moments(Z)
    if moments.is_constant():
        raise CollapsedEmbeddingsError(
            "the embeddings are collapsed (constant): their covariance is zero and the Gaussian entropy is -inf"
        )
    d = moments.dim
    sign, logdet = np.linalg.slogdet(moments.covariance + ridge * np.eye(d))
    if sign <= 0:
        raise ValueError(
            "the covariance of the embeddings is singular; pass ridge > 0 to the Gaussian entropy estimator"
        )
    return float(0.5 * (d * math.log(2 * math.pi * math.e) + logdet))


def _row_chunks(Z: np.ndarray | torch.Tensor, normalize: bool, chunk_rows: int = CHUNK_ROWS):
    """Float64 row chunks of Z (L2-normalised if asked): O(chunk x D) memory, never a full copy.

    Tensors stay on their device (the chunks are tensors there); arrays give NumPy chunks.
    """
    for start in range(0, len(Z), chunk_rows):
        if isinstance(Z, torch.Tensor):
            chunk = Z[start:start + chunk_rows].to(torch.float64)
        else:
            chunk = np.asarray(Z[start:start + chunk_rows], dtype=np.float64)
        yield l2_normalize(chunk) if normalize else chunk


def _column_range(Z: np.ndarray | torch.Tensor, normalize: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension minimum and maximum over every row (as float64 NumPy vectors)."""
    if isinstance(Z, torch.Tensor):
        lows, highs = zip(*[(chunk.amin(dim=0), chunk.amax(dim=0)) for chunk in _row_chunks(Z, normalize)])
        return torch.stack(lows).amin(dim=0).cpu().numpy(), torch.stack(highs).amax(dim=0).cpu().numpy()
    low = np.min([chunk.min(axis=0) for chunk in _row_chunks(Z, normalize)], axis=0)
    high = np.max([chunk.max(axis=0) for chunk in _row_chunks(Z, normalize)], axis=0)
    return low, high


def _bin_counts(chunk: np.ndarray | torch.Tensor, varying: np.ndarray, low: np.ndarray, width: np.ndarray,
                bins: int) -> np.ndarray:
    """Counts of one chunk's values in each (dimension, bin) cell, flattened to d * bins."""
    d = int(varying.sum())
    if isinstance(chunk, torch.Tensor):
        device = chunk.device
        low_t, width_t = (torch.as_tensor(v, device=device) for v in (low, width))
        columns = chunk[:, torch.as_tensor(varying, device=device)]
        index = ((columns - low_t) / width_t).to(torch.int64).clamp_max_(bins - 1)  # max: last bin
        offsets = bins * torch.arange(d, device=device)
        return torch.bincount((index + offsets).ravel(), minlength=d * bins).cpu().numpy()
    index = np.minimum(((chunk[:, varying] - low) / width).astype(np.int64), bins - 1)  # max: last bin
    return np.bincount((index + bins * np.arange(d)).ravel(), minlength=d * bins)


def binned_nats(Z: np.ndarray | torch.Tensor, bins: int, normalize: bool = False) -> float:
    """Sum over the varying columns of each one's differential entropy in nats by a ``bins``-bin histogram.

    Each column's plug-in entropy of its histogram plus the log of its bin width; rows L2-normalised first
    if ``normalize``. Constant columns are left out with a warning.
    """
    low, high = _column_range(Z, normalize)
    varying = high > low
    if not varying.any():
        raise CollapsedEmbeddingsError(
            "every dimension is constant: the differential entropy is -inf and the binned estimator is undefined"
        )
    if not varying.all():
        warnings.warn(
            f"{int(np.sum(~varying))} of {Z.shape[1]} dimensions are constant (dead units?); the binned "
            "entropy sums over the others", RuntimeWarning, stacklevel=3,
        )
    low, high = low[varying], high[varying]
    width = (high - low) / bins
    d = int(varying.sum())
    counts = np.zeros(d * bins, dtype=np.int64)
    for chunk in _row_chunks(Z, normalize):
        counts += _bin_counts(chunk, varying, low, width, bins)
    p = counts.reshape(d, bins) / len(Z)
    plug_in = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=1)
    return float(np.sum(plug_in + np.log(width)))


def entropy(
    Z: np.ndarray, estimator: str = "kl", k: int = 3, ridge: float = 1e-6, bins: int = 32,
    sample_size: int | None = None, seed: int = 0,
) -> float:
    """Differential entropy of the distribution of the rows of ``Z``, in bits (see the module docstring).

    Args:
        Z: (N, D) finite embeddings, N >= 2 (and N > k for ``"kl"``).
        estimator: ``"kl"`` (Kozachenko-Leonenko kNN, default), ``"gaussian"`` or ``"binned"``.
        k: neighbour rank used by ``"kl"``.
        ridge: added to the covariance diagonal by ``"gaussian"``, so rank-deficient embeddings get a
            finite value.
        bins: histogram bins per dimension for ``"binned"``.
        sample_size: estimate from a seeded random sample of this many rows when N is larger (the kNN
            estimator costs O(N^2 D)); None uses every row.

    Collapsed (constant) embeddings raise CollapsedEmbeddingsError: their differential entropy is -inf.
    """
    Z = check_embeddings(Z)
    sample = seeded_sample(len(Z), sample_size, seed)
    if sample is not None:
        Z = Z[sample]
    if estimator == "kl":
        nats = _kl_nats(Z, check_positive_int(k, "k"))
    elif estimator == "gaussian":
        nats = gaussian_nats(Z, ridge)
    elif estimator == "binned":
        nats = binned_nats(Z, check_positive_int(bins, "bins"))
    else:
        raise ValueError(f"unknown entropy estimator {estimator!r}; choose one of {ESTIMATORS}")
    return nats / math.log(2)
