"""Heads put on top of the backbone during SSL training."""

from __future__ import annotations

from torch import nn


def projection_mlp(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """The 2-layer MLP projector of SimCLR (Chen et al., ICML 2020): Linear-BN-ReLU-Linear.

    Its output is the projector embedding, on which the SSL loss is computed.
    """
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim),
    )
