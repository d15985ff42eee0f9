"""Choosing checkpoints and ranking methods with a label-free metric, and what that choice costs.

A metric can only select if we know which of its values is "better". :data:`DIRECTIONS` declares that
for every metric, from the paper that proposed it, *before* looking at any probe accuracy; a label-free
selection must not peek at labels to decide its own direction. Two questions are then answered:

- **Checkpoint-selection regret** (per method x dataset x layer): the checkpoint a metric ranks best
  is chosen, and regret = (best linear-probe accuracy over the checkpoints) - (accuracy of the chosen
  one), in accuracy points x 100. 0 means the metric found the best checkpoint. For scale, the regret of
  always taking the last checkpoint is reported beside it.
- **Method ranking** (per dataset x layer): Kendall's tau-b between the metric's ranking of the final
  models of the methods and the linear probe's ranking. 1 means the same order, -1 the reverse.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sslnb.metrics.registry import DIAGNOSTIC, HIGHER, LOWER, METRICS, Direction

__all__ = ["DIRECTIONS", "HIGHER", "LOWER", "UNDIRECTED", "Direction", "checkpoint_regret", "direction_of",
           "group_columns", "method_ranking"]


# Each metric's direction is declared with the metric (sslnb.metrics.registry), from the paper that proposed it.
DIRECTIONS: dict[str, Direction] = {entry.name: entry.direction for entry in METRICS if entry.direction is not None}
# Not selection criteria: alpha_req_r2 is the fit's quality, ami_backbone_projector has no agreed
# direction (backbone and projector may rightly diverge as the projector specialises to the loss).
UNDIRECTED = tuple(entry.name for entry in METRICS if entry.direction is None and entry.role != DIAGNOSTIC)


def direction_of(metric: str) -> Direction:
    if metric not in DIRECTIONS:
        raise ValueError(f"no selection direction is declared for {metric!r}; declare it in sslnb.metrics.registry.METRICS "
                         f"(declared: {sorted(DIRECTIONS)})")
    return DIRECTIONS[metric]


def group_columns(table: pd.DataFrame, candidates: Iterable[str] = ("method", "dataset", "layer")) -> list[str]:
    """The grouping columns of ``candidates`` that ``table`` has (bring-your-own tables lack ``dataset``)."""
    return [column for column in candidates if column in table.columns]


def _choose(group: pd.DataFrame, metric: str) -> pd.Series | None:
    """The row the metric ranks best (ties: the earlier epoch); None if the metric is NaN everywhere."""
    scores = direction_of(metric).score(group[metric])
    if not np.isfinite(scores).any():
        return None
    best = np.nanmax(np.where(np.isfinite(scores), scores, -np.inf))
    candidates = group[scores == best]
    return candidates.sort_values("epoch").iloc[0]


def checkpoint_regret(table: pd.DataFrame, metrics: Iterable[str], reference: str = "reference") -> pd.DataFrame:
    """Regret of selecting a checkpoint by each metric, per method x dataset x layer.

    ``table`` has one row per checkpoint with ``epoch``, the ``metrics`` columns and ``reference`` (the
    linear-probe accuracy to judge by, in [0, 1]). Returns one row per group x metric with
    ``chosen_epoch``, ``chosen_acc``, ``best_epoch``, ``best_acc``, ``regret`` (points) and
    ``last_regret`` (points, of taking the last checkpoint).
    """
    _require(table, ["epoch", reference, *metrics])
    keys = group_columns(table)
    rows = []
    for key, group in table.groupby(keys, sort=True):
        group = group[np.isfinite(group[reference])]
        if group.empty:
            continue
        best = group.loc[group[reference].idxmax()]
        last = group.loc[group.epoch.idxmax()]
        for metric in metrics:
            chosen = _choose(group, metric)
            rows.append({
                **dict(zip(keys, key if isinstance(key, tuple) else (key,))), "metric": metric,
                "chosen_epoch": np.nan if chosen is None else int(chosen.epoch),
                "chosen_acc": np.nan if chosen is None else float(chosen[reference]),
                "best_epoch": int(best.epoch), "best_acc": float(best[reference]),
                "regret": np.nan if chosen is None else 100 * float(best[reference] - chosen[reference]),
                "last_regret": 100 * float(best[reference] - last[reference]),
            })
    return pd.DataFrame(rows)


def method_ranking(table: pd.DataFrame, metrics: Iterable[str], reference: str = "reference",
                   by: Iterable[str] = ("dataset", "layer")) -> pd.DataFrame:
    """Kendall's tau-b between each metric's ranking of the methods' final models and ``reference``'s.

    The final model of a method is its last checkpoint. Returns one row per ``by`` group x metric with
    ``tau``, ``p_value``, ``n_methods``, the metric's ``best_method`` and the reference's
    ``reference_best``. tau is NaN with fewer than 2 methods or when either ranking is all ties.
    """
    _require(table, ["method", "epoch", reference, *metrics])
    keys = group_columns(table, by)
    finals = table[table.epoch == table.groupby(["method", *keys]).epoch.transform("max")]
    rows = []
    for key, group in (finals.groupby(keys, sort=True) if keys else [((), finals)]):
        group = group.sort_values("method")
        for metric in metrics:
            scores = direction_of(metric).score(group[metric])
            keep = np.isfinite(scores) & np.isfinite(group[reference].to_numpy())
            tau, p_value = _kendall(scores[keep], group[reference].to_numpy()[keep])
            rows.append({
                **dict(zip(keys, key if isinstance(key, tuple) else (key,))), "metric": metric,
                "tau": tau, "p_value": p_value, "n_methods": int(keep.sum()),
                "best_method": group.method.to_numpy()[keep][np.argmax(scores[keep])] if keep.any() else None,
                "reference_best": group.method.to_numpy()[np.nanargmax(group[reference].to_numpy())],
            })
    return pd.DataFrame(rows)


def _kendall(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan")
    result = stats.kendalltau(x, y)
    return float(result.statistic), float(result.pvalue)


def _require(table: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = sorted(set(columns) - set(table.columns))
    if missing:
        raise ValueError(f"the metrics table lacks column(s) {missing}; was it written by `sslnb evaluate`, "
                         "and does it have labels (for the reference)?")
