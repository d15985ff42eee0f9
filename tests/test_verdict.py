"""The calibrated verdict: Holm's correction, the paired p-value, and the test of the test by simulation."""

import numpy as np
import pytest
from scipy import stats

from sslnb.analysis.verdict import (
    ALPHA, correlation_for_tau, decision_power, holm, one_sided_p, pair_weights, pooled, simulate_rejections,
)


def test_holm_closed_form_and_nan():
    # sorted 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04, raised to the running maximum 0.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, np.nan]), [0.03, 0.06, 0.06, np.nan])
    np.testing.assert_allclose(holm([0.2, 0.9]), [0.4, 0.9])
    assert holm([0.6, 0.7]).max() == 1.0  # capped at 1


def test_pooling_weighs_groups_by_their_pairs():
    weights = pair_weights([5, 34])
    assert weights.tolist() == [10, 561]
    assert pooled(np.array([1.0, 0.0]), weights) == pytest.approx(10 / 571)
    assert pooled(np.array([1.0, np.nan]), weights) == 1.0  # a group without a value leaves the mean


def test_one_sided_p_is_a_bootstrap_z_test():
    rng = np.random.default_rng(0)
    draws = rng.normal(0.2, 0.1, size=5000)
    p, undefined = one_sided_p(0.2, np.append(draws, np.nan))
    assert undefined == 1 and p == pytest.approx(stats.norm.sf(0.2 / np.std(draws, ddof=1)))
    assert one_sided_p(0.0, np.zeros(10)) == (1.0, 0)  # identical on every resample: no evidence
    assert np.isnan(one_sided_p(0.1, np.full(10, np.nan))[0])


def test_correlation_for_tau_inverts_greiners_relation():
    rng = np.random.default_rng(1)
    rho = correlation_for_tau(0.6)
    z = rng.standard_normal((2, 20000))
    x, y = z[0], rho * z[0] + np.sqrt(1 - rho**2) * z[1]
    assert stats.kendalltau(x, y).statistic == pytest.approx(0.6, abs=0.01)


def test_under_the_null_false_verdicts_stay_at_five_percent_family_wise():
    # 18 metrics exactly as informative as the loss (each its own independent noise), two runs of 16
    # checkpoints: the long sweep's design; benchmarks/verdict_calibration.py runs 1,000 sweeps
    n_sim = 200
    rejected = simulate_rejections([16, 16], [0.3] * 18, 0.3, n_sim=n_sim, n_boot=100, random_state=3)
    family_wise = rejected.any(axis=1).mean()
    assert family_wise <= ALPHA + 2 * np.sqrt(ALPHA * (1 - ALPHA) / n_sim), family_wise


def test_a_planted_advantage_is_found_at_the_rate_the_power_analysis_predicts():
    n_sim = 100
    rejected = simulate_rejections([24, 24], [0.6] + [0.3] * 17, 0.3, n_sim=n_sim, n_boot=100, random_state=4)
    predicted = decision_power([24, 24], n_metrics=18, n_sim=n_sim, n_boot=100, random_state=5)
    detected = rejected[:, 0].mean()
    assert detected > 3 * ALPHA  # far above the null rate
    assert abs(detected - predicted) < 3 * np.sqrt(0.25 * 2 / n_sim)  # the same rate, up to Monte Carlo error
    assert rejected[:, 1:].any(axis=1).mean() <= ALPHA + 2 * np.sqrt(ALPHA * (1 - ALPHA) / n_sim)
    assert np.isnan(decision_power([8, 8], n_metrics=18))  # anecdotal: no group of 10
