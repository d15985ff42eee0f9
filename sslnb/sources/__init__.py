"""Data sources (Fashion-MNIST, CIFAR, image folders), the IDX format and the ``prepare`` stage."""

from sslnb.sources.fashion_mnist import load_fashion_mnist
from sslnb.sources.splits import DatasetNotFoundError
from sslnb.sources.idx import read_idx, write_idx
from sslnb.sources.prepare import Dataset, load_dataset, prepare

__all__ = [
    "Dataset", "DatasetNotFoundError", "load_dataset", "load_fashion_mnist", "prepare", "read_idx", "write_idx",
]
