import re
import typing

import pytest
import yaml

from sslnb.config import SECTIONS, load_params, params_from_dict
from sslnb.constraints import rules_of
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


# Each rule declared on a field of a params section (sslnb.constraints.setting), enumerated: a value that
# breaks it must be refused with the key's dotted name, by params.yaml's reader.
CANDIDATES = (-1, 0, 1, 1.5, 6, "no_such_choice")
SECTION_RULES = [(section, key, rule) for section, cls in SECTIONS.items() for key, rule in rules_of(cls).items()]


def _breaking_value(cls: type, key: str, rule):
    """The first candidate of the field's type (a string for a choice, else a number) that the rule refuses."""
    hint = typing.get_type_hints(cls)[key]
    text = str in (hint, *typing.get_args(hint))
    return next(v for v in CANDIDATES if isinstance(v, str) == text and rule.violated_by(v))


@pytest.mark.parametrize("section,key,rule", SECTION_RULES, ids=[f"{s}.{k}" for s, k, _ in SECTION_RULES])
def test_each_declared_rule_refuses_a_bad_value_naming_the_key(section, key, rule):
    value = _breaking_value(SECTIONS[section], key, rule)
    with pytest.raises(ValueError, match=rf"{section}\.{key} must {re.escape(rule.description)}, got"):
        params_from_dict({section: {key: value}})


def test_the_sections_declare_their_rules_on_their_fields():
    declared = {section for section, _, _ in SECTION_RULES}
    assert {"model", "train", "protocols", "domains", "tsne", "analysis", "metrics"} <= declared
    # one rule in one place: the ViT's width and heads are checked by the model section, for methods' overrides too
    with pytest.raises(ValueError, match=r"methods\.mae\.model\.width \(30\) must be a multiple of methods\.mae\.model\.heads"):
        from sslnb.training.methods import method_model
        method_model("mae", params_from_dict({"methods": {"mae": {"model": {"architecture": "vit", "width": 30}}}}))
