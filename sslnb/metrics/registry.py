"""Every metric sslnb computes, declared once: its column, how to compute it, which way is better, its label.

A :class:`Metric` entry holds what every other part of sslnb needs to know about one column of the
metrics table:

- ``name``, the column, and ``label``, what plots and tables call it;
- ``direction``: which of its values is better, fixed from the paper that proposed it *before* any probe
  accuracy was seen (a label-free selection must not peek at labels to choose its own direction); None
  for columns that select nothing (a fit's quality, an agreement with no agreed direction);
- ``needs``: what it is computed from: the evaluation embeddings alone, augmented views of them, two
  layers of one checkpoint, or labels;
- ``role``: a label-free metric (the leaderboard judges it), a baseline (the held-out objective), a
  label-based reference, a diagnostic or a fit's quality;
- ``options``: the :class:`~sslnb.metrics.options.MetricOptions` fields it reads;
- ``compute``: for the suite's metrics, a function of the shared :class:`SuiteContext` (the moments,
  the sample, its pairwise pass and clusterings are computed once per matrix by
  :func:`sslnb.metrics.label_free_metrics`); None for columns that other code computes with what it
  has (labels, two layers);
- ``width_bounded``: bounded by the embedding width, so comparable only among encoders of one width.

The table columns (:mod:`sslnb.columns`), the selection directions (:data:`sslnb.analysis.selection.DIRECTIONS`),
the plots' labels, the leaderboard's metrics and width rule and the suite's order are all derived from
:data:`METRICS`. A new metric is one module, one entry here and its test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from sslnb.metrics.alignment_uniformity import alignment, uniformity_of_views
from sslnb.metrics.alpha_req import alpha_req
from sslnb.metrics.cluster_learnability import cluster_learnability
from sslnb.metrics.clustering import clustering_agreement, pca_project, silhouette_of_sample
from sslnb.metrics.collapse import embedding_std
from sslnb.metrics.entropy import binned_nats, gaussian_nats, kl_from_neighbor_distances
from sslnb.metrics.heldout import heldout_ntxent
from sslnb.metrics.intrinsic_dimension import mst_dimension, twonn_dimension
from sslnb.metrics.lidar import lidar
from sslnb.metrics.nesum import nesum
from sslnb.metrics.pairwise import silhouette_from_sums
from sslnb.metrics.rankme import rankme
from sslnb.metrics.self_cluster import self_cluster
from sslnb.metrics.stable_rank import stable_rank

LN2 = math.log(2)

# what a metric is computed from (Metric.needs)
EMBEDDINGS = "embeddings"  # the evaluation embeddings alone
VIEWS = "views"  # augmented views of the first evaluation images
LAYERS = "layers"  # two layers of one checkpoint
LABELS = "labels"  # class labels: a label-based reference
# what a column is for (Metric.role)
LABEL_FREE = "label-free"  # judged by the leaderboard
BASELINE = "baseline"  # a label-free column the leaderboard compares metrics with, not one it judges
REFERENCE = "reference"  # label-based: what the label-free metrics are judged against
DIAGNOSTIC = "diagnostic"  # outlying samples: not a quality metric
FIT = "fit"  # the quality of another metric's fit

HIGHER = 1
LOWER = -1


@dataclass(frozen=True)
class Direction:
    """How a metric's values order embeddings from worse to better.

    ``sign`` +1: higher is better; -1: lower is better; 0 with ``target`` set: closer to ``target`` is better.
    """

    sign: int
    reason: str
    target: float | None = None

    def score(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Values mapped so that higher always means better."""
        values = np.asarray(values, dtype=float)
        if self.target is not None:
            return -np.abs(values - self.target)
        return self.sign * values


