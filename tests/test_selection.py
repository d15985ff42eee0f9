"""Checkpoint-selection regret and method ranking on tables built so the answers are known."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sslnb.columns import LABEL_FREE
from sslnb.analysis.selection import DIRECTIONS, UNDIRECTED, checkpoint_regret, direction_of, method_ranking


def checkpoints() -> pd.DataFrame:
    # probe accuracy peaks at epoch 2; rankme peaks at epoch 3, self_cluster (lower is better) is lowest at 2
    return pd.DataFrame({
        "method": "simclr", "layer": "backbone", "epoch": [0, 1, 2, 3],
        "reference": [0.70, 0.75, 0.82, 0.80],
        "rankme": [5.0, 6.0, 7.0, 8.0],
        "self_cluster": [0.9, 0.5, 0.1, 0.3],
        "alpha_req": [3.0, 0.2, 1.5, 1.1],  # closest to 1 at epoch 3
    })


def test_every_label_free_metric_has_a_direction_or_a_reason_not_to():
    assert set(LABEL_FREE) <= set(DIRECTIONS) | set(UNDIRECTED)
    with pytest.raises(ValueError, match="no selection direction"):
        direction_of("alpha_req_r2")


def test_regret_is_the_gap_to_the_best_checkpoint():
    regret = checkpoint_regret(checkpoints(), ["rankme", "self_cluster", "alpha_req"]).set_index("metric")
    assert regret.loc["rankme", "chosen_epoch"] == 3
    assert regret.loc["rankme", "regret"] == pytest.approx(2.0)  # 0.82 - 0.80, in points
    assert regret.loc["self_cluster", "chosen_epoch"] == 2 and regret.loc["self_cluster", "regret"] == 0
    assert regret.loc["alpha_req", "chosen_epoch"] == 3
    assert (regret.best_epoch == 2).all() and np.allclose(regret.last_regret, 2.0)


def test_ties_pick_the_earlier_checkpoint_and_nan_metrics_choose_nothing():
    table = checkpoints().assign(rankme=[1.0, 9.0, 9.0, 2.0], lidar=np.nan)
    regret = checkpoint_regret(table, ["rankme", "lidar"]).set_index("metric")
    assert regret.loc["rankme", "chosen_epoch"] == 1
    assert np.isnan(regret.loc["lidar", "regret"])


def test_method_ranking_is_kendall_tau_of_the_final_models():
    rng = np.random.default_rng(0)
    rows = []
    for i, method in enumerate(["a", "b", "c", "d", "e"]):
        for epoch in (0, 5):
            rows.append({"method": method, "layer": "backbone", "epoch": epoch, "reference": 0.5 + 0.1 * i * epoch,
                         "rankme": rng.normal() if epoch == 0 else [3, 1, 2, 5, 4][i]})
    ranking = method_ranking(pd.DataFrame(rows), ["rankme"]).iloc[0]
    expected = stats.kendalltau([3, 1, 2, 5, 4], [0.5 + 0.5 * i for i in range(5)]).statistic
    assert ranking.tau == pytest.approx(expected)
    assert ranking.best_method == "d" and ranking.reference_best == "e" and ranking.n_methods == 5


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="lacks column"):
        checkpoint_regret(checkpoints().drop(columns="reference"), ["rankme"])
