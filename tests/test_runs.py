"""Run selection and the leaderboard on constructed run tables, and their statistics against scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sslnb.analysis.statistics import kendall_tau_b, spearman_rho
from sslnb.analysis.runs import (
    DECISIONS, LEADERBOARD_COLUMNS, ORACLE, TARGETS, decision_groups, leaderboard, random_regret, regret,
    run_selection, seed_noise_floor, selectable_metrics, verdict,
)


def constructed_runs(seed: int = 0) -> pd.DataFrame:
    """Four sweeps, one per decision. ``rankme`` ranks runs exactly as the probe (perfect), ``stable_rank``
    in reverse, ``nesum`` is noise; the training loss is the probe plus a little noise (a good baseline)."""
    rng = np.random.default_rng(seed)
    rows = []

    def add(sweep, decision, run, method, epochs, accuracies):
        for epoch, acc in zip(epochs, accuracies):
            for layer in ("backbone", "projector"):
                rows.append({"sweep": sweep, "decision": decision, "run": run, "method": method, "layer": layer,
                             "epoch": epoch, ORACLE: acc, "rankme": 10 * acc, "stable_rank": -acc,
                             "nesum": rng.normal(), "training_loss": 2 - acc + rng.normal(scale=0.01)})

    for i in range(6):
        add("hyper", "hyperparameter", f"simclr_lr{i}", "simclr", [0, 8], [0.7, 0.75 + 0.01 * rng.random() + 0.01 * i])
    for seed_ in range(3):
        for method in ("simclr", "byol"):
            add("seeds", "seed", f"{method}_seed{seed_}", method, [0, 8], [0.7, 0.8 + 0.003 * seed_])
    add("long", "checkpoint", "simclr", "simclr", [0, 1, 2, 4, 8], [0.7, 0.74, 0.78, 0.8, 0.79])
    for i, encoder in enumerate(("resnet", "vit", "convnet")):
        add("architectures", "architecture", f"simclr_{encoder}", "simclr", [0, 8], [0.7, 0.8 - 0.02 * i])
    return pd.DataFrame(rows)


def test_kendall_tau_b_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(0, 4, size=9).astype(float), rng.integers(0, 5, size=9).astype(float)
        expected = stats.kendalltau(x, y).statistic
        assert kendall_tau_b(x, y) == pytest.approx(expected, nan_ok=True)
    batch = rng.normal(size=(5, 7))
    assert kendall_tau_b(batch, batch[::-1]).shape == (5,)
    assert spearman_rho([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(stats.spearmanr([1, 2, 3, 4], [1, 3, 2, 4])[0])


def test_regret_closed_forms():
    accuracy = np.array([0.80, 0.85, 0.90])
    assert regret(np.array([3.0, 2.0, 1.0]), accuracy) == pytest.approx(10.0)  # picks 0.80
    assert regret(np.array([1.0, 2.0, 3.0]), accuracy) == pytest.approx(0.0)
    assert regret(np.array([5.0, 5.0, 1.0]), accuracy) == pytest.approx(7.5)  # a tie shares the pick
    assert regret(np.array([np.nan, 1.0, np.nan]), accuracy) == pytest.approx(5.0)  # NaN is never picked
    assert random_regret(accuracy) == pytest.approx(5.0)


def test_perfect_metric_comes_first_and_reversed_last():
    runs = constructed_runs()
    metrics = selectable_metrics(runs, ["rankme", "stable_rank", "nesum"])
    assert metrics == ["rankme", "stable_rank", "nesum", "training_loss"]
    selection = run_selection(decision_groups(runs, metrics), n_boot=200)
    board = leaderboard(selection, seed_noise_floor(runs))
    assert list(board.columns[:len(LEADERBOARD_COLUMNS)]) == LEADERBOARD_COLUMNS
    assert set(board.decision) == {"checkpoint", "hyperparameter", "seed", "architecture"}
    ranked = board[board.kind != "oracle"].drop_duplicates("metric").metric.tolist()
    assert ranked[0] == "rankme" and ranked[-1] == "stable_rank"
    oracle = board[board.metric == ORACLE]
    assert (oracle.regret == 0).all() and (oracle.kendall_tau == 1).all() and len(oracle) == 4
    perfect = board[board.metric == "rankme"]
    assert (perfect.regret == 0).all() and (perfect.kendall_tau == 1).all()
    reversed_ = board[board.metric == "stable_rank"]
    assert (reversed_.kendall_tau == -1).all() and (reversed_.regret > 0).all()
    assert (board.tau_low <= board.kendall_tau + 1e-9).all() and (board.regret_low <= board.regret + 1e-9).all()
    # n_runs counts candidates: 6 hyperparameter runs; 3 seeds x 2 methods; 4 checkpoints (epoch 0, the
    # random initialisation, leaves the checkpoint decision); 3 encoders
    counts = board[board.metric == "rankme"].set_index("decision").n_runs.to_dict()
    assert counts == {"hyperparameter": 6, "seed": 6, "checkpoint": 4, "architecture": 3}
    assert set(board[board.decision == "checkpoint"].metric) >= {"last_checkpoint", "training_loss", "random"}
    assert "last_checkpoint" not in set(board[board.decision != "checkpoint"].metric)


def test_noise_floor_and_a_verdict_on_small_groups_is_anecdotal():
    runs = constructed_runs()
    floor = seed_noise_floor(runs).set_index("method").noise_floor
    assert floor["simclr"] == pytest.approx(100 * np.std([0.8, 0.803, 0.806], ddof=1))
    selection = run_selection(decision_groups(runs, selectable_metrics(runs, ["rankme", "nesum"])), n_boot=100)
    result = verdict(selection, power_simulations=20)
    assert sorted(result["anecdotal"]) == sorted(DECISIONS)  # every group has fewer than 10 candidates
    assert result["beats"] == {} and "anecdotal, no verdict" in result["sentence"]


def long_run(n_checkpoints: int = 16, seed: int = 0) -> pd.DataFrame:
    """One run's checkpoints: the probe rises noisily, ``rankme`` follows it exactly, ``nesum`` is noise,
    ``stable_rank`` equals the training loss's information (a twin of the baseline)."""
    rng = np.random.default_rng(seed)
    epochs = np.arange(n_checkpoints + 1)
    probe = 0.7 + 0.01 * np.sqrt(epochs) + rng.normal(scale=0.01, size=len(epochs))
    loss = 2 - probe + rng.normal(scale=0.02, size=len(epochs))
    loss[0] = np.nan  # no training loss before training
    return pd.DataFrame({"sweep": "long", "decision": "checkpoint", "run": "simclr", "method": "simclr",
                         "layer": "backbone", "epoch": epochs, ORACLE: probe, "rankme": probe,
                         "nesum": rng.normal(size=len(epochs)), "stable_rank": -loss, "training_loss": loss})


