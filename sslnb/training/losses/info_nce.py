"""InfoNCE with a queue of negatives, the loss of MoCo and MoCo-v2.

He, Fan, Wu, Xie & Girshick, "Momentum Contrast for Unsupervised Visual Representation Learning",
CVPR 2020; Chen, Fan, Girshick & He, "Improved Baselines with Momentum Contrastive Learning",
arXiv 2003.04297 (MoCo-v2).

With the L2-normalised query q_i (online encoder), its positive key k_i (momentum encoder, no gradient)
and the K normalised negative keys n_1..n_K of the queue:

    loss_i = -log( exp(q_i . k_i / t) / (exp(q_i . k_i / t) + sum_j exp(q_i . n_j / t)) )
    L      = (1 / N) sum_i loss_i
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """Mean InfoNCE loss of N queries against their keys and a queue of negatives.

    Args:
        q: (N, D) queries; gradients flow through them.
        k: (N, D) positive keys; detached inside (they come from the momentum encoder).
        queue: (K, D) negative keys from earlier batches; detached inside.
        temperature: t > 0.
    """
    if q.ndim != 2 or q.shape != k.shape:
        raise ValueError(f"q and k must be 2-D and of equal shape, got {tuple(q.shape)} and {tuple(k.shape)}")
    if queue.ndim != 2 or queue.shape[1] != q.shape[1]:
        raise ValueError(f"queue must have shape (K, {q.shape[1]}), got {tuple(queue.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    q = F.normalize(q, dim=1)
    k = F.normalize(k.detach(), dim=1)
    negatives = F.normalize(queue.detach(), dim=1)
    positive = (q * k).sum(dim=1, keepdim=True)
    logits = torch.cat([positive, q @ negatives.T], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=q.device))
