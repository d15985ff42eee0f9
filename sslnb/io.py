"""Atomic artifact writing and safe checkpoint loading.

Every artifact is written to a temporary file in the destination folder and then renamed over the
destination. A crash or a Ctrl-C therefore leaves either the old file or the new one, never half of
one, and DVC never caches a truncated output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd


def _umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def _default_mode(path: Path, folder: bool = False) -> None:
    """Give ``path`` the mode a plain ``open()`` or ``mkdir`` would (mkstemp/mkdtemp make it private)."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary name keeps ``path``'s extension, so writers that infer the format from it work. The file
ends with the permissions the umask gives new files (a published ``reports/`` folder stays readable).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _default_mode(tmp_path)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        _default_mode(tmp, folder=True)
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_json(obj: Any, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def save_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_table(frame: pd.DataFrame, stem: str | os.PathLike, float_digits: int = 3) -> list[Path]:
    """Write ``frame`` as ``<stem>.csv`` (full precision), ``<stem>.md`` and ``<stem>.tex`` (rounded)."""
    stem = Path(stem)
    save_csv(frame, stem.with_suffix(".csv"))
    with atomic_path(stem.with_suffix(".md")) as tmp:
        tmp.write_text(frame.to_markdown(index=False, floatfmt=f".{float_digits}f") + "\n")
    with atomic_path(stem.with_suffix(".tex")) as tmp:
        tmp.write_text(frame.to_latex(index=False, float_format=f"%.{float_digits}f", escape=True))
    return [stem.with_suffix(suffix) for suffix in (".csv", ".md", ".tex")]


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Write ``arrays`` as an uncompressed ``.npz`` that ``np.load`` reads, byte-identical for equal arrays.

    ``np.savez`` stamps each member with the current time, so rewriting the same arrays would change the
    file's hash and make DVC rerun every downstream stage; a fixed timestamp avoids that.
    """
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in arrays.items():
                member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                with archive.open(member, "w", force_zip64=True) as handle:
                    np.lib.format.write_array(handle, np.asanyarray(array), allow_pickle=False)


def load_arrays(path: str | os.PathLike, fix: str = "recreate it") -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` (or the one array of an ``.npy``, as ``{"": array}``), loaded now.

    A missing, truncated or corrupt file, or one holding pickled objects, is an error naming the file
    and ``fix`` (what recreates it).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist" + ("" if path.parent.is_dir() else
                                                            f" (no folder {path.parent})"))
    try:
        stored = np.load(path, allow_pickle=False)
        if isinstance(stored, np.ndarray):
            return {"": stored}
        with stored:
            return {key: stored[key] for key in stored.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"{path} is truncated, corrupt or not a NumPy file ({' '.join(str(error).split())[:120]}); "
                         f"{fix}") from error


def save_checkpoint(state: dict, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        import torch  # here, so that notebooks writing tables and figures need not import torch

        torch.save(state, tmp)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint`, refusing pickled code.

    ``weights_only=True`` means a checkpoint can hold only tensors and plain containers, so loading a
    file from elsewhere cannot execute arbitrary code.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; run the train stage first (dvc repro train)")
    try:
        import torch

        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises RuntimeError, EOFError, UnpicklingError... for bad files
        raise ValueError(
            f"checkpoint {path} is truncated or corrupt ({type(error).__name__}: {error}). "
            "Delete it and retrain (dvc repro --force train)."
        ) from error
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        raise ValueError(f"checkpoint {path} is not an sslnb checkpoint (it lacks 'model' or 'epoch')")
    return state
