"""BYOL: predict a momentum target network's projection of the other view.

Grill et al., "Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning", NeurIPS 2020.
Online network: backbone f, projector g, predictor q; target network: f', g', an exponential moving
average of f, g with a momentum that rises from tau_base to 1 on a cosine schedule,

    tau_k = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2,    theta' <- tau_k theta' + (1 - tau_k) theta

With p_a = q(g(f(x_a))) and the target projection z'_a = g'(f'(x_a)):

    L = (2 - 2 cos(p_1, z'_2)) + (2 - 2 cos(p_2, z'_1))

the symmetrised normalised squared error, written with :func:`sslnb.training.losses.negative_cosine`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from sslnb.training.losses import negative_cosine
from sslnb.training.methods.base import SSLMethod, ema_update, momentum_copy
from sslnb.training.models import mlp_head


def cosine_momentum(base: float, progress: float) -> float:
    """tau at ``progress`` in [0, 1] of training: ``base`` at the start, 1 at the end."""
    return 1 - (1 - base) * (math.cos(math.pi * min(max(progress, 0.0), 1.0)) + 1) / 2


class BYOL(SSLMethod):
    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int,
                 predictor_hidden: int | None = None, momentum: float = 0.99):
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f"methods.byol.momentum must be in [0, 1), got {momentum}")
        self.backbone = backbone
        self.projector = mlp_head(backbone.embedding_dim, projector_hidden, projector_dim)
        self.predictor = mlp_head(projector_dim, predictor_hidden or projector_hidden, projector_dim)
        self.target_backbone = momentum_copy(self.backbone)
        self.target_projector = momentum_copy(self.projector)
        self.base_momentum = momentum

    def forward(self, view1: torch.Tensor, view2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z1 = self.projector(self.backbone(view1))
        z2 = self.projector(self.backbone(view2))
        p1, p2 = self.predictor(z1), self.predictor(z2)
        with torch.no_grad():
            t1 = self.target_projector(self.target_backbone(view1))
            t2 = self.target_projector(self.target_backbone(view2))
        loss = (2 + 2 * negative_cosine(p1, t2)) + (2 + 2 * negative_cosine(p2, t1))
        return loss, z1.detach()

    def on_step_end(self, progress: float) -> None:
        tau = cosine_momentum(self.base_momentum, progress)
        ema_update(self.target_backbone, self.backbone, tau)
        ema_update(self.target_projector, self.projector, tau)
