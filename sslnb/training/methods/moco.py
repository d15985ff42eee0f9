"""MoCo-v2: contrast against a queue of keys from a momentum encoder.

He et al., "Momentum Contrast for Unsupervised Visual Representation Learning", CVPR 2020; Chen et al.,
"Improved Baselines with Momentum Contrastive Learning", arXiv 2003.04297 (MLP head, stronger
augmentation). The query encoder (backbone f_q, projector g_q) is trained; the key encoder is its
exponential moving average, theta_k <- m theta_k + (1 - m) theta_q; the keys of past batches form a
FIFO queue of K negatives. The loss is symmetrised over the two views:

    q_a = g_q(f_q(x_a)),  k_a = g_k(f_k(x_a)),
    L = info_nce(q_1, k_2, queue, t) / 2 + info_nce(q_2, k_1, queue, t) / 2

then both views' keys are enqueued and the oldest dropped.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sslnb.training.distributed import all_gather_no_grad
from sslnb.training.losses import info_nce
from sslnb.training.methods.base import SSLMethod, ema_update, momentum_copy
from sslnb.training.models import mlp_head


class MoCoV2(SSLMethod):
    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int,
                 temperature: float = 0.2, queue_size: int = 4096, momentum: float = 0.99):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"methods.moco.temperature must be positive, got {temperature}")
        if not 0 <= momentum < 1:
            raise ValueError(f"methods.moco.momentum must be in [0, 1), got {momentum}")
        if queue_size < 1:
            raise ValueError(f"methods.moco.queue_size must be positive, got {queue_size}")
        self.backbone = backbone
        self.projector = mlp_head(backbone.embedding_dim, projector_hidden, projector_dim, batch_norm=False)
        self.key_backbone = momentum_copy(self.backbone)
        self.key_projector = momentum_copy(self.projector)
        self.temperature, self.momentum = temperature, momentum
        # Random unit vectors until real keys replace them; buffers, so checkpoints hold the queue.
        self.register_buffer("queue", F.normalize(torch.randn(queue_size, projector_dim), dim=1))
        self.register_buffer("queue_pointer", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def _keys(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.key_projector(self.key_backbone(images)), dim=1)

    @torch.no_grad()
    def _enqueue(self, keys: torch.Tensor) -> None:
        keys = all_gather_no_grad(keys)  # every process keeps the same queue
        size = len(self.queue)
        keys = keys[-size:]  # a batch larger than the queue keeps only its newest keys
        rows = (self.queue_pointer + torch.arange(len(keys), device=keys.device)) % size
        self.queue[rows] = keys
        self.queue_pointer.copy_((self.queue_pointer + len(keys)) % size)

    def forward(self, view1: torch.Tensor, view2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q1 = self.projector(self.backbone(view1))
        q2 = self.projector(self.backbone(view2))
        k1, k2 = self._keys(view1), self._keys(view2)
        queue = self.queue.clone()  # the loss must see the queue from before this batch's keys
        loss = 0.5 * (info_nce(q1, k2, queue, self.temperature) + info_nce(q2, k1, queue, self.temperature))
        self._enqueue(torch.cat([k1, k2]))
        return loss, q1.detach()

    def on_step_end(self, progress: float) -> None:
        ema_update(self.key_backbone, self.backbone, self.momentum)
        ema_update(self.key_projector, self.projector, self.momentum)
