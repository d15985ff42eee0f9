"""Installed size of sslnb's light install, of the study ([pipeline]) and of each integration extra.

Reads this environment's package metadata (it must hold every extra: `make setup` installs them) and sums
the bytes of every file that each requirement set installs, dependencies included (each file once):
what a fresh virtual environment with that install would hold, minus pip itself. Writes JSON.

    python benchmarks/install_size.py [--out benchmarks/results/install_size.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sslnb.io import save_json
from sslnb.packaging import installed_bytes, requirement_closure, sslnb_requirements

INSTALLS = {
    "light (pip install sslnb)": (),
    "full (pip install 'sslnb[pipeline]')": ("pipeline",),
    "every extra (make setup, without dev)": ("pipeline", "lightning", "hf", "tensorboard", "mlflow", "timm"),
    "light + lightning": ("lightning",),
    "light + hf": ("hf",),
    "light + tensorboard": ("tensorboard",),
    "light + mlflow": ("mlflow",),
    "light + timm": ("timm",),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/install_size.json"))
    args = parser.parse_args()
    torch_closure = requirement_closure(["torch"])
    rows = []
    for name, extras in INSTALLS.items():
        closure = requirement_closure(sslnb_requirements(extras))
        without_torch = {key: d for key, d in closure.items() if key not in torch_closure}
        rows.append({"install": name, "extras": list(extras), "distributions": len(closure),
                     "megabytes": round(installed_bytes(closure) / 1e6, 1),
                     "megabytes_without_torch": round(installed_bytes(without_torch) / 1e6, 1)})
        print(f"{name}: {rows[-1]['distributions']} distributions, {rows[-1]['megabytes']} MB "
              f"({rows[-1]['megabytes_without_torch']} MB without torch and its CUDA libraries)", flush=True)
    save_json({"what": "bytes installed per requirement set, dependencies included, from this environment's "
                       "package metadata (RECORD files)", "torch_distributions": sorted(torch_closure),
               "installs": rows}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
