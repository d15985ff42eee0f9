"""Images as the encoders see them: uint8 arrays to float tensors in [0, 1], channels first."""

from __future__ import annotations

import numpy as np
import torch


def to_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 images of shape (N, H, W) or (N, C, H, W) -> float32 tensor in [0, 1] of shape (N, C, H, W)."""
    tensor = torch.as_tensor(images)
    if tensor.ndim == 3:
        tensor = tensor.unsqueeze(1)
    if tensor.ndim != 4:
        raise ValueError(f"expected images of shape (N, H, W) or (N, C, H, W), got {tuple(tensor.shape)}")
    return tensor.float().div_(255.0) if tensor.dtype == torch.uint8 else tensor.float()
