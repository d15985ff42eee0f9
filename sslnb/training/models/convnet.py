"""A plain ConvNet: stacked 3x3 convolutions without shortcuts, the architecture family before ResNets.

Each stage is conv-BN-ReLU repeated ``blocks_per_stage`` times, then (except after the last stage) a 2x2
max-pool; channels double at each stage. Global average pooling gives the embedding, of dimension
``width * 2 ** (stages - 1)``: the same as :class:`sslnb.training.models.resnet.SmallResNet` of equal width and
stages, so the two differ only in the residual connections.
"""

from __future__ import annotations

import torch
from torch import nn

from sslnb.training.models._checks import check_conv_shape


class ConvNet(nn.Module):
    """Plain ConvNet encoder; ``forward`` returns the (N, embedding_dim) backbone embedding."""

    def __init__(self, in_channels: int = 1, width: int = 16, stages: int = 3, blocks_per_stage: int = 1) -> None:
        super().__init__()
        check_conv_shape(width, stages, blocks_per_stage)
        layers: list[nn.Module] = []
        channels = in_channels
        for stage in range(stages):
            out_channels = width * 2**stage
            for _ in range(blocks_per_stage):
                layers += [nn.Conv2d(channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
                           nn.ReLU(inplace=True)]
                channels = out_channels
            if stage < stages - 1:
                layers.append(nn.MaxPool2d(2))
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.embedding_dim = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.layers(x)), 1)
