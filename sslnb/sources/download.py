"""torchvision's downloaders, used as the last source of a data set, failing fast without internet."""

from __future__ import annotations

import socket
from pathlib import Path


def torchvision_download(dataset_class: type, root: Path, timeout: float = 10.0) -> None:
    """Fetch both splits of a torchvision data set into ``root``; raise if the internet is unreachable."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # a machine without internet fails in seconds, not minutes
    try:
        dataset_class(root=str(root), train=True, download=True)
        dataset_class(root=str(root), train=False, download=True)
    finally:
        socket.setdefaulttimeout(previous)
