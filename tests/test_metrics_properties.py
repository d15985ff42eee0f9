"""Invariances of the metrics, as property tests on float32 inputs.

Each metric is declared once below with the invariances its definition implies; a metric that lacks one
is named in ``NOT_INVARIANT`` with the reason, and a test checks that every metric is accounted for under
every transformation. Tolerances are stated where they are used: they allow for the float32 rounding of
the transformed input (about 6e-8 of each entry) and the float32 distance products, nothing more.

- row permutation: every metric that uses every row (the rows and, where there are any, their labels or
  views are permuted together);
- a common offset of up to 1e4 times the spread: every metric defined on distances or covariances; the
  reference is the very same float32 cloud shifted back exactly in float64, so the test sees only the
  arithmetic, not the float32 quantisation of the shifted input;
- an orthogonal rotation: every metric except those defined per coordinate;
- a global scale: every scale-free metric; the raw-row entropies follow H(cZ) = H(Z) + D log2 c;
- near collapse (a rank-1 matrix plus noise of relative size 1e-4): the shift-invariant metrics equal those
  of the same matrix with its mean removed, and the unit-row metrics equal a plain float64 computation.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

import numpy as np
import pytest
import sklearn.metrics
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from scipy.spatial.distance import pdist
from scipy.special import digamma, gammaln
from scipy.stats import ortho_group

from sslnb.metrics import (
    CollapsedEmbeddingsError, SuiteOptions, alignment, alpha_req, clustering_agreement, embedding_std, entropy,
    kmeans, label_free_metrics, lidar, nesum, rankme, self_cluster, silhouette, stable_rank, uniformity,
)
from sslnb.metrics._checks import UndefinedMetricError
from sslnb.metrics.cluster_learnability import cluster_learnability
from sslnb.metrics.entropy import kl_from_neighbor_distances
from sslnb.metrics.heldout import heldout_ntxent
from sslnb.metrics.intrinsic_dimension import mst_dimension, mst_length, twonn_dimension
from sslnb.metrics.pairwise import pairwise_pass, silhouette_from_sums

# derandomized: the same examples on every run, so a rare near-tie cannot make CI flaky
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)
K = 3  # clusters of the test clouds (and of k-means)


def cloud(seed: int, n: int = 48, d: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """An anisotropic float64 cloud of K overlapping clusters (spread about 1), and the cluster labels."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % K
    centres = rng.normal(size=(K, d)) * 1.5
    return centres[labels] + rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d), labels


def f32(X: np.ndarray) -> np.ndarray:
    return np.asarray(X, dtype=np.float32)


def views_of(X: np.ndarray, seed: int, m: int = 3) -> np.ndarray:
    """(n, m, d) surrogate classes: each row and m - 1 noisy copies (LiDAR's and alignment's input)."""
    rng = np.random.default_rng(seed + 1)
    return X[:, None, :] + 0.3 * rng.normal(size=(len(X), m, X.shape[1]))


def kmeans_agreement(Z: np.ndarray) -> float:
    return clustering_agreement(kmeans(Z, K, seed=0), kmeans(Z, K, seed=1))


