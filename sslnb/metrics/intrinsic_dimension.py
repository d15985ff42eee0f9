"""Intrinsic dimension of the embeddings: TwoNN and the minimum-spanning-tree (PH0) estimator.

Both estimate the dimension d of the manifold the embeddings lie on, whatever the ambient dimension D.
IdEst (Mordacq, Kalogeiton & Oudot, ICML 2026, arXiv 2606.03338) reports that a *lower* intrinsic
dimension of frozen features goes with a higher probe accuracy and proposes it for selecting
hyperparameters without labels; sslnb judges that claim across its sweeps (:mod:`sslnb.analysis.runs`).

**TwoNN** (Facco, d'Errico, Rodriguez & Laio, Sci. Rep. 7, 12140, 2017). For each point i let r1(i) and
r2(i) be the Euclidean distances to its first and second nearest neighbours and mu_i = r2 / r1. On a
locally uniform d-dimensional density, mu follows the Pareto law F(mu) = 1 - mu^(-d), whose maximum-
likelihood estimate is

    d_TwoNN = N' / sum_i log(mu_i)

over the N' points with r1 > 0 (exact duplicates carry no scale information and are left out).

**MST (PH0) dimension** (as in IdEst; Steele 1988 for the growth law). The total edge length L(n) of the
Euclidean minimum spanning tree of n points drawn from a d-dimensional density grows as
n^((d - 1) / d). With m the least-squares slope of log L(n) against log n over several sample sizes,

    d_MST = 1 / (1 - m)

sslnb draws the sizes as nested prefixes of one seeded permutation, so the estimate is reproducible.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import pdist, squareform
from sklearn.neighbors import NearestNeighbors

from sslnb.metrics._checks import UndefinedMetricError, check_embeddings, check_positive_int
from sslnb.metrics._utils import centred_array


def twonn_from_distances(r1: np.ndarray, r2: np.ndarray) -> float:
    """d_TwoNN = N' / sum log(r2 / r1) from first- and second-neighbour distances (r2 >= r1 >= 0)."""
    r1, r2 = np.asarray(r1, dtype=np.float64), np.asarray(r2, dtype=np.float64)
    if r1.shape != r2.shape or r1.ndim != 1:
        raise ValueError(f"r1 and r2 must be 1-D arrays of one length, got shapes {r1.shape} and {r2.shape}")
    if np.any(r2 < r1) or np.any(r1 < 0):
        raise ValueError("neighbour distances must satisfy 0 <= r1 <= r2")
    keep = r1 > 0
    log_mu = np.log(r2[keep] / r1[keep])
    total = float(log_mu.sum())
    if keep.sum() < 2 or total <= 0:
        raise UndefinedMetricError("TwoNN: every point's first and second neighbours are equally far (or "
                                   "duplicates); the intrinsic dimension is undefined")
    return float(keep.sum()) / total


def twonn_dimension(Z: np.ndarray) -> float:
    """TwoNN intrinsic dimension of the rows of ``Z`` (N x D, finite, N >= 3); see the module docstring.

    The neighbours are exact (brute force over all rows); pass a sample for large N: the cost is O(N^2 D).
    """
    # centred: scikit-learn's brute-force distances use the expansion ||x||^2 + ||y||^2 - 2 x.y
    Z = centred_array(check_embeddings(Z, min_samples=3))
    distances, _ = NearestNeighbors(n_neighbors=3, algorithm="brute").fit(Z).kneighbors(Z)
    # column 0 is the point itself (distance 0), unless it has an exact duplicate, which then is r1 = 0
    return twonn_from_distances(distances[:, 1], distances[:, 2])


def mst_length(Z: np.ndarray) -> float:
    """Total Euclidean edge length of the minimum spanning tree of the rows of ``Z`` (N x D, N >= 1)."""
    # a duplicate joins the tree by a zero-length edge; dropping duplicates first matters because csgraph
    # reads a zero in a dense matrix as "no edge", which would make the duplicate join by a longer one
    Z = np.unique(np.asarray(Z, dtype=np.float64), axis=0)
    if len(Z) < 2:
        return 0.0
    return float(minimum_spanning_tree(squareform(pdist(Z))).sum())


def dimension_from_lengths(sizes: np.ndarray, lengths: np.ndarray) -> float:
    """d = 1 / (1 - m), m the least-squares slope of log(lengths) against log(sizes)."""
    sizes, lengths = np.asarray(sizes, dtype=np.float64), np.asarray(lengths, dtype=np.float64)
    if sizes.shape != lengths.shape or sizes.ndim != 1 or len(sizes) < 2:
        raise ValueError("sizes and lengths must be 1-D arrays of one length with at least 2 entries")
    if np.any(lengths <= 0):
        raise UndefinedMetricError("MST dimension: a spanning tree has length 0 (duplicate or collapsed points)")
    slope = float(np.polyfit(np.log(sizes), np.log(lengths), 1)[0])
    if slope >= 1:
        raise UndefinedMetricError(f"MST dimension: log L(n) grows with slope {slope:.3f} >= 1; the points do "
                                   "not look like a sample of a finite-dimensional density")
    return 1.0 / (1.0 - slope)


def mst_dimension(Z: np.ndarray, max_points: int = 1000, n_sizes: int = 6, seed: int = 0) -> float:
    """MST (PH0) intrinsic dimension of the rows of ``Z``; see the module docstring.

    Args:
        Z: (N, D) finite embeddings, N >= 8.
        max_points: the largest tree spans min(N, max_points) rows (cost O(max_points^2 D) time and
            O(max_points^2) memory).
        n_sizes: the number of sample sizes, spaced geometrically from a quarter of that up to it.
        seed: the permutation whose prefixes are the samples.
    """
    Z = centred_array(check_embeddings(Z, min_samples=8))  # scale- and translation-free, in float range
    max_points, n_sizes = check_positive_int(max_points, "max_points"), check_positive_int(n_sizes, "n_sizes")
    if n_sizes < 2:
        raise ValueError(f"n_sizes must be at least 2 (a slope needs two sizes), got {n_sizes}")
    largest = min(len(Z), max_points)
    if largest < 8:
        raise ValueError(f"max_points must be at least 8, got {max_points}")
    sizes = np.unique(np.geomspace(max(largest // 4, 4), largest, n_sizes).astype(int))
    order = np.random.RandomState(seed).permutation(len(Z))[:largest]
    lengths = np.array([mst_length(Z[order[:n]]) for n in sizes])
    return dimension_from_lengths(sizes, lengths)
