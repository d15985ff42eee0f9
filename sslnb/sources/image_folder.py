"""Any folder of images: the user's own domain, labelled or not.

Layouts:

- ``root/<class>/<image>``: every image sits in a class subfolder, so the classes are the labels;
- anything else (images directly in ``root``, or deeper): unlabelled. Every label-free metric still
  runs; the label-based references are skipped.

Images are converted to ``channels`` (1: grey, 3: RGB) and resized to ``image_size`` squared. A seeded
``test_size`` of them forms the evaluation split, the rest the training split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sslnb.sources.splits import DatasetNotFoundError, Splits

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
UNLABELLED = -1


def _images(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())


def _load(path: Path, image_size: int, channels: int) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("L" if channels == 1 else "RGB").resize((image_size, image_size), Image.BILINEAR)
        array = np.asarray(image, dtype=np.uint8)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def load_image_folder(root: str | Path | None, image_size: int, channels: int, test_size: int, seed: int,
                      ) -> tuple[Splits, tuple[str, ...]]:
    """Train/test splits of the images under ``root`` and the class names (empty when unlabelled)."""
    if root is None:
        raise DatasetNotFoundError("data.name is image_folder but data.path is not set; point it at your images")
    root = Path(root)
    files = _images(root) if root.is_dir() else []
    if not files:
        raise DatasetNotFoundError(
            f"no images ({', '.join(sorted(EXTENSIONS))}) under {root}; set data.path to your image folder"
        )
    if channels not in (1, 3):
        raise ValueError(f"data.channels must be 1 (grey) or 3 (RGB), got {channels}")
    if test_size >= len(files):
        raise ValueError(f"data.test_size ({test_size}) must be smaller than the {len(files)} images in {root}")
    parents = {f.parent for f in files}
    labelled = all(p.parent == root for p in parents) and len(parents) >= 2
    classes = tuple(sorted(p.name for p in parents)) if labelled else ()
    labels = np.array([classes.index(f.parent.name) if labelled else UNLABELLED for f in files], dtype=np.int64)
    images = np.stack([_load(f, image_size, channels) for f in files])
    order = np.random.default_rng(seed).permutation(len(files))
    test, train = order[:test_size], order[test_size:]
    splits = Splits(images[train], labels[train], images[test], labels[test], source=f"image folder: {root}")
    return splits, classes
