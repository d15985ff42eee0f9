"""The per-epoch work of the training loop, as small callbacks: the extension point of :class:`Trainer`.

The trainer calls each callback in order: ``on_epoch_end(trainer, epoch, record)`` after every epoch
(and once for epoch 0, the random initialisation, on a fresh run), ``on_train_start(trainer, start)``
before the first epoch it trains and ``on_train_end(trainer)`` at the end. ``record`` is the epoch's
dict (epoch, loss, projector_std); a callback may add to it before later callbacks see it. To add your
own, subclass :class:`Callback` and pass ``callbacks=default_callbacks(trainer) + [yours]``.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any, Protocol

import pandas as pd
import torch
from tqdm.auto import tqdm

from sslnb.config import Params, TrainConfig
from sslnb.io import save_checkpoint, save_csv
from sslnb.monitor import LabelFreeMonitor
from sslnb.paths import ProjectPaths

log = logging.getLogger(__name__)


class TrainerLike(Protocol):
    """What a callback reads of the trainer (:class:`sslnb.training.trainer.Trainer` has all of it).

    Declared here, not imported, so that the trainer, which runs the callbacks, is the only one of the
    two modules that imports the other.
    """

    params: Params  # the run's params.yaml
    cfg: TrainConfig  # its train section
    method: str  # the method's name
    paths: ProjectPaths
    data: Any  # the prepared data set (sslnb.sources.prepare.Dataset)
    model: Any  # the method: a torch module with a ``backbone``
    ctx: Any  # the torchrun context (sslnb.training.distributed)
    history: list[dict[str, float]]  # every epoch's record so far

    def state(self, epoch: int) -> dict[str, Any]:
        """Everything a checkpoint holds."""


class Callback:
    """Does nothing; override the hooks you need."""

    def on_train_start(self, trainer: TrainerLike, start_epoch: int) -> None:
        """Before the first epoch this process trains (``start_epoch`` is 0, or the epoch resumed from)."""

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, record: dict[str, float]) -> None:
        """After each epoch, with its record (also for epoch 0 of a fresh run, before any training)."""

    def on_train_end(self, trainer: TrainerLike) -> None:
        """After the last epoch."""


class MonitorCallback(Callback):
    """Label-free metrics of the backbone on a fixed sample of evaluation images, added to the record."""

    def __init__(self, monitor: LabelFreeMonitor) -> None:
        self.monitor = monitor

    @classmethod
    def from_trainer(cls, trainer: TrainerLike) -> "MonitorCallback | None":
        """The monitor of ``train.monitor_samples`` test images with the metrics section's options, or None."""
        params, data = trainer.params, trainer.data
        size = min(params.train.monitor_samples, len(data.test_images))
        k = params.metrics.clusters(data.classes)
        if size <= k:
            if params.train.monitor_samples:
                log.info("label-free monitor off: %d evaluation images are too few for k=%d clusters", size, k)
            return None
        options = params.metrics.with_clusters(k)  # the evaluate stage's options, one home
        return cls(LabelFreeMonitor(data.test_images, sample_size=size, k=k, seed=params.metrics.seed,
                                    options=options))

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, record: dict[str, float]) -> None:
        metrics = self.monitor.compute(trainer.model.backbone, step=epoch)
        record |= {key: value for key, value in metrics.items() if key != "step"}


class HistoryCallback(Callback):
    """Keeps every epoch's record in ``trainer.history`` (saved in checkpoints) and writes history.csv."""

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, record: dict[str, float]) -> None:
        trainer.history.append(record)

    def on_train_end(self, trainer: TrainerLike) -> None:
        if trainer.ctx.is_main:
            save_csv(pd.DataFrame(trainer.history), trainer.paths.checkpoints(trainer.method) / "history.csv")


class ProgressCallback(Callback):
    """A progress bar over the epochs, showing the last loss and projector std (rank 0 only)."""

    bar = None

    def on_train_start(self, trainer: TrainerLike, start_epoch: int) -> None:
        self.bar = tqdm(total=trainer.cfg.epochs, initial=start_epoch, desc=f"train {trainer.method}",
                        unit="epoch", disable=not trainer.ctx.is_main)

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, record: dict[str, float]) -> None:
        if self.bar is not None:  # epoch 0 comes before the bar
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{record['loss']:.4f}", std=f"{record['projector_std']:.3f}")

    def on_train_end(self, trainer: TrainerLike) -> None:
        if self.bar is not None:
            self.bar.close()


class CollapseCallback(Callback):
    """Warns once when the projector's embedding std falls under ``train.collapse_warning`` of a healthy
    1/sqrt(d) (the collapse indicator of SimSiam and lightly); training goes on."""

    warned = False

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, record: dict[str, float]) -> None:
        healthy = 1 / math.sqrt(trainer.params.model.projector_dim)
        std, fraction = record["projector_std"], trainer.cfg.collapse_warning
        if std < fraction * healthy and not self.warned:
            self.warned = True
            warnings.warn(
                f"{trainer.method} is collapsing at epoch {epoch}: the std of its L2-normalised embeddings is "
                f"{std:.2e}, under {fraction:.0%} of the {healthy:.3f} of healthy embeddings. "
                "Training goes on and keeps writing checkpoints so the collapse can be studied.",
                RuntimeWarning, stacklevel=2)  # the CLI routes warnings to its log


class CheckpointCallback(Callback):
    """Writes a checkpoint at every milestone epoch and at the last one (rank 0; the others wait)."""

    def on_epoch_end(self, trainer: TrainerLike, epoch: int, record: dict[str, float]) -> None:
        if epoch not in trainer.cfg.milestones and epoch != trainer.cfg.epochs:
            return
        if trainer.ctx.is_main:
            save_checkpoint(trainer.state(epoch), trainer.paths.checkpoint(trainer.method, epoch))
        if trainer.ctx.enabled:
            torch.distributed.barrier()  # nobody reads a checkpoint before rank 0 has written it


def default_callbacks(trainer: TrainerLike) -> list[Callback]:
    """The trainer's own per-epoch work, in order; the monitor runs on rank 0 only, when it has enough images."""
    monitor = MonitorCallback.from_trainer(trainer) if trainer.ctx.is_main else None
    return [*([monitor] if monitor else []), HistoryCallback(), ProgressCallback(), CollapseCallback(),
            CheckpointCallback()]
