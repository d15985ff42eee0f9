"""What the framework callbacks share: the monitor they wrap, the encoder they resolve, the names they log."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from sslnb.monitor import LabelFreeMonitor

PREFIX = "label_free/"
EncoderSpec = str | Callable[[nn.Module], Callable[[torch.Tensor], torch.Tensor]]


def logged_names(record: dict[str, float]) -> dict[str, float]:
    """The monitor's record as logged: ``label_free/<metric>`` for every metric (the step is the logger's)."""
    return {PREFIX + key: float(value) for key, value in record.items() if key != "step"}


def resolve_encoder(module: nn.Module, encoder: EncoderSpec) -> Callable[[torch.Tensor], torch.Tensor]:
    """``module.<encoder>`` when ``encoder`` names an attribute, else ``encoder(module)``."""
    if callable(encoder):
        return encoder(module)
    if not isinstance(encoder, str) or not hasattr(module, encoder):
        attributes = [name for name, _ in module.named_children()][:10]
        raise AttributeError(f"{type(module).__name__} has no attribute {encoder!r} to embed with; pass "
                             f"encoder=<attribute name> (its children: {attributes}) or a callable "
                             "module -> encoder")
    return getattr(module, encoder)


def build_monitor(data: torch.Tensor | np.ndarray | Iterable, options: dict[str, Any]) -> LabelFreeMonitor:
    """The LabelFreeMonitor the callback drives; ``options`` are its keyword arguments (k, sample_size, ...)."""
    if "every" in options:
        raise TypeError("the callbacks schedule the monitor themselves: use every_n_epochs / every_n_steps, "
                        "not every")
    return LabelFreeMonitor(data, **options)


def check_schedule(every_n_epochs: int | None, every_n_steps: int | None, at_evaluation: bool = False) -> None:
    for name, value in (("every_n_epochs", every_n_epochs), ("every_n_steps", every_n_steps)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    if every_n_epochs is None and every_n_steps is None and not at_evaluation:
        raise ValueError("give every_n_epochs or every_n_steps: the monitor needs a schedule")


def broadcast_from_rank_zero(value: Any) -> Any:
    """Rank 0's ``value`` on every process of an initialised ``torch.distributed`` group; ``value`` without one."""
    distributed = torch.distributed
    if not (distributed.is_available() and distributed.is_initialized() and distributed.get_world_size() > 1):
        return value
    box = [value]
    distributed.broadcast_object_list(box, src=0)
    return box[0]
