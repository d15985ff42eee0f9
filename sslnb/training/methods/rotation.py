"""Rotation prediction: a pretext task.

Gidaris, Singh & Komodakis, "Unsupervised Representation Learning by Predicting Image Rotations",
ICLR 2018. Each image is rotated by r * 90 degrees, r in {0, 1, 2, 3}, and a classifier on the backbone
predicts r:

    h = f(rot_r(x)),  z = g(h),  L = CE(W z + b, r)

Gidaris et al. feed all four rotations of every image; here each of the 2N augmented views of a batch
gets one rotation, r = i mod 4 for the first view of the i-th image and (i + 2) mod 4 for its second, so
the two views of an image differ by 180 degrees and a step costs what a SimCLR step costs. The batches
are shuffled, so every image sees every rotation over the epochs. Images must be square.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from sslnb.training.methods.base import SSLMethod
from sslnb.training.models import mlp_head

ROTATIONS = 4


def rotate_batch(images: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """Each image of (N, C, H, W) ``images`` rotated counter-clockwise by ``rotations[i]`` * 90 degrees."""
    if images.shape[-1] != images.shape[-2]:
        raise ValueError(f"rotation prediction needs square images, got {tuple(images.shape[-2:])}")
    out = torch.empty_like(images, memory_format=torch.contiguous_format)
    for r in range(ROTATIONS):
        rows = torch.nonzero(rotations == r).flatten()
        if len(rows):
            out[rows] = torch.rot90(images[rows], r, dims=(-2, -1))
    return out


class Rotation(SSLMethod):
    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int):
        super().__init__()
        self.backbone = backbone
        self.projector = mlp_head(backbone.embedding_dim, projector_hidden, projector_dim)
        self.classifier = nn.Linear(projector_dim, ROTATIONS)

    def forward(self, view1: torch.Tensor, view2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.arange(len(view1), device=view1.device)
        rotations = torch.cat([index % ROTATIONS, (index + 2) % ROTATIONS])
        images = rotate_batch(torch.cat([view1, view2]), rotations)
        if view1.is_contiguous(memory_format=torch.channels_last):
            images = images.contiguous(memory_format=torch.channels_last)
        z = self.projector(self.backbone(images))
        loss = functional.cross_entropy(self.classifier(z), rotations)
        return loss, z[:len(view1)].detach()
