"""Label-free metrics of embeddings, and the label-based references they are judged against.

Every function takes NumPy arrays: embeddings ``Z`` of shape (n_samples, n_features), finite, and 1-D
label arrays of matching length. Bad input raises a ValueError that names the problem; metrics that are
undefined on collapsed embeddings raise :class:`CollapsedEmbeddingsError` (a ValueError), and those
defined there return their collapse value with a RuntimeWarning. :func:`label_free_metrics` computes
them all at once, sharing the expensive parts, with the settings of :class:`MetricOptions`. Each metric
is declared once, with its direction and label, in :data:`METRICS` (:mod:`sslnb.metrics.registry`).
"""

from sslnb.metrics._checks import CollapsedEmbeddingsError
from sslnb.metrics.alignment_uniformity import alignment, uniformity, uniformity_of_views
from sslnb.metrics.alpha_req import PowerLawFit, alpha_req, power_law_fit
from sslnb.metrics.clustering import clustering_agreement, kmeans, normalized_mutual_information, silhouette
from sslnb.metrics.collapse import embedding_std
from sslnb.metrics.entropy import entropy
from sslnb.metrics.lidar import lidar
from sslnb.metrics.moments import Moments, second_moments
from sslnb.metrics.nesum import nesum
from sslnb.metrics.probes import (
    FewShotResult, bn_probe_accuracy, fewshot_accuracy, knn_accuracy, linear_probe_accuracy,
)
from sslnb.metrics.rankme import rankme
from sslnb.metrics.self_cluster import self_cluster
from sslnb.metrics.stable_rank import stable_rank
from sslnb.metrics.options import MetricOptions, SuiteOptions
from sslnb.metrics.registry import METRICS, Direction, Metric
from sslnb.metrics.suite import LABEL_FREE, SuiteResult, label_free_metrics

__all__ = [
    "LABEL_FREE", "METRICS", "CollapsedEmbeddingsError", "Direction", "FewShotResult", "Metric", "MetricOptions", "Moments",
    "PowerLawFit", "SuiteOptions", "SuiteResult",
    "alignment", "alpha_req", "bn_probe_accuracy", "clustering_agreement", "embedding_std", "entropy", "fewshot_accuracy", "kmeans", "knn_accuracy",
    "label_free_metrics", "lidar", "linear_probe_accuracy", "nesum", "normalized_mutual_information", "power_law_fit", "rankme",
    "second_moments", "self_cluster", "silhouette", "stable_rank", "uniformity", "uniformity_of_views",
]
