"""The whole pipeline on the tiny profile, run by `dvc repro` exactly as `make run` runs it."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO, run
from sslnb.stages.evaluate import LABEL_BASED, LABEL_FREE

pytestmark = pytest.mark.pipeline


def test_smoke_run_produces_every_artifact(tiny_pipeline):
    # how long it takes is measured by benchmarks/tiny_pipeline.py, not asserted here
    root = tiny_pipeline.root
    for stage in ("prepare", "train@simclr", "embed@simclr", "evaluate@simclr", "tsne@simclr", "summarize",
                  "progression@simclr", "correlation", "findings", "render", "report"):
        assert f"Running stage '{stage}'" in tiny_pipeline.stdout, stage
    assert (root / "data/processed/dataset.npz").is_file()
    assert sorted(p.name for p in (root / "data/checkpoints/simclr").glob("*.pt")) == [
        "epoch_0000.pt", "epoch_0001.pt", "epoch_0002.pt"]
    assert len(list((root / "data/embeddings/simclr").glob("epoch_*.npz"))) == 3
    assert (root / "figures/entropy_progression_simclr.png").stat().st_size > 10_000
    assert (root / "reports/notebooks/progression_simclr.ipynb").is_file()
    html = (root / "reports/html/progression_simclr.html").read_text()
    assert "<img" in html and "outlier" in html
    assert "from sslnb" not in html, "the rendered report must hide the code"


def test_metrics_table_is_tidy_and_complete(tiny_pipeline):
    table = pd.read_csv(tiny_pipeline.root / "data/metrics/simclr.csv")
    assert len(table) == 3 * 2  # checkpoints x layers
    assert set(table.layer) == {"backbone", "projector"}
    for column in LABEL_FREE + LABEL_BASED:  # the study's metrics, the newer ones, and the references
        rows = table[table.layer == "backbone"] if column == "finetune_acc" else table  # it tunes the backbone
        assert rows[column].notna().all(), column
    assert table.linear_probe_acc.between(0, 1).all()
    summary = json.loads((tiny_pipeline.root / "reports/summary.json").read_text())
    assert summary["simclr"]["epochs"] == 2
    assert summary["simclr"]["linear_probe_acc"] == table[table.layer == "backbone"].linear_probe_acc.iloc[-1]


@pytest.mark.parametrize("method", ["mae", "rotation", "simclr"])
def test_new_methods_and_protocols_run_through_every_stage(tiny_pipeline, method):
    root = tiny_pipeline.root
    table = pd.read_csv(root / f"data/metrics/{method}.csv")
    backbone = table[table.layer == "backbone"]
    assert len(table) == 6 and backbone[list(LABEL_FREE + LABEL_BASED)].notna().all(axis=None)
    assert table[["fewshot_acc_1_std", "fewshot_acc_5_std"]].notna().all(axis=None)
    finetuned = pd.read_csv(root / f"data/finetune/{method}.csv")
    sets = ["in_domain", "shift_invert", "digits"]  # the tiny profile's
    assert sorted(finetuned.epoch.unique()) == [0, 1, 2] and set(finetuned.domain) == set(sets)
    assert np.allclose(backbone.set_index("epoch").finetune_acc,
                       finetuned[finetuned.domain == "in_domain"].set_index("epoch").finetune_acc)
    domains = pd.read_csv(root / f"data/domains/{method}.csv")
    assert len(domains) == 2 * 3 * 2 and set(domains.domain) == set(sets[1:])  # sets x checkpoints x layers
    assert domains[list(LABEL_FREE) + ["linear_probe_acc", "nmi_c1_gt", "probe_bn_acc"]].notna().all(axis=None)
    for stage in (f"finetune@{method}", f"tsne_maps@{method}", "protocols"):
        assert f"Running stage '{stage}'" in tiny_pipeline.stdout, stage
    assert (root / f"figures/entropy_progression_{method}.png").is_file()


def test_protocol_agreement_and_out_of_domain_answer_are_computed(tiny_pipeline):
    root = tiny_pipeline.root
    agreement = pd.read_csv(root / "reports/tables/protocol_agreement.csv")
    assert {"finetune_acc", "fewshot_acc_1", "probe_bn_acc", "nmi_c1_gt"} <= set(agreement.protocol_a) | set(
        agreement.protocol_b)
    assert set(agreement.statistic) == {"spearman", "kendall"} and agreement.value.dropna().between(-1, 1).all()
    prediction = pd.read_csv(root / "reports/tables/protocol_prediction.csv")
    assert set(prediction.source) == {"in-domain protocol", "label-free on target"}
    assert set(prediction.target) == {"linear_probe_acc", "finetune_acc"} and prediction.domain.nunique() == 2
    answer = json.loads((root / "reports/protocols.json").read_text())
    assert answer["sentence"].startswith("A label-free metric computed on the unlabelled target data")
    learning = pd.read_csv(root / "reports/tables/learning.csv")
    assert {"mae", "rotation"} <= set(learning.method)
    index = (root / "reports/index.html").read_text()
    assert "Out of domain" in index and answer["sentence"].split(".")[0] in index
    assert (root / "reports/html/protocols.html").is_file() and (root / "figures/protocol_agreement.png").is_file()


def test_correlation_table_covers_every_label_free_metric(tiny_pipeline):
    table = pd.read_csv(tiny_pipeline.root / "reports/tables/correlation.csv")
    assert set(LABEL_FREE) <= set(table.metric)
    assert set(table.layer) == {"backbone", "projector"} and set(table.dataset) == {"fashion_mnist"}
    assert set(table.statistic) == {"pearson", "spearman", "kendall"}
    assert set(table.window) == {"all", "after 25% warm-up"}
    assert table.value.dropna().between(-1, 1).all()
    for suffix in (".md", ".tex"):
        assert (tiny_pipeline.root / "reports/tables" / f"correlation{suffix}").stat().st_size > 1000


def test_second_repro_does_nothing(tiny_pipeline):
    second = run(["dvc", "repro"], tiny_pipeline.root)
    assert "Running stage" not in second.stdout


def test_stage_failure_on_nan_embeddings_leaves_no_table(tiny_pipeline, tmp_path):
    root = tiny_pipeline.root
    path = root / "data/embeddings/simclr/epoch_0001.npz"
    original = path.read_bytes()
    table = root / "data/metrics/simclr.csv"
    before = table.read_bytes()
    try:
        with np.load(path) as archive:
            arrays = dict(archive)
        arrays["eval_backbone"][3, 0] = np.nan
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)
        result = run(["python", "-m", "sslnb", "evaluate", "--method", "simclr"], root, expect_success=False)
        assert "NaN or inf" in result.stderr and "epoch_0001.npz" in result.stderr
        assert table.read_bytes() == before, "a failed evaluate must not touch the table"
        assert not list(table.parent.glob(".*tmp*")), "no temporary files may be left behind"
    finally:
        path.write_bytes(original)


def test_truncated_checkpoint_stops_embed_with_a_clear_message(tiny_pipeline):
    root = tiny_pipeline.root
    path = root / "data/checkpoints/simclr/epoch_0001.pt"
    original = path.read_bytes()
    try:
        path.write_bytes(original[: len(original) // 2])
        result = run(["python", "-m", "sslnb", "embed", "--method", "simclr"], root, expect_success=False)
        assert "epoch_0001.pt is truncated or corrupt" in result.stderr
    finally:
        path.write_bytes(original)


def test_missing_dataset_stops_prepare_naming_all_three_ways(tiny_pipeline, tmp_path):
    params = yaml.safe_load((tiny_pipeline.root / "params.yaml").read_text())
    params["data"]["path"] = str(tmp_path / "no-such-folder")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = run(["python", "-m", "sslnb", "prepare"], tmp_path, expect_success=False)
    assert "data.path" in result.stderr and "apt-get install dataset-fashion-mnist" in result.stderr
    assert not (tmp_path / "data/processed/dataset.npz").exists()


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell():
    import nbformat

    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name} has outputs"
        assert any("parameters" in c.metadata.get("tags", []) for c in code), f"{path.name}: no parameters cell"



def test_evaluate_on_the_checkpoint_folder_reproduces_the_pipeline_table(tiny_pipeline, tmp_path):
    root = tiny_pipeline.root
    out = tmp_path / "again.csv"
    run(["python", "-m", "sslnb", "evaluate", "data/checkpoints/simclr", "--out", str(out)], root)
    again, table = pd.read_csv(out), pd.read_csv(root / "data/metrics/simclr.csv")
    assert again.finetune_acc.isna().all()  # fine-tuning is the finetune stage's, not evaluate's
    table = table.drop(columns=["finetune_acc"])
    pd.testing.assert_frame_equal(again[table.columns], table, check_exact=False, rtol=1e-6)


def test_evaluate_your_own_npy_files_with_labels(tiny_pipeline, tmp_path):
    root = tiny_pipeline.root
    for epoch in (0, 2):
        with np.load(root / f"data/embeddings/simclr/epoch_{epoch:04d}.npz") as arrays:
            np.save(tmp_path / f"ckpt-{epoch}.npy", arrays["eval_backbone"])
    with np.load(root / "data/processed/dataset.npz") as data:
        np.save(tmp_path / "labels.npy", data["test_labels"])
    result = run(["python", "-m", "sslnb", "evaluate", "ckpt-2.npy", "ckpt-0.npy", "--labels", "labels.npy",
                  "--name", "mine", "--out", "mine.csv"], tmp_path)
    assert "wrote mine.csv" in result.stdout
    table = pd.read_csv(tmp_path / "mine.csv")
    assert table.epoch.tolist() == [0, 2] and set(table.method) == {"mine"}
    pipeline = pd.read_csv(root / "data/metrics/simclr.csv").query("layer == 'backbone' and epoch in (0, 2)")
    pipeline = pipeline.set_index("epoch")
    for column in ("silhouette", "rankme", "entropy_kl_bits", "ami_c1_gt"):  # same rows, same numbers
        np.testing.assert_allclose(table.set_index("epoch")[column], pipeline[column], rtol=1e-6)
    assert table.linear_probe_acc.between(0, 1).all()
    np.save(tmp_path / "short.npy", np.load(tmp_path / "labels.npy")[:10])
    short = run(["python", "-m", "sslnb", "evaluate", "ckpt-0.npy", "--labels", "short.npy", "--out", "x.csv"],
                tmp_path, expect_success=False)
    assert "the labels have 10 entries but the embeddings have 200 rows" in short.stderr
    missing_k = run(["python", "-m", "sslnb", "evaluate", "ckpt-0.npy", "--out", "x.csv"], tmp_path,
                    expect_success=False)
    assert "--k K" in missing_k.stderr and not (tmp_path / "x.csv").exists()
