"""CIFAR in torchvision's format and image folders, through prepare -> train -> embed -> evaluate."""

import logging

import numpy as np
import pandas as pd
import pytest

from fakedata import write_fake_cifar, write_image_folder
from sslnb.config import params_from_dict
from sslnb.sources import DatasetNotFoundError, load_dataset, prepare
from sslnb.sources.cifar import load_cifar
from sslnb.stages.embed import embed
from sslnb.stages.evaluate import LABEL_BASED, LABEL_FREE, evaluate
from sslnb.stages.finetune import finetune
from sslnb.paths import ProjectPaths
from sslnb.training.trainer import train

# width 8, not 4: torch 2.14.1's CPU backward of a 1x1 stride-2 convolution in channels_last with 4 input
# channels on one thread corrupts the heap (a segfault, measured on an AMD EPYC: widths 8 and 16 run).
TINY = {"model": {"width": 8, "stages": 2, "projector_hidden": 16, "projector_dim": 8},
        "train": {"batch_size": 16, "epochs": 1, "milestones": [0, 1], "threads": 1},
        "metrics": {"knn_k": 5, "probe_max_iter": 100}}


def _params(**data):
    return params_from_dict({**TINY, "data": {"download": False, **data}})


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_reads_torchvision_format(tmp_path, name):
    write_fake_cifar(tmp_path, name)
    splits, classes = load_cifar(name, tmp_path, download=False, download_root=tmp_path / "raw")
    assert splits.train_images.shape == (100, 3, 32, 32) and splits.test_images.shape == (40, 3, 32, 32)
    assert len(classes) == (10 if name == "cifar10" else 100)


def test_missing_cifar_names_both_ways(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="data.path.*\\n.*\\n.*download"):
        load_cifar("cifar10", tmp_path / "none", download=False, download_root=tmp_path / "raw")


def _run_pipeline(params, root) -> pd.DataFrame:
    paths = ProjectPaths(root)
    prepare(params, paths)
    train(params, "simclr", paths)
    embed(params, "simclr", paths)
    finetune(params, "simclr", paths)
    return pd.read_csv(evaluate(params, "simclr", paths))


def test_cifar_runs_end_to_end_with_rgb_encoder(tmp_path):
    write_fake_cifar(tmp_path / "cifar")
    params = _params(name="cifar10", path=str(tmp_path / "cifar"), train_size=64, probe_size=32, test_size=40)
    table = _run_pipeline(params, tmp_path / "project")
    assert load_dataset(ProjectPaths(tmp_path / "project").dataset).train_images.shape[1:] == (3, 32, 32)
    backbone = table[table.layer == "backbone"]  # fine-tuning changes the backbone: its rows only
    assert backbone[list(LABEL_FREE + LABEL_BASED)].notna().all().all()
    assert table[[c for c in LABEL_FREE + LABEL_BASED if c != "finetune_acc"]].notna().all().all()
    domains = pd.read_csv(ProjectPaths(tmp_path / "project").domain_table("simclr"))
    assert set(domains.domain) == {"shift_rotation", "shift_blur", "shift_noise", "shift_invert", "shift_occlusion",
                                   "digits"}  # the digits resized to RGB 32x32 as well


def test_labelled_image_folder_uses_subfolders_as_classes(tmp_path):
    write_image_folder(tmp_path / "images", n=80, labelled=True)
    params = _params(name="image_folder", path=str(tmp_path / "images"), image_size=28, channels=3,
                     train_size=48, probe_size=32, test_size=20)
    table = _run_pipeline(params, tmp_path / "project")
    data = load_dataset(ProjectPaths(tmp_path / "project").dataset)
    assert data.labelled and data.classes[0] == "class_0"
    assert table["linear_probe_acc"].notna().all()


def test_unlabelled_image_folder_gets_every_label_free_metric(tmp_path, caplog):
    write_image_folder(tmp_path / "images", n=80, labelled=False)
    params = params_from_dict({**TINY, "data": {
        "name": "image_folder", "path": str(tmp_path / "images"), "image_size": 28, "channels": 1,
        "train_size": 48, "probe_size": 32, "test_size": 20, "download": False}, "metrics": {"k": 4}})
    with caplog.at_level(logging.WARNING):
        table = _run_pipeline(params, tmp_path / "project")
    assert table[list(LABEL_FREE)].notna().all().all()
    assert table[list(LABEL_BASED)].isna().all().all()
    skipped = [r for r in caplog.records if "no labels" in r.getMessage()]
    assert len(skipped) == 1, "one clear line says the references are skipped"


def test_unlabelled_data_needs_an_explicit_k(tmp_path):
    write_image_folder(tmp_path / "images", n=40, labelled=False)
    params = _params(name="image_folder", path=str(tmp_path / "images"), image_size=28, channels=1,
                     train_size=24, probe_size=16, test_size=10)
    with pytest.raises(ValueError, match="set metrics.k"):
        _run_pipeline(params, tmp_path / "project")


def test_empty_image_folder_is_a_clear_error(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(DatasetNotFoundError, match="no images"):
        prepare(_params(name="image_folder", path=str(tmp_path / "images"), train_size=16, probe_size=8,
                        test_size=4), ProjectPaths(tmp_path))


def test_prepared_file_is_byte_identical_when_rewritten(tmp_path):
    write_image_folder(tmp_path / "images", n=40, labelled=True)
    params = _params(name="image_folder", path=str(tmp_path / "images"), image_size=28, channels=1,
                     train_size=24, probe_size=16, test_size=10)
    paths = ProjectPaths(tmp_path / "project")
    prepare(params, paths)
    first = paths.dataset.read_bytes()
    prepare(params, paths)
    assert paths.dataset.read_bytes() == first, "DVC must see the same hash for the same data"
    assert np.load(paths.dataset)["train_images"].shape == (24, 1, 28, 28)
