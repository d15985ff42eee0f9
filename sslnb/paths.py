"""Where every artifact of the pipeline lives.

This module is the one place that knows the project's folder layout, so stages, notebooks and tests
agree on it. Paths are relative to a project root (the folder holding ``dvc.yaml`` and
``params.yaml``), which defaults to the current working directory because DVC runs every stage there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProjectPaths:
    """The folder layout of one sslnb project (cookiecutter-data-science style)."""

    root: Path

    @classmethod
    def here(cls) -> "ProjectPaths":
        return cls(Path.cwd())

    # -- inputs and the prepared data -------------------------------------------------------
    @property
    def params(self) -> Path:
        return self.root / "params.yaml"

    @property
    def raw(self) -> Path:
        """Downloads land here when the torchvision downloader is the data source."""
        return self.root / "data" / "raw"

    @property
    def dataset(self) -> Path:
        """Compact copy of the train/test subsets written by the ``prepare`` stage."""
        return self.root / "data" / "processed" / "dataset.npz"

    @property
    def domains(self) -> Path:
        """Shifted and out-of-domain evaluation sets, written by ``prepare`` (sslnb.sources.domains)."""
        return self.root / "data" / "processed" / "domains.npz"

    # -- per-method artifacts ---------------------------------------------------------------
    def checkpoints(self, method: str) -> Path:
        return self.root / "data" / "checkpoints" / method

    def checkpoint(self, method: str, epoch: int) -> Path:
        return self.checkpoints(method) / f"epoch_{epoch:04d}.pt"

    def embeddings(self, method: str) -> Path:
        return self.root / "data" / "embeddings" / method

    def embedding(self, method: str, epoch: int) -> Path:
        return self.embeddings(method) / f"epoch_{epoch:04d}.npz"

    def metrics_tables(self) -> list[Path]:
        """The metrics tables present, one per method, sorted by name."""
        return sorted(self.metrics_folder.glob("*.csv"))

    def metrics_table(self, method: str) -> Path:
        """Tidy per-checkpoint table: one row per checkpoint x layer, one column per metric."""
        return self.metrics_folder / f"{method}.csv"

    def domain_table(self, method: str) -> Path:
        """Every metric and reference per checkpoint x layer x shifted or out-of-domain set."""
        return self.root / "data" / "domains" / f"{method}.csv"

    def domain_tables(self) -> list[Path]:
        return sorted((self.root / "data" / "domains").glob("*.csv"))

    def finetune_table(self, method: str) -> Path:
        """Fine-tuning accuracy per checkpoint and evaluation set (the finetune stage)."""
        return self.root / "data" / "finetune" / f"{method}.csv"

    @property
    def metrics_folder(self) -> Path:
        """Every method's metrics table: what the summary and the analysis notebooks read."""
        return self.root / "data" / "metrics"

    def tsne(self, method: str) -> Path:
        """t-SNE coordinates of the evaluation set at the first, middle and last milestone."""
        return self.root / "data" / "tsne" / f"{method}.npz"

    @property
    def pipeline(self) -> Path:
        """The main DVC pipeline (its stages' code dependencies are the sweeps' too)."""
        return self.root / "dvc.yaml"

    # -- the sweeps (sslnb.sweeps.spec; sweeps/<name>/dvc.yaml) ---------------------------------------
    def sweep_project(self, sweep: str, point: str) -> Path:
        """Root of one grid point's sub-project: its params.yaml and data/ live there."""
        return self.root / "data" / "sweeps" / sweep / point

    @property
    def sweep_tables_folder(self) -> Path:
        return self.root / "data" / "sweeps"

    def sweep_table(self, sweep: str) -> Path:
        """Every point's metrics rows with its grid values and training loss (``sslnb sweep-collect``)."""
        return self.sweep_tables_folder / f"{sweep}.csv"

    def sweep_pipeline(self, sweep: str) -> Path:
        """The sweep's generated DVC pipeline (``sslnb sweep-plan``)."""
        return self.root / "sweeps" / sweep / "dvc.yaml"

    @property
    def sweeps_pipeline(self) -> Path:
        """The sweeps' analysis pipeline (leaderboard, findings per seed, architectures; generated)."""
        return self.root / "sweeps" / "dvc.yaml"

    def sweep_pipelines(self) -> list[Path]:
        return sorted((self.root / "sweeps").glob("*/dvc.yaml"))

    @property
    def sweep_reports(self) -> Path:
        """The sweeps' executed notebooks, verdicts and pages; no stage of dvc.yaml depends on them."""
        return self.reports / "sweeps"

    @property
    def architecture_verdict(self) -> Path:
        """The fifth finding's verdict, written by the architecture sweep's notebook."""
        return self.sweep_reports / "architectures.json"

    @property
    def leaderboard(self) -> Path:
        """Which metric to trust for which decision: ``<stem>.csv`` and ``.md`` (the runs notebook)."""
        return self.tables / "leaderboard"

    @property
    def sweep_pages(self) -> Path:
        """The sweeps' rendered notebooks, outside ``rendered`` so no default stage depends on them."""
        return self.sweep_reports / "html"

    # -- analysis outputs -------------------------------------------------------------------
    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def tables(self) -> Path:
        return self.reports / "tables"

    @property
    def executed_notebooks(self) -> Path:
        return self.reports / "notebooks"

    @property
    def rendered(self) -> Path:
        """HTML of the executed notebooks, code hidden; linked from the report's index."""
        return self.reports / "html"

    @property
    def index(self) -> Path:
        return self.reports / "index.html"

    @property
    def summary(self) -> Path:
        """DVC ``metrics`` file: the run's headline numbers."""
        return self.reports / "summary.json"

    @property
    def findings(self) -> Path:
        return self.reports / "findings.json"

    @property
    def plots(self) -> Path:
        """DVC ``plots`` files: one CSV per metric with columns epoch, method, <metric>."""
        return self.reports / "plots"


def epoch_from_name(path: Path) -> int:
    """The epoch encoded in a checkpoint or embedding file name such as ``epoch_0012.pt``."""
    stem = path.name.split(".")[0]
    prefix, _, number = stem.partition("_")
    if prefix != "epoch" or not number.isdigit():
        raise ValueError(f"{path.name!r} is not named like 'epoch_0012.<ext>'; cannot tell its epoch")
    return int(number)


def epoch_files(folder: Path, suffix: str) -> list[Path]:
    """The ``epoch_XXXX<suffix>`` files in ``folder`` (``.pt`` checkpoints, ``.npz`` embeddings), by epoch."""
    return sorted(Path(folder).glob(f"epoch_*{suffix}"), key=epoch_from_name)


def find_root(start: str | Path | None = None) -> Path:
    """The project root: ``start`` if given, else the nearest folder upwards holding ``dvc.yaml``.

    Notebooks call this so they run unchanged from ``notebooks/`` in JupyterLab and from the project
    root under papermill.
    """
    if start is not None:
        return Path(start).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").is_file():
            return folder
    raise FileNotFoundError(f"no dvc.yaml in {here} or its parents; pass project_root explicitly")
