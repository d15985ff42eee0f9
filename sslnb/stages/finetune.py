"""The ``finetune`` stage: fine-tuning accuracy of every checkpoint, a label-based reference.

Users who fine-tune want to know whether a label-free metric predicts fine-tuning accuracy, not only the
frozen-feature probe. :func:`finetune_accuracy` trains a copy of the backbone end to end with a linear head
on the probe subset, then scores it on the evaluation set and on every shifted set; on an out-of-domain set
(other classes) it fine-tunes on that set's probe part (:mod:`sslnb.sources.domains`). The stage writes ``data/finetune/<method>.csv`` (``epoch``, ``domain``,
``finetune_acc``, ``seconds``); the evaluate stage puts the accuracies into the backbone rows of its tables.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from copy import deepcopy
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from sslnb.images import to_tensor
from sslnb.columns import IN_DOMAIN
from sslnb.config import Params, ProtocolsConfig
from sslnb.sources import load_dataset
from sslnb.sources.domains import load_domains
from sslnb.io import load_checkpoint, save_csv
from sslnb.training.methods import build_method
from sslnb.paths import ProjectPaths, epoch_files

COLUMNS = ["epoch", "domain", "finetune_acc", "seconds"]


def _check_labelled(images: np.ndarray, labels: np.ndarray, name: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{name} labels must be 1-D with one entry per image: {labels.shape} for {len(images)} images")
    return labels


@torch.no_grad()
def _accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, classes: np.ndarray,
              batch_size: int = 512) -> float:
    predicted = [model(to_tensor(images[start:start + batch_size])).argmax(dim=1).numpy()
                 for start in range(0, len(images), batch_size)]
    return float(np.mean(classes[np.concatenate(predicted)] == labels))


def finetune_accuracy(
    backbone: nn.Module, train_images: np.ndarray, train_labels: np.ndarray,
    eval_sets: Mapping[str, tuple[np.ndarray, np.ndarray]], epochs: int = 1, batch_size: int = 128,
    lr: float = 1e-3, backbone_lr_scale: float = 1.0, head_lr_scale: float = 10.0, weight_decay: float = 1e-4,
    seed: int = 0,
) -> dict[str, float]:
    """Top-1 accuracy on each of ``eval_sets`` after fine-tuning ``backbone`` with a linear head, end to end.

    A copy f of the backbone and a head (W, b) (PyTorch's default initialisation, seeded) minimise the
    softmax cross-entropy on the labelled training images,

        min_{theta_f, W, b}  (1/N) sum_i CE(W f(x_i) + b, y_i),

    with AdamW (weight decay ``weight_decay``) for ``epochs`` passes of shuffled mini-batches (the last
    partial batch dropped) and a cosine schedule to 0; the backbone's rate is ``lr * backbone_lr_scale`` and
    the head's ``lr * head_lr_scale``: the head, which starts from scratch, learns 10 times faster by default,
    the usual practice of fine-tuning (e.g. the discriminative rates of Howard & Ruder, ACL 2018), so the
    pretrained layers move little. BatchNorm layers train in batch mode; the scored model runs in eval mode.
    No augmentation: the cost is ``epochs`` forward-backward passes over the N images, and seeded runs
    repeat exactly. ``eval_sets`` maps names to (images, labels); images are uint8 or float in [0, 1], as
    the embed stage takes them. The caller's backbone is left untouched.
    """
    train_labels = _check_labelled(train_images, train_labels, "training")
    classes, codes = np.unique(train_labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("the training labels hold a single class; fine-tuning needs at least two")
    if epochs < 1 or batch_size < 2:
        raise ValueError(f"epochs must be at least 1 and batch_size at least 2, got {epochs} and {batch_size}")
    if lr <= 0 or backbone_lr_scale < 0 or head_lr_scale < 0:
        raise ValueError(f"lr must be positive and the scales 0 or more, got {lr}, {backbone_lr_scale}, "
                         f"{head_lr_scale}")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        head = nn.Linear(backbone.embedding_dim, len(classes))
    model = nn.Sequential(deepcopy(backbone), head)
    optimizer = torch.optim.AdamW([
        {"params": model[0].parameters(), "lr": lr * backbone_lr_scale},
        {"params": head.parameters(), "lr": lr * head_lr_scale},
    ], weight_decay=weight_decay)
    batch_size = min(batch_size, len(train_images))
    steps_per_epoch = max(len(train_images) // batch_size, 1)
    total = epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total)))
    generator = torch.Generator().manual_seed(seed)
    targets = torch.as_tensor(codes, dtype=torch.long)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(train_images), generator=generator).numpy()
        for step in range(steps_per_epoch):
            rows = np.sort(order[step * batch_size:(step + 1) * batch_size])
            loss = nn.functional.cross_entropy(model(to_tensor(train_images[rows])), targets[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    return {name: _accuracy(model, images, _check_labelled(images, labels, name), classes)
            for name, (images, labels) in eval_sets.items()}


def finetune_checkpoint(backbone: nn.Module, data, domains, cfg: ProtocolsConfig, seed: int) -> dict[str, float]:
    """:func:`finetune_accuracy` of one checkpoint's backbone with the ``protocols`` settings, on every set.

    The backbone fine-tuned on the probe subset is scored on the evaluation set and on the shifted sets
    (the same classes); an out-of-domain set has classes of its own, so the backbone is fine-tuned afresh on
    that set's probe part and scored on its evaluation part.
    """
    options = dict(epochs=cfg.finetune_epochs, batch_size=cfg.finetune_batch_size, lr=cfg.finetune_lr,
                   backbone_lr_scale=cfg.finetune_backbone_lr_scale, head_lr_scale=cfg.finetune_head_lr_scale,
                   weight_decay=cfg.finetune_weight_decay, seed=seed)
    labelled = [domain for domain in domains if np.all(domain.eval_labels >= 0) and np.all(domain.probe_labels >= 0)]
    eval_sets = {IN_DOMAIN: (data.test_images, data.test_labels)}
    eval_sets |= {domain.name: (domain.eval_images, domain.eval_labels) for domain in labelled if domain.shifted}
    accuracies = finetune_accuracy(backbone, data.probe_images, data.probe_labels, eval_sets, **options)
    for domain in labelled:
        if not domain.shifted:
            accuracies |= finetune_accuracy(backbone, domain.probe_images, domain.probe_labels,
                                            {domain.name: (domain.eval_images, domain.eval_labels)}, **options)
    return accuracies


def finetune(params: Params, method: str, paths: ProjectPaths) -> Path:
    """Fine-tune every checkpoint of ``method``; an empty table when ``protocols.finetune`` is off or unlabelled."""
    if params.train.threads > 0:
        torch.set_num_threads(params.train.threads)
    data = load_dataset(paths.dataset)
    rows = []
    if params.protocols.finetune and data.labelled:
        files = epoch_files(paths.checkpoints(method), ".pt")
        if not files:
            raise FileNotFoundError(f"no checkpoints (epoch_*.pt) in {paths.checkpoints(method)}; "
                                    "run the train stage first")
        domains = load_domains(paths.domains, params.protocols.domains)
        model = build_method(method, params)
        for path in tqdm(files, desc=f"finetune {method}", unit="checkpoint"):
            state = load_checkpoint(path)
            model.load_state_dict(state["model"])
            start = time.perf_counter()
            accuracies = finetune_checkpoint(model.backbone, data, domains, params.protocols, params.metrics.seed)
            seconds = time.perf_counter() - start
            rows += [{"epoch": int(state["epoch"]), "domain": name, "finetune_acc": value, "seconds": seconds}
                     for name, value in accuracies.items()]
    save_csv(pd.DataFrame(rows, columns=COLUMNS), paths.finetune_table(method))
    return paths.finetune_table(method)
