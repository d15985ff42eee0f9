"""Label-based references: what the label-free metrics are judged against.

Both fit on the fixed probe-training subset (frozen features of the train split) and score on the
evaluation set (the test split). They need labels, which sslnb's users often lack; sslnb computes them
wherever labels exist to show how well each label-free metric tracks them.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sslnb.metrics._checks import check_embeddings, check_labels, check_positive_int
from sslnb.metrics._utils import l2_normalize


def _check_split(train_X, train_y, test_X, test_y) -> tuple[np.ndarray, ...]:
    train_X = check_embeddings(train_X, "train_X")
    test_X = check_embeddings(test_X, "test_X", min_samples=1)
    if train_X.shape[1] != test_X.shape[1]:
        raise ValueError(f"train_X has {train_X.shape[1]} features but test_X has {test_X.shape[1]}")
    train_y = check_labels(train_y, len(train_X), "train_y")
    test_y = check_labels(test_y, len(test_X), "test_y")
    if len(np.unique(train_y)) < 2:
        raise ValueError("train_y holds a single class; a probe needs at least two")
    return train_X, train_y, test_X, test_y


def linear_probe_accuracy(
    train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray, test_y: np.ndarray,
    max_iter: int = 1000, C: float = 1.0,
) -> float:
    """Top-1 accuracy of a multinomial logistic regression on standardised frozen features.

    The features are standardised with the training subset's mean and std, then the L2-regularised
    multinomial logistic loss

        min_W,b  (1/2) ||W||^2 + C sum_i -log softmax(W x_i + b)_{y_i}

    is minimised in float64 with scikit-learn's Newton-CG solver to a tight tolerance (1e-6); on
    precomputed features this is the usual fast equivalent of the SGD linear probe of SSL papers. The loss
    is strictly convex, so any solver run to convergence gives the same probe: Newton-CG gets there in
    about 12 iterations (0.4 s on 5,000 x 64 features) where L-BFGS needs 650 to 1,350 at tolerance 1e-10
    (7-15 s) and stopped short of the optimum at its default one. Stopping short made the accuracy depend
    on the BLAS's summation order (0.04 points between threads); at the optimum it does not.
    Returns the fraction of ``test_y`` predicted.
    """
    train_X, train_y, test_X, test_y = _check_split(train_X, train_y, test_X, test_y)
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, solver="newton-cg", tol=1e-6, max_iter=max_iter))
    # float64 and a tight tolerance: the optimum, not a point that depends on the BLAS's summation order
    probe.fit(train_X.astype(np.float64), train_y)
    return float(np.mean(probe.predict(test_X.astype(np.float64)) == test_y))


def knn_accuracy(
    train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray, test_y: np.ndarray,
    k: int = 20, temperature: float = 0.07, chunk_size: int = 2048,
) -> float:
    """Top-1 accuracy of the weighted kNN classifier of Wu et al. (CVPR 2018), as in solo-learn and DINO.

    With cosine similarities s_ij between test sample i and training sample j, the k most similar
    training samples vote for their class with weight exp(s_ij / T); the class with the largest summed
    weight wins. Defaults k = 20 and T = 0.07 follow solo-learn.
    """
    train_X, train_y, test_X, test_y = _check_split(train_X, train_y, test_X, test_y)
    k = check_positive_int(k, "k")
    if k > len(train_X):
        raise ValueError(f"k={k} neighbours is more than the {len(train_X)} training samples; lower k")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    classes, train_codes = np.unique(train_y, return_inverse=True)
    train_unit = l2_normalize(train_X)
    correct = 0
    for start in range(0, len(test_X), chunk_size):  # chunks bound the memory of the similarity matrix
        similarity = torch.from_numpy(l2_normalize(test_X[start:start + chunk_size]) @ train_unit.T)
        top_similarity, top = (t.numpy() for t in torch.topk(similarity, k, dim=1))  # fast partial sort
        weights = np.exp(top_similarity.astype(np.float64) / temperature)
        votes = np.zeros((len(top), len(classes)))
        np.add.at(votes, (np.arange(len(top))[:, None], train_codes[top]), weights)
        correct += int(np.sum(classes[votes.argmax(axis=1)] == test_y[start:start + chunk_size]))
    return correct / len(test_X)
