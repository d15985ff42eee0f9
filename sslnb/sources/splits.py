"""What every data source returns, and the error raised when none can provide the data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DatasetNotFoundError(FileNotFoundError):
    """No source could provide the data set; the message lists every way to provide it."""


@dataclass(frozen=True)
class Splits:
    """The full train and test splits of a data set, as uint8 images and integer labels."""

    train_images: np.ndarray  # (N, H, W) grey or (N, C, H, W)
    train_labels: np.ndarray  # (N,), -1 when unlabelled
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # where the files were found, recorded in the prepared data set
