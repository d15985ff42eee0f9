"""Bad input through the command line: exit 2, one line on stderr naming the file or key and the fix.

Each case is what a new user might plausibly type or have on disk. The error must be the last line of
stderr (log lines may come before it), carry the expected words, and show no traceback; ``-v`` adds the
traceback. Nothing half-written may be left behind.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from conftest import REPO, tiny_params
from sslnb.cli import main

@pytest.fixture(scope="module")
def project(tmp_path_factory, fake_fashion_dir) -> Path:
    """A tiny project with its data set prepared, shared by the cases that need one."""
    root = tmp_path_factory.mktemp("bad-input-project")
    params = tiny_params(fake_fashion_dir)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert main(["prepare", "--root", str(root)]) == 0
    return root


def fails(capsys, argv: list[str], *expected: str) -> str:
    """Run the CLI; assert exit 2, one error line last on stderr holding ``expected``, no traceback."""
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"exit {code}, stderr:\n{err}"
    assert "Traceback" not in err, err
    command = argv[0]
    assert lines and lines[-1].startswith(f"sslnb {command}: error: "), err
    for word in expected:
        assert word in lines[-1], f"{word!r} not in {lines[-1]!r}"
    print(lines[-1])  # pytest -rP lists what every case prints
    return lines[-1]


def with_params(project: Path, tmp_path: Path, change) -> Path:
    """A copy of the project's params.yaml changed by ``change(dict)``, in tmp_path (the data set linked)."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    change(params)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (tmp_path / "data" / "processed").mkdir(parents=True, exist_ok=True)
    shutil.copy(project / "data/processed/dataset.npz", tmp_path / "data/processed/dataset.npz")
    return tmp_path


def _set(section: str, key: str, value):
    def change(params):
        params.setdefault(section, {})[key] = value
    return change


PARAMS_CASES = [  # (id, change of params.yaml, words the error must hold)
    ("epochs_text", _set("train", "epochs", "ten"), ("train.epochs must be an integer", "'ten'")),
    ("batch_size_string", _set("train", "batch_size", "64"), ("train.batch_size must be an integer", "'64'")),
    ("epochs_fraction", _set("train", "epochs", 2.5), ("train.epochs must be an integer", "2.5")),
    ("epochs_zero", lambda p: p["train"].update(epochs=0, milestones=[0]), ("train.epochs must be at least 1",)),
    ("section_as_list", lambda p: p.update(train=[1, 2]), ("section 'train' must be a mapping",)),
    ("methods_empty", lambda p: p.update(methods={}), ("'methods' lists no method",)),
    ("methods_list", lambda p: p.update(methods=["simclr"]), ("'methods' must map method names",)),
    ("method_options_number", lambda p: p.update(methods={"simclr": 5}), ("methods.simclr must be a mapping",)),
    ("method_lr_text", lambda p: p["methods"]["simclr"].update(lr="fast"), ("methods.simclr.lr must be a number",)),
    ("method_batch_float", lambda p: p["methods"]["simclr"].update(batch_size=32.5),
     ("methods.simclr.batch_size must be an integer",)),
    ("unknown_key", _set("train", "epoch", 3), ("unknown key(s) ['epoch'] in section 'train'",)),
    ("unknown_section", lambda p: p.update(trainer={}), ("unknown section(s) ['trainer']",)),
    ("milestones_unsorted", _set("train", "milestones", [0, 2, 1]), ("train.milestones must be strictly increasing",)),
    ("milestones_past_end", _set("train", "milestones", [0, 1, 5]), ("train.milestones go up to 5",)),
    ("milestones_without_zero", _set("train", "milestones", [1, 2]), ("must include epoch 0",)),
    ("milestones_text", _set("train", "milestones", "0,1,2"), ("train.milestones must be a list of numbers",)),
    ("probe_larger_than_train", _set("data", "probe_size", 100_000), ("data.probe_size (100000)",)),
    ("architecture_unknown", _set("model", "architecture", "transformer"), ("model.architecture must be one of",)),
    ("optimizer_unknown", _set("train", "optimizer", "adam"), ("train.optimizer must be one of",)),
    ("schedule_unknown", _set("train", "schedule", "linear"), ("train.schedule must be one of",)),
    ("lr_negative", _set("train", "lr", -0.1), ("train.lr must be positive",)),
    ("amp_text", _set("train", "amp", "yes"), ("train.amp must be true or false",)),
    ("views_one", _set("metrics", "views", 1), ("metrics.views must be at least 2",)),
    ("k_text", _set("metrics", "k", "ten"), ("metrics.k must be an integer or null",)),
    ("crop_scale_one_number", _set("augment", "crop_scale", [0.5]), ("augment.crop_scale must be a list of 2 numbers",)),
    ("seed_text", lambda p: p.update(seed="zero"), ("seed must be an integer",)),
    ("warmup_past_end", _set("train", "warmup_epochs", 10), ("train.warmup_epochs must be between 0",)),
    ("fewshot_shots_zero", _set("protocols", "fewshot_shots", [0, 5]),
     ("protocols.fewshot_shots must be increasing positive integers",)),
    ("finetune_lr_zero", _set("protocols", "finetune_lr", 0), ("protocols.finetune_lr must be positive",)),
    ("shift_unknown", _set("domains", "shifts", ["fog"]), ("domains.shifts must name distinct corruptions", "'blur'")),
    ("shifts_text", _set("domains", "shifts", "blur"), ("domains.shifts must be a list of strings",)),
    ("severity_six", _set("domains", "severity", 6), ("domains.severity must be between 1 and 5",)),
]


