"""Every label-free metric of one embedding matrix, with the expensive parts computed once.

The cost is dominated by three shared computations, each done once per matrix:

- the second moments of Z and of its L2-normalised rows (one O(N D^2) streaming pass): RankMe,
  alpha-ReQ, stable rank, NESum, SelfCluster, the collapse std, the Gaussian entropy and the PCA;
- one blocked pass over the pairwise distances of a seeded sample of at most ``sample_size`` rows
  (O(sample_size^2 D)): the silhouette and the kNN entropy;
- two k-means runs on that sample (clusterings C1 and C2); cluster learnability reuses C1.

The intrinsic dimensions add an exact 2-nearest-neighbour search of the sample (TwoNN) and spanning
trees of at most ``mst_points`` of its rows (MST dimension).

**Torch tensors on any device.** Give ``Z`` as a tensor and the O(N D^2) moment pass, the binned entropy's
histograms and the O(sample^2 D) pairwise pass (silhouette sums, kNN search, float64 neighbour distances)
run where the tensor lives, so 10^6 x 2048 embeddings on a GPU never cross to the host. What comes back
is small: the D x D sums (whose eigen-decompositions run in NumPy, float64) and the sample of at most
``sample_size`` rows for k-means, the intrinsic dimensions and cluster learnability (scikit-learn and
SciPy, on the CPU). On a CPU tensor the numbers equal the NumPy path's (tests/test_metrics_torch.py).

Metrics that are undefined for collapsed embeddings, or for embeddings of too few dimensions (alpha-ReQ
needs 3 or more eigenvalues past its first rank), become NaN with a logged warning, so a collapsed checkpoint still gets a row; bad input (NaN, wrong shapes) still raises.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import numpy as np
import torch

from sslnb.columns import SUITE
from sslnb.metrics._checks import CollapsedEmbeddingsError, UndefinedMetricError, check_embeddings, check_positive_int
from sslnb.metrics._utils import as_numpy
from sslnb.metrics.alignment_uniformity import alignment, uniformity_of_views
from sslnb.metrics.heldout import heldout_ntxent
from sslnb.metrics.alpha_req import alpha_req
from sslnb.metrics.cluster_learnability import cluster_learnability
from sslnb.metrics.clustering import clustering_agreement, kmeans, pca_project, silhouette_of_sample
from sslnb.metrics.collapse import embedding_std
from sslnb.metrics.entropy import _binned_nats, _gaussian_nats, kl_from_neighbor_distances
from sslnb.metrics.intrinsic_dimension import mst_dimension, twonn_dimension
from sslnb.metrics.lidar import lidar
from sslnb.metrics.moments import Moments, second_moments
from sslnb.metrics.nesum import nesum
from sslnb.metrics.pairwise import pairwise_pass, seeded_sample, silhouette_from_sums
from sslnb.metrics.rankme import rankme
from sslnb.metrics.self_cluster import self_cluster
from sslnb.metrics.stable_rank import stable_rank

log = logging.getLogger(__name__)

LABEL_FREE = SUITE
LN2 = math.log(2)


@dataclass(frozen=True)
class SuiteOptions:
    """Settings of :func:`label_free_metrics`; ``params.yaml``'s ``metrics`` section maps onto them."""

    k: int = 10  # k-means clusters
    seed: int = 0  # seed of the sample and of clustering C1; C2 uses seed + 1
    sample_size: int | None = 10_000  # rows for the O(N^2) metrics (silhouette, kNN entropy, k-means)
    silhouette_pca_dim: int | None = None  # also score C1 in this many principal components
    entropy_neighbors: int = 3
    entropy_normalize: bool = True  # entropies of the L2-normalised rows
    entropy_bins: int = 32
    alpha_first_rank: int = 2
    mst_points: int = 1000  # largest tree of the MST dimension
    learnability_neighbors: int = 5  # kNN of cluster learnability
    heldout_temperature: float = 0.5  # the held-out objective's fixed NT-Xent temperature

    @classmethod
    def from_config(cls, metrics: Any, k: int) -> "SuiteOptions":
        """The options of params.yaml's ``metrics`` section (a :class:`~sslnb.config.MetricsConfig`), with k.

        The one place that turns the section into options: the evaluate stage, the trainer's monitor,
        ``sslnb evaluate`` and ``sslnb evaluate-model`` all call it, so they score alike. Every field of
        this class is read from the section's key of the same name.
        """
        values = {f.name: getattr(metrics, f.name) for f in fields(cls) if f.name != "k"}
        return cls(k=k, **values)


