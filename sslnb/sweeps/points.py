"""Run the sweeps' out-of-date points N at a time, then record them in the sweeps' lock files.

``dvc repro`` runs one stage at a time, and two ``dvc repro`` cannot share a project. A sweep point trains
on one thread (``train.threads: 1`` on the cheap path), so a 2-core machine would sit half idle through
``make sweeps``. ``python -m sslnb sweep-points --jobs 2`` asks DVC which ``run`` stages are out of date
(``dvc status``), runs their command (``sslnb sweep-run``) in ``jobs`` processes side by side, and records
each finished point with ``dvc commit``, exactly as ``dvc repro`` would have; ``dvc repro sweeps/dvc.yaml``
then finds them up to date and runs only the collection and the analysis.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm.auto import tqdm

from sslnb.paths import ProjectPaths

RUN_STAGE = ":run@"


def stale_points(paths: ProjectPaths) -> list[tuple[str, str]]:
    """(sweep, point) of every ``run`` stage that ``dvc status`` reports as out of date."""
    points = []
    for pipeline in paths.sweep_pipelines():
        status = subprocess.run(["dvc", "status", "--json", str(pipeline.relative_to(paths.root))],
                                cwd=paths.root, capture_output=True, text=True, check=True)
        for stage in json.loads(status.stdout or "{}"):
            if RUN_STAGE in stage:
                points.append((pipeline.parent.name, stage.split(RUN_STAGE, 1)[1]))
    return points


def _run(paths: ProjectPaths, sweep: str, point: str) -> tuple[str, str, int, Path]:
    project = paths.sweep_project(sweep, point)
    shutil.rmtree(project, ignore_errors=True)  # as dvc repro does: no stale checkpoint is resumed from
    log = paths.sweep_tables_folder / "logs" / sweep / f"{point}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        done = subprocess.run([sys.executable, "-m", "sslnb", "sweep-run", "--sweep", sweep, "--point", point,
                               "--root", str(paths.root)], cwd=paths.root, stdout=handle, stderr=subprocess.STDOUT)
    return sweep, point, done.returncode, log


def run_stale_points(paths: ProjectPaths, jobs: int = 2) -> Path:
    """Run every out-of-date sweep point, ``jobs`` at a time, and ``dvc commit`` each that succeeds."""
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    points = stale_points(paths)
    failed = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run, paths, sweep, point) for sweep, point in points]
        for future in tqdm(as_completed(futures), total=len(futures), desc="sweep points", unit="point"):
            sweep, point, code, log = future.result()
            if code != 0:
                failed.append(f"{sweep}/{point} (see {log})")
                continue
            # dvc commit takes the project's lock: one at a time, from this thread only
            subprocess.run(["dvc", "commit", "--force", "--quiet", f"sweeps/{sweep}/dvc.yaml:run@{point}"],
                           cwd=paths.root, check=True)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(points)} sweep points failed: {', '.join(failed)}")
    return paths.root / "sweeps"
