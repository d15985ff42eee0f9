import subprocess
import sys

from sslnb.cli import main


def test_help_teaches_the_stages_and_the_data_sources():
    result = subprocess.run([sys.executable, "-m", "sslnb", "--help"], capture_output=True, text=True, check=True)
    for word in ("prepare", "train", "embed", "evaluate", "notebook", "dataset-fashion-mnist", "data.path"):
        assert word in result.stdout


def test_unknown_method_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text("methods:\n  simclr: {temperature: 0.5}\n")
    assert main(["train", "--method", "byol", "--root", str(tmp_path)]) == 2
    assert "method 'byol' is not listed under 'methods'" in capsys.readouterr().err


def test_missing_params_file_is_a_clear_error(tmp_path, capsys):
    assert main(["prepare", "--root", str(tmp_path)]) == 2
    assert "params.yaml not found" in capsys.readouterr().err


def test_evaluate_help_documents_the_formats_with_examples():
    result = subprocess.run([sys.executable, "-m", "sslnb", "evaluate", "--help"], capture_output=True, text=True,
                            check=True)
    for word in (".npy", ".npz", ".parquet", "epoch_*.pt", "--labels", "--label-column", "examples:"):
        assert word in result.stdout, word


def test_evaluate_needs_inputs_or_a_method(tmp_path, capsys):
    assert main(["evaluate", "--root", str(tmp_path)]) == 2
    assert "nothing to evaluate" in capsys.readouterr().err


def test_evaluate_your_own_files_outside_a_project(tmp_path, capsys):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    for epoch in (3, 10):
        np.save(tmp_path / f"epoch_{epoch}.npy", rng.normal(size=(80, 6)).astype(np.float32))
    out = tmp_path / "table.csv"
    files = [str(tmp_path / "epoch_10.npy"), str(tmp_path / "epoch_3.npy")]
    assert main(["evaluate", *files, "--k", "3", "--out", str(out), "--root", str(tmp_path)]) == 0
    table = pd.read_csv(out)
    assert table.epoch.tolist() == [3, 10] and table.rankme.notna().all() and table.linear_probe_acc.isna().all()
    assert main(["evaluate", str(tmp_path / "missing.npy"), "--k", "3", "--root", str(tmp_path)]) == 2
    assert "missing.npy does not exist" in capsys.readouterr().err


def test_evaluate_ends_with_each_metrics_direction_and_pick_and_names_what_it_did_not_compute(tmp_path):
    """`sslnb evaluate` on embedding files: the summary a user reads after the table is written."""
    import pandas as pd

    from sslnb.stages.own_embeddings import summary_lines

    table = pd.DataFrame({"epoch": [1, 2, 3], "layer": "embedding", "rankme": [3.0, 9.0, 5.0],
                          "alpha_req": [0.2, 1.1, 3.0], "self_cluster": [0.5, 0.1, 0.3],
                          "alignment": float("nan"), "linear_probe_acc": float("nan")})
    lines = summary_lines(table)
    assert lines[0].startswith("3 checkpoint(s), layer embedding")
    picked = {line.split()[0]: line.split()[1:] for line in lines[1:4]}
    assert picked == {"rankme": ["higher", "epoch", "2"], "alpha_req": ["closer", "to", "1", "epoch", "2"],
                      "self_cluster": ["lower", "epoch", "2"]}
    assert any(line.startswith("not computed: alignment;") and "checkpoint folder" in line for line in lines)
    assert any(line.startswith("not computed: linear_probe_acc;") and "--labels" in line for line in lines)
