"""Correlations with bootstrap intervals, against scipy and on series built for the test."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sslnb.analysis.correlation import bootstrap_interval, correlation_across_models, correlation_table


def checkpoint_table(n=12, noise=0.3, seed=0):
    rng = np.random.default_rng(seed)
    epochs = np.arange(n)
    accuracy = 0.6 + 0.3 * (1 - np.exp(-epochs / 3))
    return pd.DataFrame({
        "method": "m", "layer": "backbone", "epoch": epochs, "reference": accuracy,
        "tracks": accuracy + noise * 0.05 * rng.normal(size=n),  # follows the probe
        "opposes": -accuracy,  # perfectly anti-monotone
        "noise": rng.normal(size=n),
    })


def test_point_estimates_match_scipy():
    table = checkpoint_table()
    result = correlation_table(table, ["tracks", "noise"], n_boot=200).set_index(["metric", "statistic"])
    x, y = table["noise"].to_numpy(), table["reference"].to_numpy()
    assert result.loc[("noise", "pearson"), "value"] == pytest.approx(stats.pearsonr(x, y).statistic)
    assert result.loc[("noise", "spearman"), "value"] == pytest.approx(stats.spearmanr(x, y).statistic)
    assert result.loc[("noise", "kendall"), "value"] == pytest.approx(stats.kendalltau(x, y).statistic)


def test_intervals_contain_the_estimate_and_collapse_for_a_perfect_order():
    table = checkpoint_table()
    result = correlation_table(table, ["tracks", "opposes", "noise"], n_boot=300)
    for row in result.itertuples():
        assert row.ci_low <= row.value + 1e-12 and row.value <= row.ci_high + 1e-12, row
    exact = result[(result.metric == "opposes") & (result.statistic != "pearson")]
    assert np.allclose(exact[["value", "ci_low", "ci_high"]].to_numpy(), -1.0)
    noisy = result[(result.metric == "noise") & (result.statistic == "spearman")].iloc[0]
    assert noisy.ci_high - noisy.ci_low > 0.5  # 12 unrelated checkpoints: a wide interval


def test_bootstrap_is_seeded_and_checks_its_input():
    x, y = np.arange(10.0), np.arange(10.0) ** 2 + np.random.default_rng(0).normal(size=10)
    assert bootstrap_interval(x, y, "spearman", random_state=3) == bootstrap_interval(x, y, "spearman", random_state=3)
    with pytest.raises(ValueError, match="unknown statistic"):
        bootstrap_interval(x, y, "cosine")
    with pytest.raises(ValueError, match="same length"):
        bootstrap_interval(x, y[:5], "pearson")


def test_warmup_keeps_only_late_checkpoints():
    table = checkpoint_table(n=10)
    late = correlation_table(table, ["tracks"], warmup_fraction=0.5, n_boot=50)
    assert set(late.n) == {5} and set(late.window) == {"after 50% warm-up"}  # epochs 5..9, after 4.5
    with pytest.raises(ValueError, match="warmup_fraction"):
        correlation_table(table, ["tracks"], warmup_fraction=1.0)
    with pytest.raises(ValueError, match="no column"):
        correlation_table(table, ["missing"])


def test_across_models_uses_every_row_as_one_point():
    # Five "encoders" in no particular order, no epochs: every row is a model, the scipy values are exact.
    models = pd.DataFrame({"reference": [0.82, 0.85, 0.78, 0.83, 0.80], "tracks": [2.0, 3.0, 0.5, 2.5, 1.0],
                           "noise": [0.3, -1.0, 0.8, 0.1, -0.2], "architecture": list("abcde")})
    result = correlation_across_models(models, ["tracks", "noise"], "across", n_boot=200)
    assert set(result.method) == {"across"} and (result.n == 5).all() and set(result.window) == {"all"}
    by = result.set_index(["metric", "statistic"]).value
    assert by["tracks", "spearman"] == pytest.approx(1.0) and by["tracks", "kendall"] == pytest.approx(1.0)
    assert by["noise", "spearman"] == pytest.approx(stats.spearmanr(models.noise, models.reference)[0])
    assert by["noise", "kendall"] == pytest.approx(stats.kendalltau(models.noise, models.reference)[0])


@pytest.mark.parametrize("statistic, reference", [("pearson", stats.pearsonr), ("spearman", stats.spearmanr),
                                                  ("kendall", stats.kendalltau)])
def test_batched_correlation_matches_scipy_on_resamples_with_ties(statistic, reference):
    from sslnb.analysis.correlation import batched_correlation

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=9), rng.normal(size=9)
    draws = rng.integers(0, 9, size=(40, 9))  # bootstrap resamples: many repeated checkpoints (ties)
    values = batched_correlation(statistic, x[draws], y[draws])
    for rows, value in zip(draws, values):
        if np.ptp(x[rows]) == 0:
            assert np.isnan(value)
        else:
            assert value == pytest.approx(reference(x[rows], y[rows]).statistic, abs=1e-12)
