"""Invariances of the metrics, as property tests: permuting samples, relabelling clusters, rescaling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sslnb.metrics import (
    CollapsedEmbeddingsError, alignment, alpha_req, clustering_agreement, embedding_std, entropy, lidar, nesum,
    rankme, self_cluster, silhouette, stable_rank, uniformity,
)

SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)
sizes = st.tuples(st.integers(12, 60), st.integers(4, 9))  # alpha-ReQ fits ranks 2..D: D >= 4


def embeddings(seed: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.normal(size=d)


ORDER_FREE = {
    "rankme": rankme, "stable_rank": stable_rank, "nesum": nesum, "self_cluster": self_cluster,
    "embedding_std": embedding_std, "uniformity": uniformity,
    "alpha_req": lambda Z: alpha_req(Z).alpha,
    "entropy_kl": lambda Z: entropy(Z, "kl"), "entropy_gaussian": lambda Z: entropy(Z, "gaussian"),
    "entropy_binned": lambda Z: entropy(Z, "binned", bins=4),
}
SCALE_FREE = ["rankme", "stable_rank", "nesum", "self_cluster", "embedding_std", "uniformity", "alpha_req"]


@SETTINGS
@given(seed=seeds, shape=sizes)
def test_metrics_do_not_depend_on_the_order_of_samples(seed, shape):
    Z = embeddings(seed, *shape)
    order = np.random.default_rng(seed + 1).permutation(len(Z))
    for name, metric in ORDER_FREE.items():
        assert metric(Z[order]) == pytest.approx(metric(Z), rel=1e-7, abs=1e-9), name


@SETTINGS
@given(seed=seeds, shape=sizes, scale=st.floats(1e-3, 1e3))
def test_scale_free_metrics_ignore_a_global_rescaling(seed, shape, scale):
    Z = embeddings(seed, *shape)
    for name in SCALE_FREE:
        assert ORDER_FREE[name](scale * Z) == pytest.approx(ORDER_FREE[name](Z), rel=1e-6, abs=1e-9), name
    labels = np.arange(len(Z)) % 3  # the silhouette's distances are float32: agree to ~1e-6
    assert silhouette(scale * Z, labels) == pytest.approx(silhouette(Z, labels), rel=1e-5, abs=1e-6)


@SETTINGS
@given(seed=seeds, shape=sizes, k=st.integers(2, 5))
def test_relabelling_clusters_changes_nothing(seed, shape, k):
    Z = embeddings(seed, *shape)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=len(Z))
    labels[:k] = np.arange(k)  # every cluster present
    renamed = rng.permutation(k)[labels] + 100
    assert silhouette(Z, renamed) == pytest.approx(silhouette(Z, labels), rel=1e-5, abs=1e-6)
    other = rng.integers(0, k, size=len(Z))
    assert clustering_agreement(renamed, other) == pytest.approx(clustering_agreement(labels, other), abs=1e-12)
    order = rng.permutation(len(Z))
    assert silhouette(Z[order], labels[order]) == pytest.approx(silhouette(Z, labels), rel=1e-5, abs=1e-6)


@SETTINGS
@given(seed=seeds, n=st.integers(4, 40), d=st.integers(2, 6), scale=st.floats(1e-2, 1e2))
def test_view_metrics_ignore_order_and_scale(seed, n, d, scale):
    rng = np.random.default_rng(seed)
    views = rng.normal(size=(n, 3, d)) + rng.normal(size=(n, 1, d)) * 3
    order = rng.permutation(n)
    assert alignment(scale * views[:, 0], views[:, 1]) == pytest.approx(alignment(views[:, 0], views[:, 1]))
    assert alignment(views[order, 0], views[order, 1]) == pytest.approx(alignment(views[:, 0], views[:, 1]))
    assert lidar(views[order]) == pytest.approx(lidar(views), rel=1e-6)
    assert lidar(scale * views, delta=0) == pytest.approx(lidar(views, delta=0), rel=1e-6)


def test_undefined_metrics_on_collapsed_embeddings_raise():
    Z = np.tile([0.5, -1.0, 2.0], (40, 1))
    for estimator in ("kl", "gaussian", "binned"):
        with pytest.raises(CollapsedEmbeddingsError):
            entropy(Z, estimator)
    with pytest.raises(ValueError, match="collapsed"):
        silhouette(Z, np.zeros(40, dtype=int))
