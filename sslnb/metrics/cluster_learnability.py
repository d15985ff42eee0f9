"""Cluster learnability: how well the embeddings' own k-means clusters can be learnt from neighbours.

CLID (Cluster Learnability and Intrinsic Dimension; "Predicting the downstream performance of SSL
representations without labels", 2022, arXiv 2206.01251). Cluster the embeddings with k-means into k
pseudo-classes; split the rows at random into two halves; fit a k-nearest-neighbour classifier on one
half's pseudo-labels and score it on the other half:

    CL = (1 / |H|) sum_{i in H} [ kNN_{A}(z_i) = c(z_i) ]

with A and H the two halves and c the k-means labels. A representation whose clusters are compact and
separated by margins gives CL near 1; clusters cut through a uniform cloud give lower CL. Higher is
better. sslnb reuses the suite's clustering C1 as the pseudo-labels.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from sslnb.metrics._checks import UndefinedMetricError, check_embeddings, check_labels, check_positive_int
from sslnb.metrics._utils import centred_array


def cluster_learnability(Z: np.ndarray, pseudo_labels: np.ndarray, n_neighbors: int = 5, seed: int = 0) -> float:
    """Held-out accuracy of a kNN classifier that predicts ``pseudo_labels`` (see the module docstring).

    Args:
        Z: (N, D) finite embeddings, N >= 4.
        pseudo_labels: (N,) cluster labels of the rows (k-means clustering C1 in the suite).
        n_neighbors: neighbours of the majority vote (Euclidean; ties go to the smallest label).
        seed: the random split into the fitted half (floor(N / 2) rows) and the scored half.
    """
    Z = check_embeddings(Z, min_samples=4)
    pseudo_labels = check_labels(pseudo_labels, len(Z), "pseudo_labels")
    n_neighbors = check_positive_int(n_neighbors, "n_neighbors")
    if len(np.unique(pseudo_labels)) < 2:
        raise UndefinedMetricError("cluster learnability: a single pseudo-class (k-means found one cluster)")
    order = np.random.RandomState(seed).permutation(len(Z))
    fit, held_out = order[: len(Z) // 2], order[len(Z) // 2:]
    X = centred_array(Z)  # the kNN's brute-force distances use the expansion, which an offset would cancel
    classifier = KNeighborsClassifier(n_neighbors=min(n_neighbors, len(fit)), algorithm="brute")
    classifier.fit(X[fit], pseudo_labels[fit])
    return float(np.mean(classifier.predict(X[held_out]) == pseudo_labels[held_out]))
