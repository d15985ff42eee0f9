"""A small ResNet for 28x28 (or 32x32) images with configurable width and depth.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016. The stem is a single 3x3
convolution (no max-pool: the images are tiny); each stage holds ``blocks_per_stage`` basic blocks,
doubles the channels and halves the resolution, except the first. Global average pooling gives the
backbone embedding, of dimension ``width * 2 ** (stages - 1)``.
"""

from __future__ import annotations

import torch
from torch import nn

from sslnb.training.models._checks import check_conv_shape


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # in-place ReLUs: neither BatchNorm's nor the sum's backward needs its output, so overwriting it
        # saves a write of every activation (values and gradients are unchanged)
        out = torch.relu_(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu_(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """ResNet encoder; ``forward`` returns the (N, embedding_dim) backbone embedding."""

    def __init__(self, in_channels: int = 1, width: int = 16, stages: int = 3, blocks_per_stage: int = 1) -> None:
        super().__init__()
        check_conv_shape(width, stages, blocks_per_stage)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)
        )
        layers: list[nn.Module] = []
        channels = width
        for stage in range(stages):
            out_channels = width * 2**stage
            for block in range(blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(BasicBlock(channels, out_channels, stride))
                channels = out_channels
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.embedding_dim = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.layers(self.stem(x))), 1)
