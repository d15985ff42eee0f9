"""SimCLR: contrastive learning with in-batch negatives.

Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive Learning of Visual
Representations", ICML 2020. Two augmented views of each image go through the shared backbone f and
projector g; the NT-Xent loss (:func:`sslnb.losses.nt_xent`) pulls the two projections of an image
together and pushes them away from the other 2N - 2 views of the batch:

    h = f(x),  z = g(h),  L = nt_xent(z_1, z_2, t)
"""

from __future__ import annotations

import torch
from torch import nn

from sslnb.losses import nt_xent
from sslnb.models import projection_mlp


class SimCLR(nn.Module):
    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int, temperature: float = 0.5):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"methods.simclr.temperature must be positive, got {temperature}")
        self.backbone = backbone
        self.projector = projection_mlp(backbone.embedding_dim, projector_hidden, projector_dim)
        self.temperature = temperature

    def embed(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """The backbone and projector embeddings of a batch (call under ``torch.no_grad``, in eval mode)."""
        backbone = self.backbone(images)
        return {"backbone": backbone, "projector": self.projector(backbone)}

    def training_loss(self, view1: torch.Tensor, view2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss of one batch of positive pairs, and the first view's projections (for monitoring)."""
        z1 = self.projector(self.backbone(view1))
        z2 = self.projector(self.backbone(view2))
        return nt_xent(z1, z2, self.temperature), z1.detach()
