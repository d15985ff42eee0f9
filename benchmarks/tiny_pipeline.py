"""How long the tiny profile of the pipeline takes, run by `dvc repro` exactly as the tests run it.

Builds the same scratch project as the tests' ``tiny_pipeline`` fixture (profiles/tiny.yaml on the tests'
fake Fashion-MNIST), then times three calls and writes JSON:

1. ``dvc repro evaluate``: prepare, train, embed, fine-tune, evaluate (the compute);
2. ``dvc repro``: t-SNE, summary, notebooks, rendering, the report;
3. ``dvc repro`` again, which must run no stage (the no-op).

    python benchmarks/tiny_pipeline.py [--out benchmarks/results/tiny_pipeline.json] [--keep DIR]

The times depend on the machine and on what else it runs; the tests check what the pipeline produces and
never how long it took.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from conftest import make_project, run, tiny_params  # noqa: E402  (the tests' own project builder)
from fakedata import write_fake_fashion_mnist  # noqa: E402

from sslnb.io import save_json  # noqa: E402


def timed(command: list[str], root: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = run(command, root)
    return time.perf_counter() - start, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/tiny_pipeline.json")
    parser.add_argument("--keep", type=Path, default=None, help="build the project here and keep it")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sslnb-tiny-")) if args.keep is None else args.keep
    try:
        data = write_fake_fashion_mnist(scratch / "fake-fashion-mnist")
        root = make_project(scratch / "project", tiny_params(data))
        compute, _ = timed(["dvc", "repro", "evaluate"], root)
        analysis, _ = timed(["dvc", "repro"], root)
        noop, noop_stdout = timed(["dvc", "repro"], root)
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    result = {
        "compute_seconds": round(compute, 1),
        "analysis_seconds": round(analysis, 1),
        "total_seconds": round(compute + analysis, 1),
        "noop_repro_seconds": round(noop, 1),
        "noop_ran_a_stage": "Running stage" in noop_stdout,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
    }
    save_json(result, args.out)
    print(f"tiny pipeline: compute {compute:.0f} s, analysis {analysis:.0f} s, no-op repro {noop:.1f} s "
          f"-> {args.out}")


if __name__ == "__main__":
    main()
