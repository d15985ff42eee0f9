"""Encoders from outside the pipeline: a torchvision model by name, a local weights file, TorchScript."""

import urllib.error

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from conftest import run, tiny_params
from sslnb.columns import LABEL_BASED, LABEL_FREE
from sslnb.config import params_from_dict
from sslnb.sources import load_dataset, prepare
from sslnb.paths import ProjectPaths
from sslnb.stages.pretrained_encoders import (
    WeightsUnavailableError, evaluate_encoder, torchscript_encoder, torchvision_encoder,
)

MODEL = "resnet18"  # small enough at 32 x 32 pixels; the preprocessing is the weights' own otherwise


@pytest.fixture(scope="module")
def project(tmp_path_factory, fake_fashion_dir):
    root = tmp_path_factory.mktemp("pretrained")
    raw = tiny_params(fake_fashion_dir)
    (root / "params.yaml").write_text(yaml.safe_dump(raw))
    params = params_from_dict(raw)
    prepare(params, ProjectPaths(root))
    return root, params


def test_random_weights_and_a_local_weights_file_go_the_same_path_to_a_metrics_table(project, tmp_path):
    root, params = project
    data = load_dataset(ProjectPaths(root).dataset)
    torch.manual_seed(0)
    encoder, preprocessing = torchvision_encoder(MODEL, random_weights=True)
    random_table = evaluate_encoder(encoder, preprocessing.with_size(32), data, params, "random")
    torch.save(torchvision_encoder_with_head(encoder).state_dict(), tmp_path / "weights.pth")
    loaded, _ = torchvision_encoder(MODEL, weights_file=tmp_path / "weights.pth")
    file_table = evaluate_encoder(loaded, preprocessing.with_size(32), data, params, "file")
    for table in (random_table, file_table):
        assert len(table) == 1 and table.layer.iloc[0] == "backbone" and table.dim.iloc[0] == 512
    # one layer only; fine-tuning is a stage of the pipeline, not of evaluate-model
    shots = {f"fewshot_acc_{k}" for k in params.protocols.fewshot_shots}
    columns = [c for c in (*LABEL_FREE, *LABEL_BASED) if c not in ("ami_backbone_projector", "finetune_acc")
               and (not c.startswith("fewshot_acc_") or c in shots)]
    for table in (random_table, file_table):
        assert table[columns].notna().all(axis=None)
    pd.testing.assert_frame_equal(random_table[columns], file_table[columns])  # same weights, same numbers


def torchvision_encoder_with_head(headless: torch.nn.Module) -> torch.nn.Module:
    """A full resnet18 carrying ``headless``'s weights, as a user would save it from torchvision."""
    import torchvision

    full = torchvision.models.resnet18()
    missing = full.load_state_dict(headless.state_dict(), strict=False)
    assert missing.missing_keys == ["fc.weight", "fc.bias"]
    return full


def test_preprocessing_follows_the_weights(project):
    _, preprocessing = torchvision_encoder(MODEL, random_weights=True)
    assert (preprocessing.resize, preprocessing.crop) == (256, 224)
    assert preprocessing.mean == pytest.approx((0.485, 0.456, 0.406))
    grey = np.full((2, 28, 28), 255, dtype=np.uint8)
    x = preprocessing.with_size(40)(grey)
    assert x.shape == (2, 3, 40, 40)
    np.testing.assert_allclose(x[0, :, 0, 0], (1 - np.array(preprocessing.mean)) / np.array(preprocessing.std),
                               rtol=1e-5)


def test_no_weights_fails_naming_both_ways(monkeypatch):
    with pytest.raises(WeightsUnavailableError, match="--weights DEFAULT.*--weights-file"):
        torchvision_encoder(MODEL)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no internet")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(WeightsUnavailableError) as error:
        torchvision_encoder(MODEL, weights="DEFAULT")
    assert "download" in str(error.value) and "--weights-file" in str(error.value)


def test_unknown_model_and_weights_are_named():
    with pytest.raises(ValueError, match="no model 'resnet17'"):
        torchvision_encoder("resnet17", random_weights=True)
    with pytest.raises(ValueError, match="no weights 'IMAGENET9K'"):
        torchvision_encoder(MODEL, weights="IMAGENET9K")


@pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
def test_torchscript_encoder_gives_a_table(project, tmp_path):
    root, params = project
    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),
                                                    torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()))
    scripted.save(str(tmp_path / "encoder.pt"))
    encoder, preprocessing = torchscript_encoder(tmp_path / "encoder.pt", image_size=28)
    table = evaluate_encoder(encoder, preprocessing, load_dataset(ProjectPaths(root).dataset), params, "scripted")
    assert table.dim.iloc[0] == 32 and 0 <= table.linear_probe_acc.iloc[0] <= 1


def test_cli_evaluates_a_torchvision_model_and_explains_missing_weights(project, tmp_path):
    root, _ = project
    result = run(["python", "-m", "sslnb", "evaluate-model", "--torchvision", MODEL, "--random-weights",
                  "--image-size", "32", "--out", str(tmp_path / "r18.csv")], root)
    assert "wrote" in result.stdout and pd.read_csv(tmp_path / "r18.csv").method.tolist() == [MODEL]
    failed = run(["python", "-m", "sslnb", "evaluate-model", "--torchvision", MODEL], root, expect_success=False)
    assert "--weights DEFAULT" in failed.stderr and "--weights-file" in failed.stderr