# name -> (metric of an (n, d) matrix with its labels, or of (n, m, d) views; which input it takes)
Metric = Callable[[np.ndarray, np.ndarray], float]
ROW_METRICS: dict[str, Metric] = {
    "silhouette": lambda Z, y: silhouette(Z, y, sample_size=None),
    "silhouette_pca": lambda Z, y: silhouette(Z, y, sample_size=None, pca_dim=3),
    "kmeans_agreement": lambda Z, y: kmeans_agreement(Z),
    "cluster_learnability": lambda Z, y: cluster_learnability(Z, y, n_neighbors=3),
    "entropy_kl_raw": lambda Z, y: entropy(Z, "kl"),
    "entropy_gaussian_raw": lambda Z, y: entropy(Z, "gaussian", ridge=0.0),
    "entropy_binned_raw": lambda Z, y: entropy(Z, "binned", bins=4),
    "entropy_kl_unit": lambda Z, y: entropy(_unit(Z), "kl"),
    "entropy_gaussian_unit": lambda Z, y: entropy(_unit(Z), "gaussian"),
    "entropy_binned_unit": lambda Z, y: entropy(_unit(Z), "binned", bins=4),
    "rankme": lambda Z, y: rankme(Z),
    "stable_rank": lambda Z, y: stable_rank(Z),
    "nesum": lambda Z, y: nesum(Z),
    "alpha_req": lambda Z, y: alpha_req(Z).alpha,
    "self_cluster": lambda Z, y: self_cluster(Z),
    "embedding_std": lambda Z, y: embedding_std(Z),
    "uniformity": lambda Z, y: uniformity(Z, sample_size=None),
    "twonn_dimension": lambda Z, y: twonn_dimension(Z),
    "mst_length": lambda Z, y: mst_length(Z),
    "mst_dimension": lambda Z, y: mst_dimension(Z, max_points=48),
}
VIEW_METRICS: dict[str, Callable[[np.ndarray], float]] = {
    "alignment": lambda V: alignment(V[:, 0], V[:, 1]),
    "lidar": lambda V: lidar(V),
    "lidar_undamped": lambda V: lidar(V, delta=0.0),
    "heldout_loss": lambda V: heldout_ntxent(V[:, 0], V[:, 1]),
}
ALL = {*ROW_METRICS, *VIEW_METRICS}


def _unit(Z: np.ndarray) -> np.ndarray:
    """The L2-normalised rows, in the input's precision (the entropies of directions the suite reports)."""
    Z64 = np.asarray(Z, dtype=np.float64)
    return (Z64 / np.linalg.norm(Z64, axis=1, keepdims=True)).astype(np.asarray(Z).dtype)


PERMUTATION = ALL - {"mst_dimension"}
DRAWN_BY_POSITION = {"kmeans_agreement", "cluster_learnability"}  # tested on well-separated clusters
SHIFT = {"silhouette", "silhouette_pca", "kmeans_agreement", "cluster_learnability", "entropy_kl_raw",
         "entropy_gaussian_raw", "entropy_binned_raw", "nesum", "alpha_req", "twonn_dimension", "mst_length",
         "mst_dimension", "lidar", "lidar_undamped"}
ROTATION = ALL - {"entropy_binned_raw", "entropy_binned_unit", "embedding_std"}
SCALE = {"silhouette", "silhouette_pca", "kmeans_agreement", "cluster_learnability", "entropy_kl_unit",
         "entropy_gaussian_unit", "entropy_binned_unit", "rankme", "stable_rank", "nesum", "alpha_req",
         "self_cluster", "embedding_std", "uniformity", "twonn_dimension", "mst_dimension", "alignment",
         "lidar_undamped", "heldout_loss"}
# H(cZ) = H(Z) + D log2 c for a differential entropy of the raw rows
SCALE_EQUIVARIANT = {"entropy_kl_raw", "entropy_gaussian_raw", "entropy_binned_raw"}

NOT_INVARIANT = {
    "permutation": {
        "mst_dimension": "its trees span nested prefixes of a seeded permutation of the row positions, so it is "
                         "invariant in distribution only; mst_length, the tree of every row, is tested exactly",
    },
    "shift": {
        name: "defined on uncentred rows: the singular values of Z itself (RankMe, Garrido et al. 2023; "
              "stable rank, Tsitsulin et al. 2023)" for name in ("rankme", "stable_rank")
    } | {
        name: "defined on the L2-normalised rows, whose directions an offset changes"
        for name in ("entropy_kl_unit", "entropy_gaussian_unit", "entropy_binned_unit", "self_cluster",
                     "embedding_std", "uniformity", "alignment", "heldout_loss")
    },
    "rotation": {
        "entropy_binned_raw": "a sum of per-coordinate (marginal) histogram entropies",
        "entropy_binned_unit": "a sum of per-coordinate (marginal) histogram entropies",
        "embedding_std": "the mean of per-coordinate standard deviations (the sum of variances would be "
                         "invariant, the sum of their square roots is not)",
    },
    "scale": {
        "entropy_kl_raw": "a differential entropy: shifts by D log2 c (tested as such)",
        "entropy_gaussian_raw": "a differential entropy: shifts by D log2 c (tested as such)",
        "entropy_binned_raw": "a differential entropy: shifts by D log2 c (tested as such)",
        "mst_length": "a length: scales by c",
        "lidar": "the regulariser delta I of S_w has a fixed size (lidar_undamped, delta = 0, is tested)",
    },
}
DECLARED = {"permutation": PERMUTATION, "shift": SHIFT, "rotation": ROTATION, "scale": SCALE}


