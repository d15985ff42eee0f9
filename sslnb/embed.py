"""The ``embed`` stage: backbone and projector embeddings of every checkpoint.

For each checkpoint ``epoch_XXXX.pt`` it writes ``epoch_XXXX.npz`` with four float32 arrays:
``eval_backbone``, ``eval_projector`` (the evaluation set, i.e. the test split) and ``probe_backbone``,
``probe_projector`` (the fixed probe-training subset of the train split).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from sslnb.augment import to_tensor
from sslnb.config import Params
from sslnb.data import load_dataset
from sslnb.io import load_checkpoint, save_npz
from sslnb.methods import build_method
from sslnb.paths import ProjectPaths, epoch_from_name

LAYERS = ("backbone", "projector")


@torch.no_grad()
def embed_images(model: nn.Module, images: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Embeddings of uint8 images per layer, as float32 arrays; the model runs in eval mode."""
    model.eval()
    chunks: dict[str, list[np.ndarray]] = {layer: [] for layer in LAYERS}
    for start in range(0, len(images), batch_size):
        batch = to_tensor(images[start:start + batch_size])
        for layer, values in model.embed(batch).items():
            chunks[layer].append(values.float().numpy())
    return {layer: np.concatenate(parts).astype(np.float32, copy=False) for layer, parts in chunks.items()}


def checkpoint_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("epoch_*.pt"), key=epoch_from_name)
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
    for path in tqdm(files, desc=f"embed {method}", unit="checkpoint"):
        state = load_checkpoint(path)
        model.load_state_dict(state["model"])
        evaluation = embed_images(model, data.test_images)
        probe = embed_images(model, data.probe_images)
        arrays = {f"eval_{k}": v for k, v in evaluation.items()} | {f"probe_{k}": v for k, v in probe.items()}
        save_npz(paths.embedding(method, int(state["epoch"])), **arrays)
    return out_dir
