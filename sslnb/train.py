"""The shared SSL training loop: milestones, checkpoints and resume.

A checkpoint is written at every milestone epoch in ``train.milestones`` (epoch 0 is the random
initialisation). Each holds the model and optimiser state, the learning-rate schedule, the random number
generator state, the loss history and the config, so a run killed at any point restarts from its last
checkpoint and ends with exactly the weights of an uninterrupted run (on the CPU, with the same seed).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from sslnb.augment import to_tensor, two_views
from sslnb.config import Params
from sslnb.data import load_dataset
from sslnb.io import load_checkpoint, save_checkpoint, save_csv
from sslnb.methods import build_method
from sslnb.paths import ProjectPaths, epoch_from_name

log = logging.getLogger(__name__)


def run_config(params: Params, method: str) -> dict[str, Any]:
    """Everything that determines a training run; a checkpoint resumes only a run with the same config."""
    return {
        "method": method,
        "method_options": params.method(method),
        "seed": params.seed,
        "data": params.to_dict()["data"],
        "model": params.to_dict()["model"],
        "augment": params.to_dict()["augment"],
        "train": params.to_dict()["train"],
    }


def _cosine_schedule(total_steps: int):
    """Learning-rate factor: cosine decay from 1 to 0 over the run (Loshchilov & Hutter, 2017)."""
    return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))


def embedding_std(z: torch.Tensor) -> float:
    """Mean per-dimension std of L2-normalised embeddings: ~0 when collapsed, ~1/sqrt(d) when healthy."""
    return torch.nn.functional.normalize(z, dim=1).std(dim=0).mean().item()


def _latest_resumable(folder: Path, config: dict[str, Any]) -> dict | None:
    """The newest checkpoint in ``folder`` written by a run with the same config, or None."""
    for path in sorted(folder.glob("epoch_*.pt"), key=epoch_from_name, reverse=True):
        state = load_checkpoint(path)
        if state.get("config") == config:
            return state
        log.warning("ignoring %s: it was written with a different config", path)
        return None
    return None


class Trainer:
    """Trains one SSL method on the prepared data set and writes its milestone checkpoints."""

    def __init__(self, params: Params, method: str, paths: ProjectPaths) -> None:
        self.params, self.method, self.paths = params, method, paths
        self.config = run_config(params, method)
        self.out_dir = paths.checkpoints(method)

    def _fresh_state(self) -> tuple[nn.Module, torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
        torch.manual_seed(self.params.seed)
        model = build_method(self.method, self.params)
        cfg = self.params.train
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps = cfg.epochs * self.steps_per_epoch
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _cosine_schedule(steps))
        return model, optimizer, scheduler

    def _save(self, epoch: int, model, optimizer, scheduler, generator, history) -> None:
        save_checkpoint(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": {"generator": generator.get_state(), "torch": torch.get_rng_state()},
                "history": history,
                "config": self.config,
            },
            self.paths.checkpoint(self.method, epoch),
        )

    def run(self, resume: bool = True) -> Path:
        cfg = self.params.train
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        data = load_dataset(self.paths.dataset)
        images = to_tensor(data.train_images)
        n = len(images)
        self.steps_per_epoch = n // cfg.batch_size  # drop the last partial batch: tiny batches hurt BN
        model, optimizer, scheduler = self._fresh_state()
        generator = torch.Generator().manual_seed(self.params.seed)
        history: list[dict[str, float]] = []
        start = 0
        self.out_dir.mkdir(parents=True, exist_ok=True)
        state = _latest_resumable(self.out_dir, self.config) if resume else None
        if state is not None:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            generator.set_state(state["rng"]["generator"])
            torch.set_rng_state(state["rng"]["torch"])
            history, start = list(state["history"]), int(state["epoch"])
            log.info("resuming %s from epoch %d", self.method, start)
        else:
            for stale in self.out_dir.glob("epoch_*.pt"):
                stale.unlink()
            self._save(0, model, optimizer, scheduler, generator, history)

        epochs = tqdm(range(start + 1, cfg.epochs + 1), desc=f"train {self.method}", unit="epoch",
                      initial=start, total=cfg.epochs)
        for epoch in epochs:
            model.train()
            order = torch.randperm(n, generator=generator)
            losses, stds = [], []
            batches = tqdm(range(self.steps_per_epoch), desc=f"epoch {epoch}", unit="batch", leave=False)
            for step in batches:
                batch = images[order[step * cfg.batch_size:(step + 1) * cfg.batch_size]]
                view1, view2 = two_views(batch, self.params.augment, generator)
                loss, z = model.training_loss(view1, view2)
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"{self.method}: loss became {loss.item()} at epoch {epoch}, step {step}; "
                        "lower train.lr or check the augmentation settings"
                    )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
                stds.append(embedding_std(z))
            record = {"epoch": epoch, "loss": sum(losses) / len(losses), "embedding_std": sum(stds) / len(stds)}
            history.append(record)
            epochs.set_postfix(loss=f"{record['loss']:.4f}")
            if epoch in cfg.milestones or epoch == cfg.epochs:  # the final weights are always kept
                self._save(epoch, model, optimizer, scheduler, generator, history)
        self._write_history(history)
        return self.out_dir

    def _write_history(self, history: list[dict[str, float]]) -> None:
        import pandas as pd

        save_csv(pd.DataFrame(history, columns=["epoch", "loss", "embedding_std"]), self.out_dir / "history.csv")


def train(params: Params, method: str, paths: ProjectPaths, resume: bool = True) -> Path:
    """Train ``method`` with ``params``; return the folder of its checkpoints."""
    return Trainer(params, method, paths).run(resume=resume)
