"""The architecture sweep: sub-project params, and the sweep's own DVC pipeline on the tiny profile."""

import json
import shutil

import pytest
import yaml

from browser import check_renders_in_chromium
from conftest import run, tiny_params
from sslnb.architectures import Sweep, architecture_table, encoder_params
from sslnb.config import params_from_dict
from sslnb.findings import UNTESTABLE, FindingRules, finding_architectures
from sslnb.paths import ProjectPaths


def test_encoder_params_override_the_model_and_keep_the_rest(fake_fashion_dir):
    raw = tiny_params(fake_fashion_dir)
    sub = encoder_params(raw, "vit")
    assert sub["model"]["architecture"] == "vit" and sub["model"]["width"] == 16
    assert sub["model"]["projector_dim"] == raw["model"]["projector_dim"]  # not overridden: kept
    assert sub["train"]["epochs"] == 1 and sub["train"]["milestones"] == [0, 1]
    assert set(sub["methods"]) == {"simclr", "supervised"} and sub["methods"]["simclr"] == raw["methods"]["simclr"]
    assert "architectures" not in sub and sub["metrics"] == raw["metrics"]
    params_from_dict(sub)


def test_bad_sweeps_fail_before_training(fake_fashion_dir):
    raw = tiny_params(fake_fashion_dir)
    with pytest.raises(ValueError, match="not under architectures.encoders"):
        encoder_params(raw, "resnet152")
    raw["architectures"]["encoders"]["vit"]["heads"] = 3  # 16 is not a multiple of 3
    raw["model"]["architecture"] = "resnet"
    with pytest.raises(ValueError, match="multiple of model.heads"):
        Sweep.from_params(raw)
    with pytest.raises(ValueError, match="no 'architectures' section"):
        Sweep.from_params({k: v for k, v in raw.items() if k != "architectures"})


@pytest.mark.pipeline
def test_sweep_then_report_as_make_sweep_does(tiny_pipeline, tmp_path):
    """`make sweep` in a copy of the tiny project: the sweep's own pipeline, then the report shows it."""
    root = tmp_path / "project"
    shutil.copytree(tiny_pipeline.root, root)  # the default pipeline has run; the copy keeps the fixture clean
    raw = yaml.safe_load((root / "params.yaml").read_text())
    first = run(["dvc", "repro", "architectures/dvc.yaml"], root)
    for stage in ("configure@vit", "train@convnet-supervised", "embed@resnet-simclr", "evaluate@vit-supervised"):
        assert f"architectures/dvc.yaml:{stage}'" in first.stdout, stage
    assert "Running stage 'report'" not in first.stdout, "the sweep must not run the default pipeline's analysis"
    table = architecture_table(ProjectPaths(root), Sweep.from_params(raw))
    assert len(table) == 3 * 3 and set(table.kind) == {"simclr", "supervised", "random"}
    assert table.reference.between(0, 1).all() and table.entropy_kl_bits.notna().all()
    ssl = table[table.kind == "simclr"]
    verdict = finding_architectures(ssl, FindingRules(n_boot=1000))  # the notebook's defaults
    assert verdict.verdict != UNTESTABLE and "over 3 architectures" in verdict.evidence
    verdict_file = json.loads((root / "reports/architectures.json").read_text())
    assert verdict_file["finding"] == 5 and verdict_file["verdict"] == verdict.verdict  # the notebook's verdict
    html = (root / "reports/architectures.html").read_text()
    assert "Finding 5" in html and "from sslnb" not in html
    assert (root / "figures/architectures_scatter.svg").is_file()
    again = run(["dvc", "repro", "architectures/dvc.yaml"], root)
    assert "Running stage" not in again.stdout
    upstream = run(["dvc", "dag", "--md", "report"], root).stdout  # what `dvc repro` runs for the report
    assert '"render"' in upstream and '"progression@simclr"' in upstream and "architectures/dvc.yaml" not in upstream, \
        "no stage of the default pipeline may depend on the sweep's outputs"

    # The rest of `make sweep`: the report, rebuilt by force, links the sweep's page and shows its verdict.
    assert "Running stage" not in run(["dvc", "repro", "report"], root).stdout
    run(["dvc", "repro", "--force", "--single-item", "report"], root)
    index = (root / "reports/index.html").read_text()
    assert 'href="architectures.html"' in index and 'id="architectures_scatter"' in index
    assert "over 3 architectures" in index and "No architecture sweep" not in index
    check_renders_in_chromium(root / "reports/index.html")
    assert "Running stage" not in run(["dvc", "repro"], root).stdout
