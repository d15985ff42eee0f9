"""Analysis of the metrics tables: how well each label-free metric tracks the label-based references."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sslnb.evaluate import LABEL_BASED, LABEL_FREE


def load_metrics(paths: list[Path] | list[str]) -> pd.DataFrame:
    """Concatenate per-method metrics tables written by the evaluate stage."""
    if not paths:
        raise FileNotFoundError("no metrics tables given; run the evaluate stage first (dvc repro evaluate)")
    return pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)


def with_reference(table: pd.DataFrame, reference: str = "linear_probe_acc",
                   reference_layer: str = "backbone") -> pd.DataFrame:
    """Add a ``reference`` column: ``reference`` of ``reference_layer`` at the same method and epoch.

    The linear probe is conventionally read on the backbone, so every layer's metrics are compared with
    the backbone's probe accuracy of the same checkpoint.
    """
    ref = table[table.layer == reference_layer][["method", "epoch", reference]]
    if ref.empty:
        raise ValueError(f"the metrics table has no rows for layer {reference_layer!r}")
    return table.merge(ref.rename(columns={reference: "reference"}), on=["method", "epoch"], how="left")


def spearman_table(table: pd.DataFrame, reference: str = "linear_probe_acc",
                   reference_layer: str = "backbone") -> pd.DataFrame:
    """Spearman's rho across checkpoints between each metric and ``reference``, per method x layer.

    Returns one row per method x layer x metric with ``rho``, its two-sided ``p_value``, the number of
    checkpoints ``n`` and ``kind`` (label-free, or label-based for comparison). rho is NaN when either
    series is constant across checkpoints. Without labels (no reference values) the table is empty.
    """
    if table[reference].isna().all():
        return pd.DataFrame(columns=["method", "layer", "metric", "kind", "reference", "rho", "p_value", "n"])
    merged = with_reference(table, reference, reference_layer)
    rows = []
    for (method, layer), group in merged.groupby(["method", "layer"], sort=True):
        for metric in LABEL_FREE + LABEL_BASED:
            if metric == reference and layer == reference_layer:
                continue  # correlating the reference with itself says nothing
            rho, p_value = _spearman(group[metric].to_numpy(), group["reference"].to_numpy())
            rows.append({
                "method": method, "layer": layer, "metric": metric,
                "kind": "label-free" if metric in LABEL_FREE else "label-based",
                "reference": f"{reference} ({reference_layer})", "rho": rho, "p_value": p_value,
                "n": len(group),
            })
    return pd.DataFrame(rows)


def _spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.spearmanr(x, y)
    return float(result.statistic), float(result.pvalue)
