"""Every code example of the README and the docs, run as written, and what each one must leave behind.

An example is a fenced ``python`` or ``bash`` block right after a ``<!-- example: NAME -->`` line, in
README.md or any page under docs/. Each runs in a fresh folder, in its own Python process, after a
preamble that binds ``train_images`` and ``eval_images`` to uint8 Fashion-MNIST tensors (N, 28, 28):
Debian's package when it is installed, the tests' look-alikes otherwise. The fits are real: two epochs on
the CPU. Every Python block of those files must be an example, so none goes untested.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import tiny_params
from sslnb.columns import SUITE
from sslnb.config import params_from_dict
from sslnb.sources import prepare
from sslnb.paths import ProjectPaths

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\s*```(python|bash)\n(.*?)```", re.S)
PYTHON_FENCE = re.compile(r"^```python$", re.M)
FASHION = Path("/usr/share/datasets/fashion-mnist")
# NaN by design in the examples: the view metrics need augment=, silhouette_pca needs silhouette_pca_dim
NOT_ASKED = ("alignment", "uniformity", "lidar", "heldout_loss", "silhouette_pca")
NEEDS = {"lightning": "lightning", "huggingface": "transformers", "writers": "mlflow", "timm": "timm"}


def marked() -> list[tuple[Path, str, str, str]]:
    """(page, name, language, code) of every marked example, in page order."""
    return [(page, *found) for page in PAGES for found in EXAMPLE.findall(page.read_text())]


def examples() -> dict[str, tuple[str, str]]:
    return {name: (language, code) for _, name, language, code in marked()}


PREAMBLE = """\
import sys, numpy as np, torch
sys.path.insert(0, {tests!r})
from sslnb.sources.fashion_mnist import load_fashion_mnist
try:
    _splits = load_fashion_mnist(None, {debian!r}, download=False, download_root=".")
    _train, _test = _splits.train_images, _splits.test_images
except Exception:
    from fakedata import fake_images
    _rng = np.random.default_rng(0)
    _train, _test = fake_images(512, _rng)[0], fake_images(300, _rng)[0]
