"""SSL methods, one module each. A method owns its heads and its loss; the training loop is shared.

Options of a method come from ``methods.<name>`` in params.yaml: the keyword arguments of its class
(temperature, queue size, momentum, ...), plus ``lr``, ``weight_decay`` and ``batch_size``, which override
``train``.
"""

from __future__ import annotations

import dataclasses
import inspect

from sslnb.config import ModelConfig, Params, model_section
from sslnb.training.methods.base import SSLMethod
from sslnb.training.methods.byol import BYOL
from sslnb.training.methods.mae import MAE
from sslnb.training.methods.moco import MoCoV2
from sslnb.training.methods.rotation import Rotation
from sslnb.training.methods.simclr import SimCLR
from sslnb.training.methods.simsiam import SimSiam
from sslnb.training.methods.supervised import Supervised
from sslnb.training.models import backbone_for

METHODS: dict[str, type[SSLMethod]] = {
    "simclr": SimCLR, "mocov2": MoCoV2, "simsiam": SimSiam, "byol": BYOL,
    "mae": MAE,  # reconstruction (generative): needs the ViT
    "rotation": Rotation,  # a pretext task
    "supervised": Supervised,  # the labelled reference, not an SSL method
}
SSL_METHODS = tuple(name for name, cls in METHODS.items() if not getattr(cls, "uses_labels", False))
TRAINING_OPTIONS = ("lr", "weight_decay", "batch_size")  # per-method overrides of the train section
MODEL_OPTION = "model"  # per-method overrides of the model section (MAE needs the ViT)
_BUILT_IN = ("backbone", "projector_hidden", "projector_dim")  # filled from the model section


def method_options(cls: type[SSLMethod]) -> list[str]:
    """The options of ``cls`` settable in params.yaml."""
    names = [n for n in inspect.signature(cls.__init__).parameters if n not in ("self", *_BUILT_IN)]
    return names + list(TRAINING_OPTIONS) + [MODEL_OPTION]


def method_model(name: str, params: Params) -> ModelConfig:
    """The model section with the method's own ``model`` overrides (``methods.<name>.model``) applied."""
    overrides = params.method(name).get(MODEL_OPTION) or {}
    if not isinstance(overrides, dict):
        raise ValueError(f"params.yaml: methods.{name}.model must map model keys to values, got {overrides!r}; "
                         "e.g. 'model: {architecture: vit, patch_size: 4}'")
    return model_section({**dataclasses.asdict(params.model), **overrides}, f"methods.{name}.model")


def build_method(name: str, params: Params) -> SSLMethod:
    """The model of SSL method ``name``, configured from ``params.model`` and ``params.methods[name]``."""
    if name not in METHODS:
        raise ValueError(f"unknown SSL method {name!r}; available: {sorted(METHODS)}")
    cls = METHODS[name]
    options = params.method(name)
    unknown = sorted(set(options) - set(method_options(cls)))
    if unknown:
        raise ValueError(
            f"params.yaml: unknown option(s) {unknown} under methods.{name}; known: {method_options(cls)}"
        )
    kwargs = {k: v for k, v in options.items() if k not in (*TRAINING_OPTIONS, MODEL_OPTION)}
    model = method_model(name, params)
    return cls(backbone_for(model, params.data), model.projector_hidden, model.projector_dim, **kwargs)


__all__ = ["BYOL", "MAE", "METHODS", "SSL_METHODS", "MoCoV2", "Rotation", "SSLMethod", "SimCLR", "SimSiam", "Supervised", "build_method",
           "method_model", "method_options"]
