"""MAE: masked autoencoding on the small ViT, a reconstruction (generative) method.

He, Chen, Xie, Li, Dollar & Girshick, "Masked Autoencoders Are Scalable Vision Learners", CVPR 2022.
A random ``mask_ratio`` of the image's patches is removed; the ViT encoder sees only the visible ones
(with their position embeddings), and a light Transformer decoder, given the encoded visible tokens and a
learnt mask token at every removed position, predicts the removed patches' pixels:

    L = (1 / |M|) sum_{p in M} (1 / D) || x_hat_p - t_p ||^2

over the masked patches M, with t_p the patch's pixels, each patch normalised by its own mean and std
when ``norm_pix_loss`` (the paper's better setting). Only the first augmented view is used.

Embeddings: the backbone is the LayerNorm of the mean of the encoder's patch tokens over the whole,
unmasked image (the paper's global pooling; the class token is not trained by the loss); the
"projector" layer is the decoder's input embedding of that vector (a linear map into the decoder width),
the closest MAE has to the joint-embedding methods' projector.
"""

from __future__ import annotations

import torch
from torch import nn

from sslnb.training.methods.base import SSLMethod
from sslnb.training.models import SmallViT


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(N, P, p * p * C) pixels of the row-major patches (the ViT's token order; padded as the ViT pads)."""
    height, width = images.shape[-2:]
    images = nn.functional.pad(images, (0, -width % patch_size, 0, -height % patch_size))
    n, c, height, width = images.shape
    h, w = height // patch_size, width // patch_size
    patches = images.reshape(n, c, h, patch_size, w, patch_size).permute(0, 2, 4, 3, 5, 1)
    return patches.reshape(n, h * w, patch_size * patch_size * c)


class MAE(SSLMethod):
    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int, mask_ratio: float = 0.75,
                 decoder_dim: int = 32, decoder_depth: int = 1, decoder_heads: int = 2, norm_pix_loss: bool = True):
        super().__init__()
        if not isinstance(backbone, SmallViT):
            raise ValueError("methods.mae needs the ViT encoder: set 'model: {architecture: vit, ...}' under "
                             "methods.mae in params.yaml (or model.architecture: vit)")
        if not 0 < mask_ratio < 1:
            raise ValueError(f"methods.mae.mask_ratio must be between 0 and 1, got {mask_ratio}")
        if decoder_dim % decoder_heads:
            raise ValueError(f"methods.mae.decoder_dim ({decoder_dim}) must be a multiple of decoder_heads "
                             f"({decoder_heads})")
        backbone.pool = "mean"
        self.backbone = backbone
        self.mask_ratio, self.norm_pix_loss = mask_ratio, norm_pix_loss
        patches = backbone.position.shape[1] - 1
        self.decoder_embed = nn.Linear(backbone.embedding_dim, decoder_dim)
        self.projector = self.decoder_embed  # the layer sslnb scores as "projector" (see the module's docstring)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.decoder_position = nn.Parameter(torch.zeros(1, patches + 1, decoder_dim))
        nn.init.trunc_normal_(self.decoder_position, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        layer = nn.TransformerEncoderLayer(decoder_dim, decoder_heads, 2 * decoder_dim, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.decoder = nn.TransformerEncoder(layer, decoder_depth, enable_nested_tensor=False)
        self.decoder_norm = nn.LayerNorm(decoder_dim)
        in_channels = backbone.patches.in_channels
        self.decoder_pred = nn.Linear(decoder_dim, backbone.patch_size ** 2 * in_channels)

    def forward(self, view1: torch.Tensor, view2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        vit = self.backbone
        tokens = vit.patch_tokens(view1)
        n, patches, dim = tokens.shape
        keep = max(int(round(patches * (1 - self.mask_ratio))), 1)
        order = torch.argsort(torch.rand(n, patches, device=tokens.device), dim=1)  # a random mask per image
        restore = torch.argsort(order, dim=1)
        visible = torch.gather(tokens, 1, order[:, :keep, None].expand(-1, -1, dim))
        encoded = vit.norm(vit.encode(visible))
        decoded = self.decoder_embed(encoded)
        filled = torch.cat([decoded[:, 1:], self.mask_token.expand(n, patches - keep, -1)], dim=1)
        filled = torch.gather(filled, 1, restore[:, :, None].expand(-1, -1, filled.shape[2]))
        decoded = self.decoder(torch.cat([decoded[:, :1], filled], dim=1) + self.decoder_position)
        prediction = self.decoder_pred(self.decoder_norm(decoded))[:, 1:]
        target = patchify(view1, vit.patch_size)
        if self.norm_pix_loss:
            mean, var = target.mean(dim=-1, keepdim=True), target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1e-6).sqrt()
        masked = (restore >= keep).float()  # 1 where the patch was removed
        loss = (((prediction - target) ** 2).mean(dim=-1) * masked).sum() / masked.sum()
        return loss, encoded[:, 1:].mean(dim=1).detach()
