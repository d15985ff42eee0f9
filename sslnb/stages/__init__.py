"""What each pipeline stage runs: ``python -m sslnb <command>`` in ``dvc.yaml`` calls one module here.

``embed`` (checkpoints to embeddings), ``finetune``, ``evaluate`` (embeddings to the metrics tables),
``tsne``, ``summarize``, ``report`` and ``notebook`` (:mod:`sslnb.stages.execute`, a parameterised
notebook run by papermill). ``prepare`` is :mod:`sslnb.sources.prepare` and ``train`` is
:mod:`sslnb.training.trainer`; the sweeps' stages are in :mod:`sslnb.sweeps`.
"""