@dataclass
class SuiteContext:
    """What the suite computes once per embedding matrix and every metric's ``compute`` reads."""

    Z: Any  # (N, D) embeddings: NumPy, or a tensor on its device
    sample: np.ndarray  # the scored sample's rows (NumPy, float32), on the host
    moments: Any  # sslnb.metrics.moments.Moments of Z
    stats: Any  # sslnb.metrics.pairwise.PairwiseStats of the sample
    c1: np.ndarray  # k-means clustering C1 of the sample
    c2: np.ndarray  # k-means clustering C2 (seed + 1)
    options: Any  # sslnb.metrics.options.MetricOptions
    views: np.ndarray | None = None  # (V, q, D) views of the first V rows of Z, on the host
    first_rows: np.ndarray | None = None  # (V, D) the rows of Z the views are of, on the host

    def require_clusters(self) -> None:
        from sslnb.metrics._checks import CollapsedEmbeddingsError

        if len(np.unique(self.c1)) < 2:
            raise CollapsedEmbeddingsError("k-means found a single cluster: the silhouette is undefined")


@dataclass(frozen=True)
class Metric:
    """One column of the metrics table: see the module docstring for each field."""

    name: str
    label: str | None  # None: plots and tables show the column's name
    direction: Direction | None
    needs: str = EMBEDDINGS
    role: str = LABEL_FREE
    options: tuple[str, ...] = ()
    compute: Callable[[SuiteContext], float | tuple[float, ...]] | None = None
    also: tuple[str, ...] = ()  # further columns that ``compute`` returns after this one (alpha_req_r2)
    width_bounded: bool = False
    enabled: Callable[[Any], bool] | None = None  # options -> computed at all (else NaN without a note)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.name, *self.also)

    @property
    def shown_as(self) -> str:
        """The label plots and tables use."""
        return self.label or self.name


def _silhouette(c: SuiteContext) -> float:
    c.require_clusters()
    return silhouette_from_sums(c.stats)


def _silhouette_pca(c: SuiteContext) -> float:
    c.require_clusters()
    return silhouette_of_sample(pca_project(c.sample, c.options.silhouette_pca_dim, c.moments), c.c1)


def _entropy_moments(c: SuiteContext) -> Any:
    # entropies of the directions (unit rows) by default: cosine losses shape directions, and a rescaling
    # of the features cannot fake them
    return c.moments.of_directions() if c.options.entropy_normalize else c.moments


def _kl_entropy(c: SuiteContext) -> float:
    k = c.options.entropy_neighbors
    return kl_from_neighbor_distances(c.stats.neighbor_distances[:, k - 1], c.Z.shape[1], k) / LN2


def _lidar(c: SuiteContext) -> float:
    return lidar(np.concatenate([c.first_rows[:, None, :], c.views], axis=1))  # each row and its q views: a class


_ENTROPY = "as entropy_kl_bits"
_DIMENSIONS = "more dimensions in use (Tsitsulin et al. 2023)"
_ACCURACY = "label-based: accuracy"
_MATCH = "label-based: clusters that match the classes"
FEWSHOT_SHOTS = (1, 5, 10)  # the protocols' default few-shot k (sslnb.metrics.probes)

