"""Encoders (backbones) and the heads trained on top of them."""

from sslnb.config import ModelConfig
from sslnb.models.heads import mlp_head
from sslnb.models.resnet import SmallResNet


def build_backbone(cfg: ModelConfig, in_channels: int = 1) -> SmallResNet:
    return SmallResNet(in_channels, cfg.width, cfg.stages, cfg.blocks_per_stage)


__all__ = ["SmallResNet", "build_backbone", "mlp_head"]
