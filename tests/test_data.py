import numpy as np
import pytest

from sslnb.config import params_from_dict
from sslnb.sources import DatasetNotFoundError, load_dataset, load_fashion_mnist, prepare
from sslnb.paths import ProjectPaths


def test_data_path_is_tried_first(fake_fashion_dir, tmp_path):
    splits = load_fashion_mnist(fake_fashion_dir, tmp_path / "none", download=False, download_root=tmp_path)
    assert splits.source.startswith("data.path")
    assert splits.train_images.shape[1:] == (28, 28)
    assert len(splits.train_images) == len(splits.train_labels)


def test_debian_folder_is_second(fake_fashion_dir, tmp_path):
    splits = load_fashion_mnist(tmp_path / "missing", fake_fashion_dir, download=False, download_root=tmp_path)
    assert splits.source.startswith("Debian package")


def test_missing_dataset_names_all_three_ways(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        load_fashion_mnist(tmp_path / "nope", tmp_path / "no-debian", download=False, download_root=tmp_path)
    message = str(error.value)
    assert "data.path" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "download" in message


def test_prepare_writes_seeded_subsets(fake_fashion_dir, tmp_path):
    raw = {"data": {"path": str(fake_fashion_dir), "debian_dir": str(tmp_path / "none"), "download": False,
                    "train_size": 300, "probe_size": 100, "test_size": 50},
           "train": {"batch_size": 32, "epochs": 1, "milestones": [0, 1]}}
    paths = ProjectPaths(tmp_path)
    prepare(params_from_dict(raw), paths)
    first = load_dataset(paths.dataset)
    assert first.train_images.shape == (300, 28, 28) and first.test_images.shape == (50, 28, 28)
    assert len(first.probe_images) == len(first.probe_labels) == 100
    assert len(first.classes) == 10
    prepare(params_from_dict(raw), paths)
    np.testing.assert_array_equal(first.train_labels, load_dataset(paths.dataset).train_labels)


def test_prepare_rejects_subset_larger_than_split(fake_fashion_dir, tmp_path):
    raw = {"data": {"path": str(fake_fashion_dir), "download": False, "train_size": 10**6, "probe_size": 10},
           "train": {"batch_size": 32}}
    with pytest.raises(ValueError, match="train_size"):
        prepare(params_from_dict(raw), ProjectPaths(tmp_path))
    assert not ProjectPaths(tmp_path).dataset.exists()
