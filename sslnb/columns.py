"""The columns of a metrics table, by kind. Light on purpose: notebooks import it without torch.

One row of the table is one method x checkpoint x layer (see :mod:`sslnb.evaluate`).
"""

# Label-free metrics that need only the evaluation embeddings, then those that need augmented views.
EMBEDDING_ONLY = (
    "silhouette", "silhouette_pca", "ami_c1_c2", "entropy_kl_bits", "entropy_gaussian_bits",
    "entropy_binned_bits", "rankme", "alpha_req", "alpha_req_r2", "stable_rank", "nesum", "self_cluster",
    "embedding_std", "twonn_dimension", "mst_dimension", "cluster_learnability",
)
NEED_VIEWS = ("alignment", "uniformity", "lidar", "heldout_loss")
HELDOUT = "heldout_loss"  # the held-out objective (sslnb.metrics.heldout): a baseline of the leaderboard
SUITE = EMBEDDING_ONLY + NEED_VIEWS  # what sslnb.metrics.label_free_metrics returns
LABEL_FREE = SUITE + ("ami_backbone_projector",)  # + agreement of the backbone's and projector's clusterings
# The protocols of the design documents (sslnb.metrics.probes, sslnb.finetune), with the default few-shot k.
FEWSHOT_SHOTS = (1, 5, 10)
PROTOCOLS = ("nmi_c1_gt", "probe_bn_acc", *(f"fewshot_acc_{k}" for k in FEWSHOT_SHOTS), "finetune_acc")
FEWSHOT_STD = tuple(f"fewshot_acc_{k}_std" for k in FEWSHOT_SHOTS)  # spread over draws: not a reference
LABEL_BASED = ("ami_c1_gt", "linear_probe_acc", "knn_acc", *PROTOCOLS)
IN_DOMAIN = "in_domain"  # the ``domain`` of the evaluation set itself in the domain tables
DIAGNOSTIC = ("outlier_fraction", "outlier_max_z")  # outlying samples; not quality metrics
