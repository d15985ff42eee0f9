"""The columns of a metrics table, by kind, derived from the metric registry (:mod:`sslnb.metrics.registry`).

One row of the table is one method x checkpoint x layer (see :mod:`sslnb.stages.evaluate`).
"""

from sslnb.metrics.registry import (
    BASELINE, DIAGNOSTIC as _DIAGNOSTIC_ROLE, EMBEDDINGS, FEWSHOT_SHOTS, LABEL_FREE as _LABEL_FREE_ROLE, LAYERS,
    REFERENCE, VIEWS, metric, names,
)

# Label-free metrics that need only the evaluation embeddings, then those that need augmented views.
EMBEDDING_ONLY = names(needs=EMBEDDINGS, computed=True)
NEED_VIEWS = names(needs=VIEWS, computed=True)
HELDOUT = names(role=BASELINE)[0]  # the held-out objective (sslnb.metrics.heldout): a baseline of the leaderboard
SUITE = EMBEDDING_ONLY + NEED_VIEWS  # what sslnb.metrics.label_free_metrics returns
LABEL_FREE = SUITE + names(needs=LAYERS)  # + agreement of the backbone's and projector's clusterings
LABEL_BASED = names(role=REFERENCE)  # the references: AMI with the classes, linear probe, kNN, then PROTOCOLS
# the protocols of the design documents beyond AMI, the probe and kNN (sslnb.metrics.probes, sslnb.stages.finetune)
PROTOCOLS = tuple(name for name in LABEL_BASED if name not in ("ami_c1_gt", "linear_probe_acc", "knn_acc"))
FEWSHOT_STD = tuple(f"fewshot_acc_{k}_std" for k in FEWSHOT_SHOTS)  # spread over draws: not a reference
IN_DOMAIN = "in_domain"  # the ``domain`` of the evaluation set itself in the domain tables
DIAGNOSTIC = names(role=_DIAGNOSTIC_ROLE)  # outlying samples; not quality metrics
# the label-free metrics with a direction, which selection and the leaderboard judge (no fit, no baseline)
JUDGED = tuple(name for name in names(role=_LABEL_FREE_ROLE) if metric(name).direction is not None)
