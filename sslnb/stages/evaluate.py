"""The ``evaluate`` stage: every metric for every checkpoint x layer, as one tidy table.

Columns of the table (one row per method x checkpoint x layer):

- ``method``, ``epoch``, ``layer`` (``backbone`` or ``projector``), ``n_samples``, ``dim``;
- label-free, from the evaluation set's embeddings only (see :mod:`sslnb.metrics.suite`):
  the study's ``silhouette`` (S of k-means clustering C1; ``silhouette_pca`` in principal components),
  ``ami_c1_c2`` (agreement of C1 with an independent k-means run C2), ``ami_backbone_projector``
  (C1 of the backbone against C1 of the projector, the same in both rows) and the entropy
  (``entropy_kl_bits``, the default, ``entropy_gaussian_bits``, ``entropy_binned_bits``); the newer
  ``rankme``, ``alpha_req`` with ``alpha_req_r2``, ``stable_rank``, ``nesum``, ``self_cluster``,
  ``embedding_std`` (collapse), ``twonn_dimension`` and ``mst_dimension`` (intrinsic dimension),
  ``cluster_learnability``, and from augmented views ``alignment``, ``uniformity`` and ``lidar``;
- label-based references: ``ami_c1_gt`` (C1 against the classes), ``nmi_c1_gt`` (NMI of the same pair),
  ``linear_probe_acc`` and ``knn_acc`` (fit on the probe subset's features of the same layer, scored on
  the evaluation set), the protocols of ``protocols:`` in params.yaml: ``probe_bn_acc`` (BatchNorm probe),
  ``fewshot_acc_<k>`` with ``fewshot_acc_<k>_std`` (k images per class, over seeded draws), and
  ``finetune_acc``, merged from the ``finetune`` stage's ``data/finetune/M.csv``;
- diagnostics, not quality metrics: ``outlier_fraction`` (share of samples whose robust z-score of the
  distance to the median embedding exceeds ``metrics.outlier_z``) and ``outlier_max_z`` (see
  :mod:`sslnb.metrics.outliers`); a checkpoint with ``outlier_fraction > 0`` is an outlier milestone.

The pipeline's tables also carry ``dataset`` (``data.name``), so tables of several data sets concatenate.
The shifted and out-of-domain sets of ``domains:`` get the same metrics and references in a second
table, ``data/domains/M.csv`` (one row per checkpoint x layer x set).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sslnb.columns import DIAGNOSTIC, FEWSHOT_STD, IN_DOMAIN, LABEL_BASED, LABEL_FREE
from sslnb.config import Params, ProtocolsConfig
from sslnb.sources import load_dataset
from sslnb.sources.domains import Domain, load_domains
from sslnb.io import load_arrays, save_csv
from sslnb.metrics import (
    CollapsedEmbeddingsError, MetricOptions, bn_probe_accuracy, clustering_agreement, fewshot_accuracy, knn_accuracy,
    label_free_metrics, linear_probe_accuracy, normalized_mutual_information,
)
from sslnb.metrics.outliers import outlier_summary
from sslnb.paths import ProjectPaths, epoch_files, epoch_from_name

log = logging.getLogger(__name__)



def probe_metrics(fit_Z: np.ndarray, fit_y: np.ndarray, eval_Z: np.ndarray, eval_y: np.ndarray,
                  cfg: MetricOptions, knn_k: int | None = None,
                  protocols: ProtocolsConfig | None = None) -> dict[str, float]:
    """The references fit on (fit_Z, fit_y) and scored on (eval_Z, eval_y): linear probe and kNN accuracy,
    and, with ``protocols``, the BatchNorm probe and the few-shot probes that it switches on."""
    values = {
        "linear_probe_acc": linear_probe_accuracy(fit_Z, fit_y, eval_Z, eval_y, max_iter=cfg.probe_max_iter),
        "knn_acc": knn_accuracy(fit_Z, fit_y, eval_Z, eval_y, k=cfg.knn_k if knn_k is None else knn_k,
                                temperature=cfg.knn_temperature),
    }
    if protocols is None:
        return values
    if protocols.probe_bn:
        values["probe_bn_acc"] = bn_probe_accuracy(fit_Z, fit_y, eval_Z, eval_y, epochs=protocols.probe_bn_epochs,
                                                   batch_size=protocols.probe_bn_batch_size, lr=protocols.probe_bn_lr,
                                                   seed=cfg.seed)
    for shots in protocols.fewshot_shots:
        result = fewshot_accuracy(fit_Z, fit_y, eval_Z, eval_y, shots, draws=protocols.fewshot_draws, seed=cfg.seed,
                                  max_iter=cfg.probe_max_iter)
        values[f"fewshot_acc_{shots}"], values[f"fewshot_acc_{shots}_std"] = result.mean, result.std
    return values


def layers_of(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """``{layer: {"eval": ..., "probe": ..., "views": ...}}`` from arrays named ``<part>_<layer>``.

    The layers are those with an ``eval_<layer>`` array, in sorted order; probe and views are optional.
    """
    layers = sorted(key[len("eval_"):] for key in arrays if key.startswith("eval_"))
    return {layer: {part: arrays[f"{part}_{layer}"] for part in ("eval", "probe", "views")
                    if f"{part}_{layer}" in arrays} for layer in layers}


def _layer_values(layer: str, arrays: dict[str, np.ndarray], eval_y: np.ndarray | None, probe_y: np.ndarray | None,
                  options: MetricOptions, protocols: ProtocolsConfig | None = None) -> tuple[dict, np.ndarray]:
    """One layer's row values and its clustering C1."""
    eval_Z = arrays["eval"]
    suite = label_free_metrics(eval_Z, options, views=arrays.get("views"))
    values = {"layer": layer, "n_samples": eval_Z.shape[0], "dim": eval_Z.shape[1], **suite.values,
              **_outliers(eval_Z, options.outlier_z)}
    if eval_y is not None:
        scored_y = eval_y if suite.sample is None else eval_y[suite.sample]
        values["ami_c1_gt"] = clustering_agreement(suite.clusters, scored_y)
        if protocols is not None and protocols.nmi:
            values["nmi_c1_gt"] = normalized_mutual_information(suite.clusters, scored_y)
        if "probe" in arrays:
            values |= probe_metrics(arrays["probe"], probe_y, eval_Z, eval_y, options, protocols=protocols)
    return values, suite.clusters


