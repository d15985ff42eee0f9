"""SelfCluster, the collapse std, alignment, uniformity and LiDAR on constructed point sets and against
brute-force or scikit-learn computations."""

import math

import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from sslnb.metrics import (
    CollapsedEmbeddingsError, alignment, embedding_std, lidar, self_cluster, uniformity, uniformity_of_views,
)


def unit_rows(Z):
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def regular_simplex(d: int) -> np.ndarray:
    """The d + 1 vertices of a regular simplex on the unit sphere of R^(d+1)'s sum-zero hyperplane."""
    vertices = np.eye(d + 1) - 1.0 / (d + 1)
    return unit_rows(vertices)


def test_self_cluster_matches_its_definition_by_brute_force():
    Z = np.random.default_rng(0).normal(size=(300, 16)) + np.array([2.0] + [0.0] * 15)
    W = unit_rows(Z)
    n, d = W.shape
    q = np.sum((W @ W.T) ** 2)
    expected = (q - n - n * (n - 1) / d) / (n * n - n - n * (n - 1) / d)
    assert self_cluster(Z) == pytest.approx(expected, rel=1e-10)


def test_self_cluster_is_near_zero_for_random_directions_and_one_for_collapse():
    assert abs(self_cluster(np.random.default_rng(1).normal(size=(4000, 32)))) < 0.01
    with pytest.warns(RuntimeWarning, match="collapsed"):
        assert self_cluster(np.tile([0.3, 0.4], (50, 1))) == 1.0


def test_embedding_std_matches_numpy_and_its_two_limits():
    Z = np.random.default_rng(2).normal(size=(20000, 64))
    assert embedding_std(Z) == pytest.approx(np.std(unit_rows(Z), axis=0).mean(), rel=1e-9)
    assert embedding_std(Z) == pytest.approx(1 / math.sqrt(64), rel=0.01)  # isotropic: 1/sqrt(d)
    with pytest.warns(RuntimeWarning, match="collapsed"):
        assert embedding_std(np.tile([1.0, 2.0, 3.0], (10, 1))) == pytest.approx(0.0, abs=1e-12)


def test_alignment_closed_forms():
    Z = np.random.default_rng(3).normal(size=(100, 8))
    assert alignment(Z, 3 * Z) == pytest.approx(0.0, abs=1e-12)  # same directions
    assert alignment(Z, -Z) == pytest.approx(4.0)  # antipodal: ||u - (-u)||^2 = 4
    assert alignment(Z, -Z, alpha=1) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="same shape"):
        alignment(Z, Z[:50])


@pytest.mark.parametrize("d", [2, 5, 20])
def test_uniformity_of_a_regular_simplex(d):
    # every pair of the d + 1 vertices is at squared distance 2 (d + 1) / d
    assert uniformity(regular_simplex(d)) == pytest.approx(-2 * 2 * (d + 1) / d, rel=1e-9)


def test_uniformity_closed_forms_and_brute_force():
    assert uniformity(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(-8.0)
    assert uniformity(np.eye(6), t=1.5) == pytest.approx(-3.0)  # orthonormal: squared distance 2
    Z = np.random.default_rng(4).normal(size=(3000, 10))
    W = unit_rows(Z)
    squared = np.sum((W[:, None] - W[None]) ** 2, axis=2)[np.triu_indices(len(W), 1)]
    assert uniformity(Z) == pytest.approx(math.log(np.mean(np.exp(-2 * squared))), rel=1e-9)
    assert uniformity_of_views(Z, Z) == pytest.approx(uniformity(Z))
    with pytest.warns(RuntimeWarning, match="collapsed"):
        assert uniformity(np.tile([1.0, 1.0], (20, 1))) == 0.0


def lda_effective_rank(views: np.ndarray) -> float:
    """exp(entropy) of scikit-learn's LDA explained-variance ratios (S_w^-1 S_b eigenvalues)."""
    n, m, d = views.shape
    lda = LinearDiscriminantAnalysis(solver="eigen").fit(views.reshape(n * m, d), np.repeat(np.arange(n), m))
    p = lda.explained_variance_ratio_
    p = p[p > 0]
    return math.exp(-np.sum(p * np.log(p)))


def test_lidar_matches_scikit_learn_lda_without_regularisation():
    rng = np.random.default_rng(5)
    means = rng.normal(size=(200, 1, 6)) * np.array([3.0, 2.0, 1.0, 0.5, 0.2, 0.1])
    views = means + rng.normal(size=(200, 5, 6)) * np.array([1.0, 0.5, 1.0, 2.0, 1.0, 0.3])
    assert lidar(views, delta=0, eps=0) == pytest.approx(lda_effective_rank(views), rel=1e-6)


def test_lidar_counts_the_directions_that_separate_samples():
    # samples differ along 3 of 8 directions (equally), augmentations perturb all 8 isotropically
    rng = np.random.default_rng(6)
    means = np.zeros((3000, 1, 8))
    means[:, 0, :3] = rng.normal(size=(3000, 3)) * 10
    views = means + rng.normal(size=(3000, 4, 8))
    assert lidar(views) == pytest.approx(3.0, abs=0.2)


def test_lidar_input_errors():
    with pytest.raises(ValueError, match="3-D"):
        lidar(np.zeros((10, 4)))
    with pytest.raises(ValueError, match="at least 2 samples with at least 2 views"):
        lidar(np.zeros((10, 1, 4)))
    with pytest.raises(CollapsedEmbeddingsError, match="same mean"):
        lidar(np.tile(np.random.default_rng(0).normal(size=(1, 3, 4)), (5, 1, 1)))
