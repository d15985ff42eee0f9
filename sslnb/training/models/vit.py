"""A small Vision Transformer for 28x28 or 32x32 images.

Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
ICLR 2021. The image is cut into non-overlapping ``patch_size`` x ``patch_size`` patches (padded at the
bottom/right to a multiple of the patch size), each linearly embedded to ``dim``; a learnt class token and
learnt position embeddings are added; ``depth`` pre-norm Transformer encoder layers with ``heads``
attention heads and an MLP of ``mlp_ratio * dim`` follow. The embedding is the final LayerNorm of the
class token, of dimension ``dim`` (or of the mean of the patch tokens, with ``pool = "mean"``).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class SmallViT(nn.Module):
    """ViT encoder; ``forward`` returns the (N, dim) class-token embedding."""

    def __init__(self, in_channels: int = 1, image_size: int = 28, patch_size: int = 4, dim: int = 64,
                 depth: int = 4, heads: int = 4, mlp_ratio: float = 2.0) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"the ViT width ({dim}) must be a multiple of its heads ({heads})")
        if min(patch_size, dim, depth, heads, image_size) < 1:
            raise ValueError("patch_size, dim, depth, heads and image_size must be positive")
        self.patch_size = patch_size
        grid = math.ceil(image_size / patch_size)
        self.patches = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)  # linear patch embedding
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.position = nn.Parameter(torch.zeros(1, grid * grid + 1, dim))
        nn.init.trunc_normal_(self.position, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, int(mlp_ratio * dim), dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.embedding_dim = dim
        self.pool = "cls"  # the embedding: the class token, or "mean" of the patch tokens (as MAE uses)

    def patch_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """(N, P, dim) embedded patches of images x, each with its position embedding, in row-major order."""
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % self.patch_size, -width % self.patch_size
        if pad_h or pad_w:
            x = nn.functional.pad(x, (0, pad_w, 0, pad_h))
        tokens = self.patches(x).flatten(2).transpose(1, 2)  # (N, patches, dim)
        if tokens.shape[1] + 1 != self.position.shape[1]:
            raise ValueError(f"this ViT was built for {self.position.shape[1] - 1} patches, the input gives "
                             f"{tokens.shape[1]}: set model.image_size to the images' size")
        return tokens + self.position[:, 1:]

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """The Transformer on the class token and ``tokens`` (any subset of :meth:`patch_tokens`): (N, 1 + L, dim).

        Not normalised; MAE (sslnb.training.methods.mae) encodes only the visible patches this way.
        """
        cls = (self.cls + self.position[:, :1]).expand(len(tokens), -1, -1)
        return self.encoder(torch.cat([cls, tokens], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        encoded = self.encode(self.patch_tokens(x))
        if self.pool == "mean":
            return self.norm(encoded[:, 1:].mean(dim=1))
        return self.norm(encoded[:, 0])
