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

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sslnb.columns import FEWSHOT_SHOTS


@dataclass(frozen=True)
class Direction:
    """How a metric's values order embeddings from worse to better.

    ``sign`` +1: higher is better; -1: lower is better; 0 with ``target`` set: closer to ``target`` is better.
    """

    sign: int
    reason: str
    target: float | None = None

    def score(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Values mapped so that higher always means better."""
        values = np.asarray(values, dtype=float)
        if self.target is not None:
            return -np.abs(values - self.target)
        return self.sign * values


HIGHER = 1
LOWER = -1

DIRECTIONS: dict[str, Direction] = {
    "silhouette": Direction(HIGHER, "better-separated k-means clusters (study; Rousseeuw 1987)"),
    "silhouette_pca": Direction(HIGHER, "as silhouette, scored in principal components"),
    "ami_c1_c2": Direction(HIGHER, "a clustering structure two k-means runs agree on (study)"),
    "entropy_kl_bits": Direction(HIGHER, "spread embeddings, far from collapse (Wang & Isola 2020); the study "
                                         "saw entropy fall while accuracy rose, which this choice tests"),
    "entropy_gaussian_bits": Direction(HIGHER, "as entropy_kl_bits"),
    "entropy_binned_bits": Direction(HIGHER, "as entropy_kl_bits"),
    "rankme": Direction(HIGHER, "higher effective rank predicts better downstream accuracy (Garrido et al. 2023)"),
    "alpha_req": Direction(0, "a power-law decay with alpha near 1 is best (Agrawal et al. 2022)", target=1.0),
    "stable_rank": Direction(HIGHER, "more dimensions in use (Tsitsulin et al. 2023)"),
    "nesum": Direction(HIGHER, "more dimensions in use (Tsitsulin et al. 2023)"),
    "self_cluster": Direction(LOWER, "high SelfCluster means rows crowd together (Tsitsulin et al. 2023)"),
    "embedding_std": Direction(HIGHER, "0 is collapse, 1/sqrt(d) is healthy (Chen & He 2021)"),
    "alignment": Direction(LOWER, "closer positive pairs (Wang & Isola 2020)"),
    "uniformity": Direction(LOWER, "more uniform on the sphere (Wang & Isola 2020)"),
    "twonn_dimension": Direction(LOWER, "a lower intrinsic dimension goes with higher probe accuracy (IdEst, "
                                        "Mordacq et al. 2026; TwoNN: Facco et al. 2017)"),
    "mst_dimension": Direction(LOWER, "as twonn_dimension (IdEst's MST / PH0 estimator)"),
    "cluster_learnability": Direction(HIGHER, "clusters a kNN classifier can learn (CLID, 2022)"),
    "heldout_loss": Direction(LOWER, "the held-out objective: NT-Xent of the reference views at one temperature"),
    "lidar": Direction(HIGHER, "higher effective rank of the discriminative subspace (Thilak et al. 2024)"),
    "ami_c1_gt": Direction(HIGHER, "label-based: clusters that match the classes"),
    "knn_acc": Direction(HIGHER, "label-based: accuracy"),
    "linear_probe_acc": Direction(HIGHER, "label-based: accuracy"),
    "nmi_c1_gt": Direction(HIGHER, "label-based: clusters that match the classes"),
    "probe_bn_acc": Direction(HIGHER, "label-based: accuracy"),
    "finetune_acc": Direction(HIGHER, "label-based: accuracy"),
    **{f"fewshot_acc_{k}": Direction(HIGHER, "label-based: accuracy") for k in FEWSHOT_SHOTS},
}
# Not selection criteria: alpha_req_r2 is the fit's quality, ami_backbone_projector has no agreed
# direction (backbone and projector may rightly diverge as the projector specialises to the loss).
UNDIRECTED = ("alpha_req_r2", "ami_backbone_projector")


def direction_of(metric: str) -> Direction:
    if metric not in DIRECTIONS:
        raise ValueError(f"no selection direction is declared for {metric!r}; add one to sslnb.selection.DIRECTIONS "
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
