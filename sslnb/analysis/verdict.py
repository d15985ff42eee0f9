"""The leaderboard's verdict: does a label-free metric beat a baseline, by a calibrated paired test?

A metric "beats" a baseline for a decision when it ranks the candidates more as the labelled oracle does,
and the evidence says so at a stated level. For each decision, metric m and baseline b:

- on each group g of the decision with at least :data:`MIN_CANDIDATES` candidates, the paired difference
  Δtau_g = tau_b(m, oracle) - tau_b(b, oracle) (Kendall's tau-b), and Δregret_g = regret_b - regret_m;
- pooled over the groups by the information each carries, its number of candidate pairs
  w_g = n_g (n_g - 1) / 2:  Δ = sum_g w_g Δ_g / sum_g w_g;
- its bootstrap distribution from the *same* resamples of the candidates for m and b (run_selection draws
  one set per group and scores every metric on it), so what the two share cancels;
- the one-sided p-value of H0: Δtau <= 0 by a bootstrap z-test, p = 1 - Phi(Δ / sd(Δ*)), over the
  resamples where both taus are defined (a resample of all-tied candidates has none; their number is
  reported);
- Holm's step-down correction across the metrics compared with that baseline for that decision; the
  metric "beats the baseline" where the corrected p is below :data:`ALPHA` (family-wise 5%).

Δtau is the primary test; Δregret, tested the same way, is reported beside it. A decision none of whose
groups reaches :data:`MIN_CANDIDATES` gets its numbers but no verdict: it is *anecdotal* (simulation shows
the percentile bootstrap covering poorly below about 15 candidates). The intervals cover the choice of
candidates only: a candidate's oracle value is taken as measured, so re-run (seed) variation enters only
where the design re-runs candidates (the ``seed`` decision measures it).

:func:`simulate_rejections` runs the very same test on constructed sweeps (a Gaussian copula: the oracle is
a latent signal, each metric and the baseline the signal plus independent noise of the size that gives
their tau). It gives the test of the test (the family-wise rate of false verdicts when every metric is as
informative as the baseline) and each decision's power at a planted advantage (tau 0.6 against 0.3).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import special

ALPHA = 0.05
MIN_CANDIDATES = 10
POWER_TAUS = (0.6, 0.3)  # the planted advantage of the power analysis: metric tau against baseline tau


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979); NaN entries stay NaN and do not count as tests."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m, running = len(order), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def pair_weights(sizes: Sequence[int]) -> np.ndarray:
    """w_g = n_g (n_g - 1) / 2: the candidate pairs a group's tau is computed from."""
    sizes = np.asarray(sizes, dtype=float)
    return sizes * (sizes - 1) / 2


