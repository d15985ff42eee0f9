"""Second moments of an embedding matrix, computed in one streaming pass and shared by the spectral metrics.

RankMe and stable rank need the singular values of Z, alpha-ReQ, NESum and PCA the eigen-decomposition of
its covariance, SelfCluster and the collapse indicator the second moments of its L2-normalised rows W.
All of them follow from four sums over the rows:

    G = Z^T Z,   s = sum_i z_i,   G_W = W^T W,   s_W = sum_i w_i

so :func:`second_moments` reads Z once, in float64 chunks (memory O(chunk x D + D^2), never a float64 copy
of Z), and the spectra are eigen-decompositions of D x D matrices:

    singular values of Z   = sqrt(eig(G))
    covariance             = (G - s s^T / N) / (N - 1)

Float64 accumulation keeps the round-off eigenvalues of rank-deficient matrices at ~1e-16 of the largest
(float32 would leave ~1e-7 noise floors); those below the usual numerical-rank threshold are set to 0,
so a matrix of rank r shows exactly r non-zero singular values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from sslnb.metrics._checks import CollapsedEmbeddingsError, check_embeddings, warn_collapsed

CHUNK_ROWS = 8192


@dataclass(eq=False)
class Moments:
    """Sums over the rows of Z (N x D) and of its L2-normalised rows W; spectra on demand (cached)."""

    n_samples: int
    gram: np.ndarray  # Z^T Z, float64 (D, D)
    total: np.ndarray  # sum of the rows of Z, (D,)
    unit_gram: np.ndarray  # W^T W
    unit_total: np.ndarray  # sum of the rows of W
    zero_rows: int  # rows of Z that are exactly 0 (they stay 0 in W)
    # sum_i (z_i - mean)(z_i - mean)^T, and the same for W, accumulated about a shift (see second_moments);
    # None: derived from gram and total (exact in exact arithmetic, but it cancels for a large offset)
    scatter: np.ndarray | None = None
    unit_scatter: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return self.gram.shape[0]

    @cached_property
    def singular_values(self) -> np.ndarray:
        """Singular values of Z, descending (length D)."""
        eigenvalues = np.linalg.eigvalsh(self.gram)[::-1]
        return np.sqrt(_without_round_off(eigenvalues))

    @cached_property
    def covariance(self) -> np.ndarray:
        """Unbiased sample covariance of the rows of Z."""
        return self._centred(self.scatter, self.gram, self.total) / (self.n_samples - 1)

    @cached_property
    def unit_variances(self) -> np.ndarray:
        """Population variance of each coordinate of the L2-normalised rows W, (D,)."""
        return np.diag(self._centred(self.unit_scatter, self.unit_gram, self.unit_total)) / self.n_samples

    def _centred(self, scatter: np.ndarray | None, gram: np.ndarray, total: np.ndarray) -> np.ndarray:
        if scatter is not None:
            return scatter
        return gram - np.outer(total, total) / self.n_samples

    def of_directions(self) -> "Moments":
        """The moments of the L2-normalised rows W as if they were the rows: for entropies of directions."""
        return Moments(self.n_samples, self.unit_gram, self.unit_total, self.unit_gram, self.unit_total,
                       self.zero_rows, self.unit_scatter, self.unit_scatter)

    @cached_property
    def _covariance_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        values, vectors = np.linalg.eigh(self.covariance)
        return _without_round_off(values[::-1]), vectors[:, ::-1]

    @property
    def covariance_eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the covariance, descending, clipped at 0 (round-off)."""
        return self._covariance_eigh[0]

    @property
    def principal_axes(self) -> np.ndarray:
        """Eigenvectors of the covariance as columns, in the order of :attr:`covariance_eigenvalues`."""
        return self._covariance_eigh[1]

    @property
    def mean(self) -> np.ndarray:
        return self.total / self.n_samples

    def is_constant(self, rtol: float = 1e-12) -> bool:
        """True if every row is (numerically) the same vector: the total variance vanishes."""
        variance = float(np.trace(self.covariance))
        scale = float(np.trace(self.gram)) / self.n_samples
        return variance <= rtol * max(scale, np.finfo(float).tiny)

    def rank_one_value(self, metric: str) -> float | None:
        """For rank measures: 1.0 (with a warning) if every row is the same non-zero vector, else None.

        Raises CollapsedEmbeddingsError for all-zero embeddings, which have no rank-one direction either.
        """
        if self.singular_values[0] == 0:
            raise CollapsedEmbeddingsError(f"{metric} is undefined for all-zero embeddings")
        if self.is_constant():
            warn_collapsed(metric, 1.0, "every row is the same vector, so Z has rank 1")
            return 1.0
        return None


