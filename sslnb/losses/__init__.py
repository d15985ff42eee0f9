"""SSL losses, one module per method's loss."""

from sslnb.losses.nt_xent import nt_xent

__all__ = ["nt_xent"]
