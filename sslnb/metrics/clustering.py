"""Clustering-based label-free metrics of the study.

Xu, Lowe & Trappenberg, "Label-free Monitoring of Self-Supervised Learning Progress", CCECE 2022:
cluster the embeddings with k-means (clustering C1) and judge the clustering by its silhouette score
S and by its agreement AMI(C1; C2) with an independent k-means run C2 (another seed). AMI(C1; C_GT),
against the ground-truth classes, is the label-based reference. Settings follow Lowe et al. 2024
(arXiv 2406.02465): k-means++ with one initialisation, Euclidean silhouette, arithmetic-mean AMI.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score

from sslnb.metrics._checks import check_embeddings, check_labels, check_positive_int
from sslnb.metrics._utils import centred_array
from sslnb.metrics.moments import Moments, second_moments
from sslnb.metrics.pairwise import pairwise_pass, seeded_sample, silhouette_from_sums


def kmeans(Z: np.ndarray, k: int, seed: int = 0, n_init: int = 1) -> np.ndarray:
    """Cluster labels (0..k-1) of the rows of ``Z`` by k-means++ (Lloyd's algorithm).

    Args:
        Z: (N, D) finite embeddings.
        k: number of clusters, 1 <= k <= N; the pipeline uses the number of classes.
        seed: random state of the k-means++ seeding; C2 uses another seed than C1.
        n_init: number of seedings kept for the best inertia (1, as in the study, so that
            AMI(C1; C2) reflects how stable the cluster structure is).
    """
    Z = check_embeddings(Z)
    k = check_positive_int(k, "k")
    if k > len(Z):
        raise ValueError(f"k={k} clusters is more than the {len(Z)} samples; lower k or embed more samples")
    # centred in float64 (then back to the input's precision): scikit-learn centres too, but in the input's
    # dtype, after a float32 mean of values that may share a large offset; the power of two keeps float32
    # squares in range
    dtype = np.float32 if np.asarray(Z).dtype == np.float32 else np.float64
    Z = centred_array(Z).astype(dtype, copy=False)
    return KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed).fit_predict(Z)


def silhouette(
    Z: np.ndarray, labels: np.ndarray, sample_size: int | None = 10_000, seed: int = 0,
    pca_dim: int | None = None,
) -> float:
    """Mean Euclidean silhouette coefficient of a clustering (Rousseeuw, 1987): the study's S.

    For sample i in cluster A, a(i) is its mean distance to the other members of A and b(i) the
    smallest mean distance to the members of another cluster; s(i) = (b(i) - a(i)) / max(a(i), b(i)),
    with s(i) = 0 for a sample alone in its cluster, and S = mean_i s(i), in [-1, 1].

    Args:
        Z: (N, D) finite embeddings.
        labels: (N,) cluster labels with 2 <= number of clusters <= N - 1 (in the scored sample).
        sample_size: score a seeded random sample of this many rows when N is larger (the cost is
            O(sample_size^2 D)); None scores all rows. The sample is the one scikit-learn's
            ``silhouette_score(..., sample_size, random_state=seed)`` draws.
        pca_dim: if set, score the clustering in the space of the top ``pca_dim`` principal components
            of Z instead (as Lowe et al. 2024 score after reducing to 50 dimensions).
    """
    Z = check_embeddings(Z)
    labels = check_labels(labels, len(Z))
    if pca_dim is not None:
        Z = pca_project(Z, pca_dim)
    sample = seeded_sample(len(Z), sample_size, seed)
    if sample is not None:
        Z, labels = Z[sample], labels[sample]
    return silhouette_of_sample(Z, labels)


def silhouette_of_sample(Z: np.ndarray, labels: np.ndarray) -> float:
    """Silhouette of every row of an already checked (and sampled) ``Z``."""
    n_clusters = len(np.unique(labels))
    if not 2 <= n_clusters <= len(Z) - 1:
        raise ValueError(
            f"silhouette needs 2 to N-1 = {len(Z) - 1} clusters, got {n_clusters}"
            + (": the embeddings may be collapsed" if n_clusters == 1 else "")
        )
    return silhouette_from_sums(pairwise_pass(Z, labels=labels))


def pca_project(Z: np.ndarray | None, dim: int, moments: Moments | None = None) -> np.ndarray:
    """Coordinates of the rows of Z on its top ``dim`` principal axes (centred), via the covariance."""
    dim = check_positive_int(dim, "pca_dim")
    moments = moments if moments is not None else second_moments(Z)
    dim = min(dim, moments.dim)
    axes = moments.principal_axes[:, :dim]
    return ((np.asarray(Z, dtype=np.float64) - moments.mean) @ axes).astype(np.float32)


def _two_partitions(labels_a: np.ndarray, labels_b: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Both label arrays, checked: 1-D, of one length, at least 2 samples."""
    labels_a = np.asarray(labels_a)
    if labels_a.ndim != 1:
        raise ValueError(f"labels_a must be 1-D, got shape {labels_a.shape}")
    labels_b = check_labels(labels_b, len(labels_a), name="labels_b")
    if len(labels_a) < 2:
        raise ValueError(f"{metric} needs at least 2 samples")
    return labels_a, labels_b


def clustering_agreement(labels_a: np.ndarray, labels_b: np.ndarray) -> float:
    """Adjusted mutual information between two partitions of the same samples (Vinh et al., JMLR 2010).

        AMI(U, V) = (MI(U, V) - E[MI]) / (mean(H(U), H(V)) - E[MI])

    with E[MI] the expected mutual information of two random partitions with the same cluster sizes
    (hypergeometric model) and the arithmetic mean of the entropies. 1 means identical partitions up to
    relabelling, about 0 means chance agreement. AMI(C1; C2) between two k-means seeds measures how
    stable the cluster structure is; AMI(C1; C_GT) compares with the classes.
    """
    labels_a, labels_b = _two_partitions(labels_a, labels_b, "clustering_agreement")
    return float(adjusted_mutual_info_score(labels_a, labels_b, average_method="arithmetic"))


def normalized_mutual_information(labels_a: np.ndarray, labels_b: np.ndarray) -> float:
    """Normalised mutual information between two partitions of the same samples (Strehl & Ghosh, JMLR 2002).

        NMI(U, V) = MI(U, V) / mean(H(U), H(V)),   MI(U, V) = sum_ij p_ij log(p_ij / (p_i. p_.j)),
        H(U) = -sum_i p_i. log p_i.

    with p_ij the share of samples in cluster i of U and j of V, and the arithmetic mean of the entropies
    (scikit-learn's default). Unlike AMI it is not corrected for chance, so it is higher for more clusters;
    it is the clustering check of the SSL literature (NMI of k-means against the classes, as in DeepCluster).
    1 means identical partitions up to relabelling; two single-cluster partitions score 1 by convention.
    Inputs: two 1-D label arrays of equal length (any hashable labels).
    """
    labels_a, labels_b = _two_partitions(labels_a, labels_b, "normalized_mutual_information")
    _, codes_a = np.unique(labels_a, return_inverse=True)
    _, codes_b = np.unique(labels_b, return_inverse=True)
    joint = np.zeros((codes_a.max() + 1, codes_b.max() + 1))
    np.add.at(joint, (codes_a, codes_b), 1.0)
    joint /= joint.sum()
    p_a, p_b = joint.sum(axis=1), joint.sum(axis=0)
    entropy_a, entropy_b = -np.sum(p_a * np.log(p_a)), -np.sum(p_b * np.log(p_b))  # every marginal is > 0
    if entropy_a == 0 and entropy_b == 0:
        return 1.0  # both partitions are a single cluster: identical
    nonzero = joint > 0
    mutual = np.sum(joint[nonzero] * np.log(joint[nonzero] / np.outer(p_a, p_b)[nonzero]))
    return float(max(mutual, 0.0) / ((entropy_a + entropy_b) / 2))
