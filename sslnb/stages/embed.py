"""The ``embed`` stage: backbone and projector embeddings of every checkpoint.

For each checkpoint ``epoch_XXXX.pt`` it writes ``epoch_XXXX.npz`` with float32 arrays, per layer
(``backbone``, ``projector``):

- ``eval_<layer>`` (N, D): the evaluation set, i.e. the test split;
- ``probe_<layer>`` (P, D): the fixed probe-training subset of the train split;
- ``views_<layer>`` (V, q, D): q augmented views of the first V evaluation images
  (``metrics.view_samples``, ``metrics.views``), for alignment, uniformity and LiDAR. The views are drawn
  once from ``metrics.seed`` with the reference augmentation (``reference_augment``, else ``augment``), so
  every checkpoint, and every run of a sweep, sees the very same augmented images;
- ``<domain>__eval_<layer>``, ``<domain>__probe_<layer>`` and ``<domain>__views_<layer>``: the same for each
  shifted and out-of-domain set of :mod:`sslnb.sources.domains` (views of its first ``domains.view_samples``).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from sslnb.images import to_tensor
from sslnb.training.augment import augment
from sslnb.config import Params
from sslnb.sources import load_dataset
from sslnb.sources.domains import Domain, load_domains
from sslnb.io import load_checkpoint, save_npz
from sslnb.training.methods import build_method
from sslnb.paths import ProjectPaths, epoch_files, epoch_from_name

LAYERS = ("backbone", "projector")


def inference_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode whose backbone has each BatchNorm folded into the convolution before it.

    Folding (torch.fx's ``fuse``) is exact arithmetic rewritten: the embeddings agree with the unfolded
    model's up to float32 round-off (about 1e-7 relative), and the forward pass skips a read and a write of
    every activation (about 1.3x faster on a CPU). A backbone that torch.fx cannot trace is kept as it is.
    """
    from torch.fx.experimental.optimization import fuse

    copy = deepcopy(model).eval()
    backbone = getattr(copy, "backbone", None)
    if isinstance(backbone, nn.Module):
        try:
            copy.backbone = fuse(backbone)
        except Exception:  # noqa: BLE001 - tracing can fail in many ways; folding is only an optimisation
            pass
    return copy


@torch.inference_mode()
def embed_images(model: nn.Module, images: np.ndarray, batch_size: int = 256,
                 channels_last: bool = True) -> dict[str, np.ndarray]:
    """Embeddings of images (uint8 or float in [0, 1]) per layer, as float32 arrays; the model runs in eval mode.

    ``channels_last`` runs the convolutions in the NHWC memory layout, as training does (faster on CPUs).
    """
    model.eval()
    if channels_last:
        model.to(memory_format=torch.channels_last)
    chunks: dict[str, list[np.ndarray]] = {layer: [] for layer in LAYERS}
    for start in range(0, len(images), batch_size):
        batch = to_tensor(images[start:start + batch_size])
        if channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        for layer, values in model.embed(batch).items():
            chunks[layer].append(values.float().numpy())
    return {layer: np.concatenate(parts).astype(np.float32, copy=False) for layer, parts in chunks.items()}


def augmented_views(images: np.ndarray, params: Params) -> torch.Tensor:
    """``metrics.views`` augmentations of each of the first ``metrics.view_samples`` images, (V * q, C, H, W).

    Rows are grouped by image: rows i*q .. i*q + q-1 are the views of image i. They are drawn with
    ``params.view_augment`` (``reference_augment``, else ``augment``): one reference augmentation shared by
    every run of a comparison, so that a run's own augmentation cannot move its view metrics.
    """
    cfg = params.metrics
    base = to_tensor(images[:cfg.view_samples])
    generator = torch.Generator().manual_seed(cfg.seed)
    views = torch.stack([augment(base, params.view_augment, generator) for _ in range(cfg.views)], dim=1)
    return views.flatten(0, 1)


def embed_arrays(model: nn.Module, data, views: torch.Tensor, n_views: int,
                 channels_last: bool = True) -> dict[str, np.ndarray]:
    """The arrays of one checkpoint's embedding file: ``eval_``, ``probe_`` and ``views_<layer>``."""
    model = inference_copy(model)
    evaluation = embed_images(model, data.test_images, channels_last=channels_last)
    probe = embed_images(model, data.probe_images, channels_last=channels_last)
    viewed = embed_images(model, views, channels_last=channels_last)
    return file_arrays(evaluation, probe, viewed, n_views)


def domain_arrays(model: nn.Module, domains: list[Domain], params: Params,
                  channels_last: bool = True) -> dict[str, np.ndarray]:
    """The shifted and out-of-domain sets' arrays of one checkpoint: ``<domain>__eval_<layer>`` and so on.

    Each set gets ``metrics.views`` augmented views of its first ``domains.view_samples`` evaluation images.
    """
    model = inference_copy(model)
    cfg = params.domains
    view_params = replace(params, metrics=replace(params.metrics, view_samples=cfg.view_samples))
    arrays = {}
    for domain in domains:
        views = augmented_views(domain.eval_images, view_params)
        parts = file_arrays(embed_images(model, domain.eval_images, channels_last=channels_last),
                            embed_images(model, domain.probe_images, channels_last=channels_last),
                            embed_images(model, views, channels_last=channels_last), params.metrics.views)
        arrays |= {f"{domain.name}__{key}": value for key, value in parts.items()}
    return arrays


def file_arrays(evaluation: dict[str, np.ndarray], probe: dict[str, np.ndarray], viewed: dict[str, np.ndarray],
                n_views: int) -> dict[str, np.ndarray]:
    """Per-layer embeddings of the three image sets, named as an embedding file stores them."""
    return ({f"eval_{k}": v for k, v in evaluation.items()} | {f"probe_{k}": v for k, v in probe.items()}
            | {f"views_{k}": v.reshape(-1, n_views, v.shape[1]) for k, v in viewed.items()})


def checkpoint_files(folder: Path) -> list[Path]:
    files = epoch_files(folder, ".pt")
    if not files:
        raise FileNotFoundError(f"no checkpoints (epoch_*.pt) in {folder}; run the train stage first")
    return files


def embed(params: Params, method: str, paths: ProjectPaths) -> Path:
    """Embed the evaluation set and the probe subset with every checkpoint of ``method``."""
    if params.train.threads > 0:
        torch.set_num_threads(params.train.threads)
    data = load_dataset(paths.dataset)
    out_dir = paths.embeddings(method)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = checkpoint_files(paths.checkpoints(method))
    wanted = {paths.embedding(method, epoch_from_name(f)).name for f in files}
    for stale in out_dir.glob("epoch_*.npz"):  # embeddings of checkpoints that no longer exist
        if stale.name not in wanted:
            stale.unlink()
    model = build_method(method, params)
    views = augmented_views(data.test_images, params)
    domains = load_domains(paths.domains, params.protocols.domains)
    for path in tqdm(files, desc=f"embed {method}", unit="checkpoint"):
        state = load_checkpoint(path)
        model.load_state_dict(state["model"])
        arrays = embed_arrays(model, data, views, params.metrics.views, params.train.channels_last)
        arrays |= domain_arrays(model, domains, params, params.train.channels_last)
        save_npz(paths.embedding(method, int(state["epoch"])), **arrays)
    return out_dir
