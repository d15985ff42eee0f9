"""NT-Xent, the normalised temperature-scaled cross-entropy loss of SimCLR.

Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive Learning of Visual
Representations", ICML 2020.

With the 2N L2-normalised projections u_1..u_2N of N images (two views each) and the index j(i) of the
other view of the image of view i, the similarity s_ij = u_i . u_j (cosine similarity), and

    loss_i = -log( exp(s_i,j(i) / t) / sum_{k != i} exp(s_ik / t) )
    L      = (1 / 2N) sum_i loss_i

that is, the cross-entropy of each view's positive against the other 2N - 1 views.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """Mean NT-Xent loss over all 2N views.

    Args:
        z1: (N, D) projections of the first views; need not be normalised.
        z2: (N, D) projections of the second views; row i is the positive of row i of ``z1``.
        temperature: t > 0; lower values weigh hard negatives more.
    """
    if z1.ndim != 2 or z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must be 2-D and of equal shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if z1.shape[0] < 2:
        raise ValueError("nt_xent needs at least 2 pairs: with one pair there are no negatives")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = u @ u.T / temperature
    # A view is never its own negative: mask the diagonal out of the softmax.
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=u.device), float("-inf"))
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(u.device)
    return F.cross_entropy(logits, positives)
