"""SimCLR: contrastive learning with in-batch negatives.

Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive Learning of Visual
Representations", ICML 2020. Two augmented views of each image go through the shared backbone f and
projector g; the NT-Xent loss (:func:`sslnb.training.losses.nt_xent`) pulls the two projections of an image
together and pushes them away from the other 2N - 2 views of the batch:

    h = f(x),  z = g(h),  L = nt_xent(z_1, z_2, t)
"""

from __future__ import annotations

import torch
from torch import nn

from sslnb.training.distributed import all_gather_with_grad
from sslnb.training.losses import nt_xent
from sslnb.training.methods.base import SSLMethod
from sslnb.training.models import mlp_head


class SimCLR(SSLMethod):
    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int, temperature: float = 0.5):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"methods.simclr.temperature must be positive, got {temperature}")
        self.backbone = backbone
        self.projector = mlp_head(backbone.embedding_dim, projector_hidden, projector_dim)
        self.temperature = temperature

    def forward(self, view1: torch.Tensor, view2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z1 = self.projector(self.backbone(view1))
        z2 = self.projector(self.backbone(view2))
        # Under DDP, negatives come from the whole global batch, as in a single-process run.
        loss = nt_xent(all_gather_with_grad(z1), all_gather_with_grad(z2), self.temperature)
        return loss, z1.detach()
