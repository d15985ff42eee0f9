"""Choosing among runs without labels: which metric to trust, and for which decision.

A metric earns trust by ranking *runs* as the labelled oracle (the linear probe of the backbone) ranks
them, across runs that differ in what the user actually has to choose (RankMe, Garrido et al. ICML 2023;
LiDAR, Thilak et al. ICLR 2024). The collected sweeps (:mod:`sslnb.sweeps.spec`) provide the runs; each
sweep's ``decision`` says what choosing among them decides:

- ``hyperparameter``, ``seed``, ``architecture``: the candidates of a group (sweep x method x layer) are
  its runs, each at its final checkpoint (supervised reference runs are left out: they used labels);
- ``checkpoint``: the candidates of a group (sweep x run x layer) are the run's checkpoints.

For each group and metric, with the metric's declared direction (:data:`sslnb.analysis.selection.DIRECTIONS`, fixed
before looking at any probe) turning values into scores s (higher = better) and the probe accuracies a:

- Kendall's tau-b and Spearman's rho between s and a;
- regret = 100 (max a - a[chosen]) in points, the chosen candidate the one of highest s (a tie shares the
  choice: the regret is the mean over the tied candidates);
- the random pick's expected regret, 100 mean(max a - a).

Baselines sit beside the metrics: ``training_loss`` (lower is better: LeJEPA, Balestriero & LeCun 2025,
rank runs by it; judged only among candidates that share its definition, :func:`loss_is_comparable`, and
NaN elsewhere; the width-bounded metrics, :data:`WIDTH_BOUNDED`, likewise among candidates of one
embedding width), ``last_checkpoint`` (checkpoint decisions: pick the last one), ``random`` and the oracle
``linear_probe_acc`` (tau 1, regret 0 by construction). The checkpoint decision leaves out epoch 0 (the
random initialisation, where the loss has no value), so every metric and baseline is scored on exactly the
same candidates. Each decision is judged again with fine-tuning accuracy and with the out-of-domain set's
own probe as the oracle (``finetune_acc``, ``ood_probe_acc``; decisions "checkpoint (fine-tuning)" and so on).
Intervals are percentile-bootstrap 95% intervals over the candidates (resampled with replacement within
each group, one set of resamples shared by every metric of the group). The **leaderboard** pools each
metric's tau and regret over a decision's groups by their candidate pairs and shows the decisions side by
side. The **verdict** (:func:`verdict`, :mod:`sslnb.analysis.verdict`) is a paired test of Δtau against each
baseline, Holm-corrected across metrics; decisions without a group of 10 candidates are anecdotal. The
**seed noise floor** (the std of the final probe across seeds of one configuration, points) is shown for
scale, not used as a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from sslnb.analysis.architectures import SUPERVISED
from sslnb.columns import HELDOUT
from sslnb.config import DECISIONS as SWEEP_DECISIONS
from sslnb.metrics.registry import METRICS
from sslnb.analysis.selection import DIRECTIONS, direction_of
from sslnb.analysis.statistics import kendall_tau_b, spearman_rho
from sslnb.analysis.verdict import MIN_CANDIDATES, decision_power, pair_weights, paired_test, percentile, pooled

ORACLE = "linear_probe_acc"
# The oracles a decision can be judged by: the probe (the decision itself), and, as extra decisions named
# "<decision> (<label>)", fine-tuning accuracy and the out-of-domain set's own probe (sslnb.analysis.protocol_agreement).
TARGETS = {ORACLE: None, "finetune_acc": "fine-tuning", "ood_probe_acc": "out of domain"}
LOSS = "training_loss"
RANDOM = "random"
LAST = "last_checkpoint"  # the checkpoint decision's plain baseline: pick the last checkpoint
BASELINES = (LOSS, HELDOUT, LAST, RANDOM)  # HELDOUT: the held-out objective, comparable across runs
# A training loss is comparable only between candidates that share its definition: the same method, loss
# temperature and augmentation (the same embeddings give NT-Xent 0.03 at temperature 0.1 and 3.08 at 0.5).
LOSS_DEFINING = ("method", "temperature", "augment.")
# Bounded by the embedding width D (RankMe, NESum and stable rank lie in [1, D]; the Gaussian entropy grows
# with D): compared only among candidates of one width, NaN (flagged in the group's key) elsewhere.
WIDTH_BOUNDED = tuple(entry.name for entry in METRICS if entry.width_bounded)
FAILURE = "failure"  # the failure-detection decision (failure_detection): its sweeps' runs, with the hyper sweep's
DECISIONS = tuple(decision for decision in SWEEP_DECISIONS if decision != FAILURE)  # those judged by the probe
REPLICATE = "replicate_of"  # sweep-table column: the configuration a run repeats with another seed
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
    # the same candidates re-run with another seed: (n,) accuracies and metric -> (n,) scores, NaN where a
    # candidate was not re-run; the bootstrap then draws either run of a re-run candidate, so the seed
    # spread enters the intervals
    rerun_accuracy: np.ndarray | None = None
    rerun_scores: dict[str, np.ndarray] | None = None


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
    """``metrics`` that ``table`` has and that have a declared direction, then the held-out objective and the
    training loss (baselines, judged beside them)."""
    chosen = [m for m in metrics if m in table.columns and m in DIRECTIONS and m not in TARGETS and m not in BASELINES]
    return chosen + [b for b in (HELDOUT, LOSS) if b in table.columns]


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
    # a supervised reference model used labels: it is no candidate of a label-free choice; a configuration
    # re-run with another seed is one candidate, not two (the re-runs measure configuration_share instead)
    runs = runs[runs.method != SUPERVISED]
    reruns, runs = runs[is_rerun(runs)], runs[~is_rerun(runs)]
    reference = runs[runs.layer == reference_layer][["sweep", "run", "epoch", oracle]]
    table = runs.drop(columns=[c for c in TARGETS if c in runs.columns]).merge(
        reference, on=["sweep", "run", "epoch"], how="inner")
    rerun_reference = reruns[reruns.layer == reference_layer][["sweep", "run", "epoch", oracle]]
    rerun_table = reruns.drop(columns=[c for c in TARGETS if c in reruns.columns]).merge(
        rerun_reference, on=["sweep", "run", "epoch"], how="inner")
    groups = []
    for (sweep, decision), rows in table.groupby(["sweep", "decision"], sort=True):
        if decision == FAILURE:
            continue  # judged by failure_detection, with the hyperparameter runs as the healthy ones
        if decision == "checkpoint":
            # epoch 0 is the random initialisation, where the training loss has no value: it leaves every
            # comparison, so that every metric and baseline is scored on exactly the same checkpoints
            keyed, keys = rows[rows.epoch > 0], ["run", "layer"]
        else:  # each run's final checkpoint
            keyed = final_checkpoints(rows)
            keys = ["method", "layer"]
        named = decision if TARGETS[oracle] is None else f"{decision} ({TARGETS[oracle]})"
        for key, group in keyed.groupby(keys, sort=True):
            group = group[np.isfinite(group[oracle].to_numpy(dtype=float))].sort_values(["epoch", "run"])
            if len(group) < 2:
                continue
            scores = {m: _scores(group, m) for m in metrics}
            comparable = loss_is_comparable(group)
            if LOSS in scores and not comparable:
                scores[LOSS] = np.full(len(group), np.nan)
            one_width = "dim" not in group or group["dim"].nunique() <= 1
            for metric in WIDTH_BOUNDED if not one_width else ():
                if metric in scores:
                    scores[metric] = np.full(len(group), np.nan)
            if decision == "checkpoint":
                scores[LAST] = group.epoch.to_numpy(dtype=float)
            rerun = _reruns_of(group, rerun_table, metrics, oracle, scores) if decision != "checkpoint" else None
            groups.append(Candidates(
                {"sweep": sweep, "decision": named, **dict(zip(keys, key)),
                 **({"method": group.method.iloc[0]} if "method" not in keys else {}),
                 "loss_comparable": comparable, "one_width": one_width},
                group[oracle].to_numpy(dtype=float), scores, oracle, *(rerun or (None, None))))
    return groups


def final_checkpoints(rows: pd.DataFrame, by: str | list[str] = "run") -> pd.DataFrame:
    """The rows of each run's last epoch (``by``: the columns that name a run)."""
    return rows[rows.epoch == rows.groupby(by).epoch.transform("max")]


