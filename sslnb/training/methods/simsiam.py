"""SimSiam: a Siamese network with a predictor and a stop-gradient, no negatives, no momentum encoder.

Chen & He, "Exploring Simple Siamese Representation Learning", CVPR 2021. Backbone f, projector g,
predictor h; with z_a = g(f(x_a)) and p_a = h(z_a):

    L = D(p_1, z_2) / 2 + D(p_2, z_1) / 2,   D(p, z) = -cos(p, stopgrad(z))

(:func:`sslnb.training.losses.negative_cosine`). ``stop_gradient: false`` removes the stop-gradient, the
ablation under which SimSiam collapses; sslnb keeps it as a switch to study collapse.
"""

from __future__ import annotations

import torch
from torch import nn

from sslnb.training.losses import negative_cosine
from sslnb.training.methods.base import SSLMethod
from sslnb.training.models import mlp_head


class SimSiam(SSLMethod):
    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int,
                 predictor_hidden: int | None = None, stop_gradient: bool = True):
        super().__init__()
        self.backbone = backbone
        self.projector = mlp_head(backbone.embedding_dim, projector_hidden, projector_dim)
        # The paper's predictor is a bottleneck: hidden width a quarter of the output.
        self.predictor = mlp_head(projector_dim, predictor_hidden or max(projector_dim // 4, 1), projector_dim)
        self.stop_gradient = stop_gradient

    def forward(self, view1: torch.Tensor, view2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z1 = self.projector(self.backbone(view1))
        z2 = self.projector(self.backbone(view2))
        p1, p2 = self.predictor(z1), self.predictor(z2)
        loss = 0.5 * (negative_cosine(p1, z2, self.stop_gradient) + negative_cosine(p2, z1, self.stop_gradient))
        return loss, z1.detach()
