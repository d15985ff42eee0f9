"""Any encoder, not only sslnb's: torchvision and timm models by name, state-dict files and TorchScript files.

The study compares ImageNet-pretrained encoders of several architectures (its Figure 5). This module
loads such an encoder, drops its classification head, embeds the project's prepared data set the way the
encoder's weights expect, and scores the embeddings with the same metrics as the pipeline.

Where the weights come from:

- ``weights="DEFAULT"`` (or any name of the model's weights enum, e.g. ``IMAGENET1K_V1``): torchvision's
  download, which needs the internet (or torch hub's cache, ``$TORCH_HOME``);
- ``weights_file=PATH``: a state dict saved locally (``torch.save(model.state_dict(), PATH)``), loaded
  with ``torch.load(..., weights_only=True)``;
- ``random_weights=True``: torchvision's random initialisation (a reference, as the study's epoch 0).

Inputs are prepared as the weights require: grey images are repeated to 3 channels, resized to the
weights' ``resize_size``, centre-cropped to ``crop_size`` and normalised with their ``mean``/``std``
(``weights.transforms()``). A weights file or random weights use the architecture's default weights'
preprocessing; ``image_size`` overrides the size (useful for small images and fast tests).

timm models (:func:`timm_encoder`, ``pip install 'sslnb[timm]'``) take the same three sources: ``weights=
"DEFAULT"`` is timm's pretrained tag of the name (``resnet18.a1_in1k``), read from the Hugging Face cache
or downloaded; a weights file or random weights build the same model with ``pretrained=False``. Either way
the head is removed with timm's own ``reset_classifier(0)`` and the preprocessing is timm's data config
for the model (``resolve_model_data_config``: input size, crop fraction, mean, std).
"""

from __future__ import annotations

import logging
import math
import urllib.error
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torchvision.transforms.v2 import functional as F
from tqdm.auto import tqdm

from sslnb.config import Params
from sslnb.metrics.options import MetricOptions
from sslnb.sources.prepare import Dataset
from sslnb.errors import one_line

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class WeightsUnavailableError(FileNotFoundError):
    """No weights could be obtained; the message names the ways to supply them."""


