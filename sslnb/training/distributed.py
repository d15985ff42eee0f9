"""Multi-process training through torchrun and DistributedDataParallel: the few helpers sslnb needs.

sslnb builds no distributed layer of its own. ``torchrun --nproc_per_node=N -m sslnb train ...`` sets
RANK, WORLD_SIZE and LOCAL_RANK; :func:`init_from_env` turns them into a process group (NCCL on GPUs,
gloo on CPUs) and the trainer wraps the model in DDP. Each process trains on its slice of every global
batch; rank 0 alone writes checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_from_env(device_type: str) -> DistributedContext:
    """Join the process group torchrun describes in the environment; a single process needs none."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistributedContext()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return DistributedContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def all_gather_no_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every process in rank order (no gradient); itself when alone."""
    if not _active():
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts)


def all_gather_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every process in rank order, letting gradients flow back to each.

    Contrastive losses use it to see the negatives of the whole global batch, so an N-process run
    computes the same loss as one process with the same global batch.
    """
    if not _active():
        return tensor
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(tensor.contiguous()))


def reduce_mean(value: float) -> float:
    """Mean of a Python float over all processes (for logging)."""
    if not _active():
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(tensor)
    return float(tensor.item()) / dist.get_world_size()