METRICS: tuple[Metric, ...] = (
    # --- label-free, from the evaluation embeddings: the suite computes them in this order
    Metric("silhouette", "silhouette S of k-means C1",
           Direction(HIGHER, "better-separated k-means clusters (study; Rousseeuw 1987)"),
           options=("k", "seed", "sample_size"), compute=_silhouette),
    Metric("silhouette_pca", "silhouette of C1 in PCA space",
           Direction(HIGHER, "as silhouette, scored in principal components"),
           options=("silhouette_pca_dim",), compute=_silhouette_pca,
           enabled=lambda options: bool(options.silhouette_pca_dim)),
    Metric("ami_c1_c2", "AMI(C1; C2)", Direction(HIGHER, "a clustering structure two k-means runs agree on (study)"),
           options=("k", "seed"), compute=lambda c: clustering_agreement(c.c1, c.c2)),
    Metric("entropy_kl_bits", "entropy H(Z), kNN estimator [bits]",
           Direction(HIGHER, "spread embeddings, far from collapse (Wang & Isola 2020); the study saw entropy "
                             "fall while accuracy rose, which this choice tests"),
           options=("entropy_neighbors", "entropy_normalize"), compute=_kl_entropy),
    Metric("entropy_gaussian_bits", "entropy H(Z), Gaussian [bits]", Direction(HIGHER, _ENTROPY),
           options=("entropy_normalize",), width_bounded=True,
           compute=lambda c: gaussian_nats(_entropy_moments(c), 1e-6) / LN2),
    Metric("entropy_binned_bits", "entropy H(Z), binned [bits]", Direction(HIGHER, _ENTROPY),
           options=("entropy_bins", "entropy_normalize"),
           compute=lambda c: binned_nats(c.Z, c.options.entropy_bins, normalize=c.options.entropy_normalize) / LN2),
    Metric("rankme", "RankMe",
           Direction(HIGHER, "higher effective rank predicts better downstream accuracy (Garrido et al. 2023)"),
           width_bounded=True, compute=lambda c: rankme(c.moments)),
    Metric("alpha_req", "alpha-ReQ",
           Direction(0, "a power-law decay with alpha near 1 is best (Agrawal et al. 2022)", target=1.0),
           options=("alpha_first_rank",), also=("alpha_req_r2",),
           compute=lambda c: tuple(alpha_req(c.moments, c.options.alpha_first_rank)[:2])),
    Metric("alpha_req_r2", "alpha-ReQ fit R²", None, role=FIT),  # computed with alpha_req
    Metric("stable_rank", "stable rank", Direction(HIGHER, _DIMENSIONS), width_bounded=True,
           compute=lambda c: stable_rank(c.moments)),
    Metric("nesum", "NESum", Direction(HIGHER, _DIMENSIONS), width_bounded=True, compute=lambda c: nesum(c.moments)),
    Metric("self_cluster", "SelfCluster",
           Direction(LOWER, "high SelfCluster means rows crowd together (Tsitsulin et al. 2023)"),
           compute=lambda c: self_cluster(c.moments)),
    Metric("embedding_std", "std of normalised embedding",
           Direction(HIGHER, "0 is collapse, 1/sqrt(d) is healthy (Chen & He 2021)"),
           compute=lambda c: embedding_std(c.moments)),
    # intrinsic dimension and cluster learnability: on the same sample as the silhouette, raw rows
    Metric("twonn_dimension", "intrinsic dimension (TwoNN)",
           Direction(LOWER, "a lower intrinsic dimension goes with higher probe accuracy (IdEst, Mordacq et al. "
                            "2026; TwoNN: Facco et al. 2017)"),
           compute=lambda c: twonn_dimension(c.sample)),
    Metric("mst_dimension", "intrinsic dimension (MST)", Direction(LOWER, "as twonn_dimension (IdEst's MST / PH0 "
                                                                          "estimator)"),
           options=("mst_points", "seed"),
           compute=lambda c: mst_dimension(c.sample, c.options.mst_points, seed=c.options.seed)),
    Metric("cluster_learnability", "cluster learnability",
           Direction(HIGHER, "clusters a kNN classifier can learn (CLID, 2022)"),
           options=("learnability_neighbors", "seed"),
           compute=lambda c: cluster_learnability(c.sample, c.c1, c.options.learnability_neighbors,
                                                  seed=c.options.seed)),
    # --- label-free, from augmented views (views 0 and 1; LiDAR all q)
    Metric("alignment", "alignment", Direction(LOWER, "closer positive pairs (Wang & Isola 2020)"),
           needs=VIEWS, options=("view_samples", "views"), compute=lambda c: alignment(c.views[:, 0], c.views[:, 1])),
    Metric("uniformity", "uniformity", Direction(LOWER, "more uniform on the sphere (Wang & Isola 2020)"),
           needs=VIEWS, options=("view_samples", "views"),
           compute=lambda c: uniformity_of_views(c.views[:, 0], c.views[:, 1])),
    Metric("lidar", "LiDAR",
           Direction(HIGHER, "higher effective rank of the discriminative subspace (Thilak et al. 2024)"),
           needs=VIEWS, options=("view_samples", "views"), compute=_lidar),
    Metric("heldout_loss", "held-out objective (NT-Xent)",
           Direction(LOWER, "the held-out objective: NT-Xent of the reference views at one temperature"),
           needs=VIEWS, role=BASELINE, options=("view_samples", "heldout_temperature"),
           compute=lambda c: heldout_ntxent(c.views[:, 0], c.views[:, 1], c.options.heldout_temperature)),
    # --- label-free, from two layers (sslnb.stages.evaluate): no agreed direction, as the projector may rightly
    # diverge from the backbone as it specialises to the loss
    Metric("ami_backbone_projector", "AMI(C1 backbone; C1 projector)", None, needs=LAYERS),
    # --- label-based references (sslnb.stages.evaluate, sslnb.metrics.probes, sslnb.stages.finetune)
    Metric("ami_c1_gt", "AMI(C1; C_GT)", Direction(HIGHER, _MATCH), needs=LABELS, role=REFERENCE),
    Metric("linear_probe_acc", "linear-probe accuracy", Direction(HIGHER, _ACCURACY), needs=LABELS, role=REFERENCE,
           options=("probe_max_iter",)),
    Metric("knn_acc", "kNN accuracy", Direction(HIGHER, _ACCURACY), needs=LABELS, role=REFERENCE,
           options=("knn_k", "knn_temperature")),
    Metric("nmi_c1_gt", None, Direction(HIGHER, _MATCH), needs=LABELS, role=REFERENCE),
    Metric("probe_bn_acc", None, Direction(HIGHER, _ACCURACY), needs=LABELS, role=REFERENCE),
    *(Metric(f"fewshot_acc_{k}", None, Direction(HIGHER, _ACCURACY), needs=LABELS, role=REFERENCE)
      for k in FEWSHOT_SHOTS),
    Metric("finetune_acc", None, Direction(HIGHER, _ACCURACY), needs=LABELS, role=REFERENCE),
    # --- diagnostics (sslnb.metrics.outliers)
    Metric("outlier_fraction", "share of outlying samples", None, role=DIAGNOSTIC, options=("outlier_z",)),
    Metric("outlier_max_z", "largest robust z-score", None, role=DIAGNOSTIC, options=("outlier_z",)),
)

