import math

import numpy as np
import pytest

from sslnb.metrics import entropy


def _gaussian_bits(variances) -> float:
    return 0.5 * sum(math.log2(2 * math.pi * math.e * v) for v in variances)


def test_gaussian_estimator_is_exact_for_a_known_sample_covariance():
    # Whiten a sample so its covariance is exactly I, then scale: the sample covariance is diag(s^2).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    X -= X.mean(0)
    X = X @ np.linalg.inv(np.linalg.cholesky(np.cov(X, rowvar=False))).T
    scales = np.array([1.0, 2.0, 3.0])
    assert entropy(X * scales, "gaussian", ridge=0.0) == pytest.approx(_gaussian_bits(scales**2), abs=1e-9)


@pytest.mark.parametrize("d, sigma, tolerance", [(1, 1.0, 0.05), (2, 1.0, 0.08), (4, 2.0, 0.25)])
def test_kl_estimator_recovers_isotropic_gaussian_entropy(d, sigma, tolerance):
    Z = np.random.default_rng(1).normal(scale=sigma, size=(5000, d))
    assert entropy(Z, "kl", k=3) == pytest.approx(_gaussian_bits([sigma**2] * d), abs=tolerance)


def test_kl_estimator_recovers_uniform_entropy():
    # Uniform on [0, 4]^2 has entropy log2(16) = 4 bits.
    Z = np.random.default_rng(2).uniform(0, 4, size=(5000, 2))
    assert entropy(Z, "kl") == pytest.approx(4.0, abs=0.1)


def test_entropy_shifts_by_d_log2_c_under_scaling():
    Z = np.random.default_rng(3).normal(size=(1000, 3))
    for estimator in ("kl", "gaussian"):
        assert entropy(5 * Z, estimator) - entropy(Z, estimator) == pytest.approx(3 * math.log2(5), abs=1e-4)


def test_collapsed_embeddings_are_an_error_for_kl():
    with pytest.raises(ValueError, match="collapsed"):
        entropy(np.ones((50, 4)), "kl")


def test_duplicates_warn():
    Z = np.random.default_rng(4).normal(size=(100, 2))
    with pytest.warns(RuntimeWarning, match="duplicates"):
        entropy(np.vstack([Z, Z[:10], Z[:10], Z[:10]]), "kl", k=3)


def test_unknown_estimator_and_bad_k():
    Z = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="unknown entropy estimator"):
        entropy(Z, "histogram-ish")
    with pytest.raises(ValueError, match="k < N"):
        entropy(Z, "kl", k=10)
    with pytest.raises(ValueError, match="NaN"):
        entropy(np.where(Z > 1, np.nan, Z), "kl")
