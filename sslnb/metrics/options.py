"""The settings of the metric suite: one type for the library, the monitor and ``params.yaml``'s ``metrics``.

Each field declares its default, its rule and its help once (:func:`sslnb.constraints.setting`); the
pipeline reads ``params.yaml``'s ``metrics`` section into this very class, so a library call, the trainer's
monitor, ``sslnb evaluate`` and the evaluate stage score alike. Which metric uses which option is declared
by the metric (:data:`sslnb.metrics.registry.METRICS`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sslnb.constraints import at_least, check_settings, positive, setting

DEFAULT_CLUSTERS = 10  # k of k-means where neither ``k`` nor a class count is given


@dataclass(frozen=True)
class MetricOptions:
    """Settings of :func:`sslnb.metrics.label_free_metrics` and of the label-based references.

    The fields are ``params.yaml``'s ``metrics`` keys; :func:`dataclasses.replace` makes a variant.
    """

    k: int | None = setting(None, at_least(2), "k-means clusters; null: the number of classes "
                            f"(the library, which sees no classes, takes {DEFAULT_CLUSTERS})")
    seed: int = setting(0, None, "seed of the sample, of clustering C1 (C2 uses seed + 1) and of the views")
    sample_size: int | None = setting(10_000, at_least(2), "rows scored by the O(N^2) metrics (silhouette, "
                                      "kNN entropy, k-means); null: every row")
    silhouette_pca_dim: int | None = setting(16, at_least(1), "also score clustering C1 in this many "
                                             "principal components; null: off")
    entropy_neighbors: int = setting(3, at_least(1), "k of the kNN (Kozachenko-Leonenko) entropy estimator")
    entropy_normalize: bool = setting(True, None, "L2-normalise rows first, so entropy ignores the feature scale")
    entropy_bins: int = setting(32, at_least(2), "histogram bins per dimension of the binned entropy")
    alpha_first_rank: int = setting(2, at_least(1), "alpha-ReQ fits the spectrum from this rank on")
    mst_points: int = setting(1000, at_least(10), "the MST intrinsic dimension's largest tree "
                              "(O(mst_points^2) time and memory)")
    learnability_neighbors: int = setting(5, at_least(1), "k of the kNN classifier of cluster learnability")
    view_samples: int = setting(1000, at_least(2), "evaluation images given augmented views (alignment, "
                                "uniformity, LiDAR, the held-out objective); at most all")
    views: int = setting(4, at_least(2, "alignment compares two views"), "augmented views per image")
    knn_k: int = setting(20, at_least(1), "neighbours of the kNN classifier (a reference)")
    knn_temperature: float = setting(0.07, positive(), "temperature of the kNN classifier's weights")
    probe_max_iter: int = setting(1000, at_least(1), "L-BFGS iterations of the linear probe")
    outlier_z: float = setting(6.0, positive("a robust z-score"), "a sample is outlying beyond this robust "
                               "z-score (sslnb.metrics.outliers)")
    heldout_temperature: float = setting(0.5, positive(), "the held-out objective: NT-Xent of the reference "
                                         "views at this temperature")

    def __post_init__(self) -> None:
        check_settings(self, "metrics")

    def clusters(self, classes: list | tuple) -> int:
        """k of k-means: ``k``, else the number of classes; an error if neither is known."""
        if self.k is None and not classes:
            raise ValueError("metrics.k is null but the data set has no classes to count; "
                             "set metrics.k in params.yaml (sslnb evaluate: --k K)")
        return self.k if self.k is not None else len(classes)

    def with_clusters(self, k: int) -> "MetricOptions":
        """These options with ``k`` clusters (the pipeline resolves a null ``k`` to the class count)."""
        return dataclasses.replace(self, k=k)

    @property
    def n_clusters(self) -> int:
        """k as the suite uses it: ``k``, else :data:`DEFAULT_CLUSTERS`."""
        return DEFAULT_CLUSTERS if self.k is None else self.k

    @classmethod
    def from_config(cls, metrics: "MetricOptions", k: int) -> "MetricOptions":
        """``metrics`` with ``k`` clusters (kept for code written against the former ``SuiteOptions``)."""
        return metrics.with_clusters(k)


SuiteOptions = MetricOptions  # the former name of the suite's options, which were a second type
