"""Reader and writer for the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed).

Layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then each
dimension as a big-endian int32, then the values in C order.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

_UBYTE = 0x08


def _open(path: Path, mode: str):
    return gzip.open(path, mode) if path.suffix == ".gz" else open(path, mode)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an unsigned-byte IDX file into a ``uint8`` array of its stored shape."""
    path = Path(path)
    try:
        with _open(path, "rb") as handle:
            raw = handle.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:  # a cut-off download, or not gzip at all
        raise ValueError(f"{path} is truncated or corrupt ({error}); download or reinstall it "
                         "(Debian: apt-get install --reinstall dataset-fashion-mnist)") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    type_code, ndim = raw[2], raw[3]
    if type_code != _UBYTE:
        raise ValueError(f"{path}: IDX type code {type_code:#x} is not supported (only unsigned bytes)")
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}i", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: header promises {expected} values of shape {shape}, "
            f"file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a ``uint8`` array as an IDX file (gzip-compressed when ``path`` ends in ``.gz``)."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"write_idx supports uint8 arrays only, got {array.dtype}")
    header = bytes([0, 0, _UBYTE, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    with _open(path, "wb") as handle:
        handle.write(header + array.tobytes())
