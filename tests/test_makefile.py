"""The Makefile: set-up refuses a new .venv on a disk without room for it; lab and status do what the README says."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_setup_refuses_a_new_venv_without_enough_free_disk(tmp_path: Path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)  # the install stamp depends on it
    result = subprocess.run(
        ["make", "-f", str(ROOT / "Makefile"), "setup", "VENV=new-venv", "MIN_FREE_GB=1e12"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    message = [line for line in result.stderr.splitlines() if line.startswith("make setup:")]
    assert len(message) == 1, result.stderr
    assert f"GB free on the disk of {tmp_path};" in message[0]
    assert "needs about 1e+12 GB" in message[0] and "MIN_FREE_GB=0" in message[0]
    assert not (tmp_path / "new-venv").exists()  # nothing half-made


def test_lab_starts_jupyterlab_on_the_notebooks_and_allows_root_only_as_root():
    result = subprocess.run(["make", "-n", "-f", str(ROOT / "Makefile"), "lab"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    (command,) = [line for line in result.stdout.splitlines() if "jupyter lab" in line]
    assert command.endswith("/jupyter lab notebooks/ --no-browser" + (" --allow-root" if os.getuid() == 0 else ""))


def _tiny_dvc_project(folder: Path) -> None:
    """A DVC project of one stage, and a make set-up (stamp newer than pyproject.toml) that links .venv's dvc."""
    shutil.copy(ROOT / "pyproject.toml", folder)
    (folder / "venv" / "bin").mkdir(parents=True)
    (folder / "venv" / "bin" / "dvc").symlink_to(ROOT / ".venv" / "bin" / "dvc")
    (folder / "venv" / ".installed").touch()
    (folder / "input.txt").write_text("1\n")
    (folder / "dvc.yaml").write_text("stages:\n  copy:\n    cmd: cp input.txt output.txt\n"
                                     "    deps: [input.txt]\n    outs: [output.txt]\n")
    for command in (["init", "--no-scm", "-q"], ["repro", "-q"]):
        subprocess.run([str(folder / "venv" / "bin" / "dvc"), *command], cwd=folder, check=True, capture_output=True,
                       timeout=120, env=dict(os.environ, DVC_NO_ANALYTICS="1"))


def test_status_says_up_to_date_in_one_line_and_names_what_is_not(tmp_path):
    if not (ROOT / ".venv" / "bin" / "dvc").exists():
        pytest.skip("needs .venv's dvc (make setup)")
    _tiny_dvc_project(tmp_path)

    def status() -> subprocess.CompletedProcess:
        return subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "status", "VENV=venv"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    fresh = status()
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert fresh.stdout.splitlines() == [
        "up to date: every stage of dvc.yaml (the default run) matches its code, params and data"]
    (tmp_path / "input.txt").write_text("2\n")
    stale = status()
    assert stale.returncode == 0, stale.stdout + stale.stderr
    assert stale.stdout.startswith("copy:") and "modified:" in stale.stdout
    assert stale.stdout.splitlines()[-1].startswith("not up to date: 1 stage(s) of dvc.yaml above")
