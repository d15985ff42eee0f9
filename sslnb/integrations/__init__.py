"""sslnb inside other people's training code: Lightning and Hugging Face callbacks, TensorBoard and MLflow.

Every integration wraps :class:`sslnb.monitor.LabelFreeMonitor` (no second copy of the metric logic) and
imports its framework only when it is used; a missing framework is an ImportError that names the extra
to install:

=======================  ==========================================  ==============================
name                     what it is                                  install
=======================  ==========================================  ==============================
``LightningMonitor``     a ``lightning.pytorch.Callback``            ``pip install 'sslnb[lightning]'``
``HFMonitor``            a ``transformers.TrainerCallback``          ``pip install 'sslnb[hf]'``
``TensorBoardWriter``    a monitor writer to a ``SummaryWriter``     ``pip install 'sslnb[tensorboard]'``
``MLflowWriter``         a monitor writer to the active MLflow run   ``pip install 'sslnb[mlflow]'``
=======================  ==========================================  ==============================

Every logged name is ``label_free/<metric>`` (``label_free/rankme``, ``label_free/silhouette``, ...).
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module, extra): the module is imported on first use, so `import sslnb.integrations` is free
_LAZY = {
    "LightningMonitor": ("sslnb.integrations.lightning", "lightning"),
    "HFMonitor": ("sslnb.integrations.huggingface", "hf"),
    "vit_mae_encoder": ("sslnb.integrations.huggingface", "hf"),
    "TensorBoardWriter": ("sslnb.integrations.writers", "tensorboard"),
    "MLflowWriter": ("sslnb.integrations.writers", "mlflow"),
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'sslnb.integrations' has no attribute {name!r}")
    module, _extra = _LAZY[name]
    return getattr(importlib.import_module(module), name)
