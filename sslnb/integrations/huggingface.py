"""Label-free metrics in a Hugging Face ``Trainer`` run: :class:`HFMonitor`, a ``transformers.TrainerCallback``.

::

    from sslnb.integrations import HFMonitor, vit_mae_encoder

    trainer = Trainer(model=model, args=args, train_dataset=train_set)
    HFMonitor(eval_images, encoder=vit_mae_encoder, every_n_steps=100, k=10).attach(trainer)
    trainer.train()

Every ``every_n_steps`` optimizer steps (and at the end of every ``every_n_epochs``-th epoch, if given) it
embeds a fixed, seeded sample of the evaluation images with the model's encoder and adds every label-free
metric, as ``label_free/<metric>``, to the Trainer's next log: the reporting callbacks of ``report_to``
(TensorBoard, MLflow, W&B, ...) and ``trainer.state.log_history`` receive them with the loss.
``attach(trainer)`` puts the monitor first among the Trainer's callbacks, so that the reporters see the
metrics in the same log call; passed as ``Trainer(callbacks=[monitor])`` instead, it comes after them and
only ``log_history`` and the monitor's own ``log_path``/``writers`` get the metrics. Only the main process
(``state.is_world_process_zero``) computes.

At every evaluation (``eval_strategy``, or ``trainer.evaluate()``) it also adds the metrics of that step
to the evaluation metrics as ``eval_label_free/<metric>`` (the evaluation's own prefix in place of
``eval``; reusing the step's record when the schedule already computed one), on every process: the
evaluation's log carries them to the reporters (attached) and to ``log_history``, ``evaluate()`` returns
them, and the Trainer picks checkpoints by them::

    args = TrainingArguments(..., eval_strategy="steps", eval_steps=500, save_strategy="best",
                             metric_for_best_model="label_free/rankme", greater_is_better=True)

and ``EarlyStoppingCallback`` can watch them (in any order: they join the evaluation's metrics in
``on_log``, which the Trainer calls before any ``on_evaluate``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from sslnb.integrations.shared import (PREFIX, EncoderSpec, broadcast_from_rank_zero, build_monitor,
                                        check_schedule, logged_names, resolve_encoder)
from sslnb.optional import require

transformers = require("transformers", "hf")


def vit_mae_encoder(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The encoder of a ``ViTMAEForPreTraining`` (or ``ViTMAEModel``) for monitoring: every patch, mean-pooled.

    In pretraining ViT-MAE drops ``mask_ratio`` of the patches at random, also in eval mode. The monitor
    wants the whole image and no draws from torch's global generator, so the encoder runs with
    ``mask_ratio`` 0 and a fixed (identity) patch order, then averages the patch tokens (the CLS token
    left out), as MAE's linear probe does.
    """
    vit = getattr(model, "vit", model)

    def encode(pixel_values: torch.Tensor) -> torch.Tensor:
        patches = vit.embeddings.patch_embeddings.num_patches
        noise = torch.arange(patches, dtype=torch.float32, device=pixel_values.device).expand(len(pixel_values), -1)
        ratio, vit.config.mask_ratio = vit.config.mask_ratio, 0.0
        try:
            hidden = vit(pixel_values=pixel_values, noise=noise).last_hidden_state
        finally:
            vit.config.mask_ratio = ratio
        return hidden[:, 1:].mean(dim=1)

    return encode


