"""Protocol agreement and out-of-domain prediction (sslnb.analysis.protocol_agreement) on tables built for the test."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sslnb.analysis.protocol_agreement import (label_free_versus_probe, learning_table, protocol_agreement, target_prediction,
                             target_table)


def _tables(n_methods=3, epochs=(0, 1, 2, 4, 8), seed=0):
    """Metrics and domain tables where the in-domain probe rises with epoch, kNN is its exact reverse, and on
    the target set 'digits' the label-free rankme is the target probe itself (the ideal predictor)."""
    rng = np.random.default_rng(seed)
    rows, domain_rows = [], []
    for m in range(n_methods):
        for epoch in epochs:
            probe = 0.5 + 0.01 * epoch + 0.1 * m + (0 if epoch == 0 else 0.001 * rng.random())
            if epoch == 0:
                probe = 0.5  # every method starts from the same encoder
            rows.append({"method": f"m{m}", "epoch": epoch, "layer": "backbone", "linear_probe_acc": probe,
                         "knn_acc": 1 - probe, "probe_bn_acc": probe})
            target = 0.3 if epoch == 0 else rng.random()  # the same encoder at epoch 0: the same accuracy
            domain_rows.append({"method": f"m{m}", "dataset": "x", "domain": "digits", "epoch": epoch,
                                "layer": "backbone", "linear_probe_acc": target, "rankme": target,
                                "self_cluster": target})  # self_cluster: lower is better, so it ranks in reverse
    return pd.DataFrame(rows), pd.DataFrame(domain_rows)


def test_agreement_is_plus_one_for_equal_protocols_and_minus_one_for_reversed():
    metrics, _ = _tables()
    agreement = protocol_agreement(metrics, n_boot=200)
    kendall = agreement[agreement.statistic == "kendall"].set_index(["protocol_a", "protocol_b"]).value
    assert kendall["linear_probe_acc", "probe_bn_acc"] == pytest.approx(1.0)
    assert kendall["linear_probe_acc", "knn_acc"] == pytest.approx(-1.0)
    # repeated epoch-0 encoders count once: 3 methods x 4 later epochs + 1
    assert set(agreement.n) == {13}


def test_prediction_scores_against_scipy_and_the_ideal_metric_beats_the_probe():
    metrics, domains = _tables()
    wide = target_table(metrics, domains)
    assert {"digits:rankme", "digits:linear_probe_acc", "linear_probe_acc"} <= set(wide.columns)
    prediction = target_prediction(wide, targets=("linear_probe_acc",), n_boot=300)
    kendall = prediction[prediction.statistic == "kendall"].set_index("predictor")
    assert kendall.loc["rankme", "value"] == pytest.approx(1.0)
    assert kendall.loc["self_cluster", "value"] == pytest.approx(-1.0)  # direction applied: lower is better
    distinct = pd.concat([wide[wide.epoch == 0].iloc[:1], wide[wide.epoch != 0]])
    tau = stats.kendalltau(distinct.linear_probe_acc, distinct["digits:linear_probe_acc"]).statistic
    assert kendall.loc["linear_probe_acc", "value"] == pytest.approx(tau)
    assert kendall.loc["rankme", "vs_probe"] == pytest.approx(1 - tau)
    answer = label_free_versus_probe(prediction)
    assert answer["sets"]["digits"]["best_metric"] == "rankme"
    assert "rankme" in answer["sets"]["digits"]["better"] and "self_cluster" in answer["sets"]["digits"]["worse"]
    assert answer["sentence"].startswith("A label-free metric computed on the unlabelled target data predicts the "
                                         "target-domain probe better than the in-domain probe on 1 of 1 sets.")


def test_learning_table_gives_each_method_s_gain():
    metrics, _ = _tables()
    table = learning_table(metrics).set_index(["method", "protocol"])
    row = table.loc[("m2", "linear_probe_acc")]
    assert row.first == 0.5 and row.last_epoch == 8
    assert row.gain_points == pytest.approx(100 * (row["last"] - 0.5))