BY_NAME: dict[str, Metric] = {metric.name: metric for metric in METRICS}
SUITE_OPTIONS = ("k", "seed", "sample_size")  # read by the suite as a whole (the sample, the clusterings)


def metric(name: str) -> Metric:
    """The entry of column ``name``; a ValueError listing the declared names otherwise."""
    if name not in BY_NAME:
        raise ValueError(f"no metric {name!r} is declared in sslnb.metrics.registry.METRICS "
                         f"(declared: {sorted(BY_NAME)})")
    return BY_NAME[name]


def names(*, needs: str | None = None, role: str | None = None, computed: bool | None = None) -> tuple[str, ...]:
    """The declared columns in table order, optionally only those with these ``needs`` / ``role``.

    ``computed=True`` keeps the suite's columns (an entry's ``compute`` and its ``also`` columns).
    """
    chosen = []
    for entry in METRICS:
        if (needs is None or entry.needs == needs) and (role is None or entry.role == role):
            if computed is None or computed == (entry.compute is not None or _computed_with(entry.name)):
                chosen.append(entry.name)
    return tuple(chosen)


def _computed_with(name: str) -> bool:
    return any(name in entry.also for entry in METRICS if entry.compute is not None)


def suite_entries(needs: str) -> tuple[Metric, ...]:
    """The entries :func:`sslnb.metrics.label_free_metrics` computes from ``needs``, in column order."""
    return tuple(entry for entry in METRICS if entry.needs == needs and entry.compute is not None)
