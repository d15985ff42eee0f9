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
