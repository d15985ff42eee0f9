"""Choosing among runs without labels: which metric to trust, and for which decision.

A metric earns trust by ranking *runs* as the labelled oracle (the linear probe of the backbone) ranks
them, across runs that differ in what the user actually has to choose (RankMe, Garrido et al. ICML 2023;
LiDAR, Thilak et al. ICLR 2024). The collected sweeps (:mod:`sslnb.sweeps`) provide the runs; each
sweep's ``decision`` says what choosing among them decides:

- ``hyperparameter``, ``seed``, ``architecture``: the candidates of a group (sweep x method x layer) are
  its runs, each at its final checkpoint (supervised reference runs are left out: they used labels);
- ``checkpoint``: the candidates of a group (sweep x run x layer) are the run's checkpoints.

For each group and metric, with the metric's declared direction (:data:`sslnb.selection.DIRECTIONS`, fixed
before looking at any probe) turning values into scores s (higher = better) and the probe accuracies a:

- Kendall's tau-b and Spearman's rho between s and a;
- regret = 100 (max a - a[chosen]) in points, the chosen candidate the one of highest s (a tie shares the
  choice: the regret is the mean over the tied candidates);
- the random pick's expected regret, 100 mean(max a - a).

Baselines sit beside the metrics: ``training_loss`` (lower is better: LeJEPA, Balestriero & LeCun 2025,
rank runs by it), ``random`` and the oracle ``linear_probe_acc`` (tau 1, regret 0 by construction).
Each decision is judged again with fine-tuning accuracy and with the out-of-domain set's own probe as the
oracle (``finetune_acc``, ``ood_probe_acc``; decisions "checkpoint (fine-tuning)" and so on).
Intervals are percentile-bootstrap 95% intervals over the candidates (resampled with replacement within
each group). The **leaderboard** averages each metric's tau and regret over the groups of a decision (on
the backbone) and orders metrics by their mean rank of tau over the decisions. The **seed noise floor**
is the standard deviation of the final probe across seeds of one configuration (the ``seed`` sweep), in
points: a regret below it cannot be told from luck.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from sslnb.architectures import SUPERVISED
from sslnb.selection import DIRECTIONS, direction_of

ORACLE = "linear_probe_acc"
# The oracles a decision can be judged by: the probe (the decision itself), and, as extra decisions named
# "<decision> (<label>)", fine-tuning accuracy and the out-of-domain set's own probe (sslnb.protocols).
TARGETS = {ORACLE: None, "finetune_acc": "fine-tuning", "ood_probe_acc": "out of domain"}
LOSS = "training_loss"
RANDOM = "random"
DECISIONS = ("checkpoint", "hyperparameter", "seed", "architecture")
LEADERBOARD_COLUMNS = ["metric", "decision", "kendall_tau", "tau_low", "tau_high", "regret", "regret_low",
                       "regret_high", "n_runs"]
LOSS_DIRECTION = -1  # lower training loss is better


@dataclass(frozen=True)
class Candidates:
    """The candidates of one decision group: their probe accuracies and each metric's scores."""

    key: dict  # sweep, decision, method or run, layer
    accuracy: np.ndarray  # (n,) oracle accuracy in [0, 1]
    scores: dict[str, np.ndarray]  # metric -> (n,) scores, higher = better, NaN = not scored
    oracle: str = ORACLE  # the column ``accuracy`` comes from (a key of TARGETS)


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each row pair of ``x`` and ``y`` (shape (..., n)); NaN where either is all ties.

    tau_b = sum_{i<j} sgn(x_i - x_j) sgn(y_i - y_j) / sqrt(n_x n_y), with n_x (n_y) the pairs not tied in x
    (y): scipy.stats.kendalltau's default, vectorised over leading axes for the bootstrap. A pair with a
    NaN in either array is left out, so the result is tau-b of the candidates scored in both.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    paired = finite[..., :, None] & finite[..., None, :]  # a pair with a NaN counts nowhere: sign 0 in both
    with np.errstate(invalid="ignore"):
        sx = np.where(paired, np.sign(x[..., :, None] - x[..., None, :]), 0.0)
        sy = np.where(paired, np.sign(y[..., :, None] - y[..., None, :]), 0.0)
    upper = np.triu(np.ones(sx.shape[-2:], dtype=bool), k=1)
    numerator = (sx * sy)[..., upper].sum(axis=-1)
    nx, ny = (sx != 0)[..., upper].sum(axis=-1), (sy != 0)[..., upper].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((nx > 0) & (ny > 0), numerator / np.sqrt(nx * ny), np.nan)


