"""Every metric rejects bad input with a ValueError that names the problem."""

import numpy as np
import pytest

from sslnb.metrics import (
    alignment, alpha_req, clustering_agreement, embedding_std, entropy, kmeans, knn_accuracy, lidar,
    linear_probe_accuracy, nesum, rankme, self_cluster, silhouette, stable_rank, uniformity,
)

rng = np.random.default_rng(0)
Z = rng.normal(size=(60, 5))
LABELS = np.arange(60) % 3

# metric name -> a call taking embeddings of shape (N, D)
ON_EMBEDDINGS = {
    "rankme": rankme,
    "stable_rank": stable_rank,
    "nesum": nesum,
    "alpha_req": alpha_req,
    "self_cluster": self_cluster,
    "embedding_std": embedding_std,
    "uniformity": uniformity,
    "entropy_kl": lambda X: entropy(X, "kl", k=1),
    "entropy_gaussian": lambda X: entropy(X, "gaussian"),
    "entropy_binned": lambda X: entropy(X, "binned"),
    "kmeans": lambda X: kmeans(X, 1),
    "silhouette": lambda X: silhouette(X, np.arange(len(X)) % 2),
    "alignment": lambda X: alignment(X, X[::-1]),
    "lidar": lambda X: lidar(np.stack([X, X + 0.1], axis=1)),
    "linear_probe": lambda X: linear_probe_accuracy(X, np.arange(len(X)) % 2, X, np.arange(len(X)) % 2),
    "knn": lambda X: knn_accuracy(X, np.arange(len(X)) % 2, X, np.arange(len(X)) % 2, k=1),
}


@pytest.mark.parametrize("name", ON_EMBEDDINGS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_named(name, bad):
    X = Z.copy()
    X[7, 2] = bad
    with pytest.raises(ValueError, match="NaN or inf"):
        ON_EMBEDDINGS[name](X)


@pytest.mark.parametrize("name", ON_EMBEDDINGS)
def test_wrong_number_of_dimensions_is_named(name):
    with pytest.raises(ValueError, match="2-D|3-D"):
        ON_EMBEDDINGS[name](Z[:, 0])


@pytest.mark.parametrize("name", sorted(set(ON_EMBEDDINGS) - {"alignment", "linear_probe", "knn", "kmeans"}))
def test_a_single_sample_is_rejected(name):
    with pytest.raises(ValueError, match="at least 2|needs 2|2 samples"):
        ON_EMBEDDINGS[name](Z[:1])


def test_k_larger_than_n_is_named():
    with pytest.raises(ValueError, match="more than the 60 samples"):
        kmeans(Z, 61)
    with pytest.raises(ValueError, match="k < N"):
        entropy(Z, "kl", k=60)
    with pytest.raises(ValueError, match="more than the 30 training samples"):
        knn_accuracy(Z[:30], LABELS[:30], Z[30:], LABELS[30:], k=31)


def test_label_arrays_of_the_wrong_length_are_named():
    with pytest.raises(ValueError, match="59 entries but the embeddings have 60 rows"):
        silhouette(Z, LABELS[:59])
    with pytest.raises(ValueError, match="labels_b has 59 entries"):
        clustering_agreement(LABELS, LABELS[:59])
    with pytest.raises(ValueError, match="train_y has 50 entries"):
        linear_probe_accuracy(Z, LABELS[:50], Z, LABELS)
    with pytest.raises(ValueError, match="test_y has 10 entries"):
        knn_accuracy(Z, LABELS, Z, LABELS[:10])
