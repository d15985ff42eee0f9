"""Protocol agreement: how the label-based references agree, and what predicts accuracy out of domain.

The analogue of Marks et al. (IJCV 2025)'s main result, on sslnb's checkpoints. Three questions:

1. **Agreement** (:func:`protocol_agreement`): do the references (linear probe, kNN, BatchNorm probe,
   fine-tuning, few-shot probes, NMI and AMI of k-means against the classes) rank the checkpoints alike?
   Spearman and Kendall between every pair, pooled over methods and checkpoints, with 95% bootstrap
   intervals over the checkpoints.
2. **Prediction** (:func:`target_prediction`): how well do the in-domain protocols, and the label-free
   metrics computed on the *unlabelled* target-domain data, rank checkpoints by their accuracy on each
   shifted and out-of-domain set (the target-domain linear probe, and fine-tuning accuracy)?
3. **The answer** (:func:`label_free_versus_probe`): does a label-free metric on the target data predict the
   target probe better than the in-domain probe does? Judged by the paired bootstrap interval of the
   difference of their Kendall taus (the same resamples of checkpoints for both).

Every encoder at epoch 0 of the same architecture and seed is the same network, so repeated epoch-0 rows are
kept once (they would otherwise count one point several times).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from sslnb.columns import FEWSHOT_SHOTS, LABEL_FREE
from sslnb.analysis.correlation import batched_correlation
from sslnb.analysis.selection import DIRECTIONS, direction_of

REFERENCES = ("linear_probe_acc", "knn_acc", "probe_bn_acc", "finetune_acc",
              *(f"fewshot_acc_{k}" for k in FEWSHOT_SHOTS), "nmi_c1_gt", "ami_c1_gt")
TARGETS = ("linear_probe_acc", "finetune_acc")  # accuracy on a target set: its own probe, and fine-tuning
STATISTICS = ("spearman", "kendall")
MIN_POINTS = 4
PROBE = "linear_probe_acc"


def _distinct_points(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``rows`` with the repeated epoch-0 encoders (same values in every one of ``columns``) kept once."""
    start = rows[rows.epoch == 0].drop_duplicates(subset=columns)
    return pd.concat([start, rows[rows.epoch != 0]], ignore_index=True)


def _correlate(x: np.ndarray, y: np.ndarray, statistic: str, draws: np.ndarray) -> tuple[float, float, float]:
    """The statistic of (x, y) and its percentile 95% interval over the resamples ``draws`` (n_boot, n)."""
    value = float(batched_correlation(statistic, x[None], y[None])[0])
    boots = batched_correlation(statistic, x[draws], y[draws])
    boots = boots[np.isfinite(boots)]
    if len(boots) < len(draws) / 2:
        return value, float("nan"), float("nan")
    low, high = np.percentile(boots, [2.5, 97.5])
    return value, float(low), float(high)


def learning_table(metrics: pd.DataFrame, layer: str = "backbone") -> pd.DataFrame:
    """Per method: every reference at the first and the last checkpoint, and the gain in points."""
    rows = metrics[metrics.layer == layer]
    present = [p for p in REFERENCES if p in rows and rows[p].notna().any()]
    out = []
    for method, group in rows.groupby("method", sort=False):
        first, last = group.loc[group.epoch.idxmin()], group.loc[group.epoch.idxmax()]
        for protocol in present:
            out.append({"method": method, "protocol": protocol, "first_epoch": int(first.epoch),
                        "first": first[protocol], "last_epoch": int(last.epoch), "last": last[protocol],
                        "gain_points": 100 * (last[protocol] - first[protocol])})
    return pd.DataFrame(out)