class HFMonitor(transformers.TrainerCallback):
    """Adds the label-free metrics of the model's encoder to the Hugging Face Trainer's logs.

    Args:
        data: evaluation images, as :class:`~sslnb.monitor.LabelFreeMonitor` takes them; already in the
            model's input format (e.g. normalised ``pixel_values``); labels are never used.
        encoder: the attribute of the model that embeds images, or a callable ``model -> encoder`` such as
            :func:`vit_mae_encoder`.
        every_n_steps: compute after every n-th optimizer step (None: not by steps).
        every_n_epochs: compute at the end of every n-th epoch (None, the default: not by epochs).
        at_evaluation: add ``eval_label_free/<metric>`` to the metrics of every evaluation (default True),
            for ``metric_for_best_model`` and ``EarlyStoppingCallback``.
        **options: :class:`~sslnb.monitor.LabelFreeMonitor`'s keyword arguments (``sample_size``, ``k``,
            ``seed``, ``log_path``, ``writers``, ...).
    """

    def __init__(self, data: torch.Tensor | np.ndarray | Iterable, encoder: EncoderSpec = "vit",
                 every_n_steps: int | None = 100, every_n_epochs: int | None = None, at_evaluation: bool = True,
                 **options: Any) -> None:
        check_schedule(every_n_epochs, every_n_steps, at_evaluation=at_evaluation)
        self.monitor = build_monitor(data, options)
        self.encoder, self.every_n_steps, self.every_n_epochs = encoder, every_n_steps, every_n_epochs
        self.at_evaluation = at_evaluation
        self._pending: dict[str, float] = {}
        self._scheduled_step = -1

    @property
    def records(self) -> list[dict[str, float]]:
        return self.monitor.records

    def attach(self, trainer: "transformers.Trainer") -> "HFMonitor":
        """Put this monitor first among ``trainer``'s callbacks (see the module docstring); returns self."""
        handler = trainer.callback_handler
        handler.callbacks = [self] + [callback for callback in handler.callbacks if callback is not self]
        return self

    def _record(self, state: Any, model: nn.Module) -> dict[str, float]:
        """The main process's record of this step: the one already computed at it, else a new one."""
        records = self.monitor.records
        if records and records[-1]["step"] == state.global_step:
            return records[-1]
        return self.monitor.compute(resolve_encoder(model, self.encoder), step=state.global_step)

    def _compute(self, state: Any, control: Any, model: nn.Module) -> Any:
        # Every decision here is the same on every process (it reads only the step and the schedule), because
        # what the Trainer does next (log, evaluate, save) involves all processes together.
        self._scheduled_step = state.global_step
        if state.is_world_process_zero:
            self._pending = logged_names(self._record(state, model))
        # The Trainer logs at this step, and on_log adds the metrics. On every process: logging gathers the
        # loss from all of them, so a log asked for by the main process alone would wait for the others forever.
        control.should_log = True
        return control

    def on_step_end(self, args: Any, state: Any, control: Any, model: nn.Module = None, **kwargs: Any) -> Any:
        if self.every_n_steps and state.global_step % self.every_n_steps == 0:
            return self._compute(state, control, model)
        return control

    def on_epoch_end(self, args: Any, state: Any, control: Any, model: nn.Module = None, **kwargs: Any) -> Any:
        epoch = round(state.epoch or 0)
        if self.every_n_epochs and epoch % self.every_n_epochs == 0 and self._scheduled_step != state.global_step:
            return self._compute(state, control, model)
        return control

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, model: nn.Module = None,
               **kwargs: Any) -> None:
        if logs is None:
            return
        prefix = evaluation_prefix(logs)
        if prefix is not None:  # an evaluation's log: the Trainer logs it before calling on_evaluate
            if self.at_evaluation:
                self._add_to_evaluation(state, model, logs, prefix)
            return
        if self._pending:
            extend_log(state, logs, self._pending)
            self._pending = {}

    def on_evaluate(self, args: Any, state: Any, control: Any, model: nn.Module = None,
                    metrics: dict | None = None, **kwargs: Any) -> Any:
        # The Trainer passes on_log the very dict it returns as the evaluation's metrics, so they are usually
        # there already; this is the contract metric_for_best_model and EarlyStoppingCallback read.
        if not self.at_evaluation or metrics is None:
            return control
        prefix = evaluation_prefix(metrics) or "eval"
        if not any(key.startswith(f"{prefix}_{PREFIX}") for key in metrics):
            self._add_to_evaluation(state, model, metrics, prefix)
        return control

    def _add_to_evaluation(self, state: Any, model: nn.Module, metrics: dict, prefix: str) -> None:
        # A record computed here, at no scheduled step, goes to log_path and writers and into the evaluation's
        # metrics. Every process decides on the best checkpoint (and early stopping) from its own metrics dict,
        # so all of them get rank 0's values.
        names = logged_names(self._record(state, model)) if state.is_world_process_zero else None
        names = broadcast_from_rank_zero(names)
        extend_log(state, metrics, {f"{prefix}_{name}": value for name, value in names.items()})


def extend_log(state: Any, logs: dict, values: dict[str, float]) -> None:
    """Add ``values`` to a log the Trainer is making: to ``logs``, the dict every later callback (the reporters)
    receives and ``evaluate()`` returns, and to the copy of it the Trainer appended to ``log_history`` first."""
    entry = state.log_history[-1] if state.log_history else {}
    if entry.get("step") == state.global_step and logs.keys() <= entry.keys():  # this log's copy
        entry.update(values)
    logs.update(values)


def evaluation_prefix(logs: dict) -> str | None:
    """The ``metric_key_prefix`` of an evaluation's metrics (``"eval"`` by default), or None for other logs.

    The Trainer always times an evaluation as ``<prefix>_runtime``; the end-of-training summary is timed as
    ``train_runtime``, and is no evaluation.
    """
    return next((key[:-len("_runtime")] for key in logs if key.endswith("_runtime") and key != "train_runtime"),
                None)
