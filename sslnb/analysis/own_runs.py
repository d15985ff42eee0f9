"""The leaderboard's judgement on your own runs: ``sslnb leaderboard RUNS.csv``.

The table has one row per candidate (a run, or a checkpoint of a run): a group column (the candidates one
choice is made among, e.g. one sweep of one method), metric columns, a probe column (the labelled oracle)
and optionally a training-loss column and an order column (epoch or step, for the ``last_checkpoint``
baseline). Metric columns are those named like sslnb's metrics, with or without the ``label_free/`` prefix
that the Lightning and Hugging Face monitors log; any other metric needs its direction (``--direction
NAME=higher`` or ``=lower``). The candidates are judged exactly as sslnb judges its own sweeps
(:func:`sslnb.analysis.runs.run_selection`, :func:`sslnb.analysis.runs.leaderboard`, :func:`sslnb.analysis.runs.verdict`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from sslnb.columns import DIAGNOSTIC, SUITE
from sslnb.errors import UsageError
from sslnb.analysis.runs import LAST, LOSS, LOSS_DIRECTION, Candidates, leaderboard, run_selection, verdict
from sslnb.analysis.selection import DIRECTIONS, HIGHER, LOWER, Direction

log = logging.getLogger(__name__)
PREFIX = "label_free/"  # what sslnb's monitors log (sslnb.integrations)
# what the monitors log beside the metrics that has no "better" direction: the alpha-ReQ fit's R^2, the
# monitor's own time, the outlier diagnostics; read past, never judged
NOT_METRICS = {*(c for c in SUITE if c not in DIRECTIONS), "monitor_seconds", *DIAGNOSTIC}
LAYER = "embedding"
MIN_GROUP = 2


def read_runs_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet table; one line naming the file and the fix otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    raise UsageError(f"{path}: give the runs as .csv or .parquet, one row per run or checkpoint")


def parse_directions(pairs: Sequence[str]) -> dict[str, Direction]:
    """``["mymetric=higher", "other=lower"]`` -> their :class:`~sslnb.analysis.selection.Direction`."""
    directions = {}
    for pair in pairs or []:
        name, _, word = pair.partition("=")
        if word not in ("higher", "lower") or not name:
            raise UsageError(f"--direction {pair!r}: write NAME=higher or NAME=lower (which values are better)")
        directions[name.removeprefix(PREFIX)] = Direction(HIGHER if word == "higher" else LOWER, "given by the user")
    return directions


def metric_columns(table: pd.DataFrame, directions: dict[str, Direction], excluded: set[str]) -> dict[str, str]:
    """{column: metric name} of the metric columns; a ``label_free/`` column without a direction is refused."""
    found = {}
    for column in table.columns:
        if column in excluded:
            continue
        name = str(column).removeprefix(PREFIX)
        if name in NOT_METRICS and name not in directions:
            continue
        known = name in DIRECTIONS or name in directions
        if str(column).startswith(PREFIX) and not known:
            raise UsageError(f"column {column!r}: sslnb declares no direction for {name!r}; give "
                             f"--direction {name}=higher or --direction {name}=lower")
        if known and pd.api.types.is_numeric_dtype(table[column]):
            found[column] = name
    if not found:
        raise UsageError("the table has no metric column: name columns as sslnb's metrics (e.g. rankme, "
                         "label_free/rankme), or give --direction NAME=higher|lower for your own")
    return found


def candidate_groups(table: pd.DataFrame, group: str, probe: str, loss: str | None = None,
                     order: str | None = None, directions: dict[str, Direction] | None = None) -> list[Candidates]:
    """The candidate sets of a user's runs table, for :func:`sslnb.analysis.runs.run_selection`."""
    directions = directions or {}
    for option, column in (("--group", group), ("--probe", probe), ("--loss", loss), ("--order", order)):
        if column is not None and column not in table.columns:
            raise UsageError(f"{option} {column!r}: the table has no such column (it has "
                             f"{', '.join(map(str, list(table.columns)[:12]))})")
    if order is not None:
        # Lightning's CSVLogger writes each logged quantity on a row of its own (the loss at its steps, the
        # monitor's metrics at the epoch's end): one candidate is the last value of each column per order
        table = table.groupby([group, order], as_index=False, sort=True).last()
    probes = pd.to_numeric(table[probe], errors="coerce")
    if probes.isna().any():
        raise UsageError(f"--probe {probe!r}: {int(probes.isna().sum())} row(s) have no probe value; fill them "
                         "or drop those rows (every candidate needs its labelled score)")
    if loss is not None and table[loss].isna().any():
        # a baseline must be scored on exactly the candidates the metrics are scored on
        log.warning("%d row(s) without a %s leave every comparison", int(table[loss].isna().sum()), loss)
        table = table[table[loss].notna()]
    columns = metric_columns(table, directions, {group, probe, loss, order})
    groups = []
    for key, rows in table.groupby(group, sort=True):
        if len(rows) < MIN_GROUP:
            continue
        scores = {name: (directions.get(name) or DIRECTIONS[name]).score(rows[column]) for column, name in columns.items()}
        if loss is not None:
            scores[LOSS] = LOSS_DIRECTION * rows[loss].to_numpy(dtype=float)
        if order is not None:
            scores[LAST] = rows[order].to_numpy(dtype=float)
        groups.append(Candidates({"group_name": key, "method": str(key), "layer": LAYER},
                                 rows[probe].to_numpy(dtype=float), scores))
    if not groups:
        raise UsageError(f"--group {group!r}: no group has {MIN_GROUP} or more candidates to choose among")
    return groups


def judge(groups: list[Candidates], decision: str, n_boot: int = 1000, random_state: int = 0,
          power_simulations: int = 200) -> tuple[pd.DataFrame, dict]:
    """The leaderboard and the verdict of the user's candidates, named ``decision``."""
    groups = [Candidates({**g.key, "decision": decision, "sweep": "runs"}, g.accuracy, g.scores, g.oracle)
              for g in groups]
    selection = run_selection(groups, n_boot=n_boot, random_state=random_state)
    return leaderboard(selection, layer=LAYER), verdict(selection, [decision], layer=LAYER,
                                                        power_simulations=power_simulations)


def summary_lines(board: pd.DataFrame, result: dict, top: int = 8) -> list[str]:
    """A few lines for the terminal: the verdict, then the metrics by pooled tau."""
    shown = board[board.kind != "oracle"].head(top)
    lines = [result["sentence"], "", f"{'metric':<24}{'tau':>8}{'regret':>9}{'candidates':>12}"]
    lines += [f"{m:<24}{t:>+8.2f}{r:>9.2f}{n:>12d}" for m, t, r, n in
              zip(shown.metric, shown.kendall_tau.fillna(np.nan), shown.regret, shown.n_runs)]
    return lines