def layer_rows(layers: dict[str, dict[str, np.ndarray]], eval_y: np.ndarray | None, probe_y: np.ndarray | None,
               options: MetricOptions, protocols: ProtocolsConfig | None = None) -> list[dict]:
    """Metrics of each layer's arrays (``eval``, optional ``probe`` and ``views``); the tidy rows' values.

    The layers are scored in parallel threads: much of the work (k-means, the probe's solver, Python) uses
    one core, so two layers on two cores take about 1.5x less time; every metric is deterministic, so the
    values are those of a serial run.
    """
    with ThreadPoolExecutor(max_workers=max(len(layers), 1)) as pool:
        done = list(pool.map(lambda item: _layer_values(*item, eval_y, probe_y, options, protocols),
                             layers.items()))
    rows = [values for values, _ in done]
    clusterings = {values["layer"]: clusters for values, clusters in done}
    # clustering agreement across layers: both clusterings are of the same sampled rows
    across = (clustering_agreement(clusterings["backbone"], clusterings["projector"])
              if {"backbone", "projector"} <= set(clusterings) else float("nan"))
    columns = LABEL_FREE + LABEL_BASED + FEWSHOT_STD + DIAGNOSTIC
    return [{**dict.fromkeys(columns, float("nan")), **row, "ami_backbone_projector": across} for row in rows]


def _outliers(Z: np.ndarray, threshold: float) -> dict[str, float]:
    try:
        return outlier_summary(Z, threshold)
    except CollapsedEmbeddingsError as error:
        log.warning("%s; outlier columns left NaN", error)
        return dict.fromkeys(DIAGNOSTIC, float("nan"))


def evaluate_file(path: Path, method: str, eval_y: np.ndarray | None, probe_y: np.ndarray | None,
                  cfg: MetricOptions, k: int, protocols: ProtocolsConfig | None = None) -> list[dict]:
    """Rows of the metrics table for one embedding file (one checkpoint); references only with labels."""
    epoch = epoch_from_name(path)
    layers = layers_of(load_arrays(path, "recreate it with the embed stage (dvc repro --force embed)"))
    try:
        rows = layer_rows(layers, eval_y, probe_y, cfg.with_clusters(k), protocols)
    except ValueError as error:
        raise ValueError(f"{path} (embeddings of epoch {epoch}): {error}") from error
    return [{"method": method, "epoch": epoch, **row} for row in rows]


