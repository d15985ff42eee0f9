"""RankMe: the effective rank of the embedding matrix.

Garrido, Balestriero, Najman & LeCun, "RankMe: Assessing the Downstream Performance of Pretrained
Self-Supervised Representations by Their Rank", ICML 2023. With sigma_1 >= ... >= sigma_D the singular
values of the N x D embedding matrix Z (not centred):

    p_k = sigma_k / sum_j sigma_j + eps,        RankMe(Z) = exp(- sum_k p_k log p_k)

It lies in [1, min(N, D)] (up to eps): min(N, D) for a flat spectrum, r for a matrix of rank r with equal
singular values, 1 for collapsed (constant) embeddings. The paper finds that about 25,600 samples
suffice, and that RankMe compares runs of one method, not different methods.
"""

from __future__ import annotations

import numpy as np

from sslnb.metrics._utils import exp_entropy
from sslnb.metrics.moments import Moments, as_moments

EPS = 1e-7  # the paper's epsilon


def rankme(Z: np.ndarray | Moments, eps: float = EPS) -> float:
    """RankMe of embeddings ``Z`` (N x D, finite, N >= 2) or of their precomputed :class:`Moments`.

    Constant embeddings give 1 with a RuntimeWarning; all-zero embeddings raise CollapsedEmbeddingsError.
    """
    moments = as_moments(Z)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    collapsed = moments.rank_one_value("RankMe")
    return collapsed if collapsed is not None else exp_entropy(moments.singular_values, eps)

