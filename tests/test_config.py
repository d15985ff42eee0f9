import pytest
import yaml

from sslnb.config import load_params, params_from_dict
from conftest import REPO


@pytest.mark.parametrize("profile", ["params.yaml", "profiles/tiny.yaml", "profiles/paper.yaml"])
def test_shipped_profiles_load(profile):
    params = load_params(REPO / profile)
    assert 0 in params.train.milestones
    assert "simclr" in params.methods


def test_default_profile_is_real():
    params = load_params(REPO / "params.yaml")
    assert params.data.train_size >= 10_000 and params.train.epochs >= 8
    assert len(params.train.milestones) >= 8
    assert set(params.methods) == {"simclr", "mocov2", "simsiam", "byol", "mae", "rotation"}
    assert params.protocols.finetune and params.domains.digits and len(params.domains.shifts) == 5
    gaps = [b - a for a, b in zip(params.train.milestones, params.train.milestones[1:])]
    assert gaps[0] <= gaps[-1], "milestones must be denser early in training"


def test_unknown_key_is_an_error():
    with pytest.raises(ValueError, match="unknown key.*'trian_size'|trian_size"):
        params_from_dict({"data": {"trian_size": 5}})


def test_unknown_section_is_an_error():
    with pytest.raises(ValueError, match="unknown section"):
        params_from_dict({"modle": {}})


def test_milestones_must_start_at_zero():
    with pytest.raises(ValueError, match="epoch 0"):
        params_from_dict({"train": {"milestones": [1, 2], "epochs": 2}})


def test_missing_params_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="project root"):
        load_params(tmp_path / "params.yaml")


def test_every_params_key_is_used_by_dvc_yaml():
    pipelines = (REPO / "dvc.yaml", *sorted((REPO / "sweeps").glob("**/dvc.yaml")))  # the default one and the sweeps
    stages = [stage for path in pipelines for stage in yaml.safe_load(path.read_text())["stages"].values()]
    listed = {p.split(".")[0] for stage in stages for p in stage.get("do", stage).get("params", [])}
    sections = set(yaml.safe_load((REPO / "params.yaml").read_text()))
    assert sections <= listed | {"methods"}, f"params sections no stage depends on: {sections - listed}"
