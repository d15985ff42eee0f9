"""Does each finding of the study hold in this run? One verdict per finding, computed from the tables.

Xu, Lowe & Trappenberg (CCECE 2022) state five findings (../shared/REFERENCE.md). Each is turned into
a rule over the metrics tables, with its thresholds as arguments:

1. AMI(C1; C_GT) correlates strongly with the linear probe (LP) for SimCLR and MoCo-v2: Spearman's
   rho >= ``strong`` with a bootstrap 95% interval above 0, for each of the two present.
2. Label-free clustering metrics (silhouette, AMI(C1; C2)) correlate with LP for SimCLR and MoCo-v2 but
   not for SimSiam: a method "correlates" when some clustering metric has |rho| >= ``strong`` with an
   interval that excludes 0. Needs all three methods.
3. Entropy decreases as training progresses, but increases for SimSiam: the trend of a method is the
   sign of Kendall's tau between epoch and entropy when |tau| >= ``trend``, else "no clear trend".
   Holds when SimCLR and MoCo-v2 (those present) decrease and SimSiam increases.
4. Entropy is unstable early in training and more reliable later: for most methods, |rho(entropy, LP)|
   over the checkpoints after the ``warmup_fraction`` is larger than over all checkpoints.
5. Clustering metrics are valid only within one architecture, entropy may be architecture-independent:
   across architectures (one final model each), entropy's |rho| with LP >= ``strong`` with an interval
   excluding 0, and no clustering metric's. Not testable without an architecture table.

Everything is computed on one layer (the backbone by default) with the same layer's LP as reference.
Verdicts are "holds", "does not hold" or "not testable", each with a sentence that gives the numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from sslnb.analysis.correlation import batched_correlation, correlation_across_models, correlation_table

HOLDS, FAILS, UNTESTABLE = "holds", "does not hold", "not testable"
CLUSTERING = ("silhouette", "ami_c1_c2")
ENTROPY = "entropy_kl_bits"
CONTRASTIVE = ("simclr", "mocov2")  # the study's methods whose clustering metrics tracked LP


@dataclass(frozen=True)
class FindingRules:
    """Thresholds of the verdicts (see the module docstring)."""

    strong: float = 0.7  # |rho| of a strong correlation
    trend: float = 0.3  # |Kendall tau| of epoch vs entropy for a clear trend
    warmup_fraction: float = 0.25  # finding 4: late training starts after this fraction of epochs
    layer: str = "backbone"
    n_boot: int = 1000
    random_state: int = 0


@dataclass
class Verdict:
    finding: int
    claim: str
    verdict: str
    evidence: str
    numbers: dict = field(default_factory=dict)

    def sentence(self) -> str:
        return f"**Finding {self.finding}** ({self.claim}): **{self.verdict}**. {self.evidence}"


def _spearman(correlations: pd.DataFrame, method: str, metric: str) -> dict | None:
    row = correlations[(correlations.method == method) & (correlations.metric == metric)
                       & (correlations.statistic == "spearman")]
    if row.empty or not np.isfinite(row.value.iloc[0]):
        return None
    row = row.iloc[0]
    return {"rho": float(row.value), "ci_low": float(row.ci_low), "ci_high": float(row.ci_high), "n": int(row.n)}


def _fmt(stat: dict | None) -> str:
    if stat is None:
        return "undefined (constant or missing)"
    return f"rho = {stat['rho']:+.2f} [{stat['ci_low']:+.2f}, {stat['ci_high']:+.2f}]"


def _excludes_zero(stat: dict | None) -> bool:
    return stat is not None and (stat["ci_low"] > 0 or stat["ci_high"] < 0)


def _strong(stat: dict | None, rules: FindingRules) -> bool:
    return stat is not None and abs(stat["rho"]) >= rules.strong and _excludes_zero(stat)


def finding_ami_gt(correlations: pd.DataFrame, rules: FindingRules) -> Verdict:
    claim = "AMI(C1; C_GT) correlates strongly with LP for SimCLR and MoCo-v2"
    methods = [m for m in CONTRASTIVE if m in set(correlations.method)]
    if not methods:
        return Verdict(1, claim, UNTESTABLE, "The run has neither SimCLR nor MoCo-v2.")
    stats = {m: _spearman(correlations, m, "ami_c1_gt") for m in methods}
    ok = {m: s is not None and s["rho"] >= rules.strong and s["ci_low"] > 0 for m, s in stats.items()}
    evidence = "; ".join(f"{m}: {_fmt(s)}" for m, s in stats.items())
    return Verdict(1, claim, HOLDS if all(ok.values()) else FAILS,
                   f"Spearman with LP over all checkpoints, strong means rho >= {rules.strong} with the 95% "
                   f"interval above 0 — {evidence}.", {m: s for m, s in stats.items()})


def _clustering_correlates(correlations: pd.DataFrame, method: str, rules: FindingRules) -> tuple[bool, dict]:
    stats = {metric: _spearman(correlations, method, metric) for metric in CLUSTERING}
    return any(_strong(s, rules) for s in stats.values()), stats


def finding_clustering(correlations: pd.DataFrame, rules: FindingRules) -> Verdict:
    claim = "label-free clustering metrics correlate with LP for SimCLR and MoCo-v2, not for SimSiam"
    present = set(correlations.method)
    needed = [*CONTRASTIVE, "simsiam"]
    if not set(needed) <= present:
        return Verdict(2, claim, UNTESTABLE, f"Needs {', '.join(needed)}; the run has {', '.join(sorted(present))}.")
    results = {m: _clustering_correlates(correlations, m, rules) for m in needed}
    holds = results["simclr"][0] and results["mocov2"][0] and not results["simsiam"][0]
    evidence = "; ".join(
        f"{m} {'correlates' if ok else 'does not'} (" + ", ".join(f"{k} {_fmt(s)}" for k, s in stats.items()) + ")"
        for m, (ok, stats) in results.items())
    return Verdict(2, claim, HOLDS if holds else FAILS,
                   f"A method correlates when a clustering metric has |rho| >= {rules.strong} with the 95% "
                   f"interval excluding 0 — {evidence}.", {m: stats for m, (_, stats) in results.items()})


def entropy_trend(table: pd.DataFrame, method: str, rules: FindingRules) -> tuple[str, float]:
    """("decreases" | "increases" | "no clear trend", Kendall tau of epoch vs entropy) for ``method``."""
    rows = table[table.method == method].dropna(subset=[ENTROPY]).sort_values("epoch")
    if len(rows) < 3:
        return "no clear trend", float("nan")
    tau = float(batched_correlation("kendall", rows.epoch.to_numpy()[None], rows[ENTROPY].to_numpy()[None])[0])
    if not np.isfinite(tau) or abs(tau) < rules.trend:
        return "no clear trend", tau
    return ("increases" if tau > 0 else "decreases"), tau


def finding_entropy_trend(table: pd.DataFrame, rules: FindingRules) -> Verdict:
    claim = "entropy decreases as training progresses, but increases for SimSiam"
    methods = sorted(set(table.method))
    trends = {m: entropy_trend(table, m, rules) for m in methods}
    expected = {m: ("increases" if m == "simsiam" else "decreases") for m in methods if m in (*CONTRASTIVE, "simsiam")}
    if not expected:
        return Verdict(3, claim, UNTESTABLE, "The run has none of SimCLR, MoCo-v2 and SimSiam.")
    holds = all(trends[m][0] == want for m, want in expected.items())
    evidence = "; ".join(f"{m} {trend} (tau = {tau:+.2f})" for m, (trend, tau) in trends.items())
    return Verdict(3, claim, HOLDS if holds else FAILS,
                   f"Kendall's tau of epoch vs {ENTROPY}, a trend needs |tau| >= {rules.trend} — {evidence}.",
                   {m: {"trend": t, "tau": tau} for m, (t, tau) in trends.items()})


def finding_entropy_late(correlations: pd.DataFrame, late: pd.DataFrame, rules: FindingRules) -> Verdict:
    claim = "entropy is unstable early in training and more reliable later"
    methods = sorted(set(correlations.method))
    pairs = {m: (_spearman(correlations, m, ENTROPY), _spearman(late, m, ENTROPY)) for m in methods}
    pairs = {m: p for m, p in pairs.items() if p[0] is not None and p[1] is not None}
    if not pairs:
        return Verdict(4, claim, UNTESTABLE, f"No method has an entropy correlation both over all checkpoints "
                       f"and after {rules.warmup_fraction:.0%} of training (too few checkpoints?).")
    better = {m: abs(late_s["rho"]) > abs(all_s["rho"]) for m, (all_s, late_s) in pairs.items()}
    holds = sum(better.values()) > len(better) / 2
    evidence = "; ".join(f"{m}: all {_fmt(a)}, late {_fmt(b)}" for m, (a, b) in pairs.items())
    return Verdict(4, claim, HOLDS if holds else FAILS,
                   f"|Spearman rho| of {ENTROPY} with LP is larger after {rules.warmup_fraction:.0%} of training "
                   f"than over all checkpoints for {sum(better.values())} of {len(better)} methods — {evidence}.",
                   {m: {"all": a, "late": b} for m, (a, b) in pairs.items()})


def finding_architectures(architectures: pd.DataFrame | None, rules: FindingRules) -> Verdict:
    """Finding 5 on a table with one row per architecture: ``architecture``, metrics and ``reference``."""
    claim = "clustering metrics are valid only within one architecture; entropy may be architecture-independent"
    if architectures is None or architectures.empty or architectures.architecture.nunique() < 3:
        return Verdict(5, claim, UNTESTABLE, "No architecture sweep with at least 3 architectures in this run.")
    correlations = correlation_across_models(architectures, [ENTROPY, *CLUSTERING], "across architectures",
                                             n_boot=rules.n_boot, random_state=rules.random_state)
    entropy = _spearman(correlations, "across architectures", ENTROPY)
    clustering = {m: _spearman(correlations, "across architectures", m) for m in CLUSTERING}
    holds = _strong(entropy, rules) and not any(_strong(s, rules) for s in clustering.values())
    evidence = f"over {architectures.architecture.nunique()} architectures: entropy {_fmt(entropy)}; " + "; ".join(
        f"{m} {_fmt(s)}" for m, s in clustering.items())
    return Verdict(5, claim, HOLDS if holds else FAILS,
                   f"Spearman with LP across architectures, strong means |rho| >= {rules.strong} with the 95% "
                   f"interval excluding 0 — {evidence}.", {"entropy": entropy, **clustering})


def study_findings(table: pd.DataFrame, rules: FindingRules = FindingRules(),
                   architectures: pd.DataFrame | None = None) -> list[Verdict]:
    """The five verdicts from a metrics table with a ``reference`` column (see :func:`sslnb.analysis.tables.with_reference`)."""
    layer = table[table.layer == rules.layer]
    if layer.empty:
        raise ValueError(f"the metrics table has no rows for layer {rules.layer!r}")
    if layer["reference"].isna().all():
        raise ValueError("the metrics table has no linear-probe accuracy: the findings need labels")
    metrics = ["ami_c1_gt", *CLUSTERING, ENTROPY]
    common = dict(by=("method",), n_boot=rules.n_boot, random_state=rules.random_state)
    correlations = correlation_table(layer, metrics, **common)
    late = correlation_table(layer, [ENTROPY], warmup_fraction=rules.warmup_fraction, **common)
    return [
        finding_ami_gt(correlations, rules),
        finding_clustering(correlations, rules),
        finding_entropy_trend(layer, rules),
        finding_entropy_late(correlations, late, rules),
        finding_architectures(architectures, rules),
    ]


def verdicts_to_json(verdicts: list[Verdict]) -> list[dict]:
    return [asdict(v) for v in verdicts]


def findings_by_replicate(runs: pd.DataFrame, rules: FindingRules = FindingRules()) -> pd.DataFrame:
    """The study's findings 1-4 judged again in every replicate of the sweeps (:mod:`sslnb.sweeps.spec`).

    A replicate is one seed of a ``seed`` sweep (all its methods, each one run) or one ``checkpoint``
    sweep (its long runs). ``runs`` is the stacked sweep tables. Returns one row per replicate x finding
    with ``replicate``, ``finding``, ``claim``, ``verdict`` and ``evidence``.
    """
    from sslnb.analysis.tables import with_reference

    replicates = []
    for sweep, rows in runs.groupby("sweep", sort=True):
        decision = rows.decision.iloc[0]
        if decision == "seed" and "seed" in rows.columns:
            replicates += [(f"{sweep}: seed {int(s)}", part) for s, part in rows.groupby("seed", sort=True)]
        elif decision == "checkpoint":
            replicates.append((f"{sweep}: {rows.epoch.max()}-epoch runs", rows))
    out = []
    for name, table in replicates:
        if table.run.groupby(table.method).nunique().max() > 1:
            raise ValueError(f"replicate {name!r} has several runs of one method; a replicate needs one per method")
        for verdict in study_findings(with_reference(table), rules)[:4]:  # finding 5 needs the architectures
            out.append({"replicate": name, "finding": verdict.finding, "claim": verdict.claim,
                        "verdict": verdict.verdict, "evidence": verdict.evidence})
    return pd.DataFrame(out, columns=["replicate", "finding", "claim", "verdict", "evidence"])


def replicate_summary(by_replicate: pd.DataFrame) -> pd.DataFrame:
    """Per finding: in how many seeds it holds ("holds in 2 of 3 seeds"), and its verdict in the long runs."""
    rows = []
    for finding, group in by_replicate.groupby("finding", sort=True):
        seeds = group[group.replicate.str.contains(": seed ")]
        tested = seeds[seeds.verdict != UNTESTABLE]
        held = int((tested.verdict == HOLDS).sum())
        long = group[~group.replicate.str.contains(": seed ")]
        rows.append({"finding": finding, "claim": group.claim.iloc[0],
                     "across seeds": f"holds in {held} of {len(tested)} seeds" if len(tested) else UNTESTABLE,
                     "long runs": "; ".join(long.verdict) if len(long) else UNTESTABLE})
    return pd.DataFrame(rows)
