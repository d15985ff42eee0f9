"""Named sweeps: grid expansion, the generated pipelines, and `make sweeps` on the tiny profile."""

import json
import shutil

import pandas as pd
import pytest
import yaml

from browser import check_renders_in_chromium
from conftest import REPO, run, tiny_params
from sslnb.analysis.architectures import architecture_table
from sslnb.config import params_from_dict
from sslnb.analysis.findings import UNTESTABLE, FindingRules, finding_architectures
from sslnb.paths import ProjectPaths
from sslnb.sweeps.pipelines import planned
from sslnb.sweeps.spec import sweep_from_params, sweeps_from_params


def test_the_committed_sweep_pipelines_match_params_yaml():
    """sweeps/**/dvc.yaml are generated: they must be what `sslnb sweep-plan` writes from params.yaml."""
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    files = planned(raw, ProjectPaths(REPO))
    committed = sorted((REPO / "sweeps").glob("**/dvc.yaml"))
    assert sorted(files) == committed, "run `python -m sslnb sweep-plan` and commit sweeps/"
    for path, text in files.items():
        assert path.read_text() == text, f"{path} is stale: run `python -m sslnb sweep-plan`"


def test_default_sweeps_decide_with_the_power_the_readme_reports(fake_fashion_dir):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    sweeps = sweeps_from_params(raw)
    # the architecture sweep is declared but commented out: the 2-hour budget goes to the hyperparameter search
    assert {name: s.decision for name, s in sweeps.items()} == {
        "seeds": "seed", "hyper": "hyperparameter", "failures": "failure", "long": "checkpoint"}
    seeds = sweeps["seeds"]
    assert {p.name for p in seeds.points if p.reuses_main} == {"simclr_seed0"}  # fewer protocols: still the main run
    hyper = sweeps["hyper"]
    first = [p for p in hyper.points if not p.labels.get("replicate_of")]
    # 2 x 44 first-seed configurations: power 0.85 at tau 0.6 vs 0.3 with Holm over 18 metrics (README)
    assert sum(p.method == "simclr" for p in first) >= 44 and sum(p.method == "simsiam" for p in first) >= 44
    assert sum(bool(p.labels.get("replicate_of")) for p in hyper.points) == 6
    lrs = [p.values["train.lr"] for p in first]
    temperatures = [p.values["methods.simclr.temperature"] for p in first if p.method == "simclr"]
    crops = [p.values["augment.crop_scale.0"] for p in first]
    assert max(lrs) / min(lrs) > 10 and min(temperatures) < 0.1 and max(temperatures) > 0.6
    assert min(crops) < 0.2 and max(crops) > 0.8
    for point in first:  # the cheap path, and one set of reference views for every run
        assert point.params["protocols"]["finetune"] is False and point.params["protocols"]["domains"] is False
        assert point.params["reference_augment"] == raw["augment"]
        assert point.params["augment"]["crop_scale"] == [point.values["augment.crop_scale.0"], 1.0]
    assert len(sweeps["failures"].points) >= 5


def test_a_random_search_is_seeded_and_its_replicates_repeat_a_configuration(fake_fashion_dir):
    raw = tiny_params(fake_fashion_dir)
    hyper = sweep_from_params(raw, "hyper")
    again = sweep_from_params(raw, "hyper")
    assert [p.values for p in hyper.points] == [p.values for p in again.points]
    names = [p.name for p in hyper.points]
    assert names == ["simclr_s0", "simclr_s1", "simclr_s0_seed1"]
    replicate, original = hyper.point("simclr_s0_seed1"), hyper.point("simclr_s0")
    assert replicate.labels["replicate_of"] == "simclr_s0" and replicate.params["seed"] == 1
    assert {k: v for k, v in replicate.values.items() if k != "seed"} == original.values
    assert 0.2 <= original.values["methods.simclr.temperature"] <= 0.5
    raw["sweeps"]["hyper"]["search"][0]["random_state"] = 7
    assert [p.values for p in sweep_from_params(raw, "hyper").points] != [p.values for p in hyper.points]


@pytest.mark.parametrize("search, message", [
    ({"method": "simclr", "n_iter": 0, "distributions": {"train.lr": [0.1]}}, "n_iter must be a positive"),
    ({"method": "simclr", "n_iter": 2, "distributions": {"train.lr": {"lognormal": [1, 2]}}},
     r"distributions.train.lr must be a list of values or one of"),
    ({"method": "simclr", "n_iter": 2, "distributions": {"train.lr": {"loguniform": [0, 1]}}}, "needs low > 0"),
    ({"method": "simclr", "n_iter": 2, "distributions": {"train.lr": [0.1, 0.2]}, "replicates": {"configurations": 3}},
     "replicates.configurations must be 0 to n_iter"),
    ({"method": ["simclr"], "n_iter": 2, "distributions": {"train.lr": [0.1]}}, "method must name one method"),
    ({"method": "simclr", "n_iter": 2, "distributions": {"augment.crop_scale.5": [0.1, 0.2]}}, "has 2 items"),
])
def test_bad_searches_fail_before_training(fake_fashion_dir, search, message):
    raw = tiny_params(fake_fashion_dir)
    raw["sweeps"]["bad"] = {"decision": "hyperparameter", "search": search}
    with pytest.raises(ValueError, match=message):
        sweeps_from_params(raw)


