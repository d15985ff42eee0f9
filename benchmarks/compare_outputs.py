"""Are two runs of the pipeline's outputs the same? Byte by byte, except where a file records a time.

Compares every file under ``data/``, ``figures/`` and ``reports/`` of two project folders (for example the
tiny profile before and after a refactor; ``python benchmarks/tiny_pipeline.py --keep DIR`` builds one):

- most files: their bytes (md5);
- ``.pt`` checkpoints: every tensor of the state exactly, and the rest of the record without the fields
  that hold seconds (the monitor's ``monitor_seconds``, epoch times);
- ``.csv`` tables: the cells exactly, without the columns whose name says they hold seconds;
- ``.npz`` arrays: every array exactly (the zip container stamps the time of writing);
- paths: each folder's own root is read as ``<ROOT>`` (the two projects live in two scratch folders);
- executed notebooks and their HTML: skipped (papermill and nbconvert stamp the time of the run);
- JSON: the values, without keys holding seconds.

    python benchmarks/compare_outputs.py BEFORE AFTER [--out benchmarks/results/compare_outputs.json]

Exits 1 and lists the files that differ, 0 if every compared file is identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

FOLDERS = ("data", "figures", "reports")
SKIPPED_FOLDERS = ("reports/notebooks", "reports/html", "reports/sweeps/html", "data/sweeps/logs")
SKIPPED_SUFFIXES = (".ipynb", ".html", ".log")


def _timing(key: str) -> bool:
    return "seconds" in key or key.endswith("_time") or key == "elapsed"


def _untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not _timing(str(k))}
    if isinstance(value, (list, tuple)):
        return [_untimed(v) for v in value]
    return value


ROOTS: list[str] = []  # the scratch folders of the two projects, read as <ROOT> in strings


def _rooted(text: str) -> str:
    for root in ROOTS:
        text = text.replace(root, "<ROOT>")
    return text


def _same_pt(a: Path, b: Path) -> bool:
    left, right = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    return _same_objects(left, right)


def _same_npz(a: Path, b: Path) -> bool:
    with np.load(a, allow_pickle=False) as left, np.load(b, allow_pickle=False) as right:
        if sorted(left.files) != sorted(right.files):
            return False
        for key in left.files:
            x, y = left[key], right[key]
            if x.dtype.kind == "U" and y.dtype.kind == "U":
                x, y = np.vectorize(_rooted)(x), np.vectorize(_rooted)(y)
            if x.dtype != y.dtype or not np.array_equal(x, y):
                return False
    return True


def _same_objects(left: Any, right: Any) -> bool:
    if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
        return (isinstance(left, torch.Tensor) and isinstance(right, torch.Tensor) and left.dtype == right.dtype
                and left.shape == right.shape and torch.equal(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        keys = [k for k in left if not _timing(str(k))]
        return keys == [k for k in right if not _timing(str(k))] and all(
            _same_objects(left[k], right[k]) for k in keys)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_same_objects(x, y) for x, y in zip(left, right))
    if isinstance(left, float) and isinstance(right, float) and np.isnan(left) and np.isnan(right):
        return True
    if isinstance(left, str) and isinstance(right, str):
        return _rooted(left) == _rooted(right)
    return left == right


def _same_csv(a: Path, b: Path) -> bool:
    left, right = pd.read_csv(a), pd.read_csv(b)
    keep = [c for c in left.columns if not _timing(c)]
    return keep == [c for c in right.columns if not _timing(c)] and left[keep].equals(right[keep])


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def same(a: Path, b: Path) -> bool:
    if _md5(a) == _md5(b):
        return True
    if a.suffix == ".pt":
        return _same_pt(a, b)
    if a.suffix == ".npz":
        return _same_npz(a, b)
    if a.suffix == ".csv":
        return _same_csv(a, b)
    if a.suffix == ".json":
        return _untimed(json.loads(a.read_text())) == _untimed(json.loads(b.read_text()))
    return False


def compared_files(root: Path) -> set[str]:
    files = set()
    for folder in FOLDERS:
        for path in (root / folder).rglob("*"):
            relative = path.relative_to(root).as_posix()
            if (path.is_file() and path.suffix not in SKIPPED_SUFFIXES
                    and not any(relative.startswith(skip) for skip in SKIPPED_FOLDERS) and ".dvc" not in path.parts):
                files.add(relative)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="also write the result as JSON here")
    args = parser.parse_args()
    # the scratch folder above each project (its data path) and the project itself
    ROOTS.extend(str(p) for folder in (args.before, args.after) for p in (folder.resolve().parent, folder.resolve()))
    ROOTS.sort(key=len, reverse=True)
    before, after = compared_files(args.before), compared_files(args.after)
    common = sorted(before & after)
    differ = [name for name in common if not same(args.before / name, args.after / name)]
    result = {"compared": len(common), "identical": len(common) - len(differ), "differ": differ,
              "only_before": sorted(before - after), "only_after": sorted(after - before)}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['identical']} of {len(common)} files identical; differ: {differ or 'none'}; "
          f"only before: {result['only_before'] or 'none'}; only after: {result['only_after'] or 'none'}")
    return 0 if not differ and not result["only_before"] and not result["only_after"] else 1


if __name__ == "__main__":
    sys.exit(main())
