"""A sweep point's own project: its params.yaml and links to the main run's prepared data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from sslnb.io import atomic_path
from sslnb.paths import ProjectPaths
from sslnb.sweeps.spec import sweep_from_params


def configure(raw: dict[str, Any], sweep: str, point: str, paths: ProjectPaths) -> Path:
    """Write a point's sub-project: its params.yaml and (links to) the prepared data set and domains."""
    target = sweep_from_params(raw, sweep).point(point)
    sub = ProjectPaths(paths.sweep_project(sweep, point))
    if not paths.dataset.is_file():
        raise FileNotFoundError(f"{paths.dataset} not found; run the prepare stage first (dvc repro prepare)")
    with atomic_path(sub.params) as tmp:
        tmp.write_text(f"# Written by `sslnb sweep-configure --sweep {sweep} --point {point}` from the project's "
                       "params.yaml; edit that file instead.\n" + yaml.safe_dump(target.params, sort_keys=False))
    sub.dataset.parent.mkdir(parents=True, exist_ok=True)
    for source, target in ((paths.dataset, sub.dataset), (paths.domains, sub.domains)):
        with atomic_path(target) as tmp:
            tmp.unlink()
            try:
                os.link(source, tmp)  # same bytes, no copy
            except OSError:
                shutil.copyfile(source, tmp)
    return sub.params
