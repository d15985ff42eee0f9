"""The suite's shared computations give exactly what the standalone metric functions give."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

from sslnb.metrics.heldout import heldout_ntxent
from sslnb.metrics import (
    SuiteOptions, alignment, alpha_req, clustering_agreement, embedding_std, entropy, kmeans, label_free_metrics,
    lidar, nesum, rankme, self_cluster, silhouette, stable_rank, uniformity_of_views,
)
from sslnb.metrics.pairwise import pairwise_pass


def blobs(n=700, d=24, k=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, d)) * 4
    return (centers[rng.integers(0, k, n)] + rng.normal(size=(n, d))).astype(np.float32)


def test_suite_matches_the_standalone_functions():
    Z = blobs()
    rng = np.random.default_rng(1)
    views = Z[:200, None, :] + rng.normal(size=(200, 3, Z.shape[1])).astype(np.float32) * 0.3
    options = SuiteOptions(k=4, sample_size=None, silhouette_pca_dim=5)
    result = label_free_metrics(Z, options, views=views)
    values = result.values
    c1, c2 = kmeans(Z, 4, seed=0), kmeans(Z, 4, seed=1)
    unit = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    assert np.array_equal(result.clusters, c1)
    expected = {
        "silhouette": silhouette(Z, c1),
        "silhouette_pca": silhouette_score(PCA(5).fit_transform(Z.astype(np.float64)), c1),
        "ami_c1_c2": clustering_agreement(c1, c2),
        "entropy_kl_bits": entropy(unit, "kl", k=3),
        "entropy_gaussian_bits": entropy(unit, "gaussian"),
        "entropy_binned_bits": entropy(unit, "binned"),
        "rankme": rankme(Z), "alpha_req": alpha_req(Z).alpha, "alpha_req_r2": alpha_req(Z).r2,
        "stable_rank": stable_rank(Z), "nesum": nesum(Z), "self_cluster": self_cluster(Z),
        "embedding_std": embedding_std(Z),
        "alignment": alignment(views[:, 0], views[:, 1]),
        "uniformity": uniformity_of_views(views[:, 0], views[:, 1]),
        "lidar": lidar(np.concatenate([Z[:200, None], views], axis=1)),
        "heldout_loss": heldout_ntxent(views[:, 0], views[:, 1], 0.5),
    }
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name


def test_silhouette_matches_scikit_learn_on_all_rows_and_on_its_sample():
    Z = blobs(n=900)
    labels = kmeans(Z, 4)
    assert silhouette(Z, labels, sample_size=None) == pytest.approx(silhouette_score(Z, labels), rel=1e-5)
    assert silhouette(Z, labels, sample_size=300, seed=7) == pytest.approx(
        silhouette_score(Z, labels, sample_size=300, random_state=7), rel=1e-5)


def test_pairwise_neighbours_match_scikit_learn_across_blocks():
    Z = blobs(n=500, d=6).astype(np.float64)
    stats = pairwise_pass(Z, n_neighbors=4, unit_neighbors=False, block_rows=64)  # many blocks
    reference, _ = NearestNeighbors(n_neighbors=5).fit(Z).kneighbors(Z)
    np.testing.assert_allclose(stats.neighbor_distances, reference[:, 1:], rtol=1e-9)


def test_collapsed_checkpoint_still_gets_a_row():
    Z = np.tile(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32), (50, 1))
    values = label_free_metrics(Z, SuiteOptions(k=3)).values
    assert values["rankme"] == 1.0 and values["self_cluster"] == 1.0 and values["embedding_std"] == 0.0
    for undefined in ("silhouette", "entropy_kl_bits", "nesum", "alpha_req"):
        assert np.isnan(values[undefined]), undefined


def test_sample_size_bounds_the_scored_rows():
    Z = blobs(n=1000)
    result = label_free_metrics(Z, SuiteOptions(k=4, sample_size=300))
    assert len(result.clusters) == 300 and len(result.sample) == 300
    with pytest.raises(ValueError, match="NaN or inf"):
        label_free_metrics(np.where(Z > 5, np.nan, Z), SuiteOptions(k=4))
