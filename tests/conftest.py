"""Shared fixtures: fake IDX data and a scratch copy of the project set to the tiny profile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from fakedata import write_fake_fashion_mnist  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs two workers on two cores: one thread each (and in the processes they start), or
    # torch's spinning OpenMP threads oversubscribe the cores and a fit runs several times slower
    import torch

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups into the node ids
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`make test`), the tests that share the session's tiny pipeline go to one worker
    (it is built once) and the torchrun tests to one worker (no two rendezvous at once)."""
    for item in items:
        if "tiny_pipeline" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("tiny_pipeline"))
        elif item.path.name == "test_distributed.py":
            item.add_marker(pytest.mark.xdist_group("torchrun"))


@pytest.fixture(scope="session")
def fake_fashion_dir(tmp_path_factory) -> Path:
    return write_fake_fashion_mnist(tmp_path_factory.mktemp("fake-fashion-mnist"))


def tiny_params(data_path: Path) -> dict:
    params = yaml.safe_load((REPO / "profiles" / "tiny.yaml").read_text())
    params["data"]["path"] = str(data_path)
    params["data"]["debian_dir"] = str(data_path.parent / "no-debian-package-here")
    return params


def make_project(folder: Path, params: dict) -> Path:
    """A scratch copy of the project (pipeline, notebooks, code) with ``params`` as its params.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", "notebooks", "sslnb"):  # the sweeps' pipelines: `sslnb sweep-plan` writes them
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, folder / name)
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "init", "--no-scm", "-q"], folder)
    run(["dvc", "config", "core.analytics", "false"], folder)
    shutil.copytree(REPO / ".dvc" / "plots", folder / ".dvc" / "plots")  # the plot templates of dvc.yaml
    return folder


def run(command: list[str], cwd: Path, expect_success: bool = True, timeout: float = 600,
        ) -> subprocess.CompletedProcess:
    """Run a command with the test interpreter's bin folder first on PATH, as `make` does.

    With ``expect_success=False`` the command must fail with a clear message, not a traceback.
    """
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                        "DVC_NO_ANALYTICS": "1", "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    if expect_success and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{output}")
    if not expect_success:
        assert result.returncode != 0, f"{' '.join(command)} should have failed:\n{output}"
        assert "Traceback" not in result.stderr, f"expected a clear message, got a traceback:\n{output}"
    return result


@dataclass
class PipelineRun:
    root: Path
    compute: subprocess.CompletedProcess  # `dvc repro evaluate`: prepare, train, embed, evaluate
    analysis: subprocess.CompletedProcess  # then `dvc repro`: t-SNE, summary, notebooks, renders, report

    @property
    def stdout(self) -> str:
        return self.compute.stdout + self.analysis.stdout


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory, fake_fashion_dir) -> PipelineRun:
    """The whole pipeline, run by `dvc repro` on the tiny profile; shared by the pipeline tests.

    It runs in two calls, as `benchmarks/tiny_pipeline.py` times them: the compute part (training to
    metrics), then the rest. Durations are measured there, never asserted here.
    """
    root = make_project(tmp_path_factory.mktemp("tiny-project"), tiny_params(fake_fashion_dir))
    compute = run(["dvc", "repro", "evaluate"], root)
    return PipelineRun(root, compute, run(["dvc", "repro"], root))
