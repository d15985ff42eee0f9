"""Locate and load Fashion-MNIST, the embedded default data set, without needing the internet.

Sources are tried in this order, and the first complete one wins:

1. ``data.path`` in ``params.yaml``: a folder with the four IDX files (gzip or not);
2. Debian's ``dataset-fashion-mnist`` package, which installs them in ``/usr/share/datasets/fashion-mnist``;
3. torchvision's downloader, into ``data/raw`` (needs the internet; skipped when ``data.download`` is false).

If all three fail, :class:`DatasetNotFoundError` names each way and why it failed.
"""

from __future__ import annotations

from pathlib import Path


from sslnb.sources.download import torchvision_download
from sslnb.sources.idx import read_idx
from sslnb.sources.splits import DatasetNotFoundError, Splits

CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DEBIAN_PACKAGE = "dataset-fashion-mnist"


def _find_files(folder: Path) -> dict[str, Path]:
    """The four IDX files in ``folder``, or raise FileNotFoundError naming what is missing."""
    found, missing = {}, []
    for key, stem in FILES.items():
        candidates = [folder / f"{stem}.gz", folder / stem]
        hit = next((c for c in candidates if c.is_file()), None)
        if hit is None:
            missing.append(f"{stem}[.gz]")
        else:
            found[key] = hit
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}")
    return found


def _read_folder(folder: Path, source: str) -> Splits:
    arrays = {key: read_idx(path) for key, path in _find_files(folder).items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{folder}: {split} images {images.shape} and labels {labels.shape} do not match; "
                "expected (N, H, W) images and N labels"
            )
    return Splits(**arrays, source=source)


def _download(root: Path) -> Path:
    """Fetch the files with torchvision; return the folder holding them."""
    from torchvision.datasets import FashionMNIST

    torchvision_download(FashionMNIST, root)
    return root / "FashionMNIST" / "raw"


def load_fashion_mnist(
    path: str | Path | None,
    debian_dir: str | Path,
    download: bool,
    download_root: str | Path,
) -> Splits:
    """Load Fashion-MNIST from the first source that works (see the module docstring)."""
    failures: list[str] = []
    if path is not None:
        try:
            return _read_folder(Path(path), source=f"data.path: {path}")
        except (FileNotFoundError, ValueError) as error:
            failures.append(f"1. data.path in params.yaml ({path}): {error}")
    else:
        failures.append("1. data.path in params.yaml: not set")
    try:
        return _read_folder(Path(debian_dir), source=f"Debian package {DEBIAN_PACKAGE}: {debian_dir}")
    except (FileNotFoundError, ValueError) as error:
        failures.append(
            f"2. Debian package {DEBIAN_PACKAGE} ({debian_dir}): {error}. "
            f"Install it with: sudo apt-get install {DEBIAN_PACKAGE}"
        )
    if download:
        try:
            folder = _download(Path(download_root))
            return _read_folder(folder, source=f"torchvision download: {folder}")
        except Exception as error:  # noqa: BLE001 - any network or mirror failure means 'not available'
            failures.append(f"3. torchvision download into {download_root}: failed ({type(error).__name__}: {error})")
    else:
        failures.append("3. torchvision download: disabled (data.download is false)")
    raise DatasetNotFoundError(
        "Fashion-MNIST was not found. Tried, in order:\n  " + "\n  ".join(failures)
        + "\nProvide it one of these three ways: set data.path to a folder with the four IDX files, "
        f"install Debian's {DEBIAN_PACKAGE}, or allow the download on a machine with internet."
    )
