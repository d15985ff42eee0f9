"""Small Fashion-MNIST look-alikes written in the real IDX format, so tests exercise the real loader.

Each of the 10 classes is a bright rectangle at its own place and size, jittered and noisy, so the
classes are learnable but not trivially identical within a class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sslnb.sources import write_idx
from sslnb.sources.fashion_mnist import FILES

# (top, bottom, left, right) of each class's rectangle in a 28 x 28 image
_BOXES = [
    (4, 12, 4, 12), (4, 12, 16, 24), (16, 24, 4, 12), (16, 24, 16, 24), (2, 26, 12, 16),
    (12, 16, 2, 26), (8, 20, 8, 20), (2, 8, 2, 26), (20, 26, 2, 26), (2, 26, 2, 8),
]


def fake_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = rng.normal(30, 15, size=(n, 28, 28))
    for i, label in enumerate(labels):
        top, bottom, left, right = _BOXES[label]
        dy, dx = rng.integers(-2, 3, size=2)
        images[i, max(top + dy, 0):bottom + dy, max(left + dx, 0):right + dx] += rng.uniform(120, 220)
    return np.clip(images, 0, 255).astype(np.uint8), labels


def write_fake_fashion_mnist(folder: Path, n_train: int = 600, n_test: int = 300, seed: int = 0) -> Path:
    """Write the four gzip IDX files of a fake Fashion-MNIST into ``folder``; return ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    train_x, train_y = fake_images(n_train, rng)
    test_x, test_y = fake_images(n_test, rng)
    for key, array in {"train_images": train_x, "train_labels": train_y,
                       "test_images": test_x, "test_labels": test_y}.items():
        write_idx(folder / f"{FILES[key]}.gz", array)
    return folder


def write_fake_cifar(folder: Path, name: str = "cifar10", n_train: int = 100, n_test: int = 40, seed: int = 0) -> Path:
    """Tiny CIFAR files in torchvision's on-disk format (pickled dicts of N x 3072 uint8 rows)."""
    import pickle

    from sslnb.sources.cifar import LAYOUT

    layout = LAYOUT[name]
    target = folder / layout["folder"]
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_classes = 10 if name == "cifar10" else 100
    label_key = layout["labels"]

    def dump(file: str, n: int) -> None:
        batch = {b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
                 label_key: rng.integers(0, n_classes, size=n).tolist()}
        (target / file).write_bytes(pickle.dumps(batch))

    per_batch = n_train // len(layout["train"])
    for file in layout["train"]:
        dump(file, per_batch)
    for file in layout["test"]:
        dump(file, n_test)
    names = [f"class{i}".encode() for i in range(n_classes)]
    (target / layout["meta"]).write_bytes(pickle.dumps({layout["names"]: names}))
    return folder


def write_image_folder(folder: Path, n: int = 60, labelled: bool = True, seed: int = 0) -> Path:
    """PNG images of the fake classes, in class subfolders (labelled) or all in one folder."""
    from PIL import Image

    images, labels = fake_images(n, np.random.default_rng(seed))
    for i, (image, label) in enumerate(zip(images, labels)):
        target = folder / f"class_{label}" if labelled else folder
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).convert("RGB").save(target / f"img_{i:04d}.png")
    return folder
