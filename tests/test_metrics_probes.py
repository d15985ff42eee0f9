import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from sslnb.metrics import knn_accuracy, linear_probe_accuracy


def _blobs(n, rng, spread=1.0):
    y = rng.integers(0, 4, n)
    centers = rng.normal(size=(4, 8)) * 3
    return centers[y] + spread * rng.normal(size=(n, 8)), y


@pytest.mark.parametrize("k, t", [(1, 0.07), (20, 0.07), (7, 0.5)])
def test_knn_matches_scikit_learn_weighted_cosine_knn(k, t):
    rng = np.random.default_rng(0)
    train_X, train_y = _blobs(300, rng, spread=3.0)
    test_X, test_y = _blobs(150, rng, spread=3.0)
    reference = KNeighborsClassifier(
        n_neighbors=k, metric="cosine", algorithm="brute", weights=lambda d: np.exp((1 - d) / t)
    ).fit(train_X, train_y)
    expected = np.mean(reference.predict(test_X) == test_y)
    assert knn_accuracy(train_X, train_y, test_X, test_y, k=k, temperature=t, chunk_size=64) == pytest.approx(expected)


def test_linear_probe_on_separable_and_on_random_labels():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    assert linear_probe_accuracy(X[:300], y[:300], X[300:], y[300:]) >= 0.97
    noise = rng.integers(0, 2, 400)
    assert linear_probe_accuracy(X[:300], noise[:300], X[300:], noise[300:]) < 0.7


def test_linear_probe_ignores_feature_scale():
    rng = np.random.default_rng(2)
    X, y = _blobs(300, rng, spread=4.0)
    scaled = X * np.array([1e3, 1e-3, 1, 1, 1, 1, 1, 1])
    assert linear_probe_accuracy(X[:200], y[:200], X[200:], y[200:]) == pytest.approx(
        linear_probe_accuracy(scaled[:200], y[:200], scaled[200:], y[200:]), abs=0.02)


def test_probe_input_errors():
    X, y = np.random.default_rng(0).normal(size=(30, 3)), np.arange(30) % 3
    with pytest.raises(ValueError, match="test_y has 29 entries"):
        knn_accuracy(X, y, X, y[:29])
    with pytest.raises(ValueError, match="k=31 neighbours"):
        knn_accuracy(X, y, X, y, k=31)
    with pytest.raises(ValueError, match="features"):
        linear_probe_accuracy(X, y, X[:, :2], y)


def test_linear_probe_reaches_the_optimum_a_tightly_converged_lbfgs_finds():
    """Independent computation: scikit-learn's L-BFGS on the same objective, run to a tight tolerance."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(3)
    centers = rng.normal(size=(6, 12))
    y = rng.integers(0, 6, 1200)
    X = centers[y] + 1.5 * rng.normal(size=(1200, 12))
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=20_000))
    reference.fit(X[:800], y[:800])
    expected = float(np.mean(reference.predict(X[800:]) == y[800:]))
    assert linear_probe_accuracy(X[:800], y[:800], X[800:], y[800:]) == pytest.approx(expected, abs=1 / 400)