@pytest.mark.parametrize("case, change, expected", PARAMS_CASES, ids=[c[0] for c in PARAMS_CASES])
def test_bad_params_name_the_key(case, change, expected, project, tmp_path, capsys):
    root = with_params(project, tmp_path, change)
    fails(capsys, ["train", "--method", "simclr", "--root", str(root)], *expected)
    assert not (root / "data/checkpoints").exists(), "nothing may be written"


def test_invalid_yaml_names_the_line(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text("train:\n  epochs: 2\n lr: [0.1\n")
    fails(capsys, ["prepare", "--root", str(tmp_path)], "params.yaml is not valid YAML", "line", "fix its syntax")


def test_params_holding_a_list_or_binary(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text("- train\n- data\n")
    fails(capsys, ["prepare", "--root", str(tmp_path)], "must hold a mapping of sections")
    (tmp_path / "params.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    fails(capsys, ["prepare", "--root", str(tmp_path)], "params.yaml")


def test_params_file_missing_or_a_folder(tmp_path, capsys):
    fails(capsys, ["prepare", "--root", str(tmp_path)], "params.yaml not found", "--params")
    fails(capsys, ["prepare", "--params", str(tmp_path)], str(tmp_path), "is a folder", "params.yaml")


def test_method_model_overrides_are_checked(project, tmp_path, capsys):
    root = with_params(project, tmp_path, lambda p: p["methods"]["mae"].update(model={"architecture": "resnet"}))
    fails(capsys, ["train", "--method", "mae", "--root", str(root)], "methods.mae needs the ViT encoder",
          "model: {architecture: vit")
    (tmp_path / "typo").mkdir()
    root = with_params(project, tmp_path / "typo", lambda p: p["methods"]["mae"].update(model={"widht": 8}))
    fails(capsys, ["train", "--method", "mae", "--root", str(root)], "unknown key(s) ['widht']",
          "section 'methods.mae.model'")
    assert not (root / "data/checkpoints").exists(), "nothing may be written"


def test_unknown_method_and_unsupported_data_set(project, tmp_path, capsys):
    fails(capsys, ["train", "--method", "dino", "--root", str(project)], "method 'dino' is not listed")
    root = with_params(project, tmp_path, _set("data", "name", "mnist"))
    fails(capsys, ["prepare", "--root", str(root)], "data.name 'mnist' is not supported")


def test_truncated_idx_gz_is_named(fake_fashion_dir, tmp_path, capsys):
    broken = tmp_path / "fashion"
    shutil.copytree(fake_fashion_dir, broken)
    images = next(broken.glob("train-images*"))
    raw = images.read_bytes()
    images.write_bytes(raw[: len(raw) // 2])
    params = tiny_params(broken)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    line = fails(capsys, ["prepare", "--root", str(tmp_path)], images.name, "truncated or corrupt")
    assert "dataset-fashion-mnist" in line
    assert not (tmp_path / "data/processed/dataset.npz").exists()


def test_missing_stage_inputs_name_the_stage_to_run(project, capsys):
    fails(capsys, ["embed", "--method", "simclr", "--root", str(project)], "no checkpoints", "train stage")
    fails(capsys, ["evaluate", "--method", "simclr", "--root", str(project)], "no embeddings", "embed stage")
    fails(capsys, ["tsne", "--method", "simsiam", "--root", str(project)], "embed")


def test_prepared_data_set_missing_or_corrupt(project, tmp_path, capsys):
    (tmp_path / "params.yaml").write_text((project / "params.yaml").read_text())
    fails(capsys, ["train", "--method", "simclr", "--root", str(tmp_path)], "dataset.npz not found", "prepare")
    (tmp_path / "data/processed").mkdir(parents=True)
    (tmp_path / "data/processed/dataset.npz").write_bytes(b"PK\x03\x04 not really a zip")
    fails(capsys, ["train", "--method", "simclr", "--root", str(tmp_path)], "dataset.npz is truncated",
          "dvc repro --force prepare")


# -- sslnb evaluate: your own files ---------------------------------------------------------------

@pytest.fixture
def embeddings(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    for epoch in (1, 2):
        np.save(tmp_path / f"epoch_{epoch}.npy", rng.normal(size=(60, 5)).astype(np.float32))
    return tmp_path


def test_evaluate_file_problems(embeddings, capsys):
    d = str(embeddings)
    fails(capsys, ["evaluate", f"{d}/nope.npy", "--k", "3", "--out", f"{d}/t.csv"], "nope.npy does not exist")
    np.savez(embeddings / "full.npz", a=np.ones((60, 5)))
    raw = (embeddings / "full.npz").read_bytes()
    (embeddings / "cut_1.npz").write_bytes(raw[: len(raw) // 2])
    fails(capsys, ["evaluate", f"{d}/cut_1.npz", "--k", "3", "--out", f"{d}/t.csv"], "cut_1.npz is truncated")
    (embeddings / "text_1.npy").write_text("1,2,3\n")
    fails(capsys, ["evaluate", f"{d}/text_1.npy", "--k", "3", "--out", f"{d}/t.csv"], "text_1.npy is truncated")
    (embeddings / "emb.txt").write_text("1 2 3\n")
    fails(capsys, ["evaluate", f"{d}/emb.txt", "--k", "3", "--out", f"{d}/t.csv"], "unsupported format '.txt'")
    np.save(embeddings / "flat_1.npy", np.arange(60.0))
    fails(capsys, ["evaluate", f"{d}/flat_1.npy", "--k", "3", "--out", f"{d}/t.csv"], "flat_1.npy", "must be 2-D")
    np.save(embeddings / "objects_1.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    fails(capsys, ["evaluate", f"{d}/objects_1.npy", "--k", "3", "--out", f"{d}/t.csv"], "objects_1.npy")
    bad = np.ones((60, 5), dtype=np.float32)
    bad[3, 1] = np.nan
    np.save(embeddings / "nan_7.npy", bad)
    fails(capsys, ["evaluate", f"{d}/nan_7.npy", "--k", "3", "--out", f"{d}/t.csv"], "nan_7.npy", "NaN or inf")
    (embeddings / "bad_1.parquet").write_bytes(b"PAR1 broken")
    fails(capsys, ["evaluate", f"{d}/bad_1.parquet", "--k", "3", "--out", f"{d}/t.csv"], "bad_1.parquet is truncated")
    assert not (embeddings / "t.csv").exists()


def test_evaluate_out_is_checked_before_any_work(embeddings, capsys):
    d = str(embeddings)
    (embeddings / "folder").mkdir()
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--k", "3", "--out", f"{d}/folder"], "--out", "is a folder")
    (embeddings / "afile").write_text("x")
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--k", "3", "--out", f"{d}/afile/t.csv"], "is a file, not a folder")


def test_two_files_of_one_epoch_are_refused(embeddings, capsys):
    for run in ("runA", "runB"):
        (embeddings / run).mkdir()
        shutil.copy(embeddings / "epoch_1.npy", embeddings / run / "epoch_1.npy")
    fails(capsys, ["evaluate", f"{embeddings}/runA/epoch_1.npy", f"{embeddings}/runB/epoch_1.npy", "--k", "3",
                   "--out", f"{embeddings}/t.csv"], "runA/epoch_1.npy", "runB/epoch_1.npy", "both epoch 1")


def test_evaluate_argument_problems(embeddings, capsys):
    d = str(embeddings)
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--out", f"{d}/t.csv"], "--k K")
    np.save(embeddings / "labels.npy", np.zeros(10, dtype=int))
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--labels", f"{d}/labels.npy", "--out", f"{d}/t.csv"],
          "the labels have 10 entries but the embeddings have 60 rows")
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--labels", f"{d}/none.npy", "--out", f"{d}/t.csv"],
          "none.npy does not exist")
    np.save(embeddings / "labels.npy", np.arange(60) % 3)
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--labels", f"{d}/labels.npy", "--probe-fraction", "1.5",
                   "--out", f"{d}/t.csv"], "--probe-fraction must be between 0 and 1")
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--k", "100", "--out", f"{d}/t.csv"], "k=100 clusters")
    fails(capsys, ["evaluate", "--root", d], "nothing to evaluate")
    fails(capsys, ["evaluate", f"{d}/epoch_1.npy", "--method", "simclr", "--root", d], "not both")


# -- sslnb evaluate-model -------------------------------------------------------------------------

class _Scalar(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean()


def test_evaluate_model_problems(project, tmp_path, capsys):
    root = str(project)
    out = str(tmp_path / "m.csv")
    fails(capsys, ["evaluate-model", "--torchscript", str(tmp_path / "e.pt"), "--root", root], "--image-size")
    scalar = tmp_path / "scalar.pt"
    torch.jit.script(_Scalar()).save(str(scalar))
    fails(capsys, ["evaluate-model", "--torchscript", str(scalar), "--image-size", "16", "--root", root,
                   "--out", out], "scalar.pt", "not an (N, D)")
    (tmp_path / "junk.pt").write_bytes(b"not torchscript")
    fails(capsys, ["evaluate-model", "--torchscript", str(tmp_path / "junk.pt"), "--image-size", "16",
                   "--root", root, "--out", out], "junk.pt is not a TorchScript file")
    pickled = tmp_path / "pickled.pth"
    torch.save({"model": _Scalar()}, pickled)  # a pickled module, not weights
    fails(capsys, ["evaluate-model", "--torchvision", "resnet18", "--weights-file", str(pickled), "--root", root,
                   "--image-size", "32", "--out", out], "pickled.pth cannot be loaded", "state_dict")
    fails(capsys, ["evaluate-model", "--torchvision", "resnet18", "--weights-file", str(tmp_path / "no.pth"),
                   "--root", root, "--out", out], "no.pth does not exist")
    fails(capsys, ["evaluate-model", "--torchvision", "resnet1800", "--random-weights", "--root", root,
                   "--out", out], "torchvision has no model 'resnet1800'")
    shutil.copy(project / "params.yaml", tmp_path / "params.yaml")
    fails(capsys, ["evaluate-model", "--torchvision", "resnet18", "--random-weights", "--root", str(tmp_path),
                   "--out", out], "dataset.npz not found")
    (tmp_path / "outdir").mkdir()
    fails(capsys, ["evaluate-model", "--torchvision", "resnet18", "--random-weights", "--root", root,
                   "--out", str(tmp_path / "outdir")], "--out", "is a folder")
    assert not Path(out).exists()


# -- values that are not errors, but used to give wrong numbers -----------------------------------

def test_scale_free_metrics_ignore_a_1e20_scale(tmp_path, capsys):
    """float32 squares overflow beyond ~1e19: k-means, kNN entropy and cosines must not see that."""
    import pandas as pd

    rng = np.random.default_rng(1)
    centers = rng.normal(size=(4, 8)) * 3
    Z = (centers[rng.integers(0, 4, 400)] + rng.normal(size=(400, 8))).astype(np.float32)
    labels = rng.integers(0, 4, 400)
    np.save(tmp_path / "labels.npy", labels)
    tables = {}
    for name, scale in (("plain", 1.0), ("huge", 1e20), ("tiny", 1e-20)):
        np.save(tmp_path / f"{name}_1.npy", (Z * scale).astype(np.float32))
        assert main(["evaluate", str(tmp_path / f"{name}_1.npy"), "--labels", str(tmp_path / "labels.npy"),
                     "--out", str(tmp_path / f"{name}.csv"), "--root", str(tmp_path)]) == 0
        tables[name] = pd.read_csv(tmp_path / f"{name}.csv").iloc[0]
    scale_free = ["silhouette", "silhouette_pca", "ami_c1_c2", "entropy_kl_bits", "entropy_gaussian_bits",
                  "entropy_binned_bits", "rankme", "alpha_req", "stable_rank", "nesum", "self_cluster",
                  "embedding_std", "ami_c1_gt", "linear_probe_acc", "knn_acc", "outlier_fraction"]
    for name in ("huge", "tiny"):
        for column in scale_free:
            assert np.isclose(tables[name][column], tables["plain"][column], rtol=1e-4, atol=1e-6), (name, column)


@pytest.mark.parametrize("dim", [1, 2])
def test_one_and_two_dimensional_embeddings_give_nan_with_one_logged_line(dim, tmp_path, capsys, caplog):
    import logging

    import pandas as pd

    np.save(tmp_path / "epoch_3.npy", np.random.default_rng(0).normal(size=(200, dim)).astype(np.float32))
    with caplog.at_level(logging.WARNING):
        assert main(["evaluate", str(tmp_path / "epoch_3.npy"), "--k", "3", "--out", str(tmp_path / "t.csv"),
                     "--root", str(tmp_path)]) == 0
    row = pd.read_csv(tmp_path / "t.csv").iloc[0]
    assert np.isnan(row.alpha_req) and np.isfinite(row.rankme) and np.isfinite(row.silhouette)
    undefined = [r for r in caplog.records if "recorded as NaN" in r.getMessage()]
    assert len(undefined) == 1 and "alpha-ReQ" in undefined[0].getMessage()


def test_notebook_missing(tmp_path, capsys):
    fails(capsys, ["notebook", str(tmp_path / "none.ipynb"), str(tmp_path / "out.ipynb")], "none.ipynb not found")


def test_verbose_adds_the_traceback(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text("train: [1]\n")
    assert main(["prepare", "--root", str(tmp_path), "-v"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("sslnb prepare: error:")


def test_written_files_keep_the_umask_permissions(tmp_path):
    import os

    from sslnb.io import save_csv, save_json
    import pandas as pd

    old = os.umask(0o022)
    try:
        save_json({"a": 1}, tmp_path / "a.json")
        save_csv(pd.DataFrame({"a": [1]}), tmp_path / "a.csv")
    finally:
        os.umask(old)
    for name in ("a.json", "a.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_at_least_forty_bad_inputs_are_covered():
    # parametrised params cases + the cases (one `fails` call each) in the functions above
    import ast
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    calls = sum(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "fails" for n in ast.walk(ast.parse(source)))
    assert len(PARAMS_CASES) + calls - 1 >= 40  # minus the parametrised call itself


def test_sweep_commands_name_the_sweep_the_point_and_the_fix(project, tmp_path, capsys):
    root = str(project)
    fails(capsys, ["sweep-configure", "--sweep", "nope", "--point", "x", "--root", root],
          "no sweep 'nope'", "declared: ['architectures', 'failures', 'hyper', 'long', 'seeds']")
    fails(capsys, ["sweep-configure", "--sweep", "seeds", "--point", "simclr_seed9", "--root", root],
          "no point 'simclr_seed9'", "simclr_seed1")
    fails(capsys, ["sweep-collect", "--sweep", "long", "--root", root], "long/simclr/data/metrics/simclr.csv",
          "dvc repro sweeps/long/dvc.yaml")
    fails(capsys, ["sweep-run", "--sweep", "seeds", "--point", "simclr_seed9", "--root", root],
          "no point 'simclr_seed9'", "simclr_seed1")
    fails(capsys, ["sweep-points", "--jobs", "0", "--root", root], "--jobs 0", "at least 1")
    bad = with_params(project, tmp_path, lambda p: p["sweeps"]["failures"]["grid"][0].update({"train.lr": ["fast"]}))
    fails(capsys, ["sweep-plan", "--root", str(bad)], "sweeps.failures point", "train.lr must be a number")
    assert not (bad / "sweeps").exists(), "nothing may be written when a sweep is invalid"


# What a new user met (issue 21): each is one line naming the problem and the fix, or the right behaviour.

def _save(path: Path, rows: int = 60, dim: int = 8, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32))
    return path


def test_a_file_name_without_an_epoch_is_refused_or_named_with_epoch(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    final = _save(tmp_path / "final.npy")
    fails(capsys, ["evaluate", str(final), "--k", "3"], "final.npy", "no epoch number", "--epoch N")
    out = tmp_path / "final.csv"
    assert main(["evaluate", str(final), "--k", "3", "--epoch", "30", "--out", str(out)]) == 0
    assert set(pd.read_csv(out).epoch) == {30}
    fails(capsys, ["evaluate", str(final), str(_save(tmp_path / "epoch_2.npy")), "--k", "3", "--epoch", "3"],
          "--epoch", "single file")


def test_files_of_two_widths_are_not_merged_into_one_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wide, narrow = _save(tmp_path / "a/epoch_1.npy", dim=64), _save(tmp_path / "b/epoch_2.npy", dim=32)
    fails(capsys, ["evaluate", str(wide), str(narrow), "--k", "3", "--out", str(tmp_path / "t.csv")],
          "32-dimensional", "64", "--name")
    assert not (tmp_path / "t.csv").exists()


def test_a_folder_of_embedding_files_says_to_pass_the_files(tmp_path, capsys):
    _save(tmp_path / "byo/epoch_1.npy")
    fails(capsys, ["evaluate", str(tmp_path / "byo"), "--k", "3", "--out", str(tmp_path / "t.csv")],
          "no sslnb checkpoints", "pass the files", "byo/*.npy")


@pytest.mark.parametrize("command", [["evaluate", "EMB", "--k", "3"], ["evaluate-model", "--torchvision", "resnet18",
                                                                         "--random-weights"]])
def test_an_out_file_that_is_not_csv_is_refused(tmp_path, capsys, command):
    argv = [str(_save(tmp_path / "epoch_1.npy")) if word == "EMB" else word for word in command]
    fails(capsys, [*argv, "--out", str(tmp_path / "x.xlsx")], "x.xlsx", "CSV", "x.csv")
    assert not (tmp_path / "x.xlsx").exists()


def test_version_prints_the_version(capsys):
    from sslnb import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"sslnb {__version__}"


def test_notebook_with_an_unknown_method_names_the_methods(project, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(project)
    output = tmp_path / "progression.ipynb"
    fails(capsys, ["notebook", str(REPO / "notebooks/progression.ipynb"), str(output), "-p", "method", "SimCLR"],
          "'SimCLR'", "not a key of 'methods'", "did you mean 'simclr'")
    assert not output.exists()


def test_a_failing_notebook_cell_is_one_line(project, tmp_path, capsys, monkeypatch):
    # a method of params.yaml whose metrics table was never made: the notebook's cell fails
    monkeypatch.chdir(project)
    output = tmp_path / "progression.ipynb"
    fails(capsys, ["notebook", str(REPO / "notebooks/progression.ipynb"), str(output), "-p", "method", "simclr",
                   "-p", "project_root", str(project)],
          "progression.ipynb failed in cell", "FileNotFoundError", "simclr.csv")
    assert not output.exists()
