"""One blocked pass over the pairwise distances of a sample, shared by the silhouette and the kNN entropy.

Both metrics are O(N^2 D): the silhouette needs, for every sample, the sum of its Euclidean distances to
the members of each cluster, and the Kozachenko-Leonenko entropy needs every sample's k nearest
neighbours (of the L2-normalised rows, by default). Both follow from the Gram matrix P = X X^T:

    ||x_i - x_j||^2 = ||x_i||^2 + ||x_j||^2 - 2 P_ij,     ||u_i - u_j||^2 = 2 - 2 P_ij / (||x_i|| ||x_j||)

so :func:`pairwise_pass` forms each block of P once (float32 matrix products through torch, on the upper
triangle only, since P is symmetric) and derives both from it. Memory stays O(block x N); nothing N x N
is ever held. Neighbour distances are recomputed exactly in float64 once the neighbours are chosen, so
float32 round-off cannot turn exact duplicates into small positive distances.

The expansion cancels when the rows share an offset much larger than their spread, which is what a model
near collapse produces (and, for the unit rows u, when they all point almost the same way). The rows, and
the unit rows for unit neighbours, are therefore centred in float64 first: distances do not change, and
the float32 products then only see the spread (the unit-row distances use the same expansion on the
centred unit rows instead of 2 - 2 cos).

A torch tensor is processed on its own device (a GPU does the products, the neighbour search and the
float64 recomputation); a NumPy array runs through torch on the CPU. Both give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from sslnb.metrics._utils import centred_rows, float32_safe_scale

BLOCK_ROWS = 2048


@dataclass(frozen=True)
class PairwiseStats:
    cluster_distance_sums: np.ndarray | None  # (N, n_clusters): sum_j in cluster c of ||x_i - x_j||
    cluster_sizes: np.ndarray | None  # (n_clusters,)
    cluster_codes: np.ndarray | None  # (N,) cluster index 0..n_clusters-1 of each sample
    neighbor_distances: np.ndarray | None  # (N, k): distances to the k nearest other samples, ascending


@dataclass(frozen=True)
class _Rows:
    """Centred float64 rows and their float32 copy (times an exact power of two) for the blocked products."""

    exact: torch.Tensor  # (N, D) float64, centred: the distances of the input, no offset to cancel
    fast: torch.Tensor  # (N, D) float32, exact * scale
    squared: torch.Tensor  # (N,) squared norms of ``fast``
    scale: float

    @classmethod
    def of(cls, Z: np.ndarray | torch.Tensor, unit: bool) -> "_Rows":
        exact = centred_rows(Z, unit=unit)
        scale = float32_safe_scale(exact)  # exact power of two: float32 squares must not over- or underflow
        fast = (exact * scale).to(torch.float32).contiguous()
        return cls(exact, fast, (fast * fast).sum(dim=1), scale)

    def squared_distances(self, rows_i: slice, rows_j: slice) -> torch.Tensor:
        dots = self.fast[rows_i] @ self.fast[rows_j].T
        return (self.squared[rows_i, None] + self.squared[None, rows_j] - 2 * dots).clamp_min_(0)


def pairwise_pass(
    Z: np.ndarray | torch.Tensor, labels: np.ndarray | None = None, n_neighbors: int = 0, unit_neighbors: bool = True,
    block_rows: int = BLOCK_ROWS,
) -> PairwiseStats:
    """Cluster distance sums (if ``labels``) and the ``n_neighbors`` nearest-neighbour distances of ``Z``.

    Args:
        Z: (N, D) finite embeddings (already checked by the caller).
        labels: (N,) cluster labels for the silhouette, or None.
        n_neighbors: k of the neighbour distances (0: none), k < N.
        unit_neighbors: neighbours of the L2-normalised rows (True) or of the raw rows (False).

    The rows (and, for unit neighbours, the directions) are centred in float64 before the float32
    products (:func:`~sslnb.metrics._utils.centred_rows`), so a common offset changes nothing.
    """
    k = n_neighbors
    raw = _Rows.of(Z, unit=False) if labels is not None or (k and not unit_neighbors) else None
    near_rows = (_Rows.of(Z, unit=True) if unit_neighbors else raw) if k else None
    if raw is None and near_rows is None:
        raise ValueError("pairwise_pass needs labels or n_neighbors > 0: there is nothing to compute")
    n, device = Z.shape[0], (raw if raw is not None else near_rows).fast.device
    onehot = sizes = codes = sums = None
    if labels is not None:
        classes, codes = np.unique(labels, return_inverse=True)
        onehot = torch.nn.functional.one_hot(torch.from_numpy(codes), len(classes)).to(device, torch.float32)
        sizes = np.bincount(codes, minlength=len(classes)).astype(np.int64)
        sums = torch.zeros(n, len(classes), dtype=torch.float64, device=device)
    best = torch.full((n, k), float("inf"), device=device) if k else None
    best_index = torch.zeros((n, k), dtype=torch.long, device=device) if k else None

    def merge(rows: slice, candidates: torch.Tensor, offset: int) -> None:
        # keep the k smallest of (current best, this block's k smallest) for each row
        take = min(k, candidates.shape[1])
        values, index = candidates.topk(take, dim=1, largest=False)
        pooled = torch.cat([best[rows], values], dim=1)
        pooled_index = torch.cat([best_index[rows], index + offset], dim=1)
        keep = pooled.topk(k, dim=1, largest=False)
        best[rows], best_index[rows] = keep.values, pooled_index.gather(1, keep.indices)

    for i0 in range(0, n, block_rows):
        rows_i = slice(i0, min(i0 + block_rows, n))
        for j0 in range(i0, n, block_rows):
            rows_j = slice(j0, min(j0 + block_rows, n))
            diagonal = i0 == j0
            raw_squared = raw.squared_distances(rows_i, rows_j) if raw is not None else None
            if sums is not None:
                distance = raw_squared.sqrt()
                if diagonal:
                    distance.fill_diagonal_(0.0)
                sums[rows_i] += (distance @ onehot[rows_j]).double()
                if not diagonal:
                    sums[rows_j] += (distance.T @ onehot[rows_i]).double()
            if k:
                near = raw_squared.clone() if near_rows is raw else near_rows.squared_distances(rows_i, rows_j)
                if diagonal:
                    near.fill_diagonal_(float("inf"))  # a sample is not its own neighbour
                merge(rows_i, near, j0)
                if not diagonal:
                    merge(rows_j, near.T, i0)
    neighbor_distances = _exact_distances(near_rows.exact, best_index) if k else None
    return PairwiseStats(
        None if sums is None else sums.cpu().numpy() / raw.scale, sizes, codes, neighbor_distances,
    )


def _exact_distances(exact: torch.Tensor, index: torch.Tensor) -> np.ndarray:
    """Float64 distances from each row to its chosen neighbours, ascending, computed where the rows live.

    One neighbour rank at a time: an (N, k, D) difference array would hold k copies of the rows.
    """
    columns = [(exact - exact[index[:, j]]).norm(dim=1) for j in range(index.shape[1])]
    return torch.stack(columns, dim=1).sort(dim=1).values.cpu().numpy()


def silhouette_from_sums(stats: PairwiseStats) -> float:
    """Mean silhouette from the cluster distance sums (Rousseeuw 1987; s(i) = 0 for singleton clusters)."""
    sums, sizes, codes = stats.cluster_distance_sums, stats.cluster_sizes, stats.cluster_codes
    n = len(codes)
    own_size = sizes[codes]
    a = sums[np.arange(n), codes] / np.maximum(own_size - 1, 1)
    means = sums / sizes[None, :]
    means[np.arange(n), codes] = np.inf
    b = means.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    s = np.where((own_size > 1) & np.isfinite(s), s, 0.0)
    return float(np.mean(s))


def seeded_sample(n: int, sample_size: int | None, seed: int) -> np.ndarray | None:
    """Row indices of a seeded random sample of ``sample_size`` of ``n`` rows, or None for all rows.

    Drawn as scikit-learn's ``silhouette_score`` draws its sample (a permutation from
    ``RandomState(seed)``), so a sampled silhouette equals scikit-learn's with the same seed.
    """
    if sample_size is None or sample_size >= n:
        return None
    if sample_size < 2:
        raise ValueError(f"sample_size must be at least 2, got {sample_size}")
    return np.random.RandomState(seed).permutation(n)[:sample_size]
