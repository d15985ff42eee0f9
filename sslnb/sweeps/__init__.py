"""Sweeps: many runs of the pipeline, each a point of a grid or a random search, judged together.

:mod:`~sslnb.sweeps.spec` reads a sweep of ``params.yaml`` into its points; :mod:`~sslnb.sweeps.project`
writes a point's own project; :mod:`~sslnb.sweeps.pipelines` generates the DVC pipelines
(``sweeps/<name>/dvc.yaml``, ``sweeps/dvc.yaml``); :mod:`~sslnb.sweeps.run_point` runs one point and
:mod:`~sslnb.sweeps.points` runs the out-of-date points side by side; :mod:`~sslnb.sweeps.collect` gathers
the points' results into the sweep's table (what :mod:`sslnb.analysis.runs` judges).
"""
