"""RankMe, stable rank, NESum and alpha-ReQ against NumPy/scikit-learn spectra and constructed spectra."""

import math

import numpy as np
import pytest
from scipy.stats import linregress
from sklearn.decomposition import PCA

from sslnb.metrics import CollapsedEmbeddingsError, alpha_req, nesum, rankme, second_moments, stable_rank


def with_singular_values(sigma, n=400, seed=0) -> np.ndarray:
    """An n x len(sigma) matrix whose singular values are exactly ``sigma``."""
    rng = np.random.default_rng(seed)
    left, _ = np.linalg.qr(rng.normal(size=(n, len(sigma))))
    right, _ = np.linalg.qr(rng.normal(size=(len(sigma), len(sigma))))
    return left @ np.diag(sigma) @ right.T


def with_covariance_eigenvalues(eigenvalues, n=2000, seed=0) -> np.ndarray:
    """An n x d matrix whose sample covariance has exactly the given eigenvalues."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(eigenvalues)))
    X -= X.mean(axis=0)
    left, _ = np.linalg.qr(X)  # orthonormal, centred columns
    right, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues),) * 2))
    return left @ np.diag(np.sqrt(np.asarray(eigenvalues) * (n - 1))) @ right.T + 3.0


@pytest.mark.parametrize("rank", [1, 3, 17])
def test_rankme_of_a_matrix_of_known_rank(rank):
    Z = with_singular_values([2.0] * rank + [0.0] * (32 - rank))
    assert rankme(Z, eps=0) == pytest.approx(rank, rel=1e-9)
    assert rankme(Z) == pytest.approx(rank, rel=1e-3)  # the paper's eps adds a little


def test_rankme_matches_numpy_svd():
    Z = np.random.default_rng(1).normal(size=(300, 40)) @ np.diag(np.linspace(0.1, 3, 40))
    s = np.linalg.svd(Z, compute_uv=False)
    p = s / s.sum() + 1e-7
    assert rankme(Z) == pytest.approx(math.exp(-np.sum(p * np.log(p))), rel=1e-10)


def test_stable_rank_matches_numpy_norms():
    Z = np.random.default_rng(2).normal(size=(200, 30)) @ np.diag(np.linspace(0.5, 2, 30))
    expected = np.linalg.norm(Z, "fro") ** 2 / np.linalg.norm(Z, 2) ** 2
    assert stable_rank(Z) == pytest.approx(expected, rel=1e-10)
    assert stable_rank(with_singular_values([3.0, 3.0, 3.0, 0, 0])) == pytest.approx(3.0)


def test_nesum_matches_scikit_learn_pca():
    Z = np.random.default_rng(3).normal(size=(500, 20)) @ np.diag(np.linspace(0.2, 4, 20))
    variances = PCA().fit(Z).explained_variance_
    assert nesum(Z) == pytest.approx(variances.sum() / variances[0], rel=1e-9)
    assert nesum(with_covariance_eigenvalues([1.0] * 8)) == pytest.approx(8.0)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_alpha_req_recovers_a_known_power_law(alpha):
    eigenvalues = 5.0 * np.arange(1, 41, dtype=float) ** -alpha
    fit = alpha_req(with_covariance_eigenvalues(eigenvalues))
    assert fit.alpha == pytest.approx(alpha, abs=1e-8)
    assert fit.r2 == pytest.approx(1.0, abs=1e-10)
    assert (fit.first_rank, fit.last_rank) == (2, 40)


def test_alpha_req_matches_a_scipy_fit_of_the_pca_spectrum():
    Z = np.random.default_rng(4).normal(size=(1000, 30)) @ np.diag(np.arange(1, 31) ** -0.8)
    variances = PCA().fit(Z).explained_variance_
    reference = linregress(np.log(np.arange(3, 31)), np.log(variances[2:]))
    fit = alpha_req(Z, first_rank=3)
    assert fit.alpha == pytest.approx(-reference.slope, rel=1e-8)
    assert fit.r2 == pytest.approx(reference.rvalue**2, rel=1e-8)


def test_alpha_req_needs_three_eigenvalues_to_fit():
    with pytest.raises(ValueError, match="at least 3 eigenvalues"):
        alpha_req(np.random.default_rng(0).normal(size=(50, 3)))


def test_moments_are_streamed_in_chunks_without_changing_them():
    Z = np.random.default_rng(5).normal(size=(1000, 12)).astype(np.float32)
    whole, chunked = second_moments(Z), second_moments(Z, chunk_rows=37)
    np.testing.assert_allclose(chunked.gram, whole.gram, rtol=1e-12)
    np.testing.assert_allclose(chunked.covariance, np.cov(Z.astype(float), rowvar=False), rtol=1e-9, atol=1e-12)


def test_constant_embeddings_give_the_collapse_value_or_an_error():
    Z = np.tile(np.array([1.0, -2.0, 0.5]), (100, 1))
    with pytest.warns(RuntimeWarning, match="collapsed"):
        assert rankme(Z) == 1.0
    with pytest.warns(RuntimeWarning, match="collapsed"):
        assert stable_rank(Z) == 1.0
    for metric in (nesum, alpha_req):
        with pytest.raises(CollapsedEmbeddingsError, match="constant"):
            metric(Z)
    with pytest.raises(CollapsedEmbeddingsError, match="all-zero"):
        rankme(np.zeros((10, 3)))
