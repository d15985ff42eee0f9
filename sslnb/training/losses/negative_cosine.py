"""Negative cosine similarity with a stop-gradient, the loss of SimSiam (and, as 2 - 2 cos, of BYOL).

Chen & He, "Exploring Simple Siamese Representation Learning", CVPR 2021. With the predictor output p
of one view and the projection z of the other view, treated as a constant (stop-gradient):

    D(p, z) = - (p / ||p||) . (stopgrad(z) / ||z||),   averaged over the batch

SimSiam's symmetric loss is L = D(p1, z2) / 2 + D(p2, z1) / 2, with minimum -1. Without the stop-gradient
the two branches collapse to a constant output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def negative_cosine(p: torch.Tensor, z: torch.Tensor, stop_gradient: bool = True) -> torch.Tensor:
    """Mean of -cos(p_i, z_i) over the batch; ``z`` is detached (stop-gradient) inside.

    Args:
        p: (N, D) predictions; gradients flow through them.
        z: (N, D) targets from the other view.
        stop_gradient: keep True; False lets gradients into ``z``, the ablation under which SimSiam
            collapses (useful to study collapse, never to train).
    """
    if p.ndim != 2 or p.shape != z.shape:
        raise ValueError(f"p and z must be 2-D and of equal shape, got {tuple(p.shape)} and {tuple(z.shape)}")
    return -F.cosine_similarity(p, z.detach() if stop_gradient else z, dim=1).mean()