def domain_layers(arrays: Mapping[str, np.ndarray], domain: str) -> dict[str, dict[str, np.ndarray]]:
    """:func:`layers_of` for the arrays of one shifted or out-of-domain set (named ``<domain>__<part>_<layer>``)."""
    prefix = f"{domain}__"
    return layers_of({key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)})


def evaluate_domains_file(path: Path, method: str, domains: list[Domain], cfg: MetricOptions, k: int,
                          protocols: ProtocolsConfig | None = None) -> list[dict]:
    """Rows of the domain table for one embedding file: every metric and reference per set x layer."""
    epoch = epoch_from_name(path)
    arrays = load_arrays(path, "recreate it with the embed stage (dvc repro --force embed)")
    options = cfg.with_clusters(k)
    rows = []
    for domain in domains:
        layers = domain_layers(arrays, domain.name)
        if not layers:
            raise ValueError(f"{path} holds no embeddings of the set {domain.name!r}; recreate it with the embed "
                             "stage (dvc repro --force embed)")
        labelled = bool(np.all(domain.eval_labels >= 0) and np.all(domain.probe_labels >= 0))
        labels = (domain.eval_labels, domain.probe_labels) if labelled else (None, None)
        try:
            rows += [{"method": method, "domain": domain.name, "epoch": epoch, **row}
                     for row in layer_rows(layers, *labels, options, protocols)]
        except ValueError as error:
            raise ValueError(f"{path} (epoch {epoch}, set {domain.name}): {error}") from error
    return rows


def finetune_values(params: Params, method: str, paths: ProjectPaths) -> pd.DataFrame | None:
    """The finetune stage's table (epoch, domain, finetune_acc), or None when the protocol is off."""
    if not params.protocols.finetune:
        return None
    path = paths.finetune_table(method)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found but protocols.finetune is true; run the finetune stage "
                                f"(dvc repro finetune@{method}) or set protocols.finetune: false")
    return pd.read_csv(path)


def _with_finetune(table: pd.DataFrame, finetuned: pd.DataFrame | None, domain: str | None = None) -> pd.DataFrame:
    """``finetune_acc`` of each checkpoint on its set, in the backbone rows (fine-tuning changes the backbone)."""
    if finetuned is None or table.empty:
        return table
    keys = ["epoch"] if domain is not None else ["epoch", "domain"]
    chosen = finetuned[finetuned["domain"] == domain] if domain is not None else finetuned
    lookup = chosen.set_index(keys)["finetune_acc"]
    index = pd.MultiIndex.from_frame(table[keys]) if len(keys) > 1 else pd.Index(table["epoch"])
    values = lookup.reindex(index).to_numpy()
    table["finetune_acc"] = np.where(table["layer"] == "backbone", values, np.nan)
    return table


def evaluate(params: Params, method: str, paths: ProjectPaths) -> Path:
    """Compute the metrics table of ``method`` and its domain table (every set of ``domains``)."""
    data = load_dataset(paths.dataset)
    files = epoch_files(paths.embeddings(method), ".npz")
    if not files:
        raise FileNotFoundError(f"no embeddings in {paths.embeddings(method)}; run the embed stage first")
    cfg = params.metrics
    k = cfg.clusters(data.classes)
    labels = (data.test_labels, data.probe_labels) if data.labelled else (None, None)
    if not data.labelled:
        log.warning("%s: the data set has no labels, so the label-based references (%s) are skipped; "
                    "every label-free metric is computed", method, ", ".join(LABEL_BASED))
    domains = load_domains(paths.domains, params.protocols.domains)
    finetuned = finetune_values(params, method, paths) if data.labelled else None
    rows, domain_rows = [], []
    for path in tqdm(files, desc=f"metrics {method}", unit="checkpoint"):
        rows += evaluate_file(path, method, *labels, cfg, k, params.protocols)
        domain_rows += evaluate_domains_file(path, method, domains, cfg, k, params.protocols)
    table = _with_finetune(pd.DataFrame(rows), finetuned, IN_DOMAIN)
    table.insert(1, "dataset", params.data.name)
    domain_table = pd.DataFrame(domain_rows) if domain_rows else pd.DataFrame(columns=["method", "domain", "epoch"])
    domain_table.insert(1, "dataset", params.data.name)
    domain_table = _with_finetune(domain_table, finetuned)
    # written only once everything succeeded
    save_csv(domain_table, paths.domain_table(method))
    save_csv(table, paths.metrics_table(method))
    return paths.metrics_table(method)
