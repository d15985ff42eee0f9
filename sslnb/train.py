"""The shared SSL training loop: milestones, checkpoints, resume, devices and torchrun.

After every epoch (and at epoch 0) a :class:`~sslnb.monitor.LabelFreeMonitor` scores the backbone on a
fixed sample of ``train.monitor_samples`` evaluation images, so ``history.csv`` logs the label-free
metrics next to the loss as training goes. A checkpoint is written at every milestone epoch in
``train.milestones`` (epoch 0 is the random initialisation) and at the last epoch. Each holds the model and optimiser state, the learning-rate
schedule, the random number generator state, the loss history and the config, so a run killed at any
point restarts from its last checkpoint and ends with exactly the weights of an uninterrupted run (on
the CPU, with the same seed).

Under ``torchrun`` every process draws the same permutation and the same augmentations for the whole
global batch (one seeded generator each), then trains on its own contiguous slice of it; DDP averages
the gradients and rank 0 writes the checkpoints. A run with N processes thus sees exactly the data of a
single-process run with the same global batch.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from sslnb import distributed
from sslnb.augment import to_tensor, two_views
from sslnb.config import Params
from sslnb.data import load_dataset
from sslnb.device import pick_device
from sslnb.io import load_checkpoint, save_checkpoint, save_csv
from sslnb.methods import SSLMethod, build_method
from sslnb.metrics import embedding_std
from sslnb.monitor import LabelFreeMonitor
from sslnb.paths import ProjectPaths, epoch_files

log = logging.getLogger(__name__)

# Settings that change where or how fast a run computes, not what it computes: a run may resume
# under different values of these.
_EXECUTION_ONLY = ("threads", "device")


def run_config(params: Params, method: str) -> dict[str, Any]:
    """Everything that determines a training run; a checkpoint resumes only a run with the same config."""
    everything = params.to_dict()
    return {
        "method": method,
        "method_options": params.method(method),
        "seed": params.seed,
        "data": everything["data"],
        "model": everything["model"],
        "augment": everything["augment"],
        "train": {k: v for k, v in everything["train"].items() if k not in _EXECUTION_ONLY},
    }


def _cosine_schedule(total_steps: int):
    """Learning-rate factor: cosine decay from 1 to 0 over the run (Loshchilov & Hutter, 2017)."""
    return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))


def batch_std(z: torch.Tensor) -> float:
    """The collapse indicator (:func:`sslnb.metrics.embedding_std`) of a batch of projector outputs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the trainer warns once, in _check_collapse
        return embedding_std(z.detach().float().cpu().numpy())


def _latest_resumable(folder: Path, config: dict[str, Any]) -> dict | None:
    """The newest checkpoint in ``folder`` if a run with the same config wrote it, else None."""
    files = epoch_files(folder, ".pt")
    if not files:
        return None
    state = load_checkpoint(files[-1])
    if state.get("config") != config:
        log.warning("not resuming from %s: it was written with a different config; starting afresh", files[-1])
        return None
    return state


