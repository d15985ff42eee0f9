"""MLP heads put on top of the backbone during SSL training (projectors and predictors)."""

from __future__ import annotations

from torch import nn


def mlp_head(in_dim: int, hidden_dim: int, out_dim: int, batch_norm: bool = True) -> nn.Sequential:
    """A 2-layer MLP, Linear-BN-ReLU-Linear (Linear-ReLU-Linear without ``batch_norm``).

    SimCLR (Chen et al., ICML 2020) uses it as projector; SimSiam and BYOL as projector and predictor;
    MoCo-v2 as projector without batch norm.
    """
    hidden: list[nn.Module] = [nn.Linear(in_dim, hidden_dim, bias=not batch_norm)]
    if batch_norm:
        hidden.append(nn.BatchNorm1d(hidden_dim))
    return nn.Sequential(*hidden, nn.ReLU(inplace=True), nn.Linear(hidden_dim, out_dim))
