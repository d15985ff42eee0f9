"""The ``summarize`` stage: the run's headline numbers for ``dvc metrics`` and its progression for ``dvc plots``.

- ``reports/summary.json`` (the ``metrics`` section of dvc.yaml): per method, the backbone's label-based
  references and main label-free metrics at the last checkpoint, the probe's gain since epoch 0 and the
  number of outlier milestones. ``dvc metrics show`` and ``dvc exp show`` read it.
- ``reports/plots/<metric>.csv`` (the ``plots`` section): the backbone's ``epoch``, ``method`` and
  ``<metric>`` at every checkpoint; ``dvc plots show`` draws one line per method (template
  ``.dvc/plots/by_method.json``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sslnb.analysis.tables import load_metrics
from sslnb.columns import DIAGNOSTIC, LABEL_BASED, LABEL_FREE
from sslnb.io import atomic_folder, save_csv, save_json
from sslnb.paths import ProjectPaths

HEADLINE = ("linear_probe_acc", "knn_acc", "ami_c1_gt", "entropy_kl_bits", "rankme", "silhouette", "ami_c1_c2")


def summary(table: pd.DataFrame, layer: str = "backbone") -> dict[str, dict[str, float]]:
    """``{method: {metric: value at the last checkpoint, ..., lp_gain_points, outlier_milestones}}``."""
    rows = table[table.layer == layer]
    result = {}
    for method, group in rows.groupby("method", sort=True):
        group = group.sort_values("epoch")
        last, first = group.iloc[-1], group.iloc[0]
        values = {metric: float(last[metric]) for metric in HEADLINE if np.isfinite(last[metric])}
        if np.isfinite(last["linear_probe_acc"]) and np.isfinite(first["linear_probe_acc"]):
            values["lp_gain_points"] = 100 * float(last["linear_probe_acc"] - first["linear_probe_acc"])
        values["epochs"] = int(last["epoch"])
        values["outlier_milestones"] = int((group["outlier_fraction"] > 0).sum())
        result[method] = values
    return result


def write_plots(table: pd.DataFrame, folder: Path, layer: str = "backbone") -> list[Path]:
    """One ``<metric>.csv`` (epoch, method, metric) per metric column, written to a fresh ``folder``."""
    rows = table[table.layer == layer].sort_values(["method", "epoch"])
    with atomic_folder(folder) as tmp:  # the whole folder appears at once
        for metric in (*LABEL_BASED, *LABEL_FREE, *DIAGNOSTIC):
            if metric in rows and rows[metric].notna().any():
                save_csv(rows[["epoch", "method", metric]], tmp / f"{metric}.csv")
    return sorted(folder.glob("*.csv"))


def summarize(paths: ProjectPaths) -> Path:
    tables = paths.metrics_tables()
    if not tables:
        raise FileNotFoundError(f"no metrics tables in {paths.metrics_folder}; run the evaluate stages first")
    table = load_metrics(tables)
    write_plots(table, paths.plots)
    save_json(summary(table), paths.summary)
    return paths.summary
