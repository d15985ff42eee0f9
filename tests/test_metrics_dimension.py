"""TwoNN and MST intrinsic dimension, and cluster learnability: closed forms on data built for the test."""

import math

import numpy as np
import pytest

from sslnb.metrics import SuiteOptions, label_free_metrics
from sslnb.metrics._checks import UndefinedMetricError
from sslnb.metrics.cluster_learnability import cluster_learnability
from sslnb.metrics.intrinsic_dimension import (
    dimension_from_lengths, mst_dimension, mst_length, twonn_dimension, twonn_from_distances,
)


def on_subspace(n: int, d: int, ambient: int = 32, seed: int = 0) -> np.ndarray:
    """n points uniform in a d-dimensional unit cube, rotated into ``ambient`` dimensions and shifted."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(ambient, d)))
    return rng.uniform(size=(n, d)) @ basis.T + 5.0


def test_twonn_closed_form_on_a_line():
    # points at 0, 1, 3, 7 on a line: r1 = 1, 1, 2, 4 and r2 = 3, 2, 3, 6
    Z = np.array([[0.0], [1.0], [3.0], [7.0]])
    mu = np.array([3 / 1, 2 / 1, 3 / 2, 6 / 4])
    assert twonn_dimension(Z) == pytest.approx(4 / np.log(mu).sum(), rel=1e-12)


def test_twonn_from_distances_leaves_duplicates_out():
    assert twonn_from_distances(np.array([0.0, 1.0, 1.0]), np.array([1.0, math.e, math.e])) == pytest.approx(1.0)


@pytest.mark.parametrize("d", [2, 5])
def test_twonn_recovers_the_dimension_of_a_uniform_subspace(d):
    # the MLE's relative standard error is 1/sqrt(N) = 2.2% at N = 2000; allow 10% for the cube's edges
    assert twonn_dimension(on_subspace(2000, d)) == pytest.approx(d, rel=0.10)


def test_twonn_is_scale_and_rotation_free():
    Z = on_subspace(500, 3)
    rotation, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(32, 32)))
    assert twonn_dimension(Z * 1e-30) == pytest.approx(twonn_dimension(Z), rel=1e-9)
    assert twonn_dimension(Z @ rotation) == pytest.approx(twonn_dimension(Z), rel=1e-9)


def test_twonn_undefined_on_an_evenly_spaced_line():
    # every point's two neighbours are equally far (mu = 1) except the two ends, where mu = 2: d = 10 / (2 log 2)
    Z = np.arange(10.0)[:, None]
    assert twonn_dimension(Z) == pytest.approx(10 / (2 * np.log(2)))
    with pytest.raises(UndefinedMetricError):
        twonn_dimension(np.zeros((5, 3)))


def test_mst_length_of_a_square_and_of_a_line():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert mst_length(square) == pytest.approx(3.0)
    line = np.array([[5.0], [0.0], [2.0], [2.0], [9.0]])  # the duplicate joins by a zero-length edge
    assert mst_length(line) == pytest.approx(2 + 0 + 3 + 4)


@pytest.mark.parametrize("d", [1.0, 2.0, 3.5])
def test_dimension_from_lengths_inverts_the_growth_law(d):
    sizes = np.array([100, 200, 400, 800])
    assert dimension_from_lengths(sizes, 3.0 * sizes ** ((d - 1) / d)) == pytest.approx(d, rel=1e-12)


@pytest.mark.parametrize("d", [2, 4])
def test_mst_dimension_of_a_uniform_subspace(d):
    assert mst_dimension(on_subspace(3000, d), max_points=2000) == pytest.approx(d, rel=0.2)


def test_mst_dimension_checks_its_inputs():
    with pytest.raises(ValueError, match="n_sizes"):
        mst_dimension(on_subspace(100, 2), n_sizes=1)
    with pytest.raises(UndefinedMetricError):
        mst_dimension(np.ones((50, 3)))


def test_cluster_learnability_closed_forms():
    # two far-apart blobs labelled by blob: every held-out point's neighbours share its label
    rng = np.random.default_rng(0)
    Z = np.concatenate([rng.normal(size=(100, 4)), rng.normal(size=(100, 4)) + 50])
    labels = np.repeat([0, 1], 100)
    assert cluster_learnability(Z, labels) == 1.0
    # 1-NN on a line with labels alternating 0 1 0 1 ...: with the even rows fitted, each held-out odd
    # row's nearest fitted neighbour is even, so the learnability is exactly the share of held-out rows
    # whose label is that neighbour's: computed by hand below for the seeded split
    line = np.arange(40.0)[:, None]
    alternating = np.arange(40) % 2
    order = np.random.RandomState(3).permutation(40)
    fit, held = order[:20], order[20:]
    fitted = line[fit, 0]
    expected = np.mean([alternating[fit[np.argmin(np.abs(fitted - x) + 1e-9 * fitted)]] == alternating[i]
                        for i, x in zip(held, line[held, 0])])
    assert cluster_learnability(line, alternating, n_neighbors=1, seed=3) == pytest.approx(expected)


def test_cluster_learnability_of_random_labels_is_chance():
    Z = np.random.default_rng(1).normal(size=(4000, 8))
    labels = np.random.default_rng(2).integers(0, 4, size=4000)
    assert cluster_learnability(Z, labels) == pytest.approx(0.25, abs=0.03)
    with pytest.raises(UndefinedMetricError):
        cluster_learnability(Z, np.zeros(4000, dtype=int))


def test_the_suite_reports_the_new_metrics():
    Z = on_subspace(600, 3, ambient=16)
    values = label_free_metrics(Z, SuiteOptions(k=4, mst_points=500)).values
    assert values["twonn_dimension"] == pytest.approx(twonn_dimension(Z))
    assert values["mst_dimension"] == pytest.approx(mst_dimension(Z, 500))
    assert 0 < values["cluster_learnability"] <= 1
