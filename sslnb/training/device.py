"""Choosing where to compute: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

CHOICES = ("auto", "cuda", "mps", "cpu")


def pick_device(preference: str = "auto", local_rank: int = 0) -> torch.device:
    """The device to train on. ``auto`` takes CUDA if present, then MPS, then the CPU.

    Under torchrun, each process takes the GPU of its ``local_rank``.
    """
    if preference not in CHOICES:
        raise ValueError(f"train.device must be one of {CHOICES}, got {preference!r}")
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if preference == "cuda" and not cuda:
        raise ValueError("train.device is 'cuda' but no CUDA GPU is visible; use 'auto' or 'cpu'")
    if preference == "mps" and not mps:
        raise ValueError("train.device is 'mps' but MPS is not available; use 'auto' or 'cpu'")
    if preference == "cuda" or (preference == "auto" and cuda):
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if preference == "mps" or (preference == "auto" and mps):
        return torch.device("mps")
    return torch.device("cpu")
