"""Batched image augmentations for small grey images, done on tensors.

All samples of a batch are augmented together: one ``affine_grid``/``grid_sample`` call performs every
random resized crop and horizontal flip, and the photometric jitter is elementwise. Augmentation is
therefore a small fraction of a training step on the CPU, not its bottleneck. Every random draw comes
from the ``generator`` passed in, so a seeded run is reproducible and resumable.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from sslnb.config import AugmentConfig


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def random_resized_crop_and_flip(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator
) -> torch.Tensor:
    """Crop a random box (area fraction and aspect ratio from ``cfg``), resize it back, maybe flip it."""
    n = images.shape[0]
    area = _uniform(n, *cfg.crop_scale, generator)
    log_ratio = _uniform(n, math.log(cfg.crop_ratio[0]), math.log(cfg.crop_ratio[1]), generator)
    ratio = log_ratio.exp()
    # Box width and height as fractions of the image side; affine_grid works in [-1, 1] coordinates.
    width = (area * ratio).sqrt().clamp(max=1.0)
    height = (area / ratio).sqrt().clamp(max=1.0)
    center_x = (torch.rand(n, generator=generator) * 2 - 1) * (1 - width)
    center_y = (torch.rand(n, generator=generator) * 2 - 1) * (1 - height)
    flip = torch.where(torch.rand(n, generator=generator) < cfg.flip_p, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = width * flip
    theta[:, 0, 2] = center_x
    theta[:, 1, 1] = height
    theta[:, 1, 2] = center_y
    # Random draws stay on the CPU generator (reproducible everywhere); the warp runs on the images' device.
    grid = F.affine_grid(theta.to(images.device), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def color_jitter(images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Random brightness (scale), contrast (scale around the image mean) and Gaussian pixel noise."""
    n = images.shape[0]
    shape = (n, 1, 1, 1)
    brightness = _uniform(n, 1 - cfg.brightness, 1 + cfg.brightness, generator).view(shape).to(images.device)
    contrast = _uniform(n, 1 - cfg.contrast, 1 + cfg.contrast, generator).view(shape).to(images.device)
    images = images * brightness
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    images = (images - mean) * contrast + mean
    if cfg.noise_std > 0:
        images = images + cfg.noise_std * torch.randn(images.shape, generator=generator).to(images.device)
    return images.clamp_(0.0, 1.0)


def random_grayscale(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Replace each RGB image by its luma (ITU-R 601), repeated over the channels, with probability p."""
    chosen = (torch.rand(images.shape[0], generator=generator) < p).view(-1, 1, 1, 1).to(images.device)
    weights = torch.tensor([0.299, 0.587, 0.114], device=images.device).view(1, 3, 1, 1)
    grey = (images * weights).sum(dim=1, keepdim=True).expand_as(images)
    return torch.where(chosen, grey, images)


def augment(images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """One random view of every image of a float batch in [0, 1], shape (N, C, H, W)."""
    views = color_jitter(random_resized_crop_and_flip(images, cfg, generator), cfg, generator)
    if images.shape[1] == 3 and cfg.grayscale_p > 0:
        views = random_grayscale(views, cfg.grayscale_p, generator)
    return views


def two_views(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent augmented views of each image: the positive pairs of SSL."""
    return augment(images, cfg, generator), augment(images, cfg, generator)