@pytest.mark.parametrize("transformation", sorted(DECLARED))
def test_every_metric_is_tested_or_named_with_its_reason(transformation):
    tested, excused = DECLARED[transformation], set(NOT_INVARIANT.get(transformation, {}))
    assert not tested & excused, f"{transformation}: both tested and excused: {tested & excused}"
    assert tested | excused == ALL, f"{transformation}: neither tested nor excused: {ALL - tested - excused}"


def _assert_same(name: str, got: float, want: float, rel: float, abs_: float = 1e-9) -> None:
    assert got == pytest.approx(want, rel=rel, abs=abs_, nan_ok=True), f"{name}: {got!r} vs {want!r}"


def _defined(metric: Callable[..., float]) -> Callable[..., float]:
    """NaN where the estimate is undefined on this sample (as in the suite), e.g. an MST slope >= 1."""
    def value(*args):
        try:
            return metric(*args)
        except UndefinedMetricError:
            return float("nan")
    return value


def _row_metrics(names: set[str]) -> dict[str, Metric]:
    return {name: _defined(metric) for name, metric in ROW_METRICS.items() if name in names}


@SETTINGS
@given(seed=seeds)
def test_row_permutation_changes_nothing(seed):
    X, labels = cloud(seed)
    Z = f32(X)
    order = np.random.default_rng(seed).permutation(len(Z))
    for name, metric in _row_metrics(PERMUTATION - DRAWN_BY_POSITION).items():
        _assert_same(name, metric(Z[order], labels[order]), metric(Z, labels), rel=1e-6)
    # k-means seeds and the learnability split are drawn by row position: on clusters far apart (gap 40x
    # their spread) every draw gives the same answer, so there the value must not depend on the order
    separated = f32(X + 40 * np.eye(K, X.shape[1])[labels] * X.std())
    for name, metric in _row_metrics(DRAWN_BY_POSITION).items():
        _assert_same(name, metric(separated[order], labels[order]), metric(separated, labels), rel=1e-6)
    V = f32(views_of(X, seed))
    for name, metric in VIEW_METRICS.items():
        _assert_same(name, metric(V[order]), metric(V), rel=1e-6)


@SETTINGS
@given(seed=seeds, size=st.floats(1.0, 1e4))
def test_a_common_offset_of_up_to_1e4_times_the_spread_changes_nothing(seed, size):
    X, labels = cloud(seed)
    offset = size * np.random.default_rng(seed).normal(size=X.shape[1])
    shifted = f32(X + offset)
    back = shifted.astype(np.float64) - offset  # the same cloud, exactly, at the origin
    # 1e-5: the float32 distance products of the centred rows; everything else is float64
    for name, metric in _row_metrics(SHIFT).items():
        _assert_same(name, metric(shifted, labels), metric(back, labels), rel=1e-5)
    V_shifted = f32(views_of(X, seed) + offset)
    V_back = V_shifted.astype(np.float64) - offset
    for name in SHIFT & set(VIEW_METRICS):
        _assert_same(name, VIEW_METRICS[name](V_shifted), VIEW_METRICS[name](V_back), rel=1e-5)


