"""The ``prepare`` stage: a compact, seeded copy of the train/test subsets the pipeline uses.

The prepared file holds ``train_images`` (SSL training images, (N, H, W) grey or (N, C, H, W)),
``train_labels`` (used only by the label-based references; -1 when unlabelled), ``probe_index`` (rows
of the training images that form the fixed probe-training subset), ``test_images`` and ``test_labels``
(the evaluation set), and ``classes`` (empty when unlabelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sslnb.config import Params
from sslnb.sources.cifar import LAYOUT as CIFAR_LAYOUT
from sslnb.sources.cifar import load_cifar
from sslnb.sources.domains import build_domains, save_domains
from sslnb.sources.fashion_mnist import CLASSES, load_fashion_mnist
from sslnb.sources.image_folder import load_image_folder
from sslnb.sources.splits import Splits
from sslnb.io import load_arrays, save_npz
from sslnb.paths import ProjectPaths


@dataclass(frozen=True)
class Dataset:
    """The prepared data set, as the training, embedding and metric stages see it."""

    train_images: np.ndarray  # (N, H, W) uint8
    train_labels: np.ndarray  # (N,) int64
    probe_index: np.ndarray  # (P,) rows of train_images forming the probe-training subset
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: tuple[str, ...]
    source: str

    @property
    def labelled(self) -> bool:
        """Whether labels exist, so the label-based references can be computed."""
        return bool(self.classes) and bool(np.all(self.test_labels >= 0)) and bool(np.all(self.train_labels >= 0))

    @property
    def probe_images(self) -> np.ndarray:
        return self.train_images[self.probe_index]

    @property
    def probe_labels(self) -> np.ndarray:
        return self.train_labels[self.probe_index]


def _subset(n_available: int, n_wanted: int, rng: np.random.Generator, what: str) -> np.ndarray:
    if n_wanted > n_available:
        raise ValueError(f"data.{what} is {n_wanted} but the split holds only {n_available} images")
    return np.sort(rng.permutation(n_available)[:n_wanted])


DATASETS = ("fashion_mnist", *sorted(CIFAR_LAYOUT), "image_folder")


def load_splits(params: Params, paths: ProjectPaths) -> tuple[Splits, tuple[str, ...]]:
    """The full train/test splits of ``data.name`` and its class names (empty when unlabelled)."""
    cfg = params.data
    if cfg.name == "fashion_mnist":
        return load_fashion_mnist(cfg.path, cfg.debian_dir, cfg.download, paths.raw), CLASSES
    if cfg.name in CIFAR_LAYOUT:
        return load_cifar(cfg.name, cfg.path, cfg.download, paths.raw)
    if cfg.name == "image_folder":
        return load_image_folder(cfg.path, cfg.image_size, cfg.channels, cfg.test_size, params.seed)
    raise ValueError(f"data.name {cfg.name!r} is not supported; use one of {DATASETS}")


def prepare(params: Params, paths: ProjectPaths) -> Path:
    """Load the raw data, draw the seeded subsets and write them to ``paths.dataset``, and the shifted and
    out-of-domain sets (:mod:`sslnb.sources.domains`) to ``paths.domains``."""
    cfg = params.data
    splits, classes = load_splits(params, paths)
    rng = np.random.default_rng(params.seed)
    train_rows = _subset(len(splits.train_images), cfg.train_size, rng, "train_size")
    test_rows = _subset(len(splits.test_images), cfg.test_size, rng, "test_size")
    probe_index = np.sort(rng.permutation(cfg.train_size)[: cfg.probe_size])
    test_labels = splits.test_labels[test_rows].astype(np.int64)
    probe_rows = train_rows[probe_index]
    save_domains(build_domains(splits.test_images[test_rows], test_labels, splits.train_images[probe_rows],
                               splits.train_labels[probe_rows].astype(np.int64), params.domains, params.seed),
                 paths.domains)
    save_npz(
        paths.dataset,
        train_images=splits.train_images[train_rows],
        train_labels=splits.train_labels[train_rows].astype(np.int64),
        probe_index=probe_index.astype(np.int64),
        test_images=splits.test_images[test_rows],
        test_labels=test_labels,
        classes=np.array(classes, dtype=str),
        source=np.array(splits.source),
    )
    return paths.dataset


def load_dataset(path: str | Path) -> Dataset:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"prepared data set {path} not found; run the prepare stage (dvc repro prepare)")
    archive = load_arrays(path, "recreate it with the prepare stage (dvc repro --force prepare)")
    try:
        return Dataset(
            train_images=archive["train_images"],
            train_labels=archive["train_labels"],
            probe_index=archive["probe_index"],
            test_images=archive["test_images"],
            test_labels=archive["test_labels"],
            classes=tuple(str(c) for c in archive["classes"]),
            source=str(archive["source"]),
        )
    except KeyError as error:
        raise ValueError(f"{path} lacks the array {error}; it is not an sslnb prepared data set: "
                         "recreate it with the prepare stage (dvc repro --force prepare)") from error
