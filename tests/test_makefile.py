"""The Makefile's set-up refuses a new .venv on a disk without room for it, before installing anything."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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
