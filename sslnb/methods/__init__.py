"""SSL methods, one module each. A method owns its heads and its loss; the training loop is shared."""

from __future__ import annotations

from typing import Any, Callable

from torch import nn

from sslnb.config import Params
from sslnb.methods.simclr import SimCLR
from sslnb.models import build_backbone


def _simclr(params: Params, options: dict[str, Any]) -> nn.Module:
    unknown = sorted(set(options) - {"temperature"})
    if unknown:
        raise ValueError(f"params.yaml: unknown option(s) {unknown} under methods.simclr; known: ['temperature']")
    model = params.model
    return SimCLR(build_backbone(model), model.projector_hidden, model.projector_dim, **options)


BUILDERS: dict[str, Callable[[Params, dict[str, Any]], nn.Module]] = {"simclr": _simclr}


def build_method(name: str, params: Params) -> nn.Module:
    """The model of SSL method ``name``, configured from ``params.model`` and ``params.methods[name]``."""
    if name not in BUILDERS:
        raise ValueError(f"unknown SSL method {name!r}; available: {sorted(BUILDERS)}")
    return BUILDERS[name](params, params.method(name))


__all__ = ["BUILDERS", "SimCLR", "build_method"]
