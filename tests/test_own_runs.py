"""`sslnb leaderboard RUNS.csv`: the leaderboard's judgement on a user's own runs table."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sslnb.cli import main


def lightning_like(path: Path, n_checkpoints: int = 14, runs: int = 2, nan_probe: bool = False) -> Path:
    """Checkpoint rows as Lightning's CSVLogger writes them with sslnb's monitor (label_free/ columns), and a
    probe column added: rankme follows the probe, silhouette is noise, the loss is the probe with noise."""
    rng = np.random.default_rng(0)
    rows = []
    for run in range(runs):
        for epoch in range(n_checkpoints):
            probe = 0.7 + 0.01 * np.sqrt(epoch) + rng.normal(scale=0.01)
            # as the CSVLogger writes them: the loss on a step row, the monitor's metrics on the epoch's row
            rows.append({"run": f"run{run}", "epoch": epoch, "step": 10 * epoch + 5,
                         "train_loss": 2 - probe + rng.normal(scale=0.02)})
            rows.append({"run": f"run{run}", "epoch": epoch, "step": 10 * epoch + 9,
                         "label_free/rankme": 10 * probe, "label_free/silhouette": rng.normal(),
                         # logged by the monitor too, with no direction: read past, never judged
                         "label_free/alpha_req_r2": 0.9, "label_free/monitor_seconds": 0.1,
                         "linear_probe_acc": probe})
    table = pd.DataFrame(rows)
    if nan_probe:
        table.loc[3, "linear_probe_acc"] = np.nan  # a metrics row: that epoch has no probe at all
    table.to_csv(path, index=False)
    return path


def test_a_users_runs_get_the_same_leaderboard_and_verdict(tmp_path, capsys):
    out = tmp_path / "board.csv"
    argv = ["leaderboard", str(lightning_like(tmp_path / "runs.csv")), "--group", "run", "--loss", "train_loss",
            "--order", "epoch", "--n-boot", "300", "--power-simulations", "10", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "beats training_loss: rankme" in printed and "Holm" in printed
    assert "silhouette" not in printed.split("beats training_loss:")[1].split(";")[0]
    board = pd.read_csv(out)
    assert board.metric.iloc[0] == "linear_probe_acc" and board.metric.iloc[1] == "rankme"  # oracle, then best
    assert {"training_loss", "last_checkpoint", "random", "silhouette"} <= set(board.metric)
    assert not {"alpha_req_r2", "monitor_seconds"} & set(board.metric)
    assert (board[board.metric == "rankme"].n_runs == 28).all()


def test_a_custom_metric_needs_its_direction(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    table = pd.read_csv(lightning_like(path)).rename(columns={"label_free/silhouette": "label_free/mine"})
    table.to_csv(path, index=False)
    assert main(["leaderboard", str(path), "--group", "run", "--order", "epoch", "--out", str(tmp_path / "b.csv")]) == 2
    assert "--direction mine=higher" in capsys.readouterr().err
    assert main(["leaderboard", str(path), "--group", "run", "--order", "epoch", "--direction", "mine=lower",
                 "--n-boot", "100", "--power-simulations", "10",
                 "--out", str(tmp_path / "b.csv")]) == 0
    assert "mine" in set(pd.read_csv(tmp_path / "b.csv").metric)


@pytest.mark.parametrize("change, expected", [
    (["--group", "sweep"], "--group 'sweep': the table has no such column"),
    (["--probe", "knn"], "--probe 'knn': the table has no such column"),
    (["--direction", "mine=up"], "write NAME=higher or NAME=lower"),
    (["--out", "board.xlsx"], "ending in .csv"),
])
def test_bad_options_are_one_line(tmp_path, capsys, change, expected):
    argv = ["leaderboard", str(lightning_like(tmp_path / "runs.csv")), "--group", "run", "--order", "epoch"]
    if "--out" not in change:
        argv += ["--out", str(tmp_path / "b.csv")]
    assert main([*argv, *change]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and "Traceback" not in err[0]


def test_nan_probes_and_too_few_runs_are_named(tmp_path, capsys):
    assert main(["leaderboard", str(lightning_like(tmp_path / "nan.csv", nan_probe=True)), "--group", "run",
                 "--order", "epoch", "--out", str(tmp_path / "b.csv")]) == 2
    assert "1 row(s) have no probe value" in capsys.readouterr().err
    assert main(["leaderboard", str(lightning_like(tmp_path / "one.csv", n_checkpoints=1)), "--group", "run",
                 "--order", "epoch", "--out", str(tmp_path / "b.csv")]) == 2
    assert "no group has 2 or more candidates" in capsys.readouterr().err


def test_small_groups_get_numbers_but_no_verdict(tmp_path, capsys):
    out = tmp_path / "b.csv"
    assert main(["leaderboard", str(lightning_like(tmp_path / "runs.csv", n_checkpoints=6)), "--group", "run",
                 "--order", "epoch", "--n-boot", "100", "--out", str(out)]) == 0
    assert "anecdotal, no verdict" in capsys.readouterr().out
    assert pd.read_csv(out).kendall_tau.notna().any()
