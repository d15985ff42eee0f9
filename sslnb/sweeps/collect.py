"""Collecting a finished sweep: every point's metrics table, with its training loss, in one table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sslnb.config import OUT_OF_DOMAIN
from sslnb.io import save_csv
from sslnb.paths import ProjectPaths
from sslnb.sweeps.spec import sweep_from_params


def training_loss(history: Path) -> pd.DataFrame:
    """``epoch`` and ``training_loss`` (the epoch's mean loss; NaN at epoch 0) from a run's history.csv."""
    table = pd.read_csv(history)
    return table[["epoch", "loss"]].rename(columns={"loss": "training_loss"})


OOD_TARGET = "ood_probe_acc"  # the out-of-domain set's own linear probe, a target of the leaderboard


def out_of_domain_probe(domain_table: Path) -> pd.DataFrame:
    """``epoch``, ``layer`` and ``ood_probe_acc``: the linear probe fit and scored on the out-of-domain set."""
    empty = pd.DataFrame({"epoch": pd.Series(dtype="int64"), "layer": pd.Series(dtype=str),
                          OOD_TARGET: pd.Series(dtype=float)})
    if not domain_table.is_file():
        return empty
    table = pd.read_csv(domain_table)
    if table.empty or "domain" not in table or "linear_probe_acc" not in table:
        return empty  # no out-of-domain set, or no labels
    rows = table[table.domain == OUT_OF_DOMAIN]
    return rows[["epoch", "layer", "linear_probe_acc"]].rename(columns={"linear_probe_acc": OOD_TARGET})


def collect(raw: dict[str, Any], sweep_name: str, paths: ProjectPaths) -> Path:
    """Write ``data/sweeps/<sweep>.csv``: every point's metrics rows, with ``sweep``, ``decision``, ``run``,
    ``reuses_main``, one column per grid key (the value's label), ``training_loss`` at each epoch and
    ``ood_probe_acc`` (the out-of-domain set's own probe, from the domain table)."""
    sweep = sweep_from_params(raw, sweep_name)
    tables = []
    for point in sweep.points:
        project = paths if point.reuses_main else ProjectPaths(paths.sweep_project(sweep.name, point.name))
        table_path = project.metrics_table(point.method)
        if not table_path.is_file():
            raise FileNotFoundError(f"{table_path} not found; run the sweep first (dvc repro "
                                    f"sweeps/{sweep.name}/dvc.yaml)")
        table = pd.read_csv(table_path)
        milestones = (point.params.get("train") or {}).get("milestones")
        if milestones:
            table = table[table.epoch.isin(milestones)]
        table = table.merge(out_of_domain_probe(project.domain_table(point.method)), on=["epoch", "layer"], how="left")
        history = project.checkpoints(point.method) / "history.csv"
        table = table.merge(training_loss(history), on="epoch", how="left") if history.is_file() \
            else table.assign(training_loss=np.nan)
        tables.append(table.assign(sweep=sweep.name, decision=sweep.decision, run=point.name,
                                   reuses_main=point.reuses_main, **point.labels))
    save_csv(pd.concat(tables, ignore_index=True), paths.sweep_table(sweep.name))
    return paths.sweep_table(sweep.name)


def load_sweeps(paths: ProjectPaths, names: list[str] | None = None) -> pd.DataFrame:
    """Every collected sweep table present (or those of ``names``), stacked."""
    files = [paths.sweep_table(n) for n in names] if names else sorted(paths.sweep_tables_folder.glob("*.csv"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing or not files:
        raise FileNotFoundError(f"no collected sweep table {missing or ''} under {paths.sweep_tables_folder}; "
                                "run `make sweeps` first")
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