def pooled(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over the first axis (groups), NaN-aware: a group without a value leaves the mean."""
    values = np.asarray(values, dtype=float)
    w = np.where(np.isfinite(values), weights.reshape((-1,) + (1,) * (values.ndim - 1)), 0.0)
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.nansum(np.where(w > 0, values, 0.0) * w, axis=0) / total, np.nan)


def one_sided_p(observed: float, boot_differences: np.ndarray) -> tuple[float, int]:
    """p of H0: difference <= 0, from the observed difference and its bootstrap draws; and how many draws
    were undefined (NaN).

    p = 1 - Phi(observed / sd*), sd* the standard deviation of the defined draws (a bootstrap z-test). A
    smooth p-value matters: Holm over 18 metrics asks for p below 0.05 / 18 = 0.0028, finer than the count
    of draws below 0 can resolve with a few hundred resamples. A difference that is the same on every
    resample (sd* = 0) gives p = 0 if positive, else 1.
    """
    boot = np.asarray(boot_differences, dtype=float)
    defined = boot[np.isfinite(boot)]
    undefined = int(boot.size - defined.size)
    if defined.size < 2 or not np.isfinite(observed):
        return float("nan"), undefined
    spread = float(np.std(defined, ddof=1))
    if spread <= 1e-12:
        return (0.0 if observed > 1e-12 else 1.0), undefined
    return float(special.ndtr(-observed / spread)), undefined


def paired_test(selection: pd.DataFrame, baseline: str, metrics: Sequence[str]) -> pd.DataFrame:
    """The paired Δtau / Δregret test of each metric against ``baseline`` over the groups of one decision.

    ``selection``: the rows of :func:`sslnb.analysis.runs.run_selection` for one decision and layer (its groups), with
    ``boot_tau`` and ``boot_regret`` from shared resamples. Only groups of at least :data:`MIN_CANDIDATES`
    candidates enter. Returns one row per metric: ``delta_tau``, ``delta_regret``, their bootstrap 95%
    intervals, ``p_tau``, ``p_regret``, the Holm-adjusted ``p_tau_holm`` and ``p_regret_holm``,
    ``undefined_resamples``, ``n_groups``, ``n_candidates`` and ``beats`` (``p_tau_holm < ALPHA``).
    """
    eligible = selection[selection.n_runs >= MIN_CANDIDATES]
    base = eligible[eligible.metric == baseline].set_index("group")
    rows = []
    for metric in metrics:
        mine = eligible[eligible.metric == metric].set_index("group")
        groups = [g for g in mine.index if g in base.index and np.isfinite(base.tau[g]) and np.isfinite(mine.tau[g])]
        if not groups:
            rows.append({"metric": metric, "n_groups": 0})
            continue
        weights = pair_weights(mine.n_runs[groups].to_numpy())
        d_tau = pooled(mine.tau[groups].to_numpy() - base.tau[groups].to_numpy(), weights)
        d_regret = pooled(base.regret[groups].to_numpy() - mine.regret[groups].to_numpy(), weights)
        boot_tau = pooled(np.stack([mine.boot_tau[g] - base.boot_tau[g] for g in groups]), weights)
        boot_regret = pooled(np.stack([base.boot_regret[g] - mine.boot_regret[g] for g in groups]), weights)
        p_tau, undefined = one_sided_p(d_tau, boot_tau)
        p_regret, _ = one_sided_p(d_regret, boot_regret)
        rows.append({"metric": metric, "delta_tau": float(d_tau), "delta_regret": float(d_regret),
                     **_interval("delta_tau", boot_tau), **_interval("delta_regret", boot_regret),
                     "p_tau": p_tau, "p_regret": p_regret, "undefined_resamples": undefined,
                     "n_groups": len(groups), "n_candidates": int(mine.n_runs[groups].sum())})
    table = pd.DataFrame(rows)
    for column in ("p_tau", "p_regret"):
        table[f"{column}_holm"] = holm(table[column]) if column in table else np.nan
    table["beats"] = table.get("p_tau_holm", pd.Series(np.nan, index=table.index)) < ALPHA
    return table


def percentile(values: np.ndarray, q: float) -> float:
    """The q-th percentile of the defined (non-NaN) values; NaN if there are none."""
    values = np.asarray(values, dtype=float)
    return float(np.nanpercentile(values, q)) if np.isfinite(values).any() else float("nan")


def _interval(name: str, boot: np.ndarray) -> dict[str, float]:
    """The bootstrap 95% interval of ``name`` as ``{name}_low`` and ``{name}_high``."""
    return {f"{name}_low": percentile(boot, 2.5), f"{name}_high": percentile(boot, 97.5)}


# --- the test of the test and the power analysis -------------------------------------------------------

def correlation_for_tau(tau: float) -> float:
    """Pearson rho of a bivariate Gaussian whose Kendall's tau is ``tau``: rho = sin(pi tau / 2)."""
    return math.sin(math.pi * tau / 2)


def simulate_rejections(group_sizes: Sequence[int], metric_taus: Sequence[float], baseline_tau: float,
                        n_sim: int = 1000, n_boot: int = 500, random_state: int = 0) -> np.ndarray:
    """Which metrics the Holm-corrected paired test declares better than the baseline, in ``n_sim`` sweeps.

    Each simulated sweep has one group per entry of ``group_sizes``; in a group, the oracle is a latent
    standard normal z, metric j is rho_j z + sqrt(1 - rho_j^2) e_j and the baseline likewise, every noise e
    independent, rho from the tau asked for (:func:`correlation_for_tau`). The test is the leaderboard's
    (:func:`sslnb.analysis.runs.run_selection`'s shared resamples, :func:`paired_test`'s pooling, p-value and Holm).
    Returns a boolean array (n_sim, n_metrics).
    """
    from sslnb.analysis.statistics import kendall_tau_b

    rng = np.random.default_rng(random_state)
    rhos = np.array([correlation_for_tau(t) for t in [*metric_taus, baseline_tau]])
    eligible = [n for n in group_sizes if n >= MIN_CANDIDATES]
    rejected = np.zeros((n_sim, len(metric_taus)), dtype=bool)
    if not eligible:
        return rejected
    weights = pair_weights(eligible)
    for sim in range(n_sim):
        observed, boots = [], []  # per group: (metrics + 1,) taus and (metrics + 1, n_boot) resampled
        for n in eligible:
            z = rng.standard_normal(n)
            scores = rhos[:, None] * z + np.sqrt(1 - rhos[:, None] ** 2) * rng.standard_normal((len(rhos), n))
            draws = rng.integers(0, n, size=(n_boot, n))
            observed.append(kendall_tau_b(scores, z))
            boots.append(kendall_tau_b(scores[:, draws], z[draws]))  # (metrics + 1, n_boot)
        boot = np.stack(boots)  # (groups, metrics + 1, n_boot)
        differences = pooled(boot[:, :-1, :] - boot[:, -1:, :], weights)  # (metrics, n_boot)
        seen = np.stack(observed)  # (groups, metrics + 1)
        observed_differences = pooled(seen[:, :-1] - seen[:, -1:], weights)  # (metrics,)
        p = np.array([one_sided_p(d, row)[0] for d, row in zip(observed_differences, differences)])
        rejected[sim] = holm(p) < ALPHA
    return rejected


def decision_power(group_sizes: Sequence[int], n_metrics: int, n_sim: int = 200, n_boot: int = 300,
                   random_state: int = 0) -> float:
    """Power to find one metric at tau 0.6 better than a baseline at 0.3 (the others as good as the
    baseline), with the decision's group sizes and Holm over ``n_metrics`` metrics; NaN if anecdotal."""
    if not any(n >= MIN_CANDIDATES for n in group_sizes):
        return float("nan")
    better, base = POWER_TAUS
    taus = [better] + [base] * (max(n_metrics, 1) - 1)
    return float(simulate_rejections(group_sizes, taus, base, n_sim, n_boot, random_state)[:, 0].mean())
