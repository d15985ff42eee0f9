"""Label-free metrics inside any PyTorch training loop: :class:`LabelFreeMonitor`.

Create it once with evaluation images (a tensor, an array or a DataLoader; labels are never needed),
then call it with the encoder every step or epoch. Every ``every`` calls it embeds a fixed, seeded sample
of at most ``sample_size`` images, computes the label-free metrics of :mod:`sslnb.metrics` on them and
returns them as a dict, appending the same record to ``log_path`` (JSON Lines, or CSV) if given::

    from sslnb.monitor import LabelFreeMonitor

    monitor = LabelFreeMonitor(eval_images, every=200, k=10, log_path="runs/monitor.jsonl")
    for step, (x1, x2) in enumerate(loader):
        loss = ...; loss.backward(); optimizer.step()
        if (record := monitor(encoder, step)) is not None:
            print(step, record["rankme"], record["embedding_std"])

``writers`` send each record on to other sinks as well: :class:`sslnb.integrations.TensorBoardWriter` (a
``SummaryWriter``) and :class:`sslnb.integrations.MLflowWriter`, or any ``writer(record, step)`` callable.
The Lightning and Hugging Face callbacks of :mod:`sslnb.integrations` wrap this class.

The embeddings stay on the encoder's device: on a GPU the metrics' heavy parts run there too (see
:mod:`sslnb.metrics.suite`); on the CPU they are NumPy arrays, as in the pipeline.

The cost per call is bounded by ``sample_size`` (embedding plus metrics on that many images), whatever
the size of the evaluation set. The encoder is put in eval mode under ``torch.no_grad`` and returned to
its previous mode; the monitor draws no random numbers from torch's global generator, so monitoring does
not change what a seeded run trains.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import torch
from torch import nn

from sslnb.images import to_tensor
from sslnb.io import save_csv
from sslnb.metrics import MetricOptions, label_free_metrics

log = logging.getLogger(__name__)

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
Writer = Callable[[dict[str, float], int], None]  # writer(record, step): TensorBoard, MLflow, ...


def _as_float_images(values: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Images (uint8 scaled to [0, 1]) as float (N, C, H, W); anything else (features) as float as is."""
    return to_tensor(values) if values.ndim in (3, 4) else torch.as_tensor(values).float()


def _sample_images(data: torch.Tensor | np.ndarray | Iterable, sample_size: int, seed: int) -> torch.Tensor:
    """At most ``sample_size`` images of ``data``: a seeded sample of an array, the first ones of a loader."""
    if isinstance(data, (torch.Tensor, np.ndarray)):
        images = _as_float_images(data)
        if len(images) > sample_size:
            chosen = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:sample_size]
            images = images[chosen.sort().values]
        return images
    batches, count = [], 0  # a DataLoader or any iterable of batches (or (inputs, targets) pairs)
    for batch in data:
        inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
        batches.append(torch.as_tensor(inputs))
        count += len(batches[-1])
        if count >= sample_size:
            break
    if not batches:
        raise ValueError("the evaluation data yielded no batches; pass a non-empty tensor or DataLoader")
    return _as_float_images(torch.cat(batches)[:sample_size])


