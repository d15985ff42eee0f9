"""The shared SSL training loop: milestones, checkpoints, resume, devices and torchrun.

The per-epoch work around the optimisation is a list of callbacks (:mod:`sslnb.training.callbacks`). After every
epoch (and at epoch 0) the label-free monitor scores the backbone on a fixed sample of
``train.monitor_samples`` evaluation images, so ``history.csv`` logs the label-free metrics next to the
loss as training goes. A checkpoint is written at every milestone epoch in ``train.milestones`` (epoch 0
is the random initialisation) and at the last epoch. Each holds the model and optimiser state, the
learning-rate schedule, the random number generator state, the loss history and the config, so a run
killed at any point restarts from its last checkpoint and ends with exactly the weights of an
uninterrupted run (on the CPU, with the same seed).

The optimiser (``train.optimizer``: AdamW or SGD with momentum) and its schedule (``train.schedule``,
``train.warmup_epochs``) are chosen in params; a method's entry may override ``lr``, ``weight_decay``,
``batch_size``, ``optimizer`` and ``momentum``.

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

import torch
from torch import nn
from tqdm.auto import tqdm

from sslnb.training import distributed
from sslnb.images import to_tensor
from sslnb.training.augment import two_views
from sslnb.training.callbacks import Callback, default_callbacks
from sslnb.config import Params
from sslnb.sources import load_dataset
from sslnb.training.device import pick_device
from sslnb.io import load_checkpoint
from sslnb.training.methods import SSLMethod, build_method
from sslnb.metrics import embedding_std
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


def lr_factor(total_steps: int, warmup_steps: int = 0, schedule: str = "cosine"):
    """Learning-rate factor per step: linear warm-up, then cosine decay to 0 (Loshchilov & Hutter, 2017)
    or constant."""
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if schedule == "constant":
            return 1.0
        done = min(step - warmup_steps, total_steps - warmup_steps) / max(total_steps - warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * done))
    return factor


def build_optimizer(name: str, parameters, lr: float, weight_decay: float, momentum: float) -> torch.optim.Optimizer:
    """AdamW (Loshchilov & Hutter, 2019), or SGD with momentum as in the SimCLR, MoCo and SimSiam papers."""
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"train.optimizer must be 'adamw' or 'sgd', got {name!r}")


def batch_std(z: torch.Tensor) -> float:
    """The collapse indicator (:func:`sslnb.metrics.embedding_std`) of a batch of projector outputs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the collapse check warns once, by itself
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