def protocol_agreement(metrics: pd.DataFrame, protocols: tuple[str, ...] = REFERENCES, layer: str = "backbone",
                       n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """Spearman and Kendall between every pair of ``protocols`` over the checkpoints of every method.

    ``metrics``: the stacked metrics tables (one row per method x epoch x layer). Returns one row per pair x
    statistic: ``protocol_a``, ``protocol_b``, ``statistic``, ``value``, ``ci_low``, ``ci_high``, ``n``.
    """
    rows = metrics[metrics.layer == layer]
    present = [p for p in protocols if p in rows and rows[p].notna().sum() >= MIN_POINTS]
    rows = _distinct_points(rows, present)
    rng = np.random.default_rng(random_state)
    out = []
    for a, b in combinations(present, 2):
        paired = rows[[a, b]].dropna()
        x, y = paired[a].to_numpy(float), paired[b].to_numpy(float)
        draws = rng.integers(0, len(x), size=(n_boot, len(x)))
        for statistic in STATISTICS:
            value, low, high = _correlate(x, y, statistic, draws)
            out.append({"protocol_a": a, "protocol_b": b, "statistic": statistic, "value": value,
                        "ci_low": low, "ci_high": high, "n": len(x)})
    return pd.DataFrame(out, columns=["protocol_a", "protocol_b", "statistic", "value", "ci_low", "ci_high", "n"])


def target_table(metrics: pd.DataFrame, domains: pd.DataFrame, layer: str = "backbone") -> pd.DataFrame:
    """One row per method x epoch: the in-domain columns, and each set's as ``<domain>:<column>``."""
    keys = ["method", "epoch"]
    parts = [metrics[metrics.layer == layer].drop(columns=["layer"]).set_index(keys)]
    for domain, rows in domains[domains.layer == layer].groupby("domain", sort=False):
        values = rows.drop(columns=["layer", "domain", "dataset"], errors="ignore").set_index(keys)
        parts.append(values.add_prefix(f"{domain}:"))
    return pd.concat(parts, axis=1, join="outer").loc[parts[0].index].reset_index()


def _label_free(table: pd.DataFrame, domain: str) -> list[str]:
    return [m for m in LABEL_FREE if m in DIRECTIONS and f"{domain}:{m}" in table and table[f"{domain}:{m}"].notna().any()]


def target_prediction(wide: pd.DataFrame, targets: tuple[str, ...] = TARGETS, n_boot: int = 1000,
                      random_state: int = 0) -> pd.DataFrame:
    """How well each predictor ranks the checkpoints by their accuracy on each shifted / out-of-domain set.

    Predictors: every in-domain protocol of :data:`REFERENCES` (source ``in-domain protocol``) and every
    directed label-free metric computed on the target set's unlabelled images (source ``label-free on
    target``; lower-is-better metrics negated, so a positive tau always means "ranks correctly"). For each
    set x target x predictor x statistic: ``value`` and its 95% interval, plus ``vs_probe`` (Kendall only):
    its tau minus the in-domain linear probe's, with the paired interval ``vs_probe_low``..``vs_probe_high``.
    """
    domains = list(dict.fromkeys(c.split(":")[0] for c in wide.columns if ":" in c))
    rng = np.random.default_rng(random_state)
    out = []
    for domain in domains:
        for target in targets:
            column = f"{domain}:{target}"
            if column not in wide or wide[column].notna().sum() < MIN_POINTS:
                continue
            rows = _distinct_points(wide, [column, *(c for c in REFERENCES if c in wide)])
            rows = rows[np.isfinite(rows[column].to_numpy(float)) & np.isfinite(rows[PROBE].to_numpy(float))]
            y, probe = rows[column].to_numpy(float), rows[PROBE].to_numpy(float)
            predictors = {p: ("in-domain protocol", rows[p].to_numpy(float)) for p in REFERENCES if p in rows}
            predictors |= {m: ("label-free on target", direction_of(m).score(rows[f"{domain}:{m}"].to_numpy(float)))
                           for m in _label_free(rows, domain)}
            draws = rng.integers(0, len(y), size=(n_boot, len(y)))  # the same resamples for every predictor
            probe_tau = float(batched_correlation("kendall", probe[None], y[None])[0])
            probe_boot = batched_correlation("kendall", probe[draws], y[draws])
            for name, (source, x) in predictors.items():
                if not np.isfinite(x).all():  # a metric undefined at some checkpoint is not compared
                    continue
                for statistic in STATISTICS:
                    value, low, high = _correlate(x, y, statistic, draws)
                    row = {"domain": domain, "target": target, "predictor": name, "source": source,
                           "statistic": statistic, "value": value, "ci_low": low, "ci_high": high, "n": len(y)}
                    if statistic == "kendall":
                        difference = batched_correlation("kendall", x[draws], y[draws]) - probe_boot
                        difference = difference[np.isfinite(difference)]
                        low, high = np.percentile(difference, [2.5, 97.5]) if len(difference) else (np.nan, np.nan)
                        row |= {"vs_probe": value - probe_tau, "vs_probe_low": float(low), "vs_probe_high": float(high)}
                    out.append(row)
    return pd.DataFrame(out)


def label_free_versus_probe(prediction: pd.DataFrame, target: str = PROBE) -> dict:
    """Per set: the label-free metrics (on the unlabelled target data) whose Kendall tau with the target
    accuracy is above the in-domain probe's by a paired 95% interval above 0, and those below it.

    Returns ``{"sets": {domain: {"probe_tau", "best_metric", "best_tau", "better": [...], "worse": [...]}},
    "sentence": str}``; the sentence is what the notebook and the README print.
    """
    chosen = prediction[(prediction.statistic == "kendall") & (prediction.target == target)]
    sets, parts = {}, []
    for domain, rows in chosen.groupby("domain", sort=False):
        probe = rows[rows.predictor == PROBE]
        free = rows[rows.source == "label-free on target"].sort_values("value", ascending=False)
        if probe.empty or free.empty:
            continue
        better = free[free.vs_probe_low > 0].predictor.tolist()
        worse = free[free.vs_probe_high < 0].predictor.tolist()
        best = free.iloc[0]
        sets[domain] = {"probe_tau": float(probe.value.iloc[0]), "best_metric": best.predictor,
                        "best_tau": float(best.value), "better": better, "worse": worse}
        parts.append(f"{domain}: in-domain probe tau {probe.value.iloc[0]:+.2f}, best label-free metric "
                     f"{best.predictor} {best.value:+.2f}; {len(better)} of {len(free)} metrics better "
                     f"(paired 95% interval above 0){': ' + ', '.join(better) if better else ''}")
    wins = sum(bool(v["better"]) for v in sets.values())
    sentence = (f"A label-free metric computed on the unlabelled target data predicts the target-domain probe "
                f"better than the in-domain probe on {wins} of {len(sets)} sets. " + "; ".join(parts) + "."
                if sets else "No shifted or out-of-domain set with labels: nothing to compare.")
    return {"sets": sets, "sentence": sentence}
