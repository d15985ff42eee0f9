"""Outlier scores (median / MAD rule) against a hand-computed closed form."""

import numpy as np
import pytest

from sslnb.metrics import CollapsedEmbeddingsError
from sslnb.metrics.outliers import MAD_TO_STD, outlier_scores, outlier_summary


def ring_with_one_outlier() -> np.ndarray:
    """Origin, 4 points at distance 1, 4 at distance 2, one at (10, 0): coordinate-wise median (0, 0)."""
    return np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [2, 0], [-2, 0], [0, 2], [0, -2], [10, 0]], float)


def test_scores_match_the_hand_computed_values():
    # distances 0, 1 x4, 2 x4, 10: median 1.5; |d - 1.5| = 1.5, 0.5 x8, 8.5: MAD 0.5
    scores = outlier_scores(ring_with_one_outlier())
    spread = MAD_TO_STD * 0.5
    expected = (np.array([0, 1, 1, 1, 1, 2, 2, 2, 2, 10]) - 1.5) / spread
    np.testing.assert_allclose(scores, expected)
    assert scores[-1] == pytest.approx(8.5 / 0.7413)


def test_summary_counts_the_samples_beyond_the_threshold():
    summary = outlier_summary(ring_with_one_outlier(), threshold=6)
    assert summary == {"outlier_fraction": pytest.approx(0.1), "outlier_max_z": pytest.approx(8.5 / 0.7413)}
    assert outlier_summary(ring_with_one_outlier(), threshold=12)["outlier_fraction"] == 0


def test_gaussian_samples_stay_below_the_default_threshold():
    Z = np.random.default_rng(0).normal(size=(5000, 64))
    assert outlier_summary(Z, threshold=6)["outlier_fraction"] == 0


def test_scores_do_not_depend_on_row_order_or_translation():
    Z = np.random.default_rng(1).normal(size=(200, 8))
    order = np.random.default_rng(2).permutation(200)
    np.testing.assert_allclose(outlier_scores(Z)[order], outlier_scores(Z[order] + 5.0))


def test_collapsed_embeddings_and_bad_thresholds_are_clear_errors():
    with pytest.raises(CollapsedEmbeddingsError, match="MAD = 0"):
        outlier_scores(np.ones((50, 4)))
    with pytest.raises(ValueError, match="positive number"):
        outlier_summary(ring_with_one_outlier(), threshold=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        outlier_scores(np.array([[0.0, np.nan], [1.0, 2.0]]))