@dataclass(frozen=True)
class Preprocessing:
    """How images are turned into the encoder's input: resize, centre crop, normalise."""

    resize: int
    crop: int
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    channels: int = 3

    def __call__(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 (N, H, W) / (N, C, H, W) or float in [0, 1] -> normalised float (N, channels, crop, crop)."""
        x = torch.as_tensor(images)
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        if x.ndim == 3:
            x = x[:, None]
        if x.shape[1] == 1 and self.channels == 3:
            x = x.expand(-1, 3, -1, -1)
        x = F.resize(x, [self.resize], antialias=True)
        x = F.center_crop(x, [self.crop])
        return F.normalize(x, list(self.mean), list(self.std))

    def with_size(self, image_size: int | None) -> "Preprocessing":
        if image_size is None:
            return self
        return Preprocessing(image_size, image_size, self.mean, self.std, self.channels)


def _weights_enum(name: str):
    import torchvision.models as models

    if name not in models.list_models():
        close = [m for m in models.list_models() if name.split("_")[0] in m][:8]
        raise ValueError(f"torchvision has no model {name!r}" + (f"; similar: {close}" if close else "")
                         + " (all: torchvision.models.list_models())")
    return models.get_model_weights(name)


def _preprocessing_of(weights) -> Preprocessing:
    transform = weights.transforms()
    return Preprocessing(resize=int(transform.resize_size[0]), crop=int(transform.crop_size[0]),
                         mean=tuple(transform.mean), std=tuple(transform.std))


def strip_classifier(model: nn.Module) -> nn.Module:
    """Replace the classification head (``fc``, ``classifier`` or ``heads``) by the identity."""
    for attribute in ("fc", "classifier", "heads", "head"):
        if isinstance(getattr(model, attribute, None), nn.Module):
            setattr(model, attribute, nn.Identity())
            return model
    raise ValueError(f"{type(model).__name__}: no 'fc', 'classifier', 'heads' or 'head' to remove; "
                     "export the encoder without its head as TorchScript instead")


def _check_one_source(name: str, weights: str | None, weights_file: Path | None, random_weights: bool,
                      download: str) -> None:
    """Exactly one source of weights, or an error that lists the three."""
    if sum([weights is not None, weights_file is not None, random_weights]) != 1:
        raise WeightsUnavailableError(
            f"say where {name}'s weights come from, exactly one of: weights='DEFAULT' ({download}), "
            "weights_file=PATH (a state dict saved locally), or random_weights=True "
            "(CLI: --weights DEFAULT | --weights-file PATH | --random-weights)")


def torchvision_encoder(name: str, weights: str | None = None, weights_file: Path | None = None,
                        random_weights: bool = False) -> tuple[nn.Module, Preprocessing]:
    """A torchvision model without its head, and the preprocessing its weights expect (see module docstring)."""
    import torchvision.models as models

    _check_one_source(name, weights, weights_file, random_weights, "torchvision's download, needs the internet")
    enum = _weights_enum(name)
    if weights is not None:
        if weights not in enum.__members__:
            raise ValueError(f"{name} has no weights {weights!r}; choose from {list(enum.__members__)}")
        try:
            model = models.get_model(name, weights=enum[weights])
        except (urllib.error.URLError, OSError, RuntimeError) as error:
            raise WeightsUnavailableError(
                f"could not download {name}'s {weights} weights ({error}). Either allow torchvision to download "
                f"them (internet access, or a populated $TORCH_HOME cache), or save them elsewhere with "
                f"torch.save(model.state_dict(), 'weights.pth') and pass --weights-file weights.pth") from error
        return strip_classifier(model), _preprocessing_of(enum[weights])
    model = models.get_model(name, weights=None)
    if weights_file is not None:
        model.load_state_dict(_load_state_dict(Path(weights_file)))
    return strip_classifier(model), _preprocessing_of(enum.DEFAULT)


def timm_encoder(name: str, weights: str | None = None, weights_file: Path | None = None,
                 random_weights: bool = False) -> tuple[nn.Module, Preprocessing]:
    """A timm model without its head, and the preprocessing of timm's data config (see module docstring)."""
    from sslnb.optional import require

    timm = require("timm", "timm")  # the integrations' one import-or-name-the-extra helper
    _check_one_source(name, weights, weights_file, random_weights,
                      "timm's pretrained weights, from the Hugging Face cache or the internet")
    if weights is not None and weights != "DEFAULT":
        raise ValueError(f"timm weights are chosen by the model name's tag (e.g. resnet18.a1_in1k), so --weights "
                         f"takes only DEFAULT, got {weights!r}")
    if not timm.list_models(name.split(".")[0]):
        close = timm.list_models(f"*{name.split('_')[0].split('.')[0]}*")[:8]
        raise ValueError(f"timm has no model {name!r}" + (f"; similar: {close}" if close else "")
                         + " (all: timm.list_models())")
    if weights is not None:
        try:
            model = timm.create_model(name, pretrained=True)
        except Exception as error:  # hub errors, offline mode, missing cache: one message, the ways out
            raise WeightsUnavailableError(
                f"could not get timm's pretrained weights of {name} ({type(error).__name__}: {one_line(error)}). "
                "Allow the download (internet, or a populated Hugging Face cache, $HF_HOME), or save them "
                "with torch.save(model.state_dict(), 'weights.pth') and pass --weights-file weights.pth") from error
    else:
        model = timm.create_model(name, pretrained=False)
        if weights_file is not None:
            model.load_state_dict(_load_state_dict(Path(weights_file)))
    model.reset_classifier(0)  # timm's own way to drop the head: forward now returns pooled features
    config = timm.data.resolve_model_data_config(model)
    size = int(config["input_size"][-1])
    return model, Preprocessing(resize=int(math.floor(size / config.get("crop_pct", 1.0))), crop=size,
                                mean=tuple(config["mean"]), std=tuple(config["std"]),
                                channels=int(config["input_size"][0]))


def _load_state_dict(path: Path) -> dict:
    if not path.is_file():
        raise WeightsUnavailableError(f"weights file {path} does not exist; save one with "
                                      "torch.save(model.state_dict(), PATH), or use --weights DEFAULT (download)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle.UnpicklingError for pickled objects, RuntimeError for damaged files
        raise ValueError(
            f"weights file {path} cannot be loaded as a state dict with weights_only=True "
            f"({type(error).__name__}); it may hold pickled objects or be damaged: save only the weights with "
            "torch.save(model.state_dict(), PATH)") from error
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]  # common wrapper of training scripts
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state


def torchscript_encoder(path: Path, image_size: int, mean: tuple[float, ...] = IMAGENET_MEAN,
                        std: tuple[float, ...] = IMAGENET_STD) -> tuple[nn.Module, Preprocessing]:
    """A TorchScript encoder (its output is the embedding) and the preprocessing given for it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"TorchScript file {path} does not exist")
    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except Exception as error:  # torch raises RuntimeError (or ValueError) for anything not TorchScript
        raise ValueError(f"{path} is not a TorchScript file ({type(error).__name__}); export the encoder with "
                         "torch.jit.script(encoder).save(PATH) or torch.jit.trace(encoder, example).save(PATH)") from error
    return module, Preprocessing(image_size, image_size, mean, std)


@torch.no_grad()
def encode(encoder: nn.Module, images: np.ndarray | torch.Tensor, preprocessing: Preprocessing,
           batch_size: int = 128) -> np.ndarray:
    """float32 (N, D) embeddings of ``images``; outputs with spatial dimensions are flattened."""
    encoder.eval()
    parts = []
    for start in tqdm(range(0, len(images), batch_size), desc="embed", unit="batch", leave=False):
        batch = preprocessing(images[start:start + batch_size])
        out = encoder(batch)
        out = out[0] if isinstance(out, (tuple, list)) and out else out
        if not isinstance(out, torch.Tensor) or out.ndim < 2 or len(out) != len(batch):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"the encoder returned {shape} for a batch of {len(batch)} images, not an (N, D) "
                             "tensor of embeddings; export an encoder whose forward returns one row per image")
        parts.append(out.reshape(len(out), -1).float().numpy())
    return np.concatenate(parts).astype(np.float32, copy=False)


def evaluate_encoder(encoder: nn.Module, preprocessing: Preprocessing, data: Dataset, params: Params,
                     name: str, batch_size: int = 128) -> pd.DataFrame:
    """The pipeline's metrics table (one row, layer ``backbone``, epoch 0) of ``encoder`` on ``data``."""
    from sslnb.stages.embed import augmented_views
    from sslnb.stages.evaluate import layer_rows
    from sslnb.stages.own_embeddings import tidy_table

    cfg: MetricOptions = params.metrics
    views = augmented_views(data.test_images, params)
    viewed = encode(encoder, views, preprocessing, batch_size)
    arrays = {
        "eval": encode(encoder, data.test_images, preprocessing, batch_size),
        "probe": encode(encoder, data.probe_images, preprocessing, batch_size),
        "views": viewed.reshape(-1, cfg.views, viewed.shape[1]),  # (images, views, D), as the embed stage
    }
    labels = (data.test_labels, data.probe_labels) if data.labelled else (None, None)
    rows = layer_rows({"backbone": arrays}, *labels, cfg.with_clusters(cfg.clusters(data.classes)),
                      params.protocols)  # the frozen-feature protocols; fine-tuning needs the training stages
    return tidy_table([{"method": name, "dataset": params.data.name, "epoch": 0, **row} for row in rows])
