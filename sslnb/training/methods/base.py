"""What every SSL method provides to the shared training loop and to the embed stage."""

from __future__ import annotations

import copy

import torch
from torch import nn


class SSLMethod(nn.Module):
    """A backbone, a projector and a loss.

    ``forward(view1, view2)`` returns the loss of a batch of positive pairs and the first view's
    projector output (detached, for collapse monitoring); calling the module, not a method, lets
    DistributedDataParallel synchronise the gradients. ``embed`` gives the two embeddings sslnb scores.
    """

    backbone: nn.Module
    projector: nn.Module

    def embed(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """The backbone and projector embeddings of a batch (call under ``torch.no_grad``, in eval mode)."""
        backbone = self.backbone(images)
        return {"backbone": backbone, "projector": self.projector(backbone)}

    def on_step_end(self, progress: float) -> None:
        """Called after each optimiser step with the fraction of training done; momentum updates go here."""


def momentum_copy(module: nn.Module) -> nn.Module:
    """A frozen copy of ``module``, to be updated as an exponential moving average of it."""
    target = copy.deepcopy(module)
    for parameter in target.parameters():
        parameter.requires_grad_(False)
    return target


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """theta_target <- m * theta_target + (1 - m) * theta_online, parameter by parameter."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_(o.detach(), alpha=1 - momentum)