@SETTINGS
@given(seed=seeds)
def test_an_orthogonal_rotation_changes_nothing(seed):
    X, labels = cloud(seed)
    Q = ortho_group.rvs(X.shape[1], random_state=seed % 2**32)
    Z, rotated = f32(X), f32(X @ Q)
    # 1e-4: the rotated float32 input differs from the exact rotation by ~6e-8 per entry
    for name, metric in _row_metrics(ROTATION).items():
        _assert_same(name, metric(rotated, labels), metric(Z, labels), rel=1e-4, abs_=1e-6)
    V = views_of(X, seed)
    for name in ROTATION & set(VIEW_METRICS):
        _assert_same(name, VIEW_METRICS[name](f32(V @ Q)), VIEW_METRICS[name](f32(V)), rel=1e-4)


@SETTINGS
@given(seed=seeds, log2_scale=st.floats(-66.0, 66.0))
def test_a_global_scale_changes_nothing_that_is_scale_free(seed, log2_scale):
    # up to 2^+-66 (about 1e+-20): float32 squares of such values overflow unless the metric rescales
    X, labels = cloud(seed)
    c = 2.0**log2_scale
    Z, scaled = f32(X), f32(X * c)
    for name, metric in _row_metrics(SCALE).items():
        _assert_same(name, metric(scaled, labels), metric(Z, labels), rel=1e-5, abs_=1e-7)
    for name, metric in _row_metrics(SCALE_EQUIVARIANT).items():
        _assert_same(name, metric(scaled, labels), metric(Z, labels) + X.shape[1] * math.log2(c), rel=1e-6,
                     abs_=1e-4)
    V = views_of(X, seed)
    for name in SCALE & set(VIEW_METRICS):
        _assert_same(name, VIEW_METRICS[name](f32(V * c)), VIEW_METRICS[name](f32(V)), rel=1e-5)