def _without_round_off(eigenvalues: np.ndarray) -> np.ndarray:
    """Descending eigenvalues of a PSD matrix with round-off (|lambda| < D eps lambda_1) set to exactly 0.

    The usual numerical-rank threshold: without it, the sqrt in the singular values would turn 1e-16
    noise into 1e-8 ones and a rank-r matrix would show more than r non-zero singular values.
    """
    threshold = len(eigenvalues) * np.finfo(np.float64).eps * max(eigenvalues[0], 0.0)
    return np.where(eigenvalues > threshold, eigenvalues, 0.0)


class _ShiftedSums:
    """Running sums of (x - c) and (x - c)(x - c)^T, with c the first chunk's mean row.

    Works on NumPy arrays and torch tensors alike (float64 chunks). With c close to the mean, the centred
    scatter sum (x - c)(x - c)^T - t t^T / N (t = sum of x - c) cancels nothing, however large the rows'
    common offset; Z^T Z and sum x follow exactly from the same sums.
    """

    def __init__(self) -> None:
        self.shift = self.gram = self.total = None

    def add(self, chunk) -> None:
        if self.shift is None:
            self.shift = chunk.mean(0)
            self.gram, self.total = 0.0, 0.0
        deviations = chunk - self.shift
        self.gram = self.gram + deviations.T @ deviations
        self.total = self.total + deviations.sum(0)

    def result(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Z^T Z, sum_i z_i and the centred scatter sum_i (z_i - mean)(z_i - mean)^T, as NumPy float64."""
        shift, gram, total = (np.asarray(v.cpu() if isinstance(v, torch.Tensor) else v, dtype=np.float64)
                              for v in (self.shift, self.gram, self.total))
        scatter = gram - np.outer(total, total) / n
        raw_gram = gram + np.outer(shift, total) + np.outer(total, shift) + n * np.outer(shift, shift)
        return raw_gram, total + n * shift, scatter


def second_moments(Z: np.ndarray | torch.Tensor, chunk_rows: int = CHUNK_ROWS) -> Moments:
    """Stream over the rows of ``Z`` (N x D, finite) once and return its :class:`Moments`.

    A torch tensor is summed on its own device (float64 chunks there, so a 10^6 x 2048 GPU matrix never
    crosses to the host); only the D x D sums come back, and the spectra are then the same NumPy code.
    The sums are taken about the first chunk's mean (:class:`_ShiftedSums`), so the covariance keeps its
    precision when the rows share an offset far larger than their spread.
    """
    Z = check_embeddings(Z)
    on_device = isinstance(Z, torch.Tensor)
    rows, directions = _ShiftedSums(), _ShiftedSums()
    zero_rows = 0
    for start in range(0, len(Z), chunk_rows):
        if on_device:
            chunk = Z[start:start + chunk_rows].to(torch.float64)
            norms = chunk.norm(dim=1, keepdim=True)
            zero_rows += int((norms == 0).sum())
            unit = chunk / torch.where(norms > 0, norms, torch.ones_like(norms))
        else:
            chunk = np.asarray(Z[start:start + chunk_rows], dtype=np.float64)
            norms = np.linalg.norm(chunk, axis=1, keepdims=True)
            zero_rows += int(np.sum(norms == 0))
            unit = chunk / np.where(norms > 0, norms, 1.0)
        rows.add(chunk)
        directions.add(unit)
    n = len(Z)
    gram, total, scatter = rows.result(n)
    unit_gram, unit_total, unit_scatter = directions.result(n)
    return Moments(n, gram, total, unit_gram, unit_total, zero_rows, scatter, unit_scatter)


def as_moments(Z: np.ndarray | Moments) -> Moments:
    """``Z`` itself if it already is a :class:`Moments`, else its moments: metrics accept either."""
    return Z if isinstance(Z, Moments) else second_moments(Z)
