"""Training throughput per SSL method, in images per second, on the default model and batch.

Times full training steps (batch augmentation, forward, backward, optimiser step and momentum updates)
on real prepared images, all methods side by side in one process, each in both memory layouts
(channels_last NHWC, the default, and NCHW), and writes JSON:

    python benchmarks/throughput.py [--params params.yaml] [--steps 10] [--out benchmarks/results/throughput.json]

It needs data/processed/dataset.npz (run `dvc repro prepare` first).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch

from sslnb.images import to_tensor
from sslnb.training.augment import two_views
from sslnb.config import load_params
from sslnb.sources import load_dataset
from sslnb.io import save_json
from sslnb.training.methods import SSL_METHODS, build_method
from sslnb.paths import ProjectPaths
from sslnb.training.trainer import as_input


def measure(method: str, params, images: torch.Tensor, steps: int, warmup: int = 2,
            channels_last: bool = True) -> dict:
    torch.manual_seed(params.seed)
    model = build_method(method, params)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    lr = params.methods.get(method, {}).get("lr", params.train.lr)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(params.seed)
    batch = int((params.methods.get(method) or {}).get("batch_size", params.train.batch_size))
    timings = []
    for step in range(warmup + steps):
        rows = torch.randint(len(images), (batch,), generator=generator)
        start = time.perf_counter()
        view1, view2 = two_views(images[rows], params.augment, generator)
        view1, view2 = (as_input(v, torch.device("cpu"), channels_last) for v in (view1, view2))
        loss, _ = model(view1, view2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        model.on_step_end(step / (warmup + steps))
        if step >= warmup:
            timings.append(time.perf_counter() - start)
    seconds = sorted(timings)[len(timings) // 2]  # median step: robust to a noisy shared machine
    return {"method": method, "channels_last": channels_last, "batch_size": batch, "steps": steps,
            "median_step_seconds": seconds,
            "images_per_second": batch / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--methods", nargs="*", default=sorted(SSL_METHODS))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/throughput.json"))
    args = parser.parse_args()
    params = load_params(args.params)
    if params.train.threads > 0:
        torch.set_num_threads(params.train.threads)
    images = to_tensor(load_dataset(ProjectPaths.here().dataset).train_images)
    # both memory layouts of every method, interleaved, so the machine's drift hits them alike
    results = [measure(m, params, images, args.steps, channels_last=layout)
               for m in args.methods for layout in (True, False)]
    fastest = max(r["images_per_second"] for r in results)
    by_key = {(r["method"], r["channels_last"]): r for r in results}
    for r in results:
        r["relative_to_fastest"] = r["images_per_second"] / fastest
        r["channels_last_speedup"] = (by_key[(r["method"], True)]["images_per_second"]
                                      / by_key[(r["method"], False)]["images_per_second"])
        layout = "NHWC" if r["channels_last"] else "NCHW"
        print(f"{r['method']:>8} {layout}: {r['images_per_second']:7.1f} images/s  "
              f"({r['relative_to_fastest']:.2f}x of the fastest; channels_last {r['channels_last_speedup']:.2f}x)")
    save_json({"machine": {"platform": platform.platform(), "threads": torch.get_num_threads(),
                           "torch": torch.__version__},
               "model": params.to_dict()["model"], "results": results}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
