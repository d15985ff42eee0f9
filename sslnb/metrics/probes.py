"""Label-based references: what the label-free metrics are judged against.

Both fit on the fixed probe-training subset (frozen features of the train split) and score on the
evaluation set (the test split). They need labels, which sslnb's users often lack; sslnb computes them
wherever labels exist to show how well each label-free metric tracks them.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class FewShotResult:
    """Accuracy of a few-shot probe: the mean and standard deviation over the draws, and each draw's."""

    mean: float
    std: float
    accuracies: tuple[float, ...]


def fewshot_draw(labels: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Rows of ``shots`` samples per class drawn without replacement (all of a class that has fewer), sorted."""
    rows = [rng.permutation(np.flatnonzero(labels == label))[:shots] for label in np.unique(labels)]
    return np.sort(np.concatenate(rows))


def fewshot_accuracy(
    train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray, test_y: np.ndarray,
    shots: int, draws: int = 5, seed: int = 0, max_iter: int = 1000,
) -> FewShotResult:
    """Accuracy of the linear probe fit on ``shots`` labelled samples per class, over ``draws`` seeded draws.

    Each draw takes k = ``shots`` rows of every class of ``train_y`` without replacement (all rows of a
    class with fewer) and fits :func:`linear_probe_accuracy` on them; the result is the mean and the sample
    standard deviation (ddof = 1; 0 for one draw) of the draws' accuracies on the whole test set:

        acc_k = (1/R) sum_r acc(probe fit on D_r),  D_r = k random rows per class (draw r)

    The k-shot linear evaluation of the SSL literature (e.g. SimCLR's 1% and 10% label subsets, and the
    low-shot protocols of Goyal et al., ICCV 2019), here on frozen features. With ``shots`` at least the
    largest class, every draw is the whole training set and the result equals the full probe.
    """
    train_X, train_y, test_X, test_y = _check_split(train_X, train_y, test_X, test_y)
    shots, draws = check_positive_int(shots, "shots"), check_positive_int(draws, "draws")
    rng = np.random.default_rng(seed)
    if shots >= np.unique(train_y, return_counts=True)[1].max():
        draws = 1  # every draw would be the whole training set: fit it once
    accuracies = []
    for _ in range(draws):
        rows = fewshot_draw(train_y, shots, rng)
        accuracies.append(linear_probe_accuracy(train_X[rows], train_y[rows], test_X, test_y, max_iter=max_iter))
    std = float(np.std(accuracies, ddof=1)) if draws > 1 else 0.0
    return FewShotResult(float(np.mean(accuracies)), std, tuple(accuracies))


def bn_probe_accuracy(
    train_X: np.ndarray, train_y: np.ndarray, test_X: np.ndarray, test_y: np.ndarray,
    epochs: int = 50, batch_size: int = 256, lr: float = 0.1, momentum: float = 0.9, seed: int = 0,
) -> float:
    """Top-1 accuracy of a linear head behind a BatchNorm without affine parameters, trained with SGD.

    The head of the linear probing of MAE (He et al., CVPR 2022), which Marks et al. (IJCV 2025) found to
    matter for comparing SSL encoders:

        logits = W BN(x) + b,   BN(x) = (x - mu_B) / sqrt(var_B + eps)   (no learnt scale or shift)

    trained on the softmax cross-entropy with mini-batch SGD (momentum ``momentum``, a cosine schedule from
    ``lr`` to 0 over ``epochs``, no weight decay, W and b starting at 0, batches shuffled from ``seed``), in
    float64; at test time BN uses its running mean and variance. How it differs from
    :func:`linear_probe_accuracy`: that one standardises with the exact training mean and std and solves
    the L2-regularised logistic regression to its optimum; this one normalises by noisy batch statistics
    while training and stops after a fixed budget of SGD steps without regularisation, as SSL papers' probes
    do. On features whose scale differs across encoders the two can rank encoders differently.
    """
    train_X, train_y, test_X, test_y = _check_split(train_X, train_y, test_X, test_y)
    epochs, batch_size = check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size")
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}")
    classes, codes = np.unique(train_y, return_inverse=True)
    X = torch.from_numpy(train_X.astype(np.float64))
    y = torch.from_numpy(codes.astype(np.int64))
    head = torch.nn.Sequential(torch.nn.BatchNorm1d(X.shape[1], affine=False, dtype=torch.float64),
                               torch.nn.Linear(X.shape[1], len(classes), dtype=torch.float64))
    torch.nn.init.zeros_(head[1].weight)
    torch.nn.init.zeros_(head[1].bias)
    batch_size = min(batch_size, len(X))
    steps_per_epoch = max(len(X) // batch_size, 1)  # the last partial batch is dropped: BN needs > 1 row
    optimizer = torch.optim.SGD(head.parameters(), lr=lr, momentum=momentum)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(seed)
    head.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for step in range(steps_per_epoch):
            rows = order[step * batch_size:(step + 1) * batch_size]
            loss = torch.nn.functional.cross_entropy(head(X[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    head.eval()
    with torch.no_grad():
        predicted = classes[head(torch.from_numpy(test_X.astype(np.float64))).argmax(dim=1).numpy()]
    return float(np.mean(predicted == test_y))
