"""How sslnb reports bad input: one line that names the file or params key, the problem and the fix.

The CLI catches every exception and prints :func:`one_line` of it (a traceback only with ``-v``). The
library raises ``ValueError`` (bad values, naming the key or file), ``FileNotFoundError`` (missing inputs)
and :class:`UsageError` (arguments that do not fit together); :func:`one_line` also turns the operating
system's errors (a folder where a file was expected, a permission) into such a sentence.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import yaml


class UsageError(ValueError):
    """Command-line arguments that do not fit together; the message says which and what to give instead."""


_OS_ADVICE = {
    errno.EISDIR: "is a folder, not a file; give a file path",
    errno.ENOTDIR: "has a file where a folder is expected in its path; fix the path",
    errno.EACCES: "is not accessible (permission denied); choose another path or fix its permissions",
    errno.EPERM: "is not accessible (operation not permitted); choose another path or fix its permissions",
    errno.ENOSPC: "could not be written: the disk is full; free space or write elsewhere",
    errno.EROFS: "is on a read-only file system; write elsewhere",
    errno.ENOENT: "does not exist; check the path",
}


def one_line(error: BaseException) -> str:
    """The message of ``error`` as a single line, in sslnb's words where the error came from the system."""
    if isinstance(error, OSError) and error.filename is not None and error.errno in _OS_ADVICE:
        message = f"{error.filename} {_OS_ADVICE[error.errno]}"
    elif isinstance(error, (ValueError, OSError, FloatingPointError)):
        message = str(error) or type(error).__name__
    else:  # an error sslnb did not foresee: still one line, with a way to see more
        message = f"{type(error).__name__}: {error} (run with -v for the traceback)"
    return " ".join(message.split())


def check_writable(path: Path, what: str, suffix: str | None = None) -> None:
    """Fail now, before any work, if ``path`` cannot be written as a file (``what`` names the option).

    ``suffix`` (e.g. ``".csv"``): the only file type the command writes; another extension is refused rather
    than written under a misleading name.
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{what} {path} is a folder; give a file name, e.g. {path / 'metrics.csv'}")
    if suffix is not None and path.suffix.lower() != suffix:
        raise UsageError(f"{what} {path}: sslnb writes this table as {suffix[1:].upper()}; give a file name "
                         f"ending in {suffix}, e.g. {path.with_suffix(suffix)}")
    parent = path.parent
    while not parent.exists():  # the writer creates missing folders: check the first one that exists
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{what} {path}: {parent} is a file, not a folder; choose another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: the folder {parent} is not writable; choose another folder")


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; an error naming the file, the line and the fix otherwise."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the params file itself, e.g. --params {path / 'params.yaml'}")
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found. Run sslnb from the project root (the folder with dvc.yaml), or pass --params PATH."
        )
    try:
        raw = yaml.safe_load(path.read_text())
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a text (YAML) file ({error.reason}); give a params.yaml") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ValueError(f"{path} is not valid YAML ({problem}{where}); fix its syntax") from error
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path} must hold a mapping of sections (seed, methods, data, ...), "
                         f"not a {type(raw).__name__}; see the project's params.yaml")
    return raw