def test_the_verdict_names_only_a_metric_that_beats_the_baseline():
    runs = long_run()
    metrics = selectable_metrics(runs, ["rankme", "nesum", "stable_rank"])
    groups = decision_groups(runs, metrics)
    assert len(groups[0].accuracy) == 16  # epoch 0 left out: the loss is scored on every candidate
    result = verdict(run_selection(groups, n_boot=300), power_simulations=20)
    assert result["anecdotal"] == []
    assert result["beats"]["checkpoint"]["training_loss"] == ["rankme"]  # not the noise, not the loss's twin
    tests = pd.DataFrame(result["tests"]).set_index(["baseline", "metric"])
    twin = tests.loc[("training_loss", "stable_rank")]
    assert twin.delta_tau == pytest.approx(0.0) and twin.p_tau == 1.0  # identical on every resample
    assert tests.loc[("training_loss", "rankme"), "p_tau_holm"] < 0.05
    assert 0 <= result["power"]["checkpoint"] <= 1 and "Holm" in result["sentence"]


def test_the_loss_is_not_compared_across_its_definitions():
    runs = constructed_runs()
    hyper = runs[runs.sweep == "hyper"].copy()
    hyper["methods.simclr.temperature"] = np.where(hyper.run.str.endswith(("0", "1", "2")), 0.1, 0.5)
    group = next(g for g in decision_groups(hyper, ["rankme", "training_loss"]) if g.key["layer"] == "backbone")
    assert group.key["loss_comparable"] is False and np.isnan(group.scores["training_loss"]).all()
    same = next(g for g in decision_groups(runs[runs.sweep == "hyper"], ["training_loss"]))
    assert same.key["loss_comparable"] is True and np.isfinite(same.scores["training_loss"]).all()


