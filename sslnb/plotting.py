"""Figures drawn from the metrics tables. Functions return the figure; :func:`save_figure` writes it."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import pandas as pd
import seaborn as sns

from sslnb.io import atomic_path

LABELS = {
    "entropy_kl_bits": "entropy H(Z), kNN estimator [bits]",
    "entropy_gaussian_bits": "entropy H(Z), Gaussian estimator [bits]",
    "silhouette": "silhouette S of k-means C1",
    "ami_c1_c2": "AMI(C1; C2)",
    "ami_c1_gt": "AMI(C1; C_GT)",
    "linear_probe_acc": "linear-probe accuracy",
    "knn_acc": "kNN accuracy",
}


def entropy_progression(table: pd.DataFrame, method: str, metric: str = "entropy_kl_bits") -> plt.Figure:
    """Entropy against epoch for each layer of ``method``, beside the backbone's probe accuracies if labelled."""
    rows = table[table.method == method].sort_values("epoch")
    if rows.empty:
        raise ValueError(f"the metrics table has no rows for method {method!r}")
    labelled = rows["linear_probe_acc"].notna().any()
    fig, axes = plt.subplots(1, 2 if labelled else 1, figsize=(10 if labelled else 5.5, 3.8),
                             constrained_layout=True, squeeze=False)
    left = axes[0, 0]
    sns.lineplot(data=rows, x="epoch", y=metric, hue="layer", marker="o", ax=left)
    left.set(title=f"{method}: embedding entropy", ylabel=LABELS.get(metric, metric))
    if labelled:  # without labels there is no reference to draw
        right = axes[0, 1]
        probe = rows[rows.layer == "backbone"]
        sns.lineplot(data=probe, x="epoch", y="linear_probe_acc", marker="o", ax=right, label="linear probe")
        sns.lineplot(data=probe, x="epoch", y="knn_acc", marker="s", ax=right, label="kNN")
        right.set(title=f"{method}: label-based references (backbone)", ylabel="test accuracy")
    for ax in axes.ravel():
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    return fig


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` atomically; the format follows the file extension."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip("."), dpi=dpi)
    return path
