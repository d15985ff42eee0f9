import math

import numpy as np
import pytest
from scipy.special import gammaln

from sslnb.metrics import clustering_agreement, kmeans, normalized_mutual_information, silhouette


def test_silhouette_closed_form():
    # Clusters {0, 1} and {10, 11} on a line: a(i) = 1; b = 10.5 for the outer points, 9.5 for the inner.
    Z = np.array([[0.0], [1.0], [10.0], [11.0]])
    labels = np.array([0, 0, 1, 1])
    expected = np.mean([(10.5 - 1) / 10.5, (9.5 - 1) / 9.5, (9.5 - 1) / 9.5, (10.5 - 1) / 10.5])
    assert silhouette(Z, labels) == pytest.approx(expected)


def test_silhouette_sample_size_is_seeded():
    Z = np.random.default_rng(0).normal(size=(300, 4))
    labels = kmeans(Z, 3, seed=0)
    assert silhouette(Z, labels, sample_size=100, seed=1) == silhouette(Z, labels, sample_size=100, seed=1)


def _ami_by_hand(a: np.ndarray, b: np.ndarray) -> float:
    """AMI with arithmetic normalisation, from its definition (Vinh, Epps & Bailey, JMLR 2010)."""
    n = len(a)
    ua, ub = np.unique(a), np.unique(b)
    table = np.array([[np.sum((a == x) & (b == y)) for y in ub] for x in ua], dtype=float)
    rows, cols = table.sum(1), table.sum(0)
    mi = sum(table[i, j] / n * math.log(n * table[i, j] / (rows[i] * cols[j]))
             for i in range(len(ua)) for j in range(len(ub)) if table[i, j] > 0)
    h = lambda counts: -sum(c / n * math.log(c / n) for c in counts if c > 0)  # noqa: E731
    emi = 0.0
    for ai in rows:
        for bj in cols:
            for nij in range(int(max(1, ai + bj - n)), int(min(ai, bj)) + 1):
                log_p = (gammaln(ai + 1) + gammaln(bj + 1) + gammaln(n - ai + 1) + gammaln(n - bj + 1)
                         - gammaln(n + 1) - gammaln(nij + 1) - gammaln(ai - nij + 1) - gammaln(bj - nij + 1)
                         - gammaln(n - ai - bj + nij + 1))
                emi += nij / n * math.log(n * nij / (ai * bj)) * math.exp(log_p)
    return (mi - emi) / ((h(rows) + h(cols)) / 2 - emi)


def test_agreement_matches_the_definition():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 60)
    b = np.where(rng.random(60) < 0.7, a, rng.integers(0, 4, 60))
    assert clustering_agreement(a, b) == pytest.approx(_ami_by_hand(a, b), abs=1e-9)


def test_agreement_ignores_label_names():
    a = np.array([0, 0, 1, 1, 2, 2])
    assert clustering_agreement(a, np.array([5, 5, 9, 9, 7, 7])) == pytest.approx(1.0)


def test_kmeans_finds_separated_clusters_and_is_seeded():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [20, 0], [0, 20]])
    truth = np.repeat(np.arange(3), 50)
    Z = centers[truth] + rng.normal(size=(150, 2))
    labels = kmeans(Z, 3, seed=0)
    assert clustering_agreement(labels, truth) == pytest.approx(1.0)
    np.testing.assert_array_equal(labels, kmeans(Z, 3, seed=0))


def test_k_larger_than_n_is_a_clear_error():
    with pytest.raises(ValueError, match="k=10 clusters is more than the 5 samples"):
        kmeans(np.random.default_rng(0).normal(size=(5, 2)), 10)


@pytest.mark.parametrize("bad, match", [
    (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]), "NaN or inf"),
    (np.array([[0.0, np.inf], [1.0, 2.0], [3.0, 4.0]]), "NaN or inf"),
    (np.array([[1.0, 2.0]]), "at least 2"),
    (np.array([1.0, 2.0, 3.0]), "2-D"),
])
def test_bad_embeddings_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        kmeans(bad, 2)


def test_wrong_label_length_is_named():
    with pytest.raises(ValueError, match="3 entries but the embeddings have 4 rows"):
        silhouette(np.zeros((4, 2)) + np.arange(4)[:, None], np.array([0, 1, 0]))


@pytest.mark.parametrize("seed, k_a, k_b", [(0, 5, 7), (1, 10, 10), (2, 2, 9)])
def test_nmi_matches_scikit_learn(seed, k_a, k_b):
    from sklearn.metrics import normalized_mutual_info_score

    rng = np.random.default_rng(seed)
    a = rng.integers(0, k_a, 500)
    b = np.where(rng.random(500) < 0.6, a % k_b, rng.integers(0, k_b, 500))  # partly dependent
    assert normalized_mutual_information(a, b) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-12)


def test_nmi_closed_forms():
    a = np.array([0, 0, 1, 1])
    assert normalized_mutual_information(a, np.array([5, 5, 9, 9])) == pytest.approx(1.0)  # relabelled
    assert normalized_mutual_information(a, np.array([0, 1, 0, 1])) == pytest.approx(0.0)  # independent
    # U = {0,0,1,1}, V = {0,0,0,1}: MI = H(V) - H(V|U) = h(1/4) - (1/2) h(1/2), mean of H(U) = log 2 and H(V)
    h = lambda p: -(p * math.log(p) + (1 - p) * math.log(1 - p))  # noqa: E731
    expected = (h(0.25) - 0.5 * h(0.5)) / ((math.log(2) + h(0.25)) / 2)
    assert normalized_mutual_information(a, np.array([0, 0, 0, 1])) == pytest.approx(expected)
    assert normalized_mutual_information(np.zeros(5), np.ones(5)) == 1.0
    with pytest.raises(ValueError, match="labels_b has 3 entries"):
        normalized_mutual_information(a, np.array([0, 1, 2]))