def _reruns_of(group: pd.DataFrame, reruns: pd.DataFrame, metrics: Sequence[str], oracle: str,
               scores: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """The re-runs of ``group``'s candidates at their final checkpoint on the group's layer, aligned with the
    group's rows (NaN where a candidate has none); None if none was re-run."""
    if reruns.empty or REPLICATE not in reruns.columns:
        return None
    layer = group.layer.iloc[0]
    rows = reruns[(reruns.sweep == group.sweep.iloc[0]) & (reruns.layer == layer)]
    rows = final_checkpoints(rows).set_index(REPLICATE)
    rows = rows[~rows.index.duplicated()].reindex(group.run.to_numpy())
    if rows[oracle].notna().sum() == 0:
        return None
    rerun_scores = {m: (_scores(rows, m) if np.isfinite(scores[m]).any() else np.full(len(rows), np.nan))
                    for m in metrics if m in rows.columns}
    return rows[oracle].to_numpy(dtype=float), rerun_scores


def is_rerun(runs: pd.DataFrame) -> np.ndarray:
    """True for the rows of a configuration's re-run with another seed (:data:`REPLICATE` set)."""
    if REPLICATE not in runs.columns:
        return np.zeros(len(runs), dtype=bool)
    return (runs[REPLICATE].fillna("").astype(str).str.len() > 0).to_numpy()


def first_seeds(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` without the re-runs of a configuration with another seed."""
    return runs[~is_rerun(runs)]


def configuration_share(runs: pd.DataFrame, layer: str = "backbone") -> pd.DataFrame:
    """Per sweep and method with re-run configurations: how much of the final probe's spread the
    configuration explains, 1 - (seed variance) / (total variance).

    The seed variance is estimated from the pairs (a configuration and its re-run): (a - b)^2 / 2 per pair,
    averaged; the total variance is that of the final probe over the sweep's first-seed runs (ddof 1). A
    share near 1: configurations differ far more than seeds do; near 0 (or below): the ranking is seed noise.
    Columns: sweep, method, pairs, seed_std, total_std (points), configuration_share.
    """
    if REPLICATE not in runs.columns:
        return pd.DataFrame(columns=["sweep", "method", "pairs", "seed_std", "total_std", "configuration_share"])
    rows = runs[(runs.layer == layer) & (runs.method != SUPERVISED)]
    finals = final_checkpoints(rows, ["sweep", "run"])
    probe = finals.set_index("run")[ORACLE]
    out = []
    repeated = finals[is_rerun(finals)]
    for (sweep, method), again in repeated.groupby(["sweep", "method"], sort=True):
        pairs = [(probe[r], probe[o]) for r, o in zip(again.run, again[REPLICATE]) if o in probe.index]
        seed_var = float(np.mean([(a - b) ** 2 / 2 for a, b in pairs])) if pairs else np.nan
        first = first_seeds(finals[(finals.sweep == sweep) & (finals.method == method)])[ORACLE]
        total_var = float(np.var(first, ddof=1)) if len(first) > 1 else np.nan
        out.append({"sweep": sweep, "method": method, "pairs": len(pairs), "seed_std": 100 * np.sqrt(seed_var),
                    "total_std": 100 * np.sqrt(total_var), "configuration_share": 1 - seed_var / total_var})
    return pd.DataFrame(out)


def failure_detection(runs: pd.DataFrame, metrics: Sequence[str], layer: str = "backbone", margin: float = 0.0,
                      n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """AUROC of each metric and baseline for flagging failed runs, with a stratified bootstrap 95% interval.

    Candidates: the final checkpoint of every run of the ``failure`` and ``hyperparameter`` sweeps (SSL
    methods, first seeds) on ``layer``. A run **failed** if its final backbone probe is no better than its
    own random initialisation's (epoch 0) plus ``margin``. A metric flags a run by a low score (its
    declared direction; the training loss and held-out objective: a high value), so AUROC = P(a failed run
    scores below a healthy one), ties counting half; 0.5 is chance. The training loss is computed over runs
    of different definitions (methods, temperatures): ``comparable`` says so. ``last_checkpoint`` does not
    apply (it chooses among checkpoints, not runs). Resamples draw failed and healthy runs separately, so
    both classes are in each. Columns: metric, kind, auroc, auroc_low, auroc_high, n_runs, n_failed,
    comparable.
    """
    from sklearn.metrics import roc_auc_score

    columns = ["metric", "kind", "auroc", "auroc_low", "auroc_high", "n_runs", "n_failed", "comparable"]
    rows = first_seeds(runs[runs.decision.isin([FAILURE, "hyperparameter"]) & (runs.method != SUPERVISED)])
    reference = rows[rows.layer == "backbone"][["sweep", "run", "epoch", ORACLE]]
    start = reference[reference.epoch == 0].rename(columns={ORACLE: "random_init"})[["sweep", "run", "random_init"]]
    on_layer = rows[rows.layer == layer].drop(columns=[ORACLE]).merge(reference, on=["sweep", "run", "epoch"])
    finals = final_checkpoints(on_layer, ["sweep", "run"])
    finals = finals[finals.epoch > 0].merge(start, on=["sweep", "run"])
    failed = (finals[ORACLE] <= finals.random_init + margin).to_numpy()
    if len(finals) == 0 or failed.all() or not failed.any():
        return pd.DataFrame(columns=columns)
    rng = np.random.default_rng(random_state)
    bad, good = np.flatnonzero(failed), np.flatnonzero(~failed)
    draws = np.concatenate([rng.choice(bad, (n_boot, len(bad))), rng.choice(good, (n_boot, len(good)))], axis=1)
    comparable = loss_is_comparable(finals)
    out = []
    for metric in metrics:
        if metric not in finals.columns:
            continue
        flag = -_scores(finals, metric)  # a high flag: a run the metric calls bad
        keep = np.isfinite(flag)
        if failed[keep].all() or not failed[keep].any():
            continue
        auroc = roc_auc_score(failed[keep], flag[keep])
        boot = [roc_auc_score(failed[d][keep[d]], flag[d][keep[d]]) for d in draws
                if 0 < failed[d][keep[d]].sum() < keep[d].sum()]
        out.append({"metric": metric, "kind": "baseline" if metric in BASELINES else "metric", "auroc": auroc,
                    "auroc_low": percentile(np.asarray(boot), 2.5), "auroc_high": percentile(np.asarray(boot), 97.5),
                    "n_runs": int(keep.sum()), "n_failed": int(failed[keep].sum()),
                    "comparable": comparable if metric == LOSS else True})
    return pd.DataFrame(out, columns=columns).sort_values("auroc", ascending=False).reset_index(drop=True)


def loss_is_comparable(candidates: pd.DataFrame) -> bool:
    """True if the candidates share the training loss's definition (:data:`LOSS_DEFINING` columns)."""
    defining = [c for c in candidates.columns
                if c == "method" or any(part in c for part in LOSS_DEFINING[1:])]
    return all(candidates[c].astype(str).nunique() <= 1 for c in defining)


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
        group_id = "/".join(str(group.key[k]) for k in sorted(group.key) if k not in ("loss_comparable", "one_width"))
        draws = rng.integers(0, n, size=(n_boot, n))  # the same resamples for every metric of the group
        boot_acc = group.accuracy[draws]
        rerun = None  # where a drawn candidate was re-run, either of its runs, at random (the same for every metric)
        if group.rerun_accuracy is not None:
            rerun = np.isfinite(group.rerun_accuracy)[draws] & (rng.random((n_boot, n)) < 0.5)
            boot_acc = np.where(rerun, group.rerun_accuracy[draws], boot_acc)
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
                if metric == group.oracle:
                    boot_scores = boot_acc
                elif rerun is not None and metric in (group.rerun_scores or {}):
                    boot_scores = np.where(rerun, group.rerun_scores[metric][draws], boot_scores)
                boot_tau = kendall_tau_b(boot_scores, boot_acc)  # over the scored candidates of each resample
                boot_regret = regret(boot_scores, boot_acc)
            rows.append({**group.key, "group": group_id, "metric": metric, "tau": tau, "rho": rho, "regret": lost,
                         "random_regret": float(random_regret(group.accuracy)), "n_runs": n,
                         "tau_low": percentile(boot_tau, 2.5), "tau_high": percentile(boot_tau, 97.5),
                         "regret_low": percentile(boot_regret, 2.5), "regret_high": percentile(boot_regret, 97.5),
                         "boot_tau": boot_tau, "boot_regret": boot_regret})
    return pd.DataFrame(rows)


def seed_noise_floor(runs: pd.DataFrame, layer: str = "backbone") -> pd.DataFrame:
    """Per method: the std (ddof 1, points) of the final probe across the seeds of the ``seed`` sweeps."""
    seeds = runs[(runs.decision == "seed") & (runs.layer == layer)]
    finals = final_checkpoints(seeds)
    floor = finals.groupby("method")[ORACLE].agg(lambda a: 100 * float(np.std(a, ddof=1)) if len(a) > 1 else np.nan)
    return floor.rename("noise_floor").reset_index()


def leaderboard(selection: pd.DataFrame, noise_floor: pd.DataFrame | None = None,
                layer: str = "backbone") -> pd.DataFrame:
    """Each metric's tau and regret over a decision's groups on ``layer``, with bootstrap intervals.

    Groups are pooled by the information each carries, their number of candidate pairs n (n - 1) / 2
    (:func:`sslnb.analysis.verdict.pooled`), so a 5-candidate group does not weigh as much as a 34-candidate one.
    Columns :data:`LEADERBOARD_COLUMNS`, then ``rho``, ``random_regret``, ``noise_floor`` (the mean seed
    noise floor of the decision's methods, points), ``kind`` (metric, baseline, oracle), ``pairs`` (the
    decision's candidate pairs) and ``pooled_tau``: tau pooled over the pairs of the four decisions judged
    by the probe (the fine-tuning and out-of-domain targets reuse those candidates, so they are not extra
    evidence; a table of other decisions, e.g. a user's own, pools over all of its own). Metrics are sorted by ``pooled_tau``, the oracle on top; the decisions side by side.
    """
    rows = []
    floors = dict(zip(noise_floor.method, noise_floor.noise_floor)) if noise_floor is not None else {}
    for (decision, metric), group in selection[selection.layer == layer].groupby(["decision", "metric"], sort=True):
        weights = pair_weights(group.n_runs.to_numpy())
        boot_tau = pooled(np.stack(group.boot_tau.to_list()), weights)  # per resample
        boot_regret = pooled(np.stack(group.boot_regret.to_list()), weights)
        method_floors = [floors[m] for m in group.method.unique() if np.isfinite(floors.get(m, np.nan))]
        rows.append({"metric": metric, "decision": decision,
                     "kendall_tau": float(pooled(group.tau.to_numpy(), weights)),
                     "tau_low": percentile(boot_tau, 2.5), "tau_high": percentile(boot_tau, 97.5),
                     "regret": float(pooled(group.regret.to_numpy(), weights)),
                     "regret_low": percentile(boot_regret, 2.5), "regret_high": percentile(boot_regret, 97.5),
                     "n_runs": int(group.n_runs.sum()), "rho": float(pooled(group.rho.to_numpy(), weights)),
                     "random_regret": float(pooled(group.random_regret.to_numpy(), weights)),
                     "noise_floor": float(np.mean(method_floors)) if method_floors else np.nan,
                     "kind": "oracle" if metric in TARGETS else "baseline" if metric in BASELINES else "metric",
                     "pairs": float(weights[np.isfinite(group.tau.to_numpy())].sum())})
    board = pd.DataFrame(rows)
    if board.empty:
        raise ValueError(f"no decision group on layer {layer!r}: the sweeps need at least 2 runs per group")
    judged_by_probe = board.decision.isin(DECISIONS)
    pooled_rows = board[(judged_by_probe if judged_by_probe.any() else True) & board.kendall_tau.notna()]
    weighted = (pooled_rows.kendall_tau * pooled_rows.pairs).groupby(pooled_rows.metric).sum()
    total = pooled_rows.pairs.groupby(pooled_rows.metric).sum()
    board["pooled_tau"] = board.metric.map((weighted / total.where(total > 0)).to_dict())
    order = [d if label is None else f"{d} ({label})" for label in TARGETS.values() for d in DECISIONS]
    board["_order"] = board.decision.map({d: i for i, d in enumerate(order)})
    board["_oracle"] = board.kind != "oracle"
    board = board.sort_values(["_oracle", "pooled_tau", "metric", "_order"], ascending=[True, False, True, True],
                              na_position="last").drop(columns=["_order", "_oracle"])
    return board.reset_index(drop=True)[[*LEADERBOARD_COLUMNS, "rho", "random_regret", "noise_floor", "kind",
                                         "pairs", "pooled_tau"]]


def verdict(selection: pd.DataFrame, decisions: Sequence[str] = DECISIONS, layer: str = "backbone",
            power_simulations: int = 200) -> dict:
    """Which metrics beat which baseline for which decision, by the calibrated paired test of
    :mod:`sslnb.analysis.verdict` (Δtau on shared resamples, pooled over groups of >= 10 candidates, Holm across
    metrics, family-wise 5%), with each decision's power at tau 0.6 against 0.3.

    ``selection``: :func:`run_selection`'s rows (with their bootstrap arrays). Only the ``decisions``
    given (by default the four judged by the probe; pass e.g. "checkpoint (fine-tuning)" for the others).

    Returns ``{"sentence", "beats": {decision: {baseline: [metric, ...]}}, "tests": [row, ...],
    "power": {decision: float}, "anecdotal": [decision, ...]}``.
    """
    rows = selection[(selection.layer == layer) & selection.decision.isin(decisions)]
    beats, tests, power, anecdotal, parts = {}, [], {}, [], []
    for decision, decided in rows.groupby("decision", sort=False):
        metrics = [m for m in decided.metric.unique() if m not in TARGETS and m not in BASELINES]
        sizes = decided.drop_duplicates("group").n_runs.tolist()
        if max(sizes) < MIN_CANDIDATES:
            anecdotal.append(decision)
            parts.append(f"{decision}: anecdotal, no verdict (largest group {max(sizes)} candidates, fewer than "
                         f"{MIN_CANDIDATES})")
            continue
        power[decision] = decision_power(sizes, len(metrics), n_sim=power_simulations)
        eligible = sum(n for n in sizes if n >= MIN_CANDIDATES)
        found = []
        for baseline in BASELINES:
            if baseline not in set(decided.metric) or not decided[decided.metric == baseline].tau.notna().any():
                continue
            table = paired_test(decided, baseline, metrics).assign(decision=decision, baseline=baseline)
            tests += table.to_dict("records")
            winners = table[table.beats.fillna(False).astype(bool)].sort_values("p_tau_holm")
            beats.setdefault(decision, {})[baseline] = winners.metric.tolist()
            named = ", ".join(f"{m} (Δtau {d:+.2f}, p {p:.3f})"
                              for m, d, p in zip(winners.metric, winners.delta_tau, winners.p_tau_holm))
            found.append(f"beats {baseline}: {named}" if named else f"none beats {baseline}")
        parts.append(f"{decision} ({eligible} candidates in groups of >= {MIN_CANDIDATES}, power "
                     f"{power[decision]:.2f} at tau 0.6 vs 0.3): " + "; ".join(found))
    sentence = ("Paired test of Kendall's tau against each baseline, Holm-corrected across metrics at 5%: "
                + "; ".join(parts) + ".")
    return {"sentence": sentence, "beats": beats, "tests": tests, "power": power, "anecdotal": anecdotal}