def test_points_apply_set_then_grid_values_and_keep_one_method(fake_fashion_dir):
    raw = tiny_params(fake_fashion_dir)
    point = sweep_from_params(raw, "failures").point("simclr_lr0.5")
    assert point.params["methods"] == {"simclr": {"temperature": 0.5}} and point.params["train"]["lr"] == 0.5
    assert point.params["train"]["milestones"] == [0, 2] and not point.reuses_main
    assert point.params.get("reference_augment") is None  # its augment is the main one: no pin needed
    assert raw["train"]["lr"] != 0.5, "expanding a sweep must not change the main params"
    assert sweep_from_params(raw, "seeds").point("simclr_seed0").reuses_main
    vit = sweep_from_params(raw, "architectures").point("supervised_vit")
    assert vit.params["model"]["architecture"] == "vit" and vit.params["model"]["projector_dim"] == 16  # merged
    assert vit.labels == {"model": "vit"} and set(vit.params["methods"]) == {"supervised"}
    params_from_dict(vit.params)


@pytest.mark.parametrize("change, message", [
    ({"decision": "luck"}, "sweeps.bad.decision must be one of"),
    ({"grid": {"seed": 3}}, "sweeps.bad.grid.seed must be a non-empty list"),
    ({"grid": []}, "sweeps.bad.grid must be a mapping"),
    ({"grid": {"train.epochs": [0]}}, "sweeps.bad point simclr_epochs0: train.epochs must be at least 1"),
    ({"grid": {"method": ["simclr"], "methods.simsiam.lr": [0.1]}}, "sets another method's option"),
    ({"grid": {"seed": [1]}, "sets": {}}, "unknown key"),
    ({"search": {"method": "simclr", "n_iter": 1, "distributions": {"seed": [1]}}}, "exactly one of 'grid'"),
    # each point links the main prepared data: a data key would silently do nothing
    ({"grid": {"data.train_size": [100, 200]}}, r"sweeps.bad.grid.data.train_size: every point links"),
    ({"set": {"domains.severity": 5}}, r"sweeps.bad.set.domains.severity: every point links"),
])
def test_bad_sweeps_fail_before_training(fake_fashion_dir, change, message):
    raw = tiny_params(fake_fashion_dir)
    raw["sweeps"]["bad"] = {"decision": "seed", "grid": {"seed": [1]}, **change}
    with pytest.raises(ValueError, match=message):
        sweeps_from_params(raw)