def test_width_bounded_metrics_are_not_compared_across_widths():
    runs = constructed_runs()
    encoders = runs[runs.sweep == "architectures"].assign(dim=lambda t: np.where(t.run.str.endswith("vit"), 64, 128))
    group = next(g for g in decision_groups(encoders, ["rankme", "nesum"]) if g.key["layer"] == "backbone")
    assert group.key["one_width"] is False
    assert np.isnan(group.scores["rankme"]).all() and np.isnan(group.scores["nesum"]).all()
    alike = next(g for g in decision_groups(encoders.assign(dim=64), ["rankme"]))
    assert alike.key["one_width"] is True and np.isfinite(alike.scores["rankme"]).all()


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="sweep-collect"):
        decision_groups(pd.DataFrame({"run": [1]}), ["rankme"])


def test_supervised_reference_runs_are_no_candidates():
    runs = constructed_runs()
    supervised = runs[runs.sweep == "architectures"].assign(method="supervised", linear_probe_acc=0.99,
                                                            run=lambda t: "sup_" + t.run)
    groups = decision_groups(pd.concat([runs, supervised]), ["rankme"])
    assert all(g.key["method"] != "supervised" for g in groups)
    assert max(g.accuracy.max() for g in groups) < 0.9


def test_kendall_leaves_out_pairs_with_a_nan():
    x, y = np.array([1.0, np.nan, 3.0, 2.0, 5.0]), np.array([0.1, 0.9, 0.2, 0.4, 0.3])
    keep = np.isfinite(x)
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x[keep], y[keep]).statistic)
    assert np.isnan(kendall_tau_b(np.array([np.nan, np.nan, 1.0]), np.array([1.0, 2.0, 3.0])))


def test_fine_tuning_and_out_of_domain_are_extra_decisions_with_their_own_oracle():
    runs = constructed_runs()
    # fine-tuning ranks runs in the reverse of the probe; the out-of-domain probe as the probe does
    runs["finetune_acc"] = 1 - runs[ORACLE]
    runs["ood_probe_acc"] = runs[ORACLE] / 2
    metrics = selectable_metrics(runs, ["rankme", "stable_rank", "finetune_acc"])
    assert metrics == ["rankme", "stable_rank", "training_loss"]  # an oracle is never a candidate metric
    groups = [g for oracle in TARGETS for g in decision_groups(runs, metrics, oracle=oracle)]
    board = leaderboard(run_selection(groups, n_boot=100), seed_noise_floor(runs)).set_index(["decision", "metric"])
    assert board.loc[("checkpoint (fine-tuning)", "stable_rank"), "kendall_tau"] == pytest.approx(1.0)
    assert board.loc[("checkpoint (fine-tuning)", "rankme"), "kendall_tau"] == pytest.approx(-1.0)
    assert board.loc[("seed (out of domain)", "rankme"), "kendall_tau"] == pytest.approx(1.0)
    assert board.loc[("hyperparameter (fine-tuning)", "finetune_acc"), "regret"] == 0  # its oracle
    assert board.loc[("hyperparameter (fine-tuning)", "finetune_acc"), "kind"] == "oracle"
    selection = run_selection(groups, n_boot=100)
    assert set(verdict(selection, power_simulations=10)["anecdotal"]) <= set(DECISIONS)  # the probe's by default
    assert verdict(selection, ["checkpoint (fine-tuning)"])["anecdotal"] == ["checkpoint (fine-tuning)"]
    # a table without the oracle's column gives no extra groups, and an unknown oracle is named
    assert decision_groups(runs.drop(columns=["finetune_acc"]), metrics, oracle="finetune_acc") == []
    with pytest.raises(ValueError, match="unknown oracle 'knn_acc'"):
        decision_groups(runs, metrics, oracle="knn_acc")


