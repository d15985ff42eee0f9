"""sslnb: label-free monitoring of self-supervised learning.

The package holds the pipeline's code, one module per concern: ``data`` (sources and the prepare
stage), ``augment``, ``models``, ``losses``, ``methods``, ``train``, ``embed``, ``metrics``,
``evaluate`` (the per-checkpoint table), ``analysis`` and ``plotting`` (used by the notebooks), with
``paths`` owning the folder layout and ``config`` the typed view of ``params.yaml``; ``monitor`` and
``integrations`` (Lightning, Hugging Face, TensorBoard, MLflow) put the metrics in other training code.
"""

__version__ = "0.2.0"  # the only place the version is written (pyproject.toml reads it)