@pytest.mark.pipeline
def test_make_sweeps_on_the_tiny_profile(tiny_pipeline, tmp_path):
    """`make sweeps` in a copy of the tiny project: plan, every sweep, the leaderboard, the report."""
    root = tmp_path / "project"
    shutil.copytree(tiny_pipeline.root, root)  # the default pipeline has run; the copy keeps the fixture clean
    run(["python", "-m", "sslnb", "sweep-plan"], root)
    one = run(["dvc", "repro", "sweeps/seeds/dvc.yaml"], root)  # one sweep by name (make sweep NAME=seeds)
    assert "run@simclr_seed1'" in one.stdout and "simclr_seed0'" not in one.stdout  # seed 0 is the main run
    assert "Running stage 'train@simclr'" not in one.stdout, "the main run must be reused, not retrained"
    # the rest of the points two at a time outside dvc repro, recorded with dvc commit (make sweeps)
    run(["python", "-m", "sslnb", "sweep-points", "--jobs", "2"], root)
    for point in ("hyper/simclr_s0_seed1", "long/simclr", "architectures/supervised_vit", "failures/simclr_lr0.5"):
        assert (root / f"data/sweeps/{point}/params.yaml").is_file(), point
    stale = run(["dvc", "status", "sweeps/hyper/dvc.yaml"], root).stdout
    assert "run@" not in stale and "collect" in stale, stale  # every point recorded as done
    first = run(["dvc", "repro", "sweeps/dvc.yaml"], root)
    reran = [line for line in first.stdout.splitlines() if line.startswith("Running stage") and ":run@" in line]
    assert not reran, f"dvc repro must not rerun the points sweep-points ran: {reran}"
    for stage in ("sweeps/hyper/dvc.yaml:collect", "sweeps/failures/dvc.yaml:collect", "sweeps/dvc.yaml:runs"):
        assert f"{stage}'" in first.stdout, stage
    hyper_point = root / "data/sweeps/hyper/simclr_s0"  # the cheap path: no shifted sets, no data copies left
    assert not (hyper_point / "data/processed/dataset.npz").exists()
    assert pd.read_csv(hyper_point / "data/domains/simclr.csv").empty
    assert "Running stage 'report'" not in first.stdout, "the sweeps must not run the default pipeline's analysis"

    board = pd.read_csv(root / "reports/tables/leaderboard.csv")
    decisions = ["checkpoint", "hyperparameter", "seed", "architecture"]
    # the hyper sweep takes the cheap path (no fine-tuning, no shifted sets): judged by the probe only
    extra = [f"{d} ({target})" for d in decisions if d != "hyperparameter"
             for target in ("fine-tuning", "out of domain")]
    assert set(board.decision) == set(decisions + extra)  # judged by the probe, fine-tuning, the digits' probe
    for oracle_name, judged in (("linear_probe_acc", decisions), ("finetune_acc", extra[::2]),
                                ("ood_probe_acc", extra[1::2])):
        oracle = board[board.metric == oracle_name]
        assert set(oracle.decision) == set(judged) and (oracle.regret == 0).all(), oracle_name
    assert board.loc[board.decision.isin(extra), "metric"].isin(["rankme", "training_loss"]).any()
    assert {"training_loss", "random", "twonn_dimension", "mst_dimension", "cluster_learnability"} <= set(board.metric)
    assert (root / "reports/tables/leaderboard.md").is_file() and (root / "figures/leaderboard.svg").is_file()
    summary = json.loads((root / "reports/sweeps/leaderboard.json").read_text())
    assert "fine-tuning" in summary["by_target"] and "heldout_loss" in set(board.metric)
    failures = pd.read_csv(root / "reports/tables/failure_detection.csv")
    assert list(failures.columns) == ["metric", "kind", "auroc", "auroc_low", "auroc_high", "n_runs", "n_failed",
                                      "comparable"] and len(summary["failure_detection"]) == len(failures)
    share = pd.read_csv(root / "reports/tables/configuration_share.csv")
    assert share[["sweep", "method", "pairs"]].values.tolist() == [["hyper", "simclr", 1]]
    runs = pd.read_csv(root / "data/sweeps/long.csv")
    assert sorted(runs.epoch.unique()) == [0, 1, 2, 3] and runs.training_loss[runs.epoch > 0].notna().all()
    assert runs.ood_probe_acc.notna().all() and runs[runs.layer == "backbone"].finetune_acc.notna().all()

    table = architecture_table(pd.read_csv(root / "data/sweeps/architectures.csv"))
    assert len(table) == 3 * 3 and set(table.kind) == {"simclr", "supervised", "random"}
    verdict = finding_architectures(table[table.kind == "simclr"], FindingRules(n_boot=1000))
    assert verdict.verdict != UNTESTABLE and "over 3 architectures" in verdict.evidence
    assert json.loads((root / "reports/sweeps/architectures.json").read_text())["verdict"] == verdict.verdict
    replicates = json.loads((root / "reports/sweeps/findings.json").read_text())
    assert {r["replicate"] for r in replicates["by_replicate"]} == {"seeds: seed 0", "seeds: seed 1", "long: 3-epoch runs"}
    assert all("of 2 seeds" in r["across seeds"] or r["across seeds"] == UNTESTABLE for r in replicates["summary"])
    for page in ("runs", "findings", "architectures"):
        html = (root / f"reports/sweeps/html/{page}.html").read_text()
        assert "from sslnb" not in html, page
    again = run(["dvc", "repro", "sweeps/dvc.yaml"], root)
    assert "Running stage" not in again.stdout
    upstream = run(["dvc", "dag", "--md", "report"], root).stdout  # what `dvc repro` runs for the report
    assert '"render"' in upstream and "sweeps/" not in upstream, "no default stage may depend on the sweeps"

    # The rest of `make sweeps`: the report, rebuilt by force, shows the leaderboard and links the pages.
    assert "Running stage" not in run(["dvc", "repro", "report"], root).stdout
    run(["dvc", "repro", "--force", "--single-item", "report"], root)
    index = (root / "reports/index.html").read_text()
    assert 'id="leaderboard"' in index and "Paired test of Kendall" in index
    assert 'href="sweeps/html/runs.html"' in index and "over 3 architectures" in index
    assert "holds in" in index or "not testable" in index
    check_renders_in_chromium(root / "reports/index.html")
    assert "Running stage" not in run(["dvc", "repro"], root).stdout