def spearman_rho(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho (Pearson correlation of average ranks); NaN if either is constant."""
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def regret(scores: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Points lost by picking the highest score (ties: the mean over them); shape (..., n) -> (...).

    NaN scores are never picked; NaN if every score is NaN.
    """
    scores, accuracy = np.asarray(scores, dtype=float), np.asarray(accuracy, dtype=float)
    valid = np.isfinite(scores)
    masked = np.where(valid, scores, -np.inf)
    top = masked.max(axis=-1, keepdims=True)
    chosen = valid & (masked == top)
    picked = (accuracy * chosen).sum(axis=-1) / np.maximum(chosen.sum(axis=-1), 1)
    best = accuracy.max(axis=-1)
    lost = np.maximum(100 * (best - picked), 0.0)  # >= 0; the mean over ties may round a hair below best
    return np.where(valid.any(axis=-1), lost, np.nan)


def random_regret(accuracy: np.ndarray) -> np.ndarray:
    """The expected regret of a uniformly random pick, in points."""
    accuracy = np.asarray(accuracy, dtype=float)
    return 100 * (accuracy.max(axis=-1) - accuracy.mean(axis=-1))


def _scores(frame: pd.DataFrame, metric: str) -> np.ndarray:
    values = frame[metric].to_numpy(dtype=float)
    return LOSS_DIRECTION * values if metric == LOSS else direction_of(metric).score(values)


def selectable_metrics(table: pd.DataFrame, metrics: Iterable[str]) -> list[str]:
    """``metrics`` that ``table`` has and that have a declared direction, then the training loss."""
    chosen = [m for m in metrics if m in table.columns and m in DIRECTIONS and m not in TARGETS]
    return chosen + ([LOSS] if LOSS in table.columns else [])


def decision_groups(runs: pd.DataFrame, metrics: Sequence[str], reference_layer: str = "backbone",
                    oracle: str = ORACLE) -> list[Candidates]:
    """Split the stacked sweep tables into the candidate sets of :func:`run_selection` (module docstring).

    Every layer's rows are judged by the ``oracle`` of the ``reference_layer`` at the same run and epoch. With
    an oracle other than the probe the decision is named "<decision> (<label>)" (:data:`TARGETS`); a table
    without that oracle's values gives no group.
    """
    if oracle not in TARGETS:
        raise ValueError(f"unknown oracle {oracle!r}; choose one of {list(TARGETS)}")
    required = {"sweep", "decision", "run", "method", "layer", "epoch", ORACLE}
    missing = required - set(runs.columns)
    if missing:
        raise ValueError(f"the sweep table lacks column(s) {sorted(missing)}; collect it with `sslnb sweep-collect`")
    if oracle not in runs.columns:
        return []
    # a supervised reference model used labels: it is no candidate of a label-free choice
    runs = runs[runs.method != SUPERVISED]
    reference = runs[runs.layer == reference_layer][["sweep", "run", "epoch", oracle]]
    table = runs.drop(columns=[c for c in TARGETS if c in runs.columns]).merge(
        reference, on=["sweep", "run", "epoch"], how="inner")
    groups = []
    for (sweep, decision), rows in table.groupby(["sweep", "decision"], sort=True):
        if decision == "checkpoint":
            keyed, keys = rows, ["run", "layer"]
        else:  # each run's final checkpoint
            keyed = rows[rows.epoch == rows.groupby("run").epoch.transform("max")]
            keys = ["method", "layer"]
        named = decision if TARGETS[oracle] is None else f"{decision} ({TARGETS[oracle]})"
        for key, group in keyed.groupby(keys, sort=True):
            group = group[np.isfinite(group[oracle].to_numpy(dtype=float))].sort_values(["epoch", "run"])
            if len(group) < 2:
                continue
            groups.append(Candidates(
                {"sweep": sweep, "decision": named, **dict(zip(keys, key)),
                 **({"method": group.method.iloc[0]} if "method" not in keys else {})},
                group[oracle].to_numpy(dtype=float), {m: _scores(group, m) for m in metrics}, oracle))
    return groups


def _judge(scores: np.ndarray, accuracy: np.ndarray) -> tuple[float, float, float]:
    keep = np.isfinite(scores)
    tau = float(kendall_tau_b(scores, accuracy))  # pairs with an unscored candidate are left out
    rho = spearman_rho(scores[keep], accuracy[keep]) if keep.sum() >= 2 else float("nan")
    return tau, rho, float(regret(scores, accuracy))


def run_selection(groups: Sequence[Candidates], n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """One row per group x metric (the metrics, ``training_loss``, ``random`` and the oracle): ``tau``,
    ``rho``, ``regret``, ``random_regret``, ``n_runs`` and bootstrap intervals ``tau_low`` ... ``regret_high``.

    The bootstrap arrays (``boot_tau``, ``boot_regret``: n_boot values) travel along for
    :func:`leaderboard`, which averages them over groups.
    """
    rng = np.random.default_rng(random_state)
    rows = []
    for group in groups:
        n = len(group.accuracy)
        draws = rng.integers(0, n, size=(n_boot, n))  # the same resamples for every metric of the group
        boot_acc = group.accuracy[draws]
        candidates = {**group.scores, group.oracle: group.accuracy,
                      RANDOM: None}  # random: fresh random scores per resample
        for metric, scores in candidates.items():
            if metric == RANDOM:
                tau, rho, lost = 0.0, 0.0, float(random_regret(group.accuracy))
                boot_scores = rng.random((n_boot, n))
                boot_tau = kendall_tau_b(boot_scores, boot_acc)
                boot_regret = random_regret(boot_acc)
            else:
                tau, rho, lost = _judge(scores, group.accuracy)
                boot_scores = scores[draws]
                boot_tau = kendall_tau_b(boot_scores, boot_acc)  # over the scored candidates of each resample
                boot_regret = regret(boot_scores, boot_acc)
            rows.append({**group.key, "metric": metric, "tau": tau, "rho": rho, "regret": lost,
                         "random_regret": float(random_regret(group.accuracy)), "n_runs": n,
                         "tau_low": _percentile(boot_tau, 2.5), "tau_high": _percentile(boot_tau, 97.5),
                         "regret_low": _percentile(boot_regret, 2.5), "regret_high": _percentile(boot_regret, 97.5),
                         "boot_tau": boot_tau, "boot_regret": boot_regret})
    return pd.DataFrame(rows)


def _percentile(values: np.ndarray, q: float) -> float:
    values = np.asarray(values, dtype=float)
    return float(np.nanpercentile(values, q)) if np.isfinite(values).any() else float("nan")


def seed_noise_floor(runs: pd.DataFrame, layer: str = "backbone") -> pd.DataFrame:
    """Per method: the std (ddof 1, points) of the final probe across the seeds of the ``seed`` sweeps."""
    seeds = runs[(runs.decision == "seed") & (runs.layer == layer)]
    finals = seeds[seeds.epoch == seeds.groupby("run").epoch.transform("max")]
    floor = finals.groupby("method")[ORACLE].agg(lambda a: 100 * float(np.std(a, ddof=1)) if len(a) > 1 else np.nan)
    return floor.rename("noise_floor").reset_index()


def _mean_over_groups(boots: pd.Series) -> np.ndarray:
    """Per resample, the mean over groups; NaN where every group is NaN (a resample of one repeated
    candidate has no tau)."""
    stacked = np.stack(boots.to_list())
    counts = np.isfinite(stacked).sum(axis=0)
    return np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan)


def leaderboard(selection: pd.DataFrame, noise_floor: pd.DataFrame | None = None,
                layer: str = "backbone") -> pd.DataFrame:
    """Each metric's mean tau and regret over a decision's groups on ``layer``, with bootstrap intervals.

    Columns :data:`LEADERBOARD_COLUMNS`, then ``rho``, ``random_regret``, ``noise_floor`` (the mean seed
    noise floor of the decision's methods, points), ``kind`` (metric, baseline, oracle) and ``mean_rank``
    (of tau within each decision, averaged over decisions; the oracle is not ranked). Sorted by
    decision order within ``mean_rank``: metrics first by mean rank, the oracle on top.
    """
    rows = []
    floors = dict(zip(noise_floor.method, noise_floor.noise_floor)) if noise_floor is not None else {}
    for (decision, metric), group in selection[selection.layer == layer].groupby(["decision", "metric"], sort=True):
        boot_tau = _mean_over_groups(group.boot_tau)  # per resample
        boot_regret = _mean_over_groups(group.boot_regret)
        method_floors = [floors[m] for m in group.method.unique() if np.isfinite(floors.get(m, np.nan))]
        rows.append({"metric": metric, "decision": decision,
                     "kendall_tau": float(np.nanmean(group.tau)) if group.tau.notna().any() else np.nan,
                     "tau_low": _percentile(boot_tau, 2.5), "tau_high": _percentile(boot_tau, 97.5),
                     "regret": float(np.nanmean(group.regret)) if group.regret.notna().any() else np.nan,
                     "regret_low": _percentile(boot_regret, 2.5), "regret_high": _percentile(boot_regret, 97.5),
                     "n_runs": int(group.n_runs.sum()), "rho": float(np.nanmean(group.rho)),
                     "random_regret": float(group.random_regret.mean()),
                     "noise_floor": float(np.mean(method_floors)) if method_floors else np.nan,
                     "kind": "oracle" if metric in TARGETS else "baseline" if metric in (LOSS, RANDOM) else "metric"})
    board = pd.DataFrame(rows)
    if board.empty:
        raise ValueError(f"no decision group on layer {layer!r}: the sweeps need at least 2 runs per group")
    ranked = board[board.kind != "oracle"].copy()
    # rank 1 = the highest tau of the decision; a metric without tau ranks last
    ranked["rank"] = ranked.groupby("decision").kendall_tau.rank(ascending=False, method="average", na_option="bottom")
    board = board.merge(ranked.groupby("metric")["rank"].mean().rename("mean_rank"), on="metric", how="left")
    order = [d if label is None else f"{d} ({label})" for label in TARGETS.values() for d in DECISIONS]
    board["_order"] = board.decision.map({d: i for i, d in enumerate(order)})
    board = board.sort_values(["mean_rank", "metric", "_order"], na_position="first").drop(columns="_order")
    return board.reset_index(drop=True)[[*LEADERBOARD_COLUMNS, "rho", "random_regret", "noise_floor", "kind",
                                         "mean_rank"]]


def verdict(board: pd.DataFrame, decisions: Sequence[str] = DECISIONS) -> dict:
    """Which metrics beat the training loss (lower mean regret), per decision, and by more than the floor.

    Only the ``decisions`` given (by default the four judged by the probe; pass e.g. "checkpoint
    (fine-tuning)" for the extra targets).

    Returns ``{"sentence": str, "beats_loss": {decision: [metric, ...]}, "beyond_floor": {decision: [...]}}``.
    """
    beats, beyond, parts = {}, {}, []
    for decision, rows in board[board.decision.isin(decisions)].groupby("decision", sort=False):
        loss = rows[rows.metric == LOSS]
        metrics = rows[rows.kind == "metric"].dropna(subset=["regret"])
        if loss.empty or not np.isfinite(loss.regret.iloc[0]):
            parts.append(f"{decision}: no training loss to compare with")
            continue
        loss_regret, floor = float(loss.regret.iloc[0]), float(rows.noise_floor.iloc[0])
        better = metrics[metrics.regret < loss_regret].sort_values("regret")
        beats[decision] = better.metric.tolist()
        beyond[decision] = better[loss_regret - better.regret > floor].metric.tolist() if np.isfinite(floor) else []
        floor_text = f"{floor:.2f}" if np.isfinite(floor) else "unknown"
        if better.empty:
            parts.append(f"for the {decision} decision no metric beats the training loss (regret {loss_regret:.2f})")
        else:
            named = ", ".join(f"{m} ({r:.2f})" for m, r in zip(better.metric[:5], better.regret[:5]))
            more = f" and {len(better) - 5} more" if len(better) > 5 else ""
            margin = (f"{len(beyond[decision])} of them by more than the seed noise floor ({floor_text} points): "
                      f"{', '.join(beyond[decision])}" if beyond[decision]
                      else f"none by more than the seed noise floor ({floor_text} points)")
            parts.append(f"for the {decision} decision {len(better)} metric(s) have a lower regret than the training "
                         f"loss ({loss_regret:.2f} points): {named}{more}; {margin}")
    sentence = "Against the training loss as a baseline, " + "; ".join(parts) + "."
    return {"sentence": sentence, "beats_loss": beats, "beyond_floor": beyond}
