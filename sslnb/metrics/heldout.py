"""The held-out objective: NT-Xent of fixed reference views at a fixed temperature.

Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive Learning of Visual Representations",
ICML 2020 (the loss); used here as a label-free *baseline* that, unlike each run's training loss, means the
same thing for every run of a comparison. With u_1..u_2N the L2-normalised embeddings of two views of N
held-out images (the evaluation set's reference views, drawn once with ``reference_augment``), j(i) the
other view of the image of view i and a fixed temperature t:

    heldout_loss = (1 / 2N) sum_i [ -u_i . u_j(i) / t + log sum_{k != i} exp(u_i . u_k / t) ]

Lower is better. It lies in [log(2N - 1) - 2/t, log(2N - 1) + 2/t]; collapsed embeddings give log(2N - 1).
The training loss of a run depends on its method, temperature and augmentation (the same embeddings give
NT-Xent 0.03 at t = 0.1 and 3.08 at t = 0.5), so only this one ranks runs that differ in those.

Requirements: two (N, D) arrays, N >= 2, row i of each a view of the same image; t > 0. Invariant to a
permutation of the images (the same in both views), to rotations and to a positive global scale (cosines);
not to a shift (directions change).
"""

from __future__ import annotations

import numpy as np
import torch

from sslnb.metrics._checks import check_views
from sslnb.metrics._utils import l2_normalize


def heldout_ntxent(view1: np.ndarray, view2: np.ndarray, temperature: float = 0.5) -> float:
    """NT-Xent of two (N, D) arrays of views of the same N images at ``temperature``, in float64.

    Parameters
    ----------
    view1, view2 : array of shape (N, D), N >= 2
        Embeddings of two augmented views; row i of each is a view of image i.
    temperature : float > 0
        The fixed temperature t; one value for every run that is compared.

    Returns
    -------
    float
        The mean over the 2N views of the cross-entropy of each view's positive against the other 2N - 1.

    References
    ----------
    Chen et al., ICML 2020 (SimCLR), equation 1.
    """
    view1, view2 = check_views(view1, view2)
    if len(view1) < 2:
        raise ValueError("heldout_ntxent needs at least 2 images: with one there are no negatives")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    n = len(view1)
    unit = torch.as_tensor(l2_normalize(np.concatenate([view1, view2]).astype(np.float64)))
    logits = unit @ unit.T / temperature
    logits.fill_diagonal_(float("-inf"))  # a view is never its own negative
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    loss = torch.logsumexp(logits, dim=1) - logits[torch.arange(2 * n), positive]
    return float(loss.mean())
