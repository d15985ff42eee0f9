import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from sslnb.metrics import bn_probe_accuracy, fewshot_accuracy, knn_accuracy, linear_probe_accuracy
from sslnb.metrics.probes import fewshot_draw


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


def test_fewshot_with_every_image_per_class_equals_the_full_probe():
    rng = np.random.default_rng(1)
    train_X, train_y = _blobs(200, rng, spread=3.0)
    test_X, test_y = _blobs(100, rng, spread=3.0)
    full = linear_probe_accuracy(train_X, train_y, test_X, test_y)
    every = fewshot_accuracy(train_X, train_y, test_X, test_y, shots=np.bincount(train_y).max(), draws=5)
    assert every.mean == full and every.std == 0.0 and every.accuracies == (full,)


def test_fewshot_draws_k_per_class_and_are_seeded():
    rng = np.random.default_rng(2)
    train_X, train_y = _blobs(400, rng, spread=3.0)
    test_X, test_y = _blobs(100, rng, spread=3.0)
    rows = fewshot_draw(train_y, 5, np.random.default_rng(0))
    assert np.all(np.bincount(train_y[rows]) == 5) and len(np.unique(rows)) == 20
    first = fewshot_accuracy(train_X, train_y, test_X, test_y, shots=2, draws=4, seed=3)
    again = fewshot_accuracy(train_X, train_y, test_X, test_y, shots=2, draws=4, seed=3)
    assert first == again and len(first.accuracies) == 4
    assert first.mean == pytest.approx(np.mean(first.accuracies)) and first.std == pytest.approx(
        np.std(first.accuracies, ddof=1))
    # each draw is the ordinary probe on its rows
    draw = fewshot_draw(train_y, 2, np.random.default_rng(3))
    assert first.accuracies[0] == linear_probe_accuracy(train_X[draw], train_y[draw], test_X, test_y)


def test_bn_probe_reaches_the_unregularised_logistic_regression():
    # Full batches: BatchNorm is then exactly the standardisation with the training mean and (biased) std,
    # so SGD run long converges to sklearn's unpenalised logistic regression on standardised features.
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, y = _blobs(700, np.random.default_rng(0), spread=4.0)
    X = X * [1, 100, 0.01, 1, 1, 5, 1, 1]  # scales a probe without normalisation would struggle with
    train_X, train_y, test_X, test_y = X[:400], y[:400], X[400:], y[400:]
    scaler = StandardScaler().fit(train_X)
    reference = LogisticRegression(C=np.inf, solver="newton-cg", max_iter=1000, tol=1e-10).fit(scaler.transform(train_X), train_y)
    expected = np.mean(reference.predict(scaler.transform(test_X)) == test_y)
    got = bn_probe_accuracy(train_X, train_y, test_X, test_y, epochs=3000, batch_size=400, lr=0.5)
    assert got == pytest.approx(expected, abs=0.01)


def test_bn_probe_separates_separable_classes_at_any_scale():
    X, y = _blobs(400, np.random.default_rng(0), spread=0.1)  # one draw of the centres for both splits
    assert bn_probe_accuracy(1e4 * X[:300], y[:300], 1e4 * X[300:], y[300:]) == 1.0
    train_X, train_y, test_X, test_y = X[:300], y[:300], X[300:], y[300:]
    with pytest.raises(ValueError, match="lr must be positive"):
        bn_probe_accuracy(train_X, train_y, test_X, test_y, lr=0)