def as_input(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    """A batch on ``device``, in the channels-last memory layout when asked (faster convolutions)."""
    images = images.to(device)
    return images.contiguous(memory_format=torch.channels_last) if channels_last else images


class Trainer:
    """Trains one SSL method on the prepared data set and writes its milestone checkpoints.

    All state is set up in :meth:`setup`; :meth:`run` trains epoch by epoch and hands each epoch's record
    to the callbacks (:mod:`sslnb.training.callbacks`): the label-free monitor, the history, the progress bar, the
    collapse check and the checkpoint writer, in that order, then any ``callbacks`` passed in. To change
    the trainer's own, override :meth:`make_callbacks` in a subclass.
    """

    def __init__(self, params: Params, method: str, paths: ProjectPaths,
                 callbacks: list[Callback] | None = None) -> None:
        self.params, self.method, self.paths = params, method, paths
        self.cfg = params.train
        self.config = run_config(params, method)
        options = params.method(method)
        self.lr = float(options.get("lr", self.cfg.lr))
        self.weight_decay = float(options.get("weight_decay", self.cfg.weight_decay))
        self.batch_size = int(options.get("batch_size", self.cfg.batch_size))
        self.optimizer_name = str(options.get("optimizer", self.cfg.optimizer))
        self.momentum = float(options.get("momentum", self.cfg.momentum)) if self.optimizer_name == "sgd" else 0.0
        if self.batch_size < 2:
            raise ValueError(f"methods.{method}.batch_size must be at least 2, got {self.batch_size}")
        if self.lr <= 0:
            raise ValueError(f"methods.{method}.lr must be positive, got {self.lr}")
        self.extra_callbacks = list(callbacks or [])

    # -- set-up: every attribute of a run is made here ---------------------------------------
    def setup(self) -> None:
        cfg = self.cfg
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        self.device = pick_device(cfg.device)
        self.ctx = distributed.init_from_env(self.device.type)
        if self.ctx.enabled:
            self.device = pick_device(cfg.device, self.ctx.local_rank)
        if self.batch_size % self.ctx.world_size:
            raise ValueError(
                f"the batch size ({self.batch_size}) must divide evenly over {self.ctx.world_size} processes"
            )
        self.local_batch = self.batch_size // self.ctx.world_size
        self.data = load_dataset(self.paths.dataset)
        self.images = to_tensor(self.data.train_images)
        if len(self.images) < self.batch_size:
            raise ValueError(f"{len(self.images)} training images are fewer than the batch size ({self.batch_size})")
        self.steps_per_epoch = len(self.images) // self.batch_size  # drop the last partial batch: tiny ones hurt BN
        self.total_steps = cfg.epochs * self.steps_per_epoch
        torch.manual_seed(self.params.seed)
        self.model: SSLMethod = build_method(self.method, self.params).to(self.device)
        if cfg.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if self.ctx.enabled and cfg.sync_batchnorm:
            if self.device.type != "cuda":
                raise ValueError("train.sync_batchnorm needs CUDA GPUs (PyTorch's SyncBatchNorm); set it false")
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        self.labels = self._training_labels()
        self.optimizer = build_optimizer(self.optimizer_name, self.model.parameters(), self.lr, self.weight_decay,
                                         self.momentum)
        schedule = lr_factor(self.total_steps, cfg.warmup_epochs * self.steps_per_epoch, cfg.schedule)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)
        self.use_amp = cfg.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.generator = torch.Generator().manual_seed(self.params.seed)
        self.history: list[dict[str, float]] = []
        self.callbacks = self.make_callbacks()

    def make_callbacks(self) -> list[Callback]:
        """The trainer's own callbacks (:func:`sslnb.training.callbacks.default_callbacks`), then those passed in."""
        return default_callbacks(self) + self.extra_callbacks

    def _training_labels(self) -> torch.Tensor | None:
        """The train split's labels if the method learns from them (the supervised reference), else None."""
        if not getattr(self.model, "uses_labels", False):
            return None
        if not self.data.labelled:
            raise ValueError(f"{self.method} trains with labels, but the data set has none; "
                             "use an SSL method, or a labelled data set")
        return torch.as_tensor(self.data.train_labels, dtype=torch.long)

    def _wrapped(self) -> nn.Module:
        if not self.ctx.enabled:
            return self.model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(self.model, device_ids=device_ids)

    def state(self, epoch: int) -> dict:
        """Everything a checkpoint holds: weights, optimiser, schedule, RNG, history and config."""
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

    # -- training ---------------------------------------------------------------------------
    def _step(self, model: nn.Module, batch: torch.Tensor, epoch: int, step: int,
              labels: torch.Tensor | None = None) -> tuple[float, float]:
        view1, view2 = two_views(batch, self.params.augment, self.generator)
        # Every process augments the whole global batch identically and keeps its own slice.
        local = slice(self.ctx.rank * self.local_batch, (self.ctx.rank + 1) * self.local_batch)
        view1 = as_input(view1[local], self.device, self.cfg.channels_last)
        view2 = as_input(view2[local], self.device, self.cfg.channels_last)
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

    def train_epoch(self, model: nn.Module, epoch: int) -> dict[str, float]:
        """One pass over the training images; the epoch's record (mean loss and projector std)."""
        model.train()
        order = torch.randperm(len(self.images), generator=self.generator)
        losses, stds = [], []
        for step in tqdm(range(self.steps_per_epoch), desc=f"epoch {epoch}", unit="batch", leave=False,
                         disable=not self.ctx.is_main):
            rows = order[step * self.batch_size:(step + 1) * self.batch_size]
            labels = None if self.labels is None else self.labels[rows]
            loss, std = self._step(model, self.images[rows], epoch, step, labels)
            losses.append(loss)
            stds.append(std)
        return {"epoch": epoch, "loss": distributed.reduce_mean(sum(losses) / len(losses)),
                "projector_std": distributed.reduce_mean(sum(stds) / len(stds))}

    def _end_epoch(self, epoch: int, record: dict[str, float]) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(self, epoch, record)

    def run(self, resume: bool = True) -> Path:
        self.setup()
        out_dir = self.paths.checkpoints(self.method)
        out_dir.mkdir(parents=True, exist_ok=True)
        state = _latest_resumable(out_dir, self.config) if resume else None
        if self.ctx.enabled:
            torch.distributed.barrier()  # every process decides before rank 0 writes anything
        if state is not None:
            start = self._restore(state)
            log.info("resuming %s from epoch %d", self.method, start)
        else:
            start = 0
            if self.ctx.is_main:
                for stale in out_dir.glob("epoch_*.pt"):
                    stale.unlink()
            self._end_epoch(0, {"epoch": 0, "loss": float("nan"), "projector_std": float("nan")})
        for callback in self.callbacks:
            callback.on_train_start(self, start)
        model = self._wrapped()
        for epoch in range(start + 1, self.cfg.epochs + 1):
            self._end_epoch(epoch, self.train_epoch(model, epoch))
        for callback in self.callbacks:
            callback.on_train_end(self)
        return out_dir


def train(params: Params, method: str, paths: ProjectPaths, resume: bool = True) -> Path:
    """Train ``method`` with ``params``; return the folder of its checkpoints."""
    try:
        return Trainer(params, method, paths).run(resume=resume)
    finally:
        distributed.shutdown()
