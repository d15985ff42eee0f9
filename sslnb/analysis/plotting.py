"""Figures drawn from the metrics tables. Functions return the figure; :func:`save_figure` writes it.

Outlier milestones (checkpoints with a sample beyond the robust z-score ``outlier_z``, by default the
evaluate stage's ``metrics.outlier_z``; see :func:`sslnb.analysis.tables.outlier_mask` and
:mod:`sslnb.metrics.outliers`) are drawn in :data:`OUTLIER_COLOUR` wherever checkpoints are points.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from sslnb.analysis.tables import outlier_mask
from sslnb.io import atomic_path
from sslnb.metrics.registry import METRICS

OUTLIER_COLOUR = "#d62728"
# what plots call each column: the registry's labels, and the run tables' training loss
LABELS = {entry.name: entry.label for entry in METRICS if entry.label} | {"training_loss": "training loss"}


def label(metric: str) -> str:
    return LABELS.get(metric, metric)


def _integer_epochs(ax: plt.Axes) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers


def _mark_outliers(ax: plt.Axes, rows: pd.DataFrame, metric: str, outlier_z: float | None) -> None:
    flagged = rows[outlier_mask(rows, outlier_z)]
    if not flagged.empty:
        ax.scatter(flagged.epoch, flagged[metric], s=70, facecolors="none", edgecolors=OUTLIER_COLOUR,
                   linewidths=1.8, zorder=5, label="outlier milestone")


def _method_rows(table: pd.DataFrame, method: str) -> pd.DataFrame:
    rows = table[table.method == method].sort_values("epoch")
    if rows.empty:
        raise ValueError(f"the metrics table has no rows for method {method!r} (has: {sorted(set(table.method))})")
    return rows


def _references(ax: plt.Axes, rows: pd.DataFrame, method: str) -> None:
    probe = rows[rows.layer == "backbone"]
    ax.plot(probe.epoch, probe.linear_probe_acc, marker="o", label="linear probe")
    ax.plot(probe.epoch, probe.knn_acc, marker="s", label="kNN")
    ax.set(title=f"{method}: label-based references (backbone)", xlabel="epoch", ylabel="test accuracy")
    ax.legend(fontsize=8)
    _integer_epochs(ax)


def entropy_progression(table: pd.DataFrame, method: str, metric: str = "entropy_kl_bits",
                        outlier_z: float | None = None) -> plt.Figure:
    """Entropy against epoch per layer, outlier milestones circled, beside the probe accuracies if labelled.

    The analogue of the study's entropy progression plots (its Figures 2-4). ``outlier_z``: the robust
    z-score that makes a milestone an outlier milestone (None: the evaluate stage's ``metrics.outlier_z``).
    """
    rows = _method_rows(table, method)
    labelled = rows["linear_probe_acc"].notna().any()
    fig, axes = plt.subplots(1, 2 if labelled else 1, figsize=(10 if labelled else 5.5, 3.8),
                             constrained_layout=True, squeeze=False)
    left = axes[0, 0]
    for layer, group in rows.groupby("layer", sort=True):
        left.plot(group.epoch, group[metric], marker="o", label=layer)
        _mark_outliers(left, group, metric, outlier_z)
    handles, names = left.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    left.legend(unique.values(), unique.keys(), fontsize=8)
    left.set(title=f"{method}: embedding entropy", xlabel="epoch", ylabel=label(metric))
    _integer_epochs(left)
    if labelled:  # without labels there is no reference to draw
        _references(axes[0, 1], rows, method)
    return fig


def _panel_grid(n_panels: int, columns: int, panel_height: float) -> tuple[plt.Figure, np.ndarray]:
    """A figure of ``n_panels`` panels in rows of ``columns``, the unused trailing axes hidden; flat axes."""
    n_rows = math.ceil(n_panels / columns)
    fig, axes = plt.subplots(n_rows, columns, figsize=(3.6 * columns, panel_height * n_rows),
                             constrained_layout=True, squeeze=False)
    for ax in axes.ravel()[n_panels:]:
        ax.axis("off")
    return fig, axes.ravel()


def progression_grid(table: pd.DataFrame, method: str, metrics: Sequence[str], columns: int = 4,
                     outlier_z: float | None = None) -> plt.Figure:
    """Every metric against epoch (one panel each, a line per layer), the probe accuracies first."""
    rows = _method_rows(table, method)
    labelled = rows["linear_probe_acc"].notna().any()
    panels = (["references"] if labelled else []) + [m for m in metrics if rows[m].notna().any()]
    fig, axes = _panel_grid(len(panels), columns, panel_height=2.8)
    for ax, panel in zip(axes, panels):
        if panel == "references":
            _references(ax, rows, method)
            ax.set_title("linear probe and kNN (backbone)", fontsize=10)
            continue
        for layer, group in rows.groupby("layer", sort=True):
            ax.plot(group.epoch, group[panel], marker=".", label=layer)
            _mark_outliers(ax, group, panel, outlier_z)
        ax.set_title(label(panel), fontsize=10)
        ax.set_xlabel("epoch")
        _integer_epochs(ax)
    handles, names = axes[1 if labelled else 0].get_legend_handles_labels()
    unique = dict(zip(names, handles))
    fig.legend(unique.values(), unique.keys(), loc="outside lower center", ncol=len(unique))
    fig.suptitle(f"{method}: every metric against epoch")
    return fig


def correlation_heatmap(correlations: pd.DataFrame, statistic: str = "spearman") -> plt.Figure:
    """Heatmap of ``statistic`` (metric x method/layer), one panel per window (all checkpoints, late training)."""
    rows = correlations[correlations.statistic == statistic].copy()
    if rows.empty:
        raise ValueError(f"no {statistic} correlations to draw")
    rows["group"] = rows.method + " / " + rows.layer
    windows = list(dict.fromkeys(rows.window))
    metrics = list(dict.fromkeys(rows.metric))
    fig, axes = plt.subplots(1, len(windows), figsize=(1.1 * rows.group.nunique() * len(windows) + 3,
                                                       0.38 * len(metrics) + 2), constrained_layout=True,
                             squeeze=False)
    for ax, window in zip(axes.ravel(), windows):
        grid = rows[rows.window == window].pivot(index="metric", columns="group", values="value").reindex(metrics)
        sns.heatmap(grid, vmin=-1, vmax=1, cmap="vlag", annot=True, fmt=".2f", annot_kws={"fontsize": 7},
                    cbar=ax is axes.ravel()[-1], ax=ax)
        ax.set(title=f"{statistic} with linear probe: {window}", xlabel="", ylabel="")
        ax.set_yticklabels([label(m) for m in grid.index], fontsize=8)
    return fig


def scatter_grid(table: pd.DataFrame, metrics: Sequence[str], reference: str = "reference",
                 layer: str = "backbone") -> plt.Figure:
    """Each metric (rows) against ``reference`` accuracy, one panel per method (columns), colour = epoch."""
    rows = table[table.layer == layer]
    methods = sorted(set(rows.method))
    metrics = [m for m in metrics if rows[m].notna().any()]
    fig, axes = plt.subplots(len(metrics), len(methods), figsize=(3.2 * len(methods), 2.6 * len(metrics)),
                             constrained_layout=True, squeeze=False)
    norm = plt.Normalize(rows.epoch.min(), rows.epoch.max())
    for i, metric in enumerate(metrics):
        for j, method in enumerate(methods):
            ax = axes[i, j]
            group = rows[rows.method == method].sort_values("epoch")
            ax.plot(group[metric], group[reference], color="0.8", zorder=1)  # the training path
            ax.scatter(group[metric], group[reference], c=group.epoch, cmap="viridis", norm=norm, zorder=2,
                       edgecolors=np.where(outlier_mask(group), OUTLIER_COLOUR, "none"))
            if i == 0:
                ax.set_title(method)
            ax.set_xlabel(label(metric), fontsize=8)
            if j == 0:
                ax.set_ylabel("linear-probe acc.", fontsize=8)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=axes, label="epoch", shrink=0.3)
    fig.suptitle(f"label-free metrics against linear-probe accuracy ({layer}); red edge: outlier milestone")
    return fig


def tsne_grid(maps: dict[str, np.ndarray], method: str) -> plt.Figure:
    """Rows: milestones; columns: the same map coloured by class and by k-means cluster."""
    epochs, coords = maps["epochs"], maps["coords"]
    classes = [str(c) for c in maps["classes"]]
    fig, axes = plt.subplots(len(epochs), 2, figsize=(9, 4.2 * len(epochs)), constrained_layout=True,
                             squeeze=False)
    palette = plt.get_cmap("tab10" if max(len(classes), maps["clusters"].max() + 1) <= 10 else "tab20")
    for row, epoch in enumerate(epochs):
        for col, (colours, what) in enumerate(((maps["labels"], "class"), (maps["clusters"][row], "k-means C1"))):
            ax = axes[row, col]
            ax.scatter(coords[row, :, 0], coords[row, :, 1], c=palette(np.asarray(colours) % palette.N), s=3,
                       linewidths=0, rasterized=True)
            ax.set(title=f"{method}, epoch {int(epoch)}: {what}", xticks=[], yticks=[])
    if classes:
        handles = [plt.Line2D([], [], marker="o", ls="", color=palette(i % palette.N), label=c)
                   for i, c in enumerate(classes)]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(classes), 5), fontsize=8,
                   title="class (left column); cluster colours are arbitrary ids")
    return fig


def architecture_scatter(table: pd.DataFrame, metrics: Sequence[str], columns: int = 4) -> plt.Figure:
    """Each metric against linear-probe accuracy across encoders (the study's Figure 5): colour = encoder,
    marker = kind (SSL, supervised, random initialisation)."""
    metrics = [m for m in metrics if table[m].notna().any()]
    fig, axes = _panel_grid(len(metrics), columns, panel_height=3.0)
    for ax, metric in zip(axes, metrics):
        sns.scatterplot(data=table, x=metric, y="reference", hue="architecture", style="kind", s=60, ax=ax,
                        legend=ax is axes[0])
        ax.set(xlabel=label(metric), ylabel="linear-probe acc.")
    if (legend := axes[0].get_legend()) is not None:  # one legend for the figure, beside the panels
        handles, names = axes[0].get_legend_handles_labels()
        legend.remove()
        fig.legend(handles, names, loc="outside right upper", fontsize=8)
    fig.suptitle("label-free metrics against linear-probe accuracy across encoders (backbone)")
    return fig


def regret_heatmap(regret: pd.DataFrame) -> plt.Figure:
    """Checkpoint-selection regret (points) per metric x method/layer, with the last checkpoint's for scale."""
    rows = regret.assign(group=regret.method + " / " + regret.layer)
    grid = rows.pivot(index="metric", columns="group", values="regret")
    last = rows.drop_duplicates("group").set_index("group").last_regret
    grid.loc["(last checkpoint)"] = last
    fig, ax = plt.subplots(figsize=(1.1 * grid.shape[1] + 3, 0.38 * grid.shape[0] + 1.5), constrained_layout=True)
    sns.heatmap(grid, cmap="rocket_r", vmin=0, annot=True, fmt=".1f", annot_kws={"fontsize": 7}, ax=ax,
                cbar_kws={"label": "regret [accuracy points]"})
    ax.set(title="checkpoint-selection regret: best probe accuracy minus the chosen checkpoint's", xlabel="",
           ylabel="")
    return fig


def protocol_heatmaps(agreement: pd.DataFrame, prediction: pd.DataFrame, target: str = "linear_probe_acc",
                      statistic: str = "kendall") -> plt.Figure:
    """Left: ``statistic`` between every pair of label-based protocols. Right: each predictor's ``statistic``
    with the ``target`` accuracy of every shifted / out-of-domain set (in-domain protocols, then label-free
    metrics on the target data)."""
    chosen = agreement[agreement.statistic == statistic]
    names = list(dict.fromkeys([*chosen.protocol_a, *chosen.protocol_b]))
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for row in chosen.itertuples():
        matrix.loc[row.protocol_a, row.protocol_b] = matrix.loc[row.protocol_b, row.protocol_a] = row.value
    rows = prediction[(prediction.statistic == statistic) & (prediction.target == target)]
    order = list(dict.fromkeys(rows.sort_values("source").predictor))
    grid = rows.pivot(index="predictor", columns="domain", values="value").reindex(order)
    fig, axes = plt.subplots(1, 2, figsize=(0.6 * len(names) + 0.8 * grid.shape[1] + 7, 0.36 * max(len(order), len(names)) + 2.5),
                             constrained_layout=True, gridspec_kw={"width_ratios": [len(names), max(grid.shape[1], 1) + 2]})
    for ax, data, title in ((axes[0], matrix, f"{statistic} between protocols (checkpoints x methods)"),
                            (axes[1], grid, f"{statistic} with the target set's {label(target)}")):
        sns.heatmap(data, vmin=-1, vmax=1, cmap="vlag", annot=True, fmt=".2f", annot_kws={"fontsize": 7},
                    cbar=ax is axes[1], ax=ax)
        ax.set(title=title, xlabel="", ylabel="")
    return fig


def leaderboard_figure(board: pd.DataFrame) -> plt.Figure:
    """The leaderboard: Kendall's tau with the probe (left) and the regret of the metric's pick (right) per
    metric x decision, metrics in the board's order (best mean rank first, the oracle on top); each
    decision's seed noise floor is in the regret panel's column labels."""
    order = list(dict.fromkeys(board.metric))
    decisions = [d for d in ("checkpoint", "hyperparameter", "seed", "architecture") if d in set(board.decision)]
    tau = board.pivot(index="metric", columns="decision", values="kendall_tau").reindex(index=order, columns=decisions)
    lost = board.pivot(index="metric", columns="decision", values="regret").reindex(index=order, columns=decisions)
    floors = board.groupby("decision").noise_floor.first()
    runs = board.groupby("decision").n_runs.max()
    lost.columns = [f"{d}\n(floor {floors[d]:.2f})" if np.isfinite(floors[d]) else d for d in decisions]
    tau.columns = [f"{d}\n({runs[d]} runs)" for d in decisions]
    fig, axes = plt.subplots(1, 2, figsize=(max(9.0, 4 + 2.4 * len(decisions)), 0.34 * len(order) + 1.8),
                             constrained_layout=True, sharey=True)
    sns.heatmap(tau, cmap="vlag_r", vmin=-1, vmax=1, annot=True, fmt=".2f", annot_kws={"fontsize": 7}, ax=axes[0],
                cbar_kws={"label": "Kendall tau with the probe"})
    sns.heatmap(lost, cmap="rocket_r", vmin=0, annot=True, fmt=".2f", annot_kws={"fontsize": 7}, ax=axes[1],
                cbar_kws={"label": "regret [accuracy points]"})
    axes[0].set_title("ranks runs as the probe does? (1: same order)", fontsize=10)
    axes[0].set(xlabel="", ylabel="")
    axes[0].set_yticklabels([label(m) for m in order], fontsize=8)
    axes[1].set_title("points lost by trusting it (0: best run)", fontsize=10)
    axes[1].set(xlabel="", ylabel="")
    return fig


def save_figure(fig: plt.Figure, stem: str | Path, dpi: int = 100, formats: Sequence[str] = ("png", "svg"),
                show: bool = True) -> list[Path]:
    """Write ``fig`` atomically as ``<stem>.png`` and ``<stem>.svg``, then show the PNG and close ``fig``.

    The layout is solved once and frozen, and the notebook shows the saved PNG instead of drawing the
    figure again: with dozens of panels, every layout pass and draw costs seconds.
    """
    stem = Path(stem)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine("none")
    written = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        metadata = {"Date": None} if fmt in ("svg", "pdf") else None  # no timestamp: same data, same bytes
        with atomic_path(path) as tmp, plt.rc_context({"svg.hashsalt": "sslnb"}):  # stable SVG element ids
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
        written.append(path)
    plt.close(fig)
    if show and "png" in formats:
        _display_png(stem.with_suffix(".png"))
    return written


def _display_png(path: Path) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # plain Python: nothing to show
        return
    if get_ipython() is not None:
        display(Image(filename=str(path)))
