"""timm encoders through `sslnb evaluate-model --timm`: random weights and a local weights file, one path."""

import pandas as pd
import pytest
import torch
import yaml

from conftest import tiny_params
from sslnb.cli import main
from sslnb.config import params_from_dict
from sslnb.sources import prepare
from sslnb.paths import ProjectPaths

timm = pytest.importorskip("timm", reason="the [timm] extra is not installed")

from sslnb.stages.pretrained_encoders import WeightsUnavailableError, timm_encoder  # noqa: E402


@pytest.fixture(scope="module")
def project(tmp_path_factory, fake_fashion_dir):
    root = tmp_path_factory.mktemp("timm")
    raw = tiny_params(fake_fashion_dir)
    (root / "params.yaml").write_text(yaml.safe_dump(raw))
    prepare(params_from_dict(raw), ProjectPaths(root))
    return root


def test_random_weights_and_a_local_file_write_the_same_metrics_table(project, tmp_path):
    """The CLI twice: random weights, then those weights (with their head) saved as a file by timm's model."""
    torch.manual_seed(0)
    model = timm.create_model("resnet18", pretrained=False)  # what a user saves: the full model, head included
    torch.save(model.state_dict(), tmp_path / "resnet18.pth")
    random_out, file_out = tmp_path / "random.csv", tmp_path / "file.csv"
    # one code path: the same table (columns, layer, width) from both sources; that the file's weights are
    # exactly the ones that embed is test_the_file_holds_exactly_the_weights_that_embed
    common = ["evaluate-model", "--timm", "resnet18", "--image-size", "32", "--root", str(project)]
    assert main([*common, "--random-weights", "--out", str(random_out)]) == 0  # the CLI, in this process
    assert main([*common, "--weights-file", str(tmp_path / "resnet18.pth"), "--name", "resnet18-local",
                 "--out", str(file_out)]) == 0
    random_table, file_table = pd.read_csv(random_out), pd.read_csv(file_out)
    assert random_table.method.tolist() == ["resnet18"] and file_table.method.tolist() == ["resnet18-local"]
    assert list(random_table.columns) == list(file_table.columns)
    for table in (random_table, file_table):
        assert table.dim.iloc[0] == 512 and table.layer.iloc[0] == "backbone"  # the head is gone
        assert table[["rankme", "silhouette", "entropy_kl_bits", "linear_probe_acc"]].notna().all(axis=None)


def test_the_file_holds_exactly_the_weights_that_embed(tmp_path):
    torch.manual_seed(0)
    model = timm.create_model("resnet18", pretrained=False)
    torch.save(model.state_dict(), tmp_path / "w.pth")
    loaded, preprocessing = timm_encoder("resnet18", weights_file=tmp_path / "w.pth")
    model.reset_classifier(0)
    x = preprocessing(torch.randint(0, 256, (2, 28, 28), dtype=torch.uint8))
    assert x.shape == (2, 3, 224, 224)  # timm's data config: 3 channels at the model's input size
    model.eval(), loaded.eval()
    torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)


def test_data_config_is_timms():
    _, preprocessing = timm_encoder("resnet18", random_weights=True)
    config = timm.data.resolve_model_data_config(timm.create_model("resnet18", pretrained=False))
    assert preprocessing.crop == config["input_size"][-1] and preprocessing.mean == tuple(config["mean"])
    assert preprocessing.resize == int(config["input_size"][-1] / config["crop_pct"])


def test_missing_weights_and_unknown_models_are_named(monkeypatch, tmp_path):
    with pytest.raises(WeightsUnavailableError, match="--weights-file"):
        timm_encoder("resnet18")
    with pytest.raises(ValueError, match="timm has no model"):
        timm_encoder("resnet_that_does_not_exist", random_weights=True)
    import huggingface_hub.constants

    # offline and no cache (as here): the pretrained path must say how else to get weights
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(WeightsUnavailableError, match="--weights-file"):
        timm_encoder("resnet18", weights="DEFAULT")
