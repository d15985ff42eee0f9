"""Cost of the label-free metric suite: time versus N, the gain from sharing, and peak memory.

Every metric that needs only the embeddings (all but alignment, uniformity and LiDAR, which need
augmented views) is computed by ``sslnb.metrics.label_free_metrics`` with its default settings on
clustered float32 embeddings. Writes JSON with:

- ``time_vs_n``: seconds (best of ``--repeats``) for N = 1k, 10k, 100k at D = 512;
- ``shared_vs_standalone``: at 10k x 512, the suite against calling each metric function on its own,
  measured side by side in this run (the ratio is what holds on a noisy shared machine);
- ``peak_memory``: peak resident memory of a fresh process that builds 100k x 2048 float32 embeddings
  (800 MB of them) and computes the suite on them;
- ``torch_vs_numpy``: the suite on a torch tensor against the same embeddings as a NumPy array, side by
  side in this run (alternating, best of ``--repeats``), with the largest relative difference of any
  metric; on every CUDA device present also the GPU time (synchronised) for the same matrices.

    python benchmarks/metrics.py [--out benchmarks/results/metrics.json] [--threads 2] [--only torch]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sslnb.io import save_json
from sslnb.metrics import (
    SuiteOptions, alpha_req, clustering_agreement, embedding_std, entropy, kmeans, label_free_metrics, nesum,
    rankme, self_cluster, silhouette, stable_rank,
)


def clustered_embeddings(n: int, d: int, k: int = 10, seed: int = 0) -> np.ndarray:
    """k Gaussian clusters in d dimensions, as float32, built in chunks to keep memory near n x d x 4 bytes."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, d)).astype(np.float32) * 2
    Z = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 10_000):
        rows = min(10_000, n - start)
        Z[start:start + rows] = centers[rng.integers(0, k, rows)] + rng.standard_normal((rows, d), dtype=np.float32)
    return Z


def best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def standalone(Z: np.ndarray, k: int = 10) -> None:
    """Each metric on its own, as a user calling the functions one by one would (nothing shared)."""
    unit = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    c1, c2 = kmeans(Z, k, seed=0), kmeans(Z, k, seed=1)
    silhouette(Z, c1)
    clustering_agreement(c1, c2)
    for estimator in ("kl", "gaussian", "binned"):
        entropy(unit, estimator)
    rankme(Z), alpha_req(Z), stable_rank(Z), nesum(Z), self_cluster(Z), embedding_std(Z)


def peak_memory_child(n: int, d: int) -> None:
    Z = clustered_embeddings(n, d)
    start = time.perf_counter()
    label_free_metrics(Z, SuiteOptions(k=10))
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    print(json.dumps({"n": n, "d": d, "seconds": seconds, "peak_rss_gb": peak_kb / 1024**2}))


def torch_vs_numpy(repeats: int) -> list[dict]:
    """Seconds of the suite on NumPy arrays and on torch tensors (CPU, and CUDA where present), side by side."""
    options, rows = SuiteOptions(k=10), []
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for n, d in ((10_000, 512), (100_000, 512), (100_000, 2048)):
        Z = clustered_embeddings(n, d)
        tensors = {device: torch.from_numpy(Z).to(device) for device in devices}
        label_free_metrics(Z[:2000], options), label_free_metrics(tensors["cpu"][:2000], options)  # warm-up
        times: dict[str, list[float]] = {"numpy": [], **{f"torch_{device}": [] for device in devices}}
        values = {}
        for _ in range(repeats if n <= 10_000 else 1):  # alternate, so load on the machine hits both alike
            for name in times:
                Z_in = Z if name == "numpy" else tensors[name.removeprefix("torch_")]
                if name == "torch_cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                values[name] = label_free_metrics(Z_in, options).values
                if name == "torch_cuda":
                    torch.cuda.synchronize()
                times[name].append(time.perf_counter() - start)
        worst = max(abs(values["torch_cpu"][m] - v) / max(abs(v), 1e-12)
                    for m, v in values["numpy"].items() if np.isfinite(v))
        row = {"n": n, "d": d, **{f"{name}_seconds": round(min(t), 3) for name, t in times.items()},
               "torch_cpu_over_numpy": round(min(times["torch_cpu"]) / min(times["numpy"]), 3),
               "max_relative_difference_cpu": float(f"{worst:.2e}")}
        if "torch_cuda" in times:
            row["numpy_over_cuda"] = round(min(times["numpy"]) / min(times["torch_cuda"]), 2)
            row["device"] = torch.cuda.get_device_name()
        rows.append(row)
        print(f"{n} x {d}: " + ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("n", "d")), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/metrics.json"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["torch"],
                        help="torch: only the torch-versus-NumPy comparison, merged into the existing --out file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.child:
        peak_memory_child(*args.child)
        return
    if args.only == "torch":
        result = json.loads(args.out.read_text()) if args.out.is_file() else {}
        result["torch_vs_numpy"] = torch_vs_numpy(args.repeats)
        save_json(result, args.out)
        print(f"wrote {args.out}")
        return
    options = SuiteOptions(k=10)
    curve = []
    for n in (1_000, 10_000, 100_000):
        Z = clustered_embeddings(n, 512)
        label_free_metrics(Z[:2000], options)  # warm-up: imports, thread pools
        seconds = best_of(args.repeats if n <= 10_000 else 1, lambda: label_free_metrics(Z, options))
        curve.append({"n": n, "d": 512, "seconds": round(seconds, 3)})
        print(f"suite on {n} x 512: {seconds:.2f} s", flush=True)
    Z = clustered_embeddings(10_000, 512)
    shared = best_of(args.repeats, lambda: label_free_metrics(Z, options))
    alone = best_of(args.repeats, lambda: standalone(Z))
    print(f"10k x 512: shared {shared:.2f} s, standalone {alone:.2f} s", flush=True)
    child = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--child", "100000", "2048"],
                           capture_output=True, text=True, check=True)
    memory = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"100k x 2048: {memory['seconds']:.1f} s, peak RSS {memory['peak_rss_gb']:.2f} GB", flush=True)
    result = {
        "what": "sslnb.metrics.label_free_metrics, embedding-only metrics, default SuiteOptions(k=10)",
        "metrics": ["silhouette", "ami_c1_c2", "entropy kl/gaussian/binned", "rankme", "alpha_req", "stable_rank",
                    "nesum", "self_cluster", "embedding_std"],
        "time_vs_n": curve,
        "shared_vs_standalone": {"n": 10_000, "d": 512, "shared_seconds": round(shared, 3),
                                 "standalone_seconds": round(alone, 3), "speedup": round(alone / shared, 2)},
        "peak_memory": {**memory, "seconds": round(memory["seconds"], 2), "peak_rss_gb": round(memory["peak_rss_gb"], 3)},
        "torch_vs_numpy": torch_vs_numpy(args.repeats),
        "threads": args.threads,
        "machine": {"processor": platform.processor() or platform.machine(), "python": platform.python_version(),
                    "torch": torch.__version__},
    }
    save_json(result, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
