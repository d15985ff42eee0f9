"""The ``evaluate`` stage: every metric for every checkpoint x layer, as one tidy table.

Columns of the table (one row per method x checkpoint x layer):

- ``method``, ``epoch``, ``layer`` (``backbone`` or ``projector``), ``n_samples``, ``dim``;
- label-free: ``silhouette`` (S of k-means clustering C1), ``ami_c1_c2`` (agreement of C1 with an
  independent k-means run C2), ``entropy_kl_bits`` and ``entropy_gaussian_bits``;
- label-based references: ``ami_c1_gt`` (C1 against the classes), ``linear_probe_acc`` and ``knn_acc``
  (fit on the probe subset's features of the same layer, scored on the evaluation set).

Label-free metrics use only the evaluation set's embeddings.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sslnb.config import MetricsConfig, Params
from sslnb.data import load_dataset
from sslnb.embed import LAYERS
from sslnb.io import save_csv, save_json
from sslnb.metrics import (
    clustering_agreement, entropy, kmeans, knn_accuracy, linear_probe_accuracy, silhouette,
)
from sslnb.metrics._utils import l2_normalize
from sslnb.paths import ProjectPaths, epoch_from_name

log = logging.getLogger(__name__)

LABEL_FREE = ("silhouette", "ami_c1_c2", "entropy_kl_bits", "entropy_gaussian_bits")
LABEL_BASED = ("ami_c1_gt", "linear_probe_acc", "knn_acc")


def label_free_metrics(Z: np.ndarray, k: int, cfg: MetricsConfig) -> tuple[dict[str, float], np.ndarray]:
    """The label-free metrics of one embedding matrix, and its k-means clustering C1."""
    c1 = kmeans(Z, k, seed=cfg.seed)
    c2 = kmeans(Z, k, seed=cfg.seed + 1)
    # Entropy depends on the scale of the features; on L2-normalised rows it measures how the
    # directions spread, which is what cosine-similarity losses shape and what a rescaling cannot fake.
    Z_entropy = l2_normalize(Z) if cfg.entropy_normalize else Z
    values = {
        "silhouette": silhouette(Z, c1, seed=cfg.seed),
        "ami_c1_c2": clustering_agreement(c1, c2),
        "entropy_kl_bits": entropy(Z_entropy, "kl", k=cfg.entropy_neighbors),
        "entropy_gaussian_bits": entropy(Z_entropy, "gaussian"),
    }
    return values, c1


def label_based_metrics(
    eval_Z: np.ndarray, eval_y: np.ndarray, probe_Z: np.ndarray, probe_y: np.ndarray,
    clusters: np.ndarray, cfg: MetricsConfig,
) -> dict[str, float]:
    return {
        "ami_c1_gt": clustering_agreement(clusters, eval_y),
        "linear_probe_acc": linear_probe_accuracy(probe_Z, probe_y, eval_Z, eval_y, max_iter=cfg.probe_max_iter),
        "knn_acc": knn_accuracy(probe_Z, probe_y, eval_Z, eval_y, k=cfg.knn_k, temperature=cfg.knn_temperature),
    }


def evaluate_file(path: Path, method: str, eval_y: np.ndarray | None, probe_y: np.ndarray | None,
                  cfg: MetricsConfig, k: int) -> list[dict]:
    """Rows of the metrics table for one embedding file (one checkpoint); no labels, no references."""
    epoch = epoch_from_name(path)
    rows = []
    with np.load(path, allow_pickle=False) as arrays:
        for layer in LAYERS:
            eval_Z, probe_Z = arrays[f"eval_{layer}"], arrays[f"probe_{layer}"]
            try:
                free, clusters = label_free_metrics(eval_Z, k, cfg)
                based = (dict.fromkeys(LABEL_BASED, float("nan")) if eval_y is None
                         else label_based_metrics(eval_Z, eval_y, probe_Z, probe_y, clusters, cfg))
            except ValueError as error:
                raise ValueError(f"{path} ({layer} embeddings of epoch {epoch}): {error}") from error
            rows.append({"method": method, "epoch": epoch, "layer": layer, "n_samples": eval_Z.shape[0],
                         "dim": eval_Z.shape[1], **free, **based})
    return rows


def evaluate(params: Params, method: str, paths: ProjectPaths) -> Path:
    """Compute the metrics table of ``method`` and the DVC metrics JSON of its last checkpoint."""
    data = load_dataset(paths.dataset)
    files = sorted(paths.embeddings(method).glob("epoch_*.npz"), key=epoch_from_name)
    if not files:
        raise FileNotFoundError(f"no embeddings in {paths.embeddings(method)}; run the embed stage first")
    cfg = params.metrics
    if cfg.k is None and not data.classes:
        raise ValueError("metrics.k is null but the data set has no classes to count; set metrics.k in params.yaml")
    k = cfg.k if cfg.k is not None else len(data.classes)
    labels = (data.test_labels, data.probe_labels) if data.labelled else (None, None)
    if not data.labelled:
        log.warning("%s: the data set has no labels, so the label-based references (%s) are skipped; "
                    "every label-free metric is computed", method, ", ".join(LABEL_BASED))
    rows = []
    for path in tqdm(files, desc=f"metrics {method}", unit="checkpoint"):
        rows += evaluate_file(path, method, *labels, cfg, k)
    table = pd.DataFrame(rows)
    save_csv(table, paths.metrics_table(method))  # written only once everything succeeded
    last = table[table.epoch == table.epoch.max()]
    save_json(
        {row.layer: {c: float(getattr(row, c)) for c in LABEL_FREE + LABEL_BASED if np.isfinite(getattr(row, c))}
         | {"epoch": int(row.epoch)} for row in last.itertuples()},
        paths.final_metrics(method),
    )
    return paths.metrics_table(method)