def near_collapse(seed: int, n: int = 300, d: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """A rank-1 matrix (every row the same vector v, |v| ~ 4) plus structured noise of relative size 1e-4."""
    X, labels = cloud(seed, n, d)
    v = np.random.default_rng(seed + 7).normal(size=d)
    return f32(v + 1e-4 * X), labels


SUITE_OPTIONS = SuiteOptions(k=K, sample_size=None, silhouette_pca_dim=3, mst_points=300, entropy_bins=8)
SHIFT_FREE_COLUMNS = ("silhouette", "silhouette_pca", "ami_c1_c2", "cluster_learnability", "twonn_dimension",
                      "mst_dimension", "nesum", "alpha_req")
RAW_ENTROPIES = ("entropy_kl_bits", "entropy_gaussian_bits", "entropy_binned_bits")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_near_collapse_the_shift_free_metrics_equal_those_of_the_centred_matrix(seed):
    Z, _ = near_collapse(seed)
    centred = Z.astype(np.float64) - Z.astype(np.float64).mean(axis=0)
    for normalize in (False, True):
        options = replace(SUITE_OPTIONS, entropy_normalize=normalize)
        got = label_free_metrics(Z, options).values
        if normalize:
            want_columns = SHIFT_FREE_COLUMNS
        else:  # raw-row entropies are shift-free too
            want_columns = SHIFT_FREE_COLUMNS + RAW_ENTROPIES
        want = label_free_metrics(centred, options).values
        for column in want_columns:
            # 1e-5: float32 products of the centred rows; the silhouette's a and b are ~1e-4, not ~4
            _assert_same(column, got[column], want[column], rel=1e-5, abs_=1e-6)


def _float64_unit_metrics(Z: np.ndarray) -> dict[str, float]:
    """The unit-row metrics from their definitions, in float64, with direct differences (no expansion)."""
    W = Z.astype(np.float64)
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    n, d = W.shape
    q = np.sum((W @ W.T) ** 2)
    expected = n + n * (n - 1) / d
    eps = cKDTree(W).query(W, k=4)[0][:, 3]  # k = 3 neighbours, column 0 is the point itself
    kl = digamma(n) - digamma(3) + (d / 2) * math.log(math.pi) - gammaln(d / 2 + 1) + d * np.mean(np.log(eps))
    covariance = np.cov(W, rowvar=False) + 1e-6 * np.eye(d)
    singular_values = np.linalg.svd(Z.astype(np.float64), compute_uv=False)
    p = singular_values / singular_values.sum() + 1e-7
    return {
        "self_cluster": (q - expected) / (n * n - expected),
        "embedding_std": float(np.std(W, axis=0).mean()),
        "entropy_kl_bits": kl / math.log(2),
        "entropy_gaussian_bits": 0.5 * (d * math.log(2 * math.pi * math.e) + np.linalg.slogdet(covariance)[1])
                                 / math.log(2),
        "rankme": float(np.exp(-np.sum(p * np.log(p)))),  # not a unit-row metric, but as fragile here
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_near_collapse_the_unit_row_metrics_equal_a_float64_computation(seed):
    Z, _ = near_collapse(seed)
    got = label_free_metrics(Z, SUITE_OPTIONS).values  # entropies of the directions (the default)
    for column, want in _float64_unit_metrics(Z).items():
        _assert_same(column, got[column], want, rel=1e-6)
    unit = Z.astype(np.float64) / np.linalg.norm(Z.astype(np.float64), axis=1, keepdims=True)
    squared = pdist(unit, "sqeuclidean")  # direct differences in float64
    want_uniformity = math.log(np.mean(np.exp(-2 * squared)))
    _assert_same("uniformity", uniformity(Z, sample_size=None), want_uniformity, rel=1e-6, abs_=0)


@SETTINGS
@given(seed=seeds, k=st.integers(2, 5))
def test_relabelling_clusters_changes_nothing(seed, k):
    Z = f32(cloud(seed)[0])
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=len(Z))
    labels[:k] = np.arange(k)  # every cluster present
    renamed = rng.permutation(k)[labels] + 100
    assert silhouette(Z, renamed) == pytest.approx(silhouette(Z, labels), rel=1e-6, abs=1e-7)
    other = rng.integers(0, k, size=len(Z))
    assert clustering_agreement(renamed, other) == pytest.approx(clustering_agreement(labels, other), abs=1e-12)


def test_undefined_metrics_on_collapsed_embeddings_raise():
    Z = np.tile([0.5, -1.0, 2.0], (40, 1))
    for estimator in ("kl", "gaussian", "binned"):
        with pytest.raises(CollapsedEmbeddingsError):
            entropy(Z, estimator)
    with pytest.raises(ValueError, match="collapsed"):
        silhouette(Z, np.zeros(40, dtype=int))


@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy", "torch"])
def test_an_offset_1000_times_the_spread_leaves_silhouette_and_kl_entropy_exact(as_tensor):
    # the reported case: five clusters in 64 dimensions, shifted by 1000 x their spread
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 1000)
    X = rng.standard_normal((1000, 64)) + 2.0 * np.eye(5, 64)[y]
    Z = X + 1000 * rng.standard_normal(64)

    def both(A: np.ndarray) -> tuple[float, float]:
        stats = pairwise_pass(torch.from_numpy(A) if as_tensor else A, labels=y, n_neighbors=3, unit_neighbors=False)
        return silhouette_from_sums(stats), kl_from_neighbor_distances(stats.neighbor_distances[:, 2], 64, 3)

    (s_x, h_x), (s_z, h_z) = both(X), both(Z)
    assert s_z == pytest.approx(s_x, rel=1e-6) and h_z == pytest.approx(h_x, rel=1e-6)
    assert s_x == pytest.approx(sklearn.metrics.silhouette_score(X, y), rel=1e-6)
    assert silhouette(Z, y, sample_size=None) == pytest.approx(s_x, rel=1e-6)
    assert entropy(Z, "kl") * math.log(2) == pytest.approx(h_x, rel=1e-6)
