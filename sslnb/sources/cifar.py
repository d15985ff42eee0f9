"""CIFAR-10 and CIFAR-100 from torchvision's on-disk format (the "python version" pickles).

Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009. Sources, in order:
``data.path`` (a folder holding ``cifar-10-batches-py/`` or ``cifar-100-python/``, or that folder
itself), then ``data/raw`` after torchvision's downloader fetched it (needs the internet; skipped when
``data.download`` is false). The batches are read here rather than through torchvision's dataset class,
so small files in the same format (as the tests write) load too: torchvision would reject them by their
checksums.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from sslnb.sources.download import torchvision_download
from sslnb.sources.splits import DatasetNotFoundError, Splits

LAYOUT = {
    "cifar10": {"folder": "cifar-10-batches-py", "train": [f"data_batch_{i}" for i in range(1, 6)],
                "test": ["test_batch"], "labels": b"labels", "meta": "batches.meta", "names": b"label_names"},
    "cifar100": {"folder": "cifar-100-python", "train": ["train"], "test": ["test"],
                 "labels": b"fine_labels", "meta": "meta", "names": b"fine_label_names"},
}


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as handle:
        # The official format is a pickle; sslnb reads only the arrays and lists in it.
        return pickle.load(handle, encoding="bytes")


def _read(folder: Path, name: str) -> tuple[Splits, tuple[str, ...]]:
    layout = LAYOUT[name]
    if folder.name != layout["folder"]:
        folder = folder / layout["folder"]
    missing = [f for f in layout["train"] + layout["test"] + [layout["meta"]] if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}")
    arrays = {}
    for split in ("train", "test"):
        batches = [_unpickle(folder / f) for f in layout[split]]
        images = np.concatenate([np.asarray(b[b"data"], dtype=np.uint8) for b in batches])
        labels = np.concatenate([np.asarray(b[layout["labels"]], dtype=np.int64) for b in batches])
        if images.ndim != 2 or images.shape[1] != 3 * 32 * 32 or len(images) != len(labels):
            raise ValueError(f"{folder}: {split} data of shape {images.shape} is not N x 3072 CIFAR rows")
        arrays[f"{split}_images"] = images.reshape(-1, 3, 32, 32)  # channels first
        arrays[f"{split}_labels"] = labels
    names = tuple(n.decode() for n in _unpickle(folder / layout["meta"])[layout["names"]])
    return Splits(**arrays, source=f"{name} files: {folder}"), names


def _download(name: str, root: Path) -> Path:
    from torchvision import datasets

    torchvision_download({"cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100}[name], root)
    return root


def load_cifar(name: str, path: str | Path | None, download: bool, download_root: str | Path,
               ) -> tuple[Splits, tuple[str, ...]]:
    """CIFAR-10 or CIFAR-100 splits with class names, from ``path`` or torchvision's download."""
    if name not in LAYOUT:
        raise ValueError(f"unknown CIFAR variant {name!r}; use one of {sorted(LAYOUT)}")
    failures = []
    for folder, how in ((path, "data.path in params.yaml"), (download_root, "a previous download in data/raw")):
        if folder is None:
            failures.append(f"{how}: not set")
            continue
        try:
            return _read(Path(folder), name)
        except (FileNotFoundError, ValueError) as error:
            failures.append(f"{how}: {error}")
    if download:
        try:
            return _read(_download(name, Path(download_root)), name)
        except Exception as error:  # noqa: BLE001 - any network or mirror failure means 'not available'
            failures.append(f"torchvision download into {download_root}: failed ({type(error).__name__}: {error})")
    else:
        failures.append("torchvision download: disabled (data.download is false)")
    raise DatasetNotFoundError(
        f"{name} was not found. Tried:\n  " + "\n  ".join(failures)
        + f"\nSet data.path to a folder holding {LAYOUT[name]['folder']}/ (torchvision's format), or allow "
        "the download (data.download: true) on a machine with internet."
    )
