"""Loading the metrics tables for the analysis notebooks, and pairing each row with its reference."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sslnb.columns import DIAGNOSTIC, LABEL_BASED, LABEL_FREE

__all__ = ["DIAGNOSTIC", "LABEL_BASED", "LABEL_FREE", "load_metrics", "with_reference", "outlier_mask", "outlier_milestones"]


def load_metrics(paths: list[Path] | list[str]) -> pd.DataFrame:
    """Concatenate per-method metrics tables written by the evaluate stage."""
    if not paths:
        raise FileNotFoundError("no metrics tables given; run the evaluate stage first (dvc repro evaluate)")
    return pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)


def by_epoch(table: pd.DataFrame, layer: str = "backbone", digits: int = 4) -> pd.DataFrame:
    """One layer's numbers with a row per quantity and a column per checkpoint, the empty ones left out.

    A run's table has some 40 columns and a dozen checkpoints: turned this way it fits a page.
    """
    rows = table[table.layer == layer].set_index("epoch").sort_index()
    return rows.select_dtypes("number").dropna(axis=1, how="all").T.round(digits)


def with_reference(table: pd.DataFrame, reference: str = "linear_probe_acc",
                   reference_layer: str = "backbone") -> pd.DataFrame:
    """Add a ``reference`` column: ``reference`` of ``reference_layer`` at the same method and epoch.

    The linear probe is conventionally read on the backbone, so every layer's metrics are compared with
    the backbone's probe accuracy of the same checkpoint.
    """
    keys = [c for c in ("method", "dataset", "epoch") if c in table.columns]
    ref = table[table.layer == reference_layer][[*keys, reference]]
    if ref.empty:
        raise ValueError(f"the metrics table has no rows for layer {reference_layer!r}")
    return table.merge(ref.rename(columns={reference: "reference"}), on=keys, how="left")


def outlier_mask(table: pd.DataFrame, threshold: float | None = None) -> pd.Series:
    """True for the checkpoint x layer rows with at least one sample beyond robust z = ``threshold``.

    ``threshold=None`` takes the evaluate stage's own (``metrics.outlier_z``: ``outlier_fraction > 0``);
    any other threshold reads the largest z-score of each row (``outlier_max_z > threshold``), so a
    notebook can flag at another level without re-scoring.
    """
    if threshold is None:
        return table.get("outlier_fraction", pd.Series(0.0, index=table.index)) > 0
    if not threshold > 0:
        raise ValueError(f"outlier_z must be a positive robust z-score, got {threshold}")
    return table.get("outlier_max_z", pd.Series(float("nan"), index=table.index)) > threshold


def outlier_milestones(table: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """Checkpoint x layer rows with at least one outlying sample (see :func:`outlier_mask`)."""
    flagged = table[outlier_mask(table, threshold)]
    return flagged[[c for c in ("method", "layer", "epoch", "outlier_fraction", "outlier_max_z") if c in table]]
