"""`pip install sslnb` without extras: a wheel builds, and the library works without the study's tools.

A fresh virtual environment gets the wheel with `pip install` (no extras). Its requirements (torch and
the rest of the light set) are already satisfied from this environment through a folder of links on
its path, so pip downloads nothing but the build backend; anything else sslnb asked for (dvc, jupyterlab,
papermill, ...) pip would have to install into the new environment, and the test would see it there.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sslnb
from sslnb.packaging import requirement_closure, sslnb_requirements, top_level_entries

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("dvc", "jupyterlab", "papermill", "nbconvert", "seaborn", "matplotlib", "opentsne", "pyarrow",
         "lightning", "transformers", "tensorboard", "mlflow-skinny", "timm")

pytestmark = pytest.mark.pipeline  # builds a wheel and a virtual environment: an end-to-end check


def sh(command: list[str], cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("light")
    source = tmp / "source"  # only what the sdist needs: no .venv, no data, no build debris in the repository
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (source / name).write_bytes((ROOT / name).read_bytes())
    sh(["cp", "-r", str(ROOT / "sslnb"), str(source / "sslnb")], tmp)
    provided = tmp / "provided"
    provided.mkdir()
    for distribution in requirement_closure(sslnb_requirements()).values():
        for entry in top_level_entries(distribution):
            link = provided / entry.name
            if not link.exists():
                link.symlink_to(entry)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = sh([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).strip()
    Path(site, "light_requirements.pth").write_text(f"{provided}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    sh([str(python), "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "wheels"), str(source)], tmp, env)
    (wheel,) = (tmp / "wheels").glob("sslnb-*.whl")
    assert wheel.name.startswith(f"sslnb-{sslnb.__version__}-")  # the version's one home is sslnb/__init__.py
    sh([str(python), "-m", "pip", "install", "--quiet", str(wheel)], tmp, env)
    return env_dir


def light_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_light_install_leaves_out_the_study_and_the_integrations(light_venv, tmp_path):
    python = str(light_venv / "bin" / "python")
    listed = sh([python, "-m", "pip", "list", "--format=freeze"], tmp_path, light_env()).lower()
    installed = {line.split("==")[0].replace("_", "-") for line in listed.splitlines()}
    assert not installed & set(HEAVY), f"the light install pulled in {installed & set(HEAVY)}"
    where = sh([python, "-c", "import sslnb.metrics, sslnb.monitor, sslnb; print(sslnb.__file__)"], tmp_path,
               light_env()).strip()
    assert str(light_venv) in where  # the installed wheel, not this checkout
    for module in ("dvc", "jupyterlab", "papermill"):
        probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is not None)"
        sh([python, "-c", probe], tmp_path, light_env())


def test_light_install_evaluates_npy_files(light_venv, tmp_path):
    rng = np.random.default_rng(0)
    for epoch in (1, 2):
        centres = rng.normal(size=(5, 16)) * epoch
        np.save(tmp_path / f"epoch_{epoch}.npy", (centres[rng.integers(0, 5, 400)] + rng.normal(size=(400, 16)))
                .astype(np.float32))
    sh([str(light_venv / "bin" / "sslnb"), "evaluate", "epoch_1.npy", "epoch_2.npy", "--k", "5", "--out", "m.csv"],
       tmp_path, light_env())
    table = pd.read_csv(tmp_path / "m.csv")
    assert table.epoch.tolist() == [1, 2] and table[["rankme", "silhouette", "entropy_kl_bits"]].notna().all(axis=None)
    assert table.silhouette.iloc[1] > table.silhouette.iloc[0]  # the clusters drawn further apart
    pd.DataFrame(np.load(tmp_path / "epoch_1.npy")).add_prefix("f").to_parquet(tmp_path / "epoch_3.parquet")
    result = subprocess.run([str(light_venv / "bin" / "sslnb"), "evaluate", "epoch_3.parquet", "--k", "5"],
                            cwd=tmp_path, env=light_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "pip install pyarrow" in result.stderr.strip().splitlines()[-1]


def test_a_missing_integration_names_its_extra(light_venv, tmp_path):
    python = str(light_venv / "bin" / "python")
    result = subprocess.run([python, "-c", "from sslnb.integrations import LightningMonitor"], cwd=tmp_path,
                            env=light_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "pip install 'sslnb[lightning]'" in result.stderr
