"""Label-free metrics in a PyTorch Lightning fit: :class:`LightningMonitor`, a ``lightning.pytorch.Callback``.

::

    from sslnb.integrations import LightningMonitor

    monitor = LightningMonitor(eval_images, encoder="backbone", every_n_epochs=1, k=10, sample_size=2000)
    lightning.Trainer(max_epochs=100, callbacks=[monitor], logger=CSVLogger("logs")).fit(module, loader)

Every ``every_n_epochs`` epochs (or ``every_n_steps`` optimizer steps) it embeds a fixed, seeded sample of
the evaluation images with the module's encoder (on the epoch schedule at the end of each validation of a
scheduled epoch, where ``ModelCheckpoint`` and ``EarlyStopping`` then act, else at the epoch's end) and
logs every label-free metric through ``pl_module.log`` as ``label_free/<metric>``, so every Lightning
logger (CSV, TensorBoard, MLflow, W&B) receives them (on the epoch schedule also
``trainer.callback_metrics``, so ``ModelCheckpoint`` and ``EarlyStopping`` can watch them; step-scheduled
records go to ``trainer.loggers`` directly, as Lightning's own monitors log). Under DDP rank 0 computes;
on the epoch schedule it sends the values to every rank, so ``ModelCheckpoint(monitor="label_free/rankme")``
and ``EarlyStopping`` work there as on one device; on the step schedule the other ranks go on training. The
metrics are :class:`sslnb.monitor.LabelFreeMonitor`'s, with its options.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch

from sslnb.integrations.shared import EncoderSpec, build_monitor, check_schedule, logged_names, resolve_encoder
from sslnb.optional import require

pl = require("lightning.pytorch", "lightning")


class LightningMonitor(pl.Callback):
    """Logs the label-free metrics of ``pl_module``'s encoder on held evaluation images.

    Args:
        data: evaluation images, as :class:`~sslnb.monitor.LabelFreeMonitor` takes them (a tensor or array
            (N, C, H, W) / (N, H, W) uint8, or a DataLoader); labels are never used.
        encoder: the attribute of the LightningModule that embeds images (``"backbone"``), or a callable
            ``module -> encoder`` (e.g. ``lambda m: m.model.encoder``).
        every_n_epochs: compute at the end of every n-th training epoch (None: not by epochs).
        every_n_steps: compute after every n-th optimizer step (None: not by steps).
        **options: :class:`~sslnb.monitor.LabelFreeMonitor`'s keyword arguments (``sample_size``, ``k``,
            ``seed``, ``log_path``, ``augment``, ``writers``, ...).
    """

    def __init__(self, data: torch.Tensor | np.ndarray | Iterable, encoder: EncoderSpec = "backbone",
                 every_n_epochs: int | None = 1, every_n_steps: int | None = None, **options: Any) -> None:
        check_schedule(every_n_epochs, every_n_steps)
        self.monitor = build_monitor(data, options)
        self.encoder, self.every_n_epochs, self.every_n_steps = encoder, every_n_epochs, every_n_steps
        self._logged_step = -1  # the global step of the last epoch-scheduled computation

    @property
    def records(self) -> list[dict[str, float]]:
        """Every record computed so far (rank 0), with its ``step``."""
        return self.monitor.records

    def _compute(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> dict[str, float]:
        record = self.monitor.compute(resolve_encoder(pl_module, self.encoder), step=trainer.global_step)
        return logged_names(record)

    def _epoch_scheduled(self, trainer: "pl.Trainer") -> bool:
        return bool(self.every_n_epochs) and (trainer.current_epoch + 1) % self.every_n_epochs == 0

    def _log_epoch_metrics(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        # Rank 0 computes and every rank logs its values: ModelCheckpoint and EarlyStopping decide together
        # (a collective call on every rank), so a metric only rank 0 held would stop the others. Through
        # pl_module.log: every logger, and trainer.callback_metrics for ModelCheckpoint/EarlyStopping.
        self._logged_step = trainer.global_step  # the same on every rank
        names = self._compute(trainer, pl_module) if trainer.is_global_zero else None
        names = trainer.strategy.broadcast(names, src=0)
        # the values are equal on every rank: a max over ranks keeps them exact (a mean could round them) and
        # tells Lightning they are synchronised
        pl_module.log_dict(names, on_step=False, on_epoch=True, batch_size=1, sync_dist=True, reduce_fx="max")

    def on_validation_epoch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        # With a validation loop, ModelCheckpoint and EarlyStopping may act right after validation, before the
        # training epoch ends (check_val_every_n_epoch > 1, val_check_interval < 1): values computed at the
        # epoch's end would reach them one validation late, or not at all at the first. So a scheduled epoch
        # computes at each of its validations, on the weights those callbacks then save or judge.
        if trainer.sanity_checking or trainer.state.fn != "fit" or not self._epoch_scheduled(trainer):
            return
        self._log_epoch_metrics(trainer, pl_module)

    def on_train_epoch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        if self._epoch_scheduled(trainer) and self._logged_step != trainer.global_step:
            self._log_epoch_metrics(trainer, pl_module)

    def on_train_batch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule", outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        # global_step counts optimizer steps and has already advanced for this batch
        step = trainer.global_step
        if not self.every_n_steps or step == 0 or step % self.every_n_steps or not trainer.is_global_zero:
            return
        # A step value logged through pl_module.log here stays in Lightning's step results and is logged again
        # at every later step, so step-scheduled records go to the loggers directly, as Lightning's own
        # LearningRateMonitor and DeviceStatsMonitor do, at the step the loggers use.
        names = self._compute(trainer, pl_module)
        for logger in trainer.loggers:
            logger.log_metrics(names, step=trainer.fit_loop.epoch_loop._batches_that_stepped)
