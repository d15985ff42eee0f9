"""Label-free metrics of embeddings, and the label-based references they are judged against.

Every function takes NumPy arrays: embeddings ``Z`` of shape (n_samples, n_features), finite, and 1-D
label arrays of matching length. Bad input raises a ValueError that names the problem.
"""

from sslnb.metrics.clustering import clustering_agreement, kmeans, silhouette
from sslnb.metrics.entropy import entropy
from sslnb.metrics.probes import knn_accuracy, linear_probe_accuracy

__all__ = ["clustering_agreement", "entropy", "kmeans", "knn_accuracy", "linear_probe_accuracy", "silhouette"]
