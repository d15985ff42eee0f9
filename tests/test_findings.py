"""The findings' verdicts follow the data: constructed tables with opposite trends flip every verdict."""

import json
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run
from sslnb.analysis.tables import with_reference
from sslnb.analysis.findings import FAILS, HOLDS, UNTESTABLE, FindingRules, finding_architectures, study_findings

EPOCHS = np.arange(9)
NO_TREND = np.array([0.3, 0.1, 0.5, 0.2, 0.4, 0.2, 0.5, 0.1, 0.3])  # Spearman 0 with a rising series
RULES = FindingRules(n_boot=300)


def constructed_table(study_like: bool) -> pd.DataFrame:
    """Three methods x 9 checkpoints whose metrics behave as the study found (or the opposite).

    Study-like: AMI(C1; C_GT) and the silhouette rise with the probe for SimCLR and MoCo-v2 but not for
    SimSiam; entropy falls for SimCLR and MoCo-v2 and rises for SimSiam, out of order over the first three
    checkpoints and monotone after. Opposite: AMI(C1; C_GT) falls, only SimSiam's silhouette tracks the
    probe, entropy rises (falls for SimSiam), in order early and shuffled late.
    """
    rows = []
    probe, rising = 0.70 + 0.01 * EPOCHS, 0.1 + 0.05 * EPOCHS
    for method in ("simclr", "mocov2", "simsiam"):
        contrastive = method != "simsiam"
        if study_like:
            ami_gt = rising if contrastive else NO_TREND
            silhouette = rising if contrastive else NO_TREND
            entropy = -np.array([5.0, 0.5, 9, 3, 4, 5, 6, 7, 8])
        else:
            ami_gt = rising[::-1] if contrastive else rising
            silhouette = NO_TREND if contrastive else rising
            entropy = np.array([0.0, 1, 2, 3, 8, 4, 7, 5, 6])
        entropy = entropy if contrastive else -entropy
        for e in EPOCHS:
            rows.append({"method": method, "dataset": "constructed", "epoch": e, "layer": "backbone",
                         "linear_probe_acc": probe[e], "ami_c1_gt": ami_gt[e], "silhouette": silhouette[e],
                         "ami_c1_c2": NO_TREND[e], "entropy_kl_bits": entropy[e]})
    return pd.DataFrame(rows)


def verdicts(table: pd.DataFrame) -> dict[int, str]:
    return {v.finding: v.verdict for v in study_findings(with_reference(table), RULES)}


def test_opposite_tables_flip_findings_1_to_4():
    assert verdicts(constructed_table(True)) == {1: HOLDS, 2: HOLDS, 3: HOLDS, 4: HOLDS, 5: UNTESTABLE}
    assert verdicts(constructed_table(False)) == {1: FAILS, 2: FAILS, 3: FAILS, 4: FAILS, 5: UNTESTABLE}


@pytest.mark.pipeline
def test_findings_notebook_verdicts_flip_with_the_data(tmp_path):
    """The must-show: the findings notebook itself, under papermill, on the two constructed tables."""
    results = {}
    for study_like in (True, False):
        folder = tmp_path / ("study" if study_like else "opposite")
        folder.mkdir()
        tables = []
        for method, rows in constructed_table(study_like).groupby("method"):
            tables.append(folder / f"{method}.csv")
            rows.to_csv(tables[-1], index=False)
        output = folder / "findings.json"
        run([sys.executable, "-m", "sslnb", "notebook", str(REPO / "notebooks/findings.ipynb"),
             str(folder / "findings.ipynb"), "-p", "metrics_tables", json.dumps([str(t) for t in tables]),
             "-p", "output", str(output), "-p", "project_root", str(folder), "-p", "n_boot", "300"], REPO)
        results[study_like] = {v["finding"]: v["verdict"] for v in json.loads(output.read_text())}
        executed = (folder / "findings.ipynb").read_text()
        assert "hold" in executed and "rho = " in executed  # the sentences carry the numbers
    for finding in (1, 2, 3, 4):
        assert {results[True][finding], results[False][finding]} == {HOLDS, FAILS}, finding
    assert results[True][5] == results[False][5] == UNTESTABLE


def test_missing_methods_make_findings_untestable_not_false():
    only_byol = constructed_table(True).assign(method="byol")
    result = verdicts(only_byol)
    assert result[1] == result[2] == UNTESTABLE
    assert result[3] == UNTESTABLE


def architecture_table(entropy_tracks: bool) -> pd.DataFrame:
    probe = np.linspace(0.6, 0.9, 6)
    tracking, shuffled = probe * 10, np.array([3.0, 1, 6, 2, 5, 4])
    return pd.DataFrame({"architecture": list("abcdef"), "reference": probe,
                         "entropy_kl_bits": tracking if entropy_tracks else shuffled,
                         "silhouette": shuffled if entropy_tracks else tracking,
                         "ami_c1_c2": shuffled})


def test_architecture_finding_follows_the_data():
    assert finding_architectures(architecture_table(True), RULES).verdict == HOLDS
    assert finding_architectures(architecture_table(False), RULES).verdict == FAILS
    assert finding_architectures(None, RULES).verdict == UNTESTABLE


def test_findings_need_labels():
    table = with_reference(constructed_table(True).assign(linear_probe_acc=np.nan))
    with pytest.raises(ValueError, match="need labels"):
        study_findings(table, RULES)


def test_findings_are_judged_in_every_seed_and_in_the_long_runs():
    """Seed 0 behaves as the study found, seed 1 the opposite: each finding holds in exactly 1 of 2 seeds."""
    from sslnb.analysis.findings import findings_by_replicate, replicate_summary

    parts = []
    for seed, study_like in ((0, True), (1, False)):
        table = constructed_table(study_like).assign(sweep="seeds", decision="seed", seed=seed)
        parts.append(table.assign(run=table.method + f"_seed{seed}"))
    long = constructed_table(True).assign(sweep="long", decision="checkpoint", seed=np.nan)
    runs = pd.concat([*parts, long.assign(run=long.method)], ignore_index=True)
    by_replicate = findings_by_replicate(runs, RULES)
    assert set(by_replicate.replicate) == {"seeds: seed 0", "seeds: seed 1", "long: 8-epoch runs"}
    for finding in (1, 2, 3, 4):
        rows = by_replicate[by_replicate.finding == finding].set_index("replicate").verdict
        single = study_findings(with_reference(constructed_table(True)), RULES)[finding - 1].verdict
        assert rows["seeds: seed 0"] == rows["long: 8-epoch runs"] == single == HOLDS
        assert rows["seeds: seed 1"] == FAILS
    summary = replicate_summary(by_replicate).set_index("finding")
    assert (summary["across seeds"] == "holds in 1 of 2 seeds").all()
    assert (summary["long runs"] == HOLDS).all()
    twice = pd.concat([runs, parts[0].assign(run="simclr_again")])
    with pytest.raises(ValueError, match="several runs of one method"):
        findings_by_replicate(twice, RULES)