def failure_runs(seed: int = 0) -> pd.DataFrame:
    """12 healthy hyperparameter runs and 4 failed ones (final probe below their epoch-0 probe): ``rankme``
    is low exactly for the failed runs, ``nesum`` is noise, the held-out objective high for the failed ones."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(16):
        failed = i >= 12
        final = 0.70 - 0.05 * rng.random() if failed else 0.80 + 0.02 * rng.random()
        sweep, decision = ("failures", "failure") if failed else ("hyper", "hyperparameter")
        for epoch, acc in ((0, 0.72), (2, final)):
            for layer in ("backbone", "projector"):
                rows.append({"sweep": sweep, "decision": decision, "run": f"r{i}", "method": "simclr", "layer": layer,
                             "epoch": epoch, ORACLE: acc, "rankme": (1 if failed else 5) + rng.random(),
                             "nesum": rng.normal(), "heldout_loss": (6 if failed else 5) + 0.1 * rng.random(),
                             "training_loss": rng.normal(), "replicate_of": ""})
    return pd.DataFrame(rows)


def test_failure_detection_auroc_against_scikit_learn_and_its_interval():
    from sklearn.metrics import roc_auc_score

    from sslnb.analysis.runs import failure_detection

    runs = failure_runs()
    table = failure_detection(runs, ["rankme", "nesum", "heldout_loss", "training_loss"], n_boot=200).set_index("metric")
    assert table.loc["rankme", "auroc"] == pytest.approx(1.0) and table.loc["heldout_loss", "auroc"] == pytest.approx(1.0)
    finals = runs[(runs.layer == "backbone") & (runs.epoch == 2)]
    failed = finals[ORACLE] <= 0.72
    assert table.loc["nesum", "auroc"] == pytest.approx(roc_auc_score(failed, -finals.nesum))
    assert table.loc["nesum", "auroc_low"] < table.loc["nesum", "auroc"] < table.loc["nesum", "auroc_high"]
    assert (table.n_runs == 16).all() and (table.n_failed == 4).all()
    assert table.loc["heldout_loss", "kind"] == "baseline" and table.loc["rankme", "kind"] == "metric"
    # every run healthy: nothing to detect, an empty table rather than a made-up AUROC
    assert failure_detection(runs[runs.sweep == "hyper"], ["rankme"]).empty


def test_replicates_are_one_candidate_and_measure_the_configuration_share():
    from sslnb.analysis.runs import configuration_share

    runs = failure_runs()
    runs = runs[runs.sweep == "hyper"]
    again = runs[runs.run.isin(["r0", "r1"])].assign(replicate_of=lambda t: t.run, run=lambda t: t.run + "_seed1")
    again[ORACLE] = again[ORACLE] + np.where(again.epoch > 0, 0.001, 0.0)
    both = pd.concat([runs, again], ignore_index=True)
    groups = decision_groups(both, ["rankme"])
    assert {len(g.accuracy) for g in groups} == {12}  # the re-runs are no extra candidates
    share = configuration_share(both).iloc[0]
    finals = runs[(runs.layer == "backbone") & (runs.epoch == 2)][ORACLE]
    assert share.pairs == 2 and share.seed_std == pytest.approx(100 * np.sqrt(0.001 ** 2 / 2))
    assert share.configuration_share == pytest.approx(1 - (0.001 ** 2 / 2) / np.var(finals, ddof=1))


def test_the_held_out_objective_is_a_baseline_not_a_metric():
    runs = failure_runs()
    assert selectable_metrics(runs, ["rankme", "heldout_loss", "nesum"]) == ["rankme", "nesum", "heldout_loss",
                                                                            "training_loss"]


def test_a_rerun_candidate_brings_its_seed_spread_into_the_interval():
    runs = failure_runs()
    runs = runs[runs.sweep == "hyper"].copy()
    runs["rankme"] = 10 * runs[ORACLE]  # ranks the first seeds perfectly: a degenerate interval [1, 1]
    again = runs.assign(replicate_of=lambda t: t.run, run=lambda t: t.run + "_seed1")
    rng = np.random.default_rng(3)
    final = again.epoch > 0  # the re-runs' probes move by seed noise; the metric stays
    again.loc[final, ORACLE] = again.loc[final, ORACLE] + rng.normal(scale=0.02, size=final.sum())
    alone = run_selection(decision_groups(runs, ["rankme"]), n_boot=300)
    both = run_selection(decision_groups(pd.concat([runs, again]), ["rankme"]), n_boot=300)
    pick = lambda t, m: t[(t.layer == "backbone") & (t.metric == m)].iloc[0]  # noqa: E731
    assert pick(both, "rankme").tau == pick(alone, "rankme").tau == 1.0  # the estimate is the first seeds'
    assert pick(alone, "rankme").tau_low == 1.0 and pick(both, "rankme").tau_low < 0.9  # seed noise widens it
    assert pick(both, ORACLE).tau_low == 1.0  # the oracle ranks whichever run was drawn perfectly
