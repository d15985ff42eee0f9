"""SSL losses, one module per loss, each citing its paper and giving its formula."""

from sslnb.training.losses.info_nce import info_nce
from sslnb.training.losses.negative_cosine import negative_cosine
from sslnb.training.losses.nt_xent import nt_xent

__all__ = ["info_nce", "negative_cosine", "nt_xent"]