@dataclass
class SuiteResult:
    values: dict[str, float]
    clusters: np.ndarray  # C1 on the scored sample
    sample: np.ndarray | None  # row indices of the sample (None: every row)
    notes: list[str] = field(default_factory=list)  # metrics left NaN, and why


def _attempt(result: SuiteResult, names: tuple[str, ...], compute: Callable[[], tuple | float]) -> None:
    """Store compute()'s value(s) under names; NaN (with a note) where collapse leaves them undefined."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # defined collapse values are noted below
            value = compute()
    except UndefinedMetricError as error:  # collapse, or too few dimensions for this metric
        result.values.update(dict.fromkeys(names, float("nan")))
        result.notes.append(f"{', '.join(names)}: {error}")
        return
    values = value if isinstance(value, tuple) else (value,)
    result.values.update({name: float(v) for name, v in zip(names, values)})


def label_free_metrics(
    Z: np.ndarray | torch.Tensor, options: SuiteOptions = SuiteOptions(),
    views: np.ndarray | torch.Tensor | None = None,
) -> SuiteResult:
    """All label-free metrics of ``Z`` (N x D), plus the view-based ones if ``views`` is given.

    Args:
        Z: (N, D) finite embeddings of the evaluation set: a NumPy array, or a torch tensor on any
            device (the heavy parts then run on that device; see the module docstring).
        views: optional (V, q, D) embeddings of q >= 2 augmentations of the first V rows of Z: alignment
            and uniformity use views 0 and 1, as does the held-out objective (NT-Xent at
            ``options.heldout_temperature``); LiDAR uses each row of Z with its q views as a class.
    """
    Z = check_embeddings(Z)
    k = check_positive_int(options.k, "k")
    moments = second_moments(Z)
    sample = seeded_sample(len(Z), options.sample_size, options.seed)
    on_device = Z if sample is None else _rows(Z, sample)  # the sample, where Z lives
    Zs = as_numpy(on_device)  # k-means, intrinsic dimensions, learnability: scikit-learn on the host
    if k > len(Zs):
        raise ValueError(f"k={k} clusters is more than the {len(Zs)} samples; lower k or embed more samples")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k-means on collapsed data warns about fewer distinct clusters
        c1 = kmeans(Zs, k, seed=options.seed)
        c2 = kmeans(Zs, k, seed=options.seed + 1)
    result = SuiteResult({}, c1, sample)
    _embedding_only(result, Z, Zs, on_device, moments, c1, c2, options)
    if views is not None:
        _with_views(result, Z, views, options)
    if result.notes:  # one line for all of them
        log.warning("undefined on these embeddings (%d x %d), recorded as NaN: %s", *Z.shape, "; ".join(result.notes))
    return result


def _rows(Z: np.ndarray | torch.Tensor, rows: np.ndarray) -> np.ndarray | torch.Tensor:
    return Z[torch.from_numpy(rows).to(Z.device)] if isinstance(Z, torch.Tensor) else Z[rows]


def _embedding_only(result: SuiteResult, Z: np.ndarray | torch.Tensor, Zs: np.ndarray,
                    Zs_on_device: np.ndarray | torch.Tensor, moments: Moments, c1: np.ndarray, c2: np.ndarray,
                    options: SuiteOptions) -> None:
    k_nn = check_positive_int(options.entropy_neighbors, "entropy_neighbors")
    if k_nn >= len(Zs):
        raise ValueError(f"the kNN entropy needs entropy_neighbors < N, got {k_nn} with N={len(Zs)} samples")
    several_clusters = len(np.unique(c1)) > 1
    stats = pairwise_pass(Zs_on_device, labels=c1 if several_clusters else None, n_neighbors=k_nn,
                          unit_neighbors=options.entropy_normalize)

    def require_clusters() -> None:
        if not several_clusters:
            raise CollapsedEmbeddingsError("k-means found a single cluster: the silhouette is undefined")

    def silhouette_value() -> float:
        require_clusters()
        return silhouette_from_sums(stats)

    def silhouette_pca_value() -> float:
        require_clusters()
        return silhouette_of_sample(pca_project(Zs, options.silhouette_pca_dim, moments), c1)

    _attempt(result, ("silhouette",), silhouette_value)
    if options.silhouette_pca_dim:
        _attempt(result, ("silhouette_pca",), silhouette_pca_value)
    else:
        result.values["silhouette_pca"] = float("nan")
    result.values["ami_c1_c2"] = clustering_agreement(c1, c2)
    # entropies of the directions (unit rows) by default: cosine losses shape directions, and a rescaling
    # of the features cannot fake them
    entropy_moments = moments.of_directions() if options.entropy_normalize else moments
    _attempt(result, ("entropy_kl_bits",),
             lambda: kl_from_neighbor_distances(stats.neighbor_distances[:, k_nn - 1], Z.shape[1], k_nn) / LN2)
    _attempt(result, ("entropy_gaussian_bits",), lambda: _gaussian_nats(entropy_moments, 1e-6) / LN2)
    _attempt(result, ("entropy_binned_bits",),
             lambda: _binned_nats(Z, options.entropy_bins, normalize=options.entropy_normalize) / LN2)
    _attempt(result, ("rankme",), lambda: rankme(moments))
    _attempt(result, ("alpha_req", "alpha_req_r2"), lambda: tuple(alpha_req(moments, options.alpha_first_rank)[:2]))
    _attempt(result, ("stable_rank",), lambda: stable_rank(moments))
    _attempt(result, ("nesum",), lambda: nesum(moments))
    _attempt(result, ("self_cluster",), lambda: self_cluster(moments))
    _attempt(result, ("embedding_std",), lambda: embedding_std(moments))
    # intrinsic dimension and cluster learnability: on the same sample as the silhouette, raw rows
    _attempt(result, ("twonn_dimension",), lambda: twonn_dimension(Zs))
    _attempt(result, ("mst_dimension",), lambda: mst_dimension(Zs, options.mst_points, seed=options.seed))
    _attempt(result, ("cluster_learnability",),
             lambda: cluster_learnability(Zs, c1, options.learnability_neighbors, seed=options.seed))


def _with_views(result: SuiteResult, Z: np.ndarray | torch.Tensor, views: np.ndarray | torch.Tensor,
                options: SuiteOptions) -> None:
    views = as_numpy(views)  # (V, q, D) with V in the hundreds: host-sized
    if views.ndim != 3 or views.shape[1] < 2 or views.shape[2] != Z.shape[1] or views.shape[0] > len(Z):
        raise ValueError(
            f"views must have shape (V, q, D) with q >= 2, V <= {len(Z)} and D = {Z.shape[1]}, got {views.shape}"
        )
    _attempt(result, ("alignment",), lambda: alignment(views[:, 0], views[:, 1]))
    _attempt(result, ("uniformity",), lambda: uniformity_of_views(views[:, 0], views[:, 1]))
    _attempt(result, ("heldout_loss",),
             lambda: heldout_ntxent(views[:, 0], views[:, 1], options.heldout_temperature))
    classes = np.concatenate([as_numpy(Z[:len(views)])[:, None, :], views], axis=1)  # clean sample + its q views
    _attempt(result, ("lidar",), lambda: lidar(classes))