class LabelFreeMonitor:
    """Label-free metrics of an encoder on a fixed evaluation sample, every ``every`` calls.

    Args:
        data: evaluation images: a tensor or array (N, C, H, W), (N, H, W) uint8 or already-features
            (N, D), or a DataLoader/iterable of batches; only the first ``sample_size`` images are kept.
        every: compute on calls whose ``step`` is a multiple of ``every`` (0, every, 2 every, ...).
        sample_size: images embedded and scored per call; bounds the cost.
        k: k-means clusters for the silhouette and the clustering agreement.
        seed: seed of the sample, of k-means and of the augmented views.
        log_path: append each record here: ``.jsonl`` (one JSON object per line) or ``.csv``.
        augment: optional ``augment(images, generator) -> images``; with it, ``views`` augmentations of
            the first ``view_samples`` images are drawn once, and alignment, uniformity and LiDAR are
            computed too.
        options: other :class:`~sslnb.metrics.MetricOptions` (k, seed and sample_size above win).
        batch_size: images per forward pass.
        writers: callables ``writer(record, step)`` called with every record, after ``log_path``.
    """

    def __init__(
        self, data: torch.Tensor | np.ndarray | Iterable, every: int = 1, sample_size: int = 2000, k: int = 10,
        seed: int = 0, log_path: str | Path | None = None, augment: Augment | None = None, views: int = 4,
        view_samples: int = 500, options: MetricOptions | None = None, batch_size: int = 256,
        writers: Iterable[Writer] = (),
    ) -> None:
        if every < 1 or sample_size < 2 or batch_size < 1:
            raise ValueError(
                f"every, batch_size must be >= 1 and sample_size >= 2; got {every}, {batch_size}, {sample_size}"
            )
        self.every, self.batch_size = every, batch_size
        self.images = _sample_images(data, sample_size, seed)
        if len(self.images) <= k:
            raise ValueError(f"the monitor has {len(self.images)} evaluation images but k={k}; give it more than k")
        self.options = dataclasses.replace(options or MetricOptions(), k=k, seed=seed, sample_size=sample_size)
        self.views = None
        if augment is not None:
            if views < 2:
                raise ValueError(f"views must be at least 2 (alignment compares two views), got {views}")
            base_images = self.images[:view_samples]
            generator = torch.Generator().manual_seed(seed)
            self.views = torch.stack([augment(base_images, generator) for _ in range(views)], dim=1)
        self.log_path = Path(log_path) if log_path is not None else None
        if self.log_path is not None and self.log_path.suffix not in (".jsonl", ".csv"):
            raise ValueError(f"log_path must end in .jsonl or .csv, got {self.log_path.name!r}")
        self.records: list[dict[str, float]] = []
        self.writers = list(writers)

    @torch.no_grad()
    def _embed(self, encoder: nn.Module | Callable, images: torch.Tensor) -> np.ndarray | torch.Tensor:
        """Embeddings of ``images``: a NumPy array from a CPU encoder, a tensor on the encoder's GPU."""
        device = next((p.device for p in getattr(encoder, "parameters", lambda: iter(()))()), torch.device("cpu"))
        parts = []
        for start in range(0, len(images), self.batch_size):
            out = encoder(images[start:start + self.batch_size].to(device))
            out = out[0] if isinstance(out, (tuple, list)) else out
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"the encoder returned a {type(out).__name__}, not a tensor of embeddings; pass an "
                                "encoder (or a callable) whose output is an (N, D) tensor")
            parts.append(out.detach().float().flatten(1))
        embeddings = torch.cat(parts)
        return embeddings.cpu().numpy() if embeddings.device.type == "cpu" else embeddings

    def compute(self, encoder: nn.Module | Callable, step: int = 0) -> dict[str, float]:
        """Embed the sample with ``encoder`` and return (and log) its label-free metrics, now."""
        started = time.perf_counter()
        was_training = getattr(encoder, "training", False)
        if isinstance(encoder, nn.Module):
            encoder.eval()
        try:
            Z = self._embed(encoder, self.images)
            views = None
            if self.views is not None:
                n, q = self.views.shape[:2]
                views = self._embed(encoder, self.views.flatten(0, 1)).reshape(n, q, -1)
        finally:
            if isinstance(encoder, nn.Module):
                encoder.train(was_training)
        if not bool(torch.isfinite(torch.as_tensor(Z)).all()):
            raise ValueError(f"the encoder's embeddings contain NaN or inf at step {step}: training diverged")
        suite = label_free_metrics(Z, self.options, views=views)
        record = {"step": step, **suite.values, "monitor_seconds": time.perf_counter() - started}
        self.records.append(record)
        self._log(record)
        for write in self.writers:
            write(record, step)
        return record

    def __call__(self, encoder: nn.Module | Callable, step: int) -> dict[str, float] | None:
        """The metrics dict on steps that are multiples of ``every``, else None (and nothing computed)."""
        return self.compute(encoder, step) if step % self.every == 0 else None

    def _log(self, record: dict[str, float]) -> None:
        if self.log_path is None:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.suffix == ".jsonl":
            clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
            with self.log_path.open("a") as log_file:  # one write per record: a reader never sees half a line
                log_file.write(json.dumps(clean) + "\n")
        else:  # the whole CSV again, atomically: the log is small and always a valid table
            save_csv(pd.DataFrame(self.records), self.log_path)
