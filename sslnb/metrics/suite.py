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
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from sslnb.metrics._checks import UndefinedMetricError, check_embeddings, check_positive_int
from sslnb.metrics._utils import as_numpy
from sslnb.metrics.clustering import kmeans
from sslnb.metrics.moments import second_moments
from sslnb.metrics.options import MetricOptions, SuiteOptions
from sslnb.metrics.pairwise import pairwise_pass, seeded_sample
from sslnb.metrics.registry import EMBEDDINGS, VIEWS, Metric, SuiteContext, names, suite_entries

log = logging.getLogger(__name__)

LABEL_FREE = names(needs=EMBEDDINGS, computed=True) + names(needs=VIEWS, computed=True)  # what the suite returns

__all__ = ["LABEL_FREE", "MetricOptions", "SuiteOptions", "SuiteResult", "label_free_metrics"]


@dataclass
class SuiteResult:
    """What :func:`label_free_metrics` returns."""

    values: dict[str, float]  # every column of LABEL_FREE computed (NaN where undefined)
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


def _score(result: SuiteResult, entries: tuple[Metric, ...], context: SuiteContext) -> None:
    """Each entry's columns from its ``compute`` (NaN without a note where its option turns it off)."""
    for entry in entries:
        if entry.enabled is not None and not entry.enabled(context.options):
            result.values.update(dict.fromkeys(entry.columns, float("nan")))
        else:
            _attempt(result, entry.columns, lambda: entry.compute(context))


def label_free_metrics(
    Z: np.ndarray | torch.Tensor, options: MetricOptions = MetricOptions(),
    views: np.ndarray | torch.Tensor | None = None,
) -> SuiteResult:
    """All label-free metrics of ``Z`` (N x D), plus the view-based ones if ``views`` is given.

    Parameters
    ----------
    Z : ndarray or torch.Tensor of shape (N, D)
        Finite embeddings of the evaluation set: a NumPy array, or a torch tensor on any device (the heavy
        parts then run on that device; see the module docstring).
    options : MetricOptions
        The suite's settings; ``options.k`` None means 10 clusters here (the pipeline uses the class count).
    views : ndarray or torch.Tensor of shape (V, q, D), optional
        Embeddings of q >= 2 augmentations of the first V rows of Z: alignment and uniformity use views 0
        and 1, as does the held-out objective (NT-Xent at ``options.heldout_temperature``); LiDAR uses each
        row of Z with its q views as a class.

    Returns
    -------
    SuiteResult
        ``values`` holds every column of :data:`LABEL_FREE` (the view columns only with ``views``), in the
        order of :data:`sslnb.metrics.registry.METRICS`.
    """
    Z = check_embeddings(Z)
    k = check_positive_int(options.n_clusters, "k")
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
    k_nn = check_positive_int(options.entropy_neighbors, "entropy_neighbors")
    if k_nn >= len(Zs):
        raise ValueError(f"the kNN entropy needs entropy_neighbors < N, got {k_nn} with N={len(Zs)} samples")
    stats = pairwise_pass(on_device, labels=c1 if len(np.unique(c1)) > 1 else None, n_neighbors=k_nn,
                          unit_neighbors=options.entropy_normalize)
    context = SuiteContext(Z=Z, sample=Zs, moments=moments, stats=stats, c1=c1, c2=c2, options=options)
    _score(result, suite_entries(EMBEDDINGS), context)
    if views is not None:
        context.views = _checked_views(views, Z)
        context.first_rows = as_numpy(Z[:len(context.views)])
        _score(result, suite_entries(VIEWS), context)
    if result.notes:  # one line for all of them
        log.warning("undefined on these embeddings (%d x %d), recorded as NaN: %s", *Z.shape, "; ".join(result.notes))
    return result


def _rows(Z: np.ndarray | torch.Tensor, rows: np.ndarray) -> np.ndarray | torch.Tensor:
    return Z[torch.from_numpy(rows).to(Z.device)] if isinstance(Z, torch.Tensor) else Z[rows]


def _checked_views(views: np.ndarray | torch.Tensor, Z: np.ndarray | torch.Tensor) -> np.ndarray:
    views = as_numpy(views)  # (V, q, D) with V in the hundreds: host-sized
    if views.ndim != 3 or views.shape[1] < 2 or views.shape[2] != Z.shape[1] or views.shape[0] > len(Z):
        raise ValueError(
            f"views must have shape (V, q, D) with q >= 2, V <= {len(Z)} and D = {Z.shape[1]}, got {views.shape}"
        )
    return views
