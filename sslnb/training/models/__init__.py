"""Encoders (backbones) and the heads trained on top of them, one module per architecture family."""

from torch import nn

from sslnb.config import DataConfig, ModelConfig
from sslnb.training.models.convnet import ConvNet
from sslnb.training.models.heads import mlp_head
from sslnb.training.models.resnet import SmallResNet
from sslnb.training.models.vit import SmallViT


def build_backbone(cfg: ModelConfig, in_channels: int = 1, image_size: int = 28) -> nn.Module:
    """The encoder of ``cfg.architecture``; every one has an ``embedding_dim`` attribute."""
    if cfg.architecture == "resnet":
        return SmallResNet(in_channels, cfg.width, cfg.stages, cfg.blocks_per_stage)
    if cfg.architecture == "convnet":
        return ConvNet(in_channels, cfg.width, cfg.stages, cfg.blocks_per_stage)
    if cfg.architecture == "vit":
        return SmallViT(in_channels, image_size, cfg.patch_size, cfg.width, cfg.depth, cfg.heads)
    raise ValueError(f"unknown model.architecture {cfg.architecture!r}; choose resnet, convnet or vit")


def backbone_for(cfg: ModelConfig, data: DataConfig) -> nn.Module:
    """The encoder for the images of ``data`` (their channels and size)."""
    return build_backbone(cfg, in_channels=data.input_channels, image_size=data.input_size)


__all__ = ["ConvNet", "SmallResNet", "SmallViT", "backbone_for", "build_backbone", "mlp_head"]