class Trainer:
    """Trains one SSL method on the prepared data set and writes its milestone checkpoints."""

    def __init__(self, params: Params, method: str, paths: ProjectPaths) -> None:
        self.params, self.method, self.paths = params, method, paths
        self.cfg = params.train
        self.config = run_config(params, method)
        self.out_dir = paths.checkpoints(method)
        options = params.method(method)
        self.lr = float(options.get("lr", self.cfg.lr))
        self.weight_decay = float(options.get("weight_decay", self.cfg.weight_decay))
        self.batch_size = int(options.get("batch_size", self.cfg.batch_size))
        if self.batch_size < 2:
            raise ValueError(f"methods.{method}.batch_size must be at least 2, got {self.batch_size}")

    # -- set-up -----------------------------------------------------------------------------
    def _build(self, steps_per_epoch: int) -> None:
        torch.manual_seed(self.params.seed)
        self.model: SSLMethod = build_method(self.method, self.params).to(self.device)
        if self.ctx.enabled and self.cfg.sync_batchnorm:
            if self.device.type != "cuda":
                raise ValueError("train.sync_batchnorm needs CUDA GPUs (PyTorch's SyncBatchNorm); set it false")
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.total_steps = self.cfg.epochs * steps_per_epoch
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, _cosine_schedule(self.total_steps))
        self.use_amp = self.cfg.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.generator = torch.Generator().manual_seed(self.params.seed)
        self.history: list[dict[str, float]] = []

    def _wrapped(self) -> nn.Module:
        if not self.ctx.enabled:
            return self.model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(self.model, device_ids=device_ids)

    def _state(self, epoch: int) -> dict:
        return {
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": {"generator": self.generator.get_state(), "torch": torch.get_rng_state()},
            "history": self.history,
            "config": self.config,
        }

    def _restore(self, state: dict) -> int:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state.get("scaler", {}))
        self.generator.set_state(state["rng"]["generator"])
        torch.set_rng_state(state["rng"]["torch"])
        self.history = list(state["history"])
        return int(state["epoch"])

    def _save(self, epoch: int) -> None:
        if self.ctx.is_main:
            save_checkpoint(self._state(epoch), self.paths.checkpoint(self.method, epoch))
        if self.ctx.enabled:
            torch.distributed.barrier()  # nobody reads a checkpoint before rank 0 has written it

    # -- training ---------------------------------------------------------------------------
    def _step(self, model: nn.Module, batch: torch.Tensor, epoch: int, step: int,
              labels: torch.Tensor | None = None) -> tuple[float, float]:
        view1, view2 = two_views(batch, self.params.augment, self.generator)
        # Every process augments the whole global batch identically and keeps its own slice.
        local = slice(self.ctx.rank * self.local_batch, (self.ctx.rank + 1) * self.local_batch)
        view1, view2 = view1[local].to(self.device), view2[local].to(self.device)
        extra = () if labels is None else (labels[local].to(self.device),)  # the supervised reference only
        autocast = torch.autocast("cuda", dtype=torch.float16) if self.use_amp else contextlib.nullcontext()
        with autocast:
            loss, z = model(view1, view2, *extra)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"{self.method}: loss became {loss.item()} at epoch {epoch}, step {step}; "
                f"lower the learning rate (methods.{self.method}.lr or train.lr)"
            )
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.model.on_step_end(self.scheduler.last_epoch / max(self.total_steps, 1))
        return loss.item(), batch_std(z)

    def _training_labels(self, data) -> torch.Tensor | None:
        """The train split's labels if the method learns from them (the supervised reference), else None."""
        if not getattr(self.model, "uses_labels", False):
            return None
        if not data.labelled:
            raise ValueError(f"{self.method} trains with labels, but the data set has none; "
                             "use an SSL method, or a labelled data set")
        return torch.as_tensor(data.train_labels, dtype=torch.long)

    def _monitor(self, data) -> LabelFreeMonitor | None:
        """Label-free metrics of the backbone on a fixed sample of the evaluation set, once per epoch."""
        size = min(self.cfg.monitor_samples, len(data.test_images))
        k = self.params.metrics.clusters(data.classes)
        if size <= k:
            if self.cfg.monitor_samples:
                log.info("label-free monitor off: %d evaluation images are too few for k=%d clusters", size, k)
            return None
        return LabelFreeMonitor(data.test_images, sample_size=size, k=k, seed=self.params.metrics.seed)

    def _monitor_epoch(self, epoch: int, record: dict[str, float]) -> None:
        """Append the epoch's record to the history, with the monitor's metrics (rank 0 only)."""
        if self.monitor is not None:
            metrics = self.monitor.compute(self.model.backbone, step=epoch)
            record |= {k: v for k, v in metrics.items() if k != "step"}
        self.history.append(record)

    def _check_collapse(self, std: float, dim: int, epoch: int) -> None:
        healthy = 1 / math.sqrt(dim)
        if std < self.cfg.collapse_warning * healthy and not self._warned_collapse:
            self._warned_collapse = True
            message = (
                f"{self.method} is collapsing at epoch {epoch}: the std of its L2-normalised embeddings is "
                f"{std:.2e}, under {self.cfg.collapse_warning:.0%} of the {healthy:.3f} of healthy embeddings. "
                "Training goes on and keeps writing checkpoints so the collapse can be studied."
            )
            warnings.warn(message, RuntimeWarning, stacklevel=2)  # the CLI routes warnings to its log

    def run(self, resume: bool = True) -> Path:
        cfg = self.cfg
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        self.device = pick_device(cfg.device)
        self.ctx = distributed.init_from_env(self.device.type)
        if self.ctx.enabled:
            self.device = pick_device(cfg.device, self.ctx.local_rank)
        batch_size = self.batch_size
        if batch_size % self.ctx.world_size:
            raise ValueError(
                f"the batch size ({batch_size}) must divide evenly over {self.ctx.world_size} processes"
            )
        self.local_batch = batch_size // self.ctx.world_size
        self._warned_collapse = False
        data = load_dataset(self.paths.dataset)
        images = to_tensor(data.train_images)
        self.monitor = self._monitor(data) if self.ctx.is_main else None
        if len(images) < batch_size:
            raise ValueError(f"{len(images)} training images are fewer than the batch size ({batch_size})")
        steps_per_epoch = len(images) // batch_size  # drop the last partial batch: tiny batches hurt BN
        self._build(steps_per_epoch)
        labels = self._training_labels(data)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        state = _latest_resumable(self.out_dir, self.config) if resume else None
        if self.ctx.enabled:
            torch.distributed.barrier()  # every process decides before rank 0 writes anything
        if state is not None:
            start = self._restore(state)
            log.info("resuming %s from epoch %d", self.method, start)
        else:
            start = 0
            if self.ctx.is_main:
                for stale in self.out_dir.glob("epoch_*.pt"):
                    stale.unlink()
            self._monitor_epoch(0, {"epoch": 0, "loss": float("nan"), "projector_std": float("nan")})
            self._save(0)
        model = self._wrapped()
        show = self.ctx.is_main
        epochs = tqdm(range(start + 1, cfg.epochs + 1), desc=f"train {self.method}", unit="epoch",
                      initial=start, total=cfg.epochs, disable=not show)
        for epoch in epochs:
            model.train()
            order = torch.randperm(len(images), generator=self.generator)
            losses, stds = [], []
            for step in tqdm(range(steps_per_epoch), desc=f"epoch {epoch}", unit="batch", leave=False,
                             disable=not show):
                rows = order[step * batch_size:(step + 1) * batch_size]
                loss, std = self._step(model, images[rows], epoch, step, None if labels is None else labels[rows])
                losses.append(loss)
                stds.append(std)
            record = {"epoch": epoch, "loss": distributed.reduce_mean(sum(losses) / len(losses)),
                      "projector_std": distributed.reduce_mean(sum(stds) / len(stds))}
            self._monitor_epoch(epoch, record)
            epochs.set_postfix(loss=f"{record['loss']:.4f}", std=f"{record['projector_std']:.3f}")
            self._check_collapse(record["projector_std"], self.params.model.projector_dim, epoch)
            if epoch in cfg.milestones or epoch == cfg.epochs:  # the final weights are always kept
                self._save(epoch)
        if self.ctx.is_main:
            save_csv(pd.DataFrame(self.history), self.out_dir / "history.csv")
        return self.out_dir


def train(params: Params, method: str, paths: ProjectPaths, resume: bool = True) -> Path:
    """Train ``method`` with ``params``; return the folder of its checkpoints."""
    try:
        return Trainer(params, method, paths).run(resume=resume)
    finally:
        distributed.shutdown()