train_images = torch.from_numpy(np.ascontiguousarray(_train[:512]))
eval_images = torch.from_numpy(np.ascontiguousarray(_test[:300]))
"""


def run_example(name: str, folder: Path) -> subprocess.CompletedProcess:
    language, code = examples()[name]
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"file:{folder / 'mlruns'}", MLFLOW_ALLOW_FILE_STORE="true",
               PYTHONWARNINGS="ignore", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    if language == "bash":
        command = ["bash", "-euo", "pipefail", "-c", code]
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    else:
        script = folder / "example.py"
        script.write_text(PREAMBLE.format(tests=str(Path(__file__).parent), debian=str(FASHION)) + code)
        command = [sys.executable, str(script)]
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"example {name!r} failed:\n{result.stderr[-3000:]}"
    return result


def label_free_columns(frame: pd.DataFrame) -> list[str]:
    return [f"label_free/{metric}" for metric in SUITE if metric not in NOT_ASKED
            and f"label_free/{metric}" in frame]


def test_every_integration_has_an_example():
    assert set(examples()) == {"quickstart", "monitor", "lightning", "huggingface", "writers", "gpu", "timm"}


def test_example_names_are_unique_and_every_python_block_is_an_example():
    names = [name for _, name, _, _ in marked()]
    assert len(names) == len(set(names)), names
    for page in PAGES:
        text = page.read_text()
        fences = len(PYTHON_FENCE.findall(text))
        tested = sum(language == "python" for _, language, _ in EXAMPLE.findall(text))
        assert fences == tested, f"{page.relative_to(ROOT)}: {fences - tested} python block(s) not marked as examples"


def test_quickstart_example_trains_and_logs_every_tenth_step(tmp_path):
    result = run_example("quickstart", tmp_path)
    assert [int(line.split()[0]) for line in result.stdout.strip().splitlines()] == [0, 10, 20, 30]
    log = pd.read_csv(tmp_path / "runs" / "monitor.csv")
    assert log.step.tolist() == [0, 10, 20, 30]
    assert (log.rankme > 1).all() and log[["silhouette", "entropy_kl_bits", "embedding_std"]].notna().all(axis=None)


def test_monitor_example_reads_a_loader_and_adds_the_view_metrics(tmp_path):
    result = run_example("monitor", tmp_path)
    printed, step = result.stdout.strip().splitlines()[-2:]
    values = eval(printed)  # the dict the example prints
    assert set(values) == {"rankme", "alignment", "uniformity", "lidar"}
    assert all(np.isfinite(v) for v in values.values()) and int(step) == 0
    (record,) = [json.loads(line) for line in (tmp_path / "runs" / "monitor.jsonl").read_text().splitlines()]
    assert record["heldout_loss"] is not None and record["alignment"] == pytest.approx(values["alignment"], abs=1e-3)


@pytest.mark.parametrize("name", ["lightning"])
def test_lightning_example_logs_every_metric_to_the_csv_logger(name, tmp_path):
    pytest.importorskip(NEEDS[name])
    run_example(name, tmp_path)
    log = pd.read_csv(tmp_path / "logs" / "lightning_logs" / "version_0" / "metrics.csv")
    epochs = log.dropna(subset=["label_free/rankme"])
    assert len(epochs) == 2  # every_n_epochs=1, two epochs
    columns = label_free_columns(log)
    assert {"label_free/rankme", "label_free/silhouette", "label_free/entropy_kl_bits", "label_free/ami_c1_c2",
            "label_free/embedding_std", "label_free/twonn_dimension"} <= set(columns)
    assert epochs[columns].notna().all(axis=None) and (epochs["label_free/rankme"] > 1).all()
    assert epochs["epoch"].tolist() == [0, 1] and log["train_loss"].notna().any()


def test_huggingface_example_puts_the_metrics_in_the_trainers_logs(tmp_path):
    pytest.importorskip(NEEDS["huggingface"])
    pytest.importorskip("tensorboard")
    run_example("huggingface", tmp_path)
    own = pd.read_csv(tmp_path / "hf_run" / "label_free.csv")
    steps = 2 * int(np.ceil(512 / 64))  # two epochs of 8 steps
    assert own.step.tolist() == list(range(4, steps + 1, 4))
    assert own[["rankme", "silhouette", "entropy_kl_bits"]].notna().all(axis=None)
    scalars = read_tensorboard(next((tmp_path / "hf_run" / "runs").rglob("events.out.tfevents.*")).parent)
    # the reporter (report_to tensorboard) saw the metrics in the same log call as the loss
    assert [step for step, _ in scalars["train/label_free/rankme"]] == own.step.tolist()
    np.testing.assert_allclose([value for _, value in scalars["train/label_free/rankme"]], own.rankme, rtol=1e-6)
    assert "train/loss" in scalars


def test_writers_example_reads_back_from_tensorboard_and_mlflow(tmp_path, monkeypatch):
    pytest.importorskip(NEEDS["writers"])
    pytest.importorskip("tensorboard")
    run_example("writers", tmp_path)
    scalars = read_tensorboard(tmp_path / "runs" / "simclr")
    assert [step for step, _ in scalars["label_free/rankme"]] == [0, 5, 10]
    assert {"label_free/silhouette", "label_free/entropy_kl_bits", "label_free/monitor_seconds"} <= set(scalars)
    import mlflow

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # the example's store: a folder (no server here)
    client = mlflow.tracking.MlflowClient(tracking_uri=f"file:{tmp_path / 'mlruns'}")
    (run,) = client.search_runs(experiment_ids=["0"])
    history = client.get_metric_history(run.info.run_id, "label_free/rankme")
    assert [m.step for m in history] == [0, 5, 10]
    np.testing.assert_allclose([m.value for m in history], [v for _, v in scalars["label_free/rankme"]], rtol=1e-6)


def test_gpu_example_runs_on_whatever_device_there_is(tmp_path):
    result = run_example("gpu", tmp_path)
    values = eval(result.stdout.strip().splitlines()[-1])  # the dict the example prints
    assert set(values) == {"rankme", "silhouette"} and values["rankme"] > 1


def test_timm_example_writes_a_metrics_table(tmp_path, fake_fashion_dir):
    pytest.importorskip(NEEDS["timm"])
    raw = tiny_params(fake_fashion_dir)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    prepare(params_from_dict(raw), ProjectPaths(tmp_path))
    run_example("timm", tmp_path)
    table = pd.read_csv(tmp_path / "resnet18_random.csv")
    assert table.method.tolist() == ["resnet18"] and table.dim.iloc[0] == 512 and table.rankme.notna().all()


def read_tensorboard(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar of the event files in ``folder``, read with TensorBoard's own reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    accumulator.Reload()
    return {tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
            for tag in accumulator.Tags()["scalars"]}
