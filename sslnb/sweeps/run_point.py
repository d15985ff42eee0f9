"""One sweep point in one process (``python -m sslnb sweep-run``): the stage of each point of a sweep.

Kept apart from :mod:`sslnb.sweeps.spec` (spec, pipelines, collection), which the analysis imports: only this
module needs the training code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sslnb.paths import ProjectPaths
from sslnb.sweeps.project import configure
from sslnb.sweeps.spec import sweep_from_params


def run_point(raw: dict[str, Any], sweep: str, point: str, paths: ProjectPaths) -> Path:
    """Run one point in one process: configure, then the train, embed, finetune and evaluate stages.

    One DVC stage and one Python start per point instead of five (about 20 s each on 2 CPU cores, most of it
    importing torch): the cheap path that lets a sweep afford the runs its decision needs. The sub-project's
    links to the prepared data are removed afterwards (they are the main project's files, not outputs).
    """
    from sslnb.config import load_params
    from sslnb.stages.embed import embed
    from sslnb.stages.evaluate import evaluate
    from sslnb.stages.finetune import finetune
    from sslnb.training.trainer import train

    target = sweep_from_params(raw, sweep).point(point)
    configure(raw, sweep, point, paths)
    sub = ProjectPaths(paths.sweep_project(sweep, point))
    params = load_params(sub.params)
    train(params, target.method, sub, resume=True)
    embed(params, target.method, sub)
    finetune(params, target.method, sub)
    table = evaluate(params, target.method, sub)
    for link in (sub.dataset, sub.domains):
        link.unlink(missing_ok=True)
    return table
