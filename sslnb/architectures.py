"""The architecture sweep: one SSL method and the supervised reference on several encoder families.

The study's last finding (its Figure 5) is that clustering metrics seem valid only within one
architecture while entropy may be architecture-independent. To test it on the default data, each encoder
of the ``architectures`` section of ``params.yaml`` is trained, embedded and scored as its own small
sslnb project, rooted in ``data/architectures/<encoder>/``: its ``params.yaml`` is the main one with the
encoder's ``model`` options, the sweep's ``epochs`` and ``milestones`` and only the sweep's ``methods``.
Every pipeline stage then runs there unchanged (``--root``), and ``architectures/dvc.yaml`` chains them.

Three kinds of model per encoder enter the comparison: the SSL method's final checkpoint, the
supervised reference's final checkpoint (labels: the upper reference), and the random initialisation
(epoch 0 of the SSL run: the lower reference).
"""

from __future__ import annotations

import copy
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sslnb.analysis import load_metrics
from sslnb.config import params_from_dict
from sslnb.io import atomic_path, save_csv
from sslnb.paths import ProjectPaths

SUPERVISED = "supervised"


@dataclass(frozen=True)
class Sweep:
    """The ``architectures`` section of params.yaml."""

    encoders: dict[str, dict[str, Any]]  # name -> model options overriding the main model section
    methods: tuple[str, ...] = ("simclr", SUPERVISED)
    epochs: int = 8
    milestones: tuple[int, ...] = (0, 8)

    @classmethod
    def from_params(cls, raw: dict[str, Any]) -> "Sweep":
        section = raw.get("architectures")
        if not section or not section.get("encoders"):
            raise ValueError("params.yaml has no 'architectures' section with 'encoders'; see the README's "
                             "architecture sweep for an example")
        unknown = sorted(set(section) - {"encoders", "methods", "epochs", "milestones"})
        if unknown:
            raise ValueError(f"params.yaml: unknown key(s) {unknown} in section 'architectures'; known: "
                             "encoders, methods, epochs, milestones")
        sweep = cls(encoders=dict(section["encoders"]),
                    methods=tuple(section.get("methods", cls.methods)),
                    epochs=int(section.get("epochs", cls.epochs)),
                    milestones=tuple(section.get("milestones", cls.milestones)))
        for name in sweep.encoders:  # fail now, not after an hour of training
            params_from_dict(encoder_params(raw, name, sweep))
        return sweep


def encoder_params(raw: dict[str, Any], encoder: str, sweep: Sweep | None = None) -> dict[str, Any]:
    """The params.yaml of ``encoder``'s sub-project (see the module docstring), as a plain dict."""
    sweep = sweep or Sweep.from_params(raw)
    if encoder not in sweep.encoders:
        raise ValueError(f"encoder {encoder!r} is not under architectures.encoders (listed: {sorted(sweep.encoders)})")
    params = copy.deepcopy({key: value for key, value in raw.items() if key != "architectures"})
    params["model"] = {**params.get("model", {}), **(sweep.encoders[encoder] or {})}
    params["train"] = {**params.get("train", {}), "epochs": sweep.epochs, "milestones": list(sweep.milestones)}
    methods = params.get("methods") or {}
    params["methods"] = {method: methods.get(method) or {} for method in sweep.methods}
    return params


def configure(raw: dict[str, Any], encoder: str, paths: ProjectPaths) -> Path:
    """Write ``encoder``'s sub-project: its params.yaml and (a link to) the prepared data set."""
    sub = ProjectPaths(paths.architecture_project(encoder))
    params = encoder_params(raw, encoder)  # validates every encoder's params before anything is written
    if not paths.dataset.is_file():
        raise FileNotFoundError(f"{paths.dataset} not found; run the prepare stage first (dvc repro prepare)")
    with atomic_path(sub.params) as tmp:
        tmp.write_text(f"# Written by `sslnb sweep-configure --encoder {encoder}` from ../../../params.yaml; "
                       "edit that file instead.\n" + yaml.safe_dump(params, sort_keys=False))
    sub.dataset.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(sub.dataset) as tmp:
        tmp.unlink()
        try:
            os.link(paths.dataset, tmp)  # same bytes, no copy
        except OSError:
            shutil.copyfile(paths.dataset, tmp)
    return sub.params


def collect(raw: dict[str, Any], paths: ProjectPaths) -> Path:
    """Write ``data/architectures.csv``: :func:`architecture_table` of the finished sweep."""
    save_csv(architecture_table(paths, Sweep.from_params(raw)), paths.architecture_table)
    return paths.architecture_table


def architecture_table(paths: ProjectPaths, sweep: Sweep, layer: str = "backbone") -> pd.DataFrame:
    """One row per encoder x kind (SSL final, supervised final, random initialisation) with every metric
    and ``reference`` (the same row's linear-probe accuracy); columns ``architecture`` and ``kind``."""
    rows = []
    for encoder in sweep.encoders:
        sub = ProjectPaths(paths.architecture_project(encoder))
        for method in sweep.methods:
            path = sub.metrics_table(method)
            if not path.is_file():
                continue
            table = load_metrics([path])
            table = table[table.layer == layer].sort_values("epoch")
            rows.append(table.iloc[-1].to_dict() | {"kind": method, "architecture": encoder})
            if method != SUPERVISED and table.epoch.iloc[0] == 0:
                rows.append(table.iloc[0].to_dict() | {"kind": "random", "architecture": encoder})
    if not rows:
        raise FileNotFoundError(f"no metrics tables under {paths.root / 'data' / 'architectures'}; run "
                                "`dvc repro architectures/dvc.yaml` first")
    result = pd.DataFrame(rows)
    result["reference"] = result["linear_probe_acc"]
    return result
