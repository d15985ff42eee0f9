"""A training epoch and one checkpoint's evaluation, timed side by side in one run, with the FLOP rate.

On the default profile (or ``--params``) and one method, this script

- measures the fp32 matmul rate of this machine (torch, 2048 x 2048, the training threads): the ceiling;
- counts the FLOPs of one training step (both views, forward and backward; torch's FlopCounterMode);
- times one real training epoch of :class:`sslnb.training.trainer.Trainer` (batch augmentation included), split into
  the optimisation steps and the per-epoch callbacks (label-free monitor, history, checkpoint);
- times what the embed and evaluate stages do for that checkpoint, part by part: loading the
  checkpoint, the forward passes over the evaluation, probe and view images, writing and reading the
  embedding file, the label-free suite, the view-based metrics, the linear probe, kNN and outliers;

and writes everything to JSON, with the ratio evaluation / epoch and the achieved share of the matmul rate:

    python benchmarks/evaluation_cost.py [--params params.yaml] [--method simclr]
                                         [--out benchmarks/results/evaluation_cost.json]

It needs data/processed/dataset.npz (run `dvc repro prepare` first) and writes scratch files to a
temporary folder only.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from sslnb.training.augment import two_views
from sslnb.config import load_params
from sslnb.stages.embed import augmented_views, embed_images, file_arrays, inference_copy
from sslnb.stages.evaluate import evaluate_file, layers_of
from sslnb.io import load_checkpoint, save_checkpoint, save_json, save_npz
from sslnb.training.methods import build_method
from sslnb.metrics import SuiteOptions, knn_accuracy, label_free_metrics, linear_probe_accuracy
from sslnb.metrics.outliers import outlier_summary
from sslnb.paths import ProjectPaths
from sslnb.training.trainer import Trainer


def matmul_rate(threads: int, n: int = 2048, repeats: int = 7) -> float:
    """fp32 GFLOP/s of an n x n matrix product (median of ``repeats``), torch on ``threads`` threads."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        seconds.append(time.perf_counter() - start)
    return 2 * n**3 / float(np.median(seconds)) / 1e9


def step_flops(trainer: Trainer) -> tuple[float, float]:
    """FLOPs of one training step (both views, forward and backward), and those of its convolutions."""
    model = build_method(trainer.method, trainer.params)
    batch = trainer.images[: trainer.batch_size]
    view1, view2 = two_views(batch, trainer.params.augment, torch.Generator().manual_seed(0))
    extra = () if trainer.labels is None else (trainer.labels[: trainer.batch_size],)
    with FlopCounterMode(display=False) as counter:
        loss, _ = model(view1, view2, *extra)
        loss.backward()
    conv = sum(count for op, count in counter.get_flop_counts()["Global"].items() if "convolution" in str(op))
    return float(counter.get_total_flops()), float(conv)


def convolution_seconds(trainer: Trainer, steps: int = 5) -> tuple[float, float]:
    """Seconds per step in convolutions (forward and backward, torch.profiler) and per whole step."""
    from torch.profiler import ProfilerActivity, profile

    model = trainer._wrapped()
    model.train()
    order = torch.randperm(len(trainer.images), generator=torch.Generator().manual_seed(1))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for step in range(steps):
            rows = order[step * trainer.batch_size:(step + 1) * trainer.batch_size]
            trainer._step(model, trainer.images[rows], 0, step)
        wall = time.perf_counter() - start
    conv_us = sum(e.self_cpu_time_total for e in prof.key_averages() if "convolution" in e.key)
    return conv_us / 1e6 / steps, wall / steps


class Timer:
    def __init__(self) -> None:
        self.parts: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        yield
        self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - start


def time_epoch(trainer: Trainer) -> tuple[dict[str, float], dict]:
    """One real epoch: the steps (augmentation included), then the callbacks; and the checkpoint state."""
    timer = Timer()
    model = trainer._wrapped()
    with timer("steps"):
        record = trainer.train_epoch(model, 1)
    with timer("callbacks"):
        trainer._end_epoch(1, record)
    return timer.parts, trainer.state(1)


def time_evaluation(state: dict, trainer: Trainer, scratch: Path) -> dict[str, float]:
    """What the embed and evaluate stages do for one checkpoint, part by part."""
    params, data, timer = trainer.params, trainer.data, Timer()
    cfg = params.metrics
    channels_last = params.train.channels_last
    path = scratch / "epoch_0001.pt"
    save_checkpoint(state, path)
    with timer("load_checkpoint"):
        model = build_method(trainer.method, params)
        model.load_state_dict(load_checkpoint(path)["model"])
        model = inference_copy(model)
    # the stages embed every checkpoint in one process: time the steady state, after oneDNN's first call
    embed_images(model, data.test_images[:256], channels_last=channels_last)
    with timer("augment_views"):
        views = augmented_views(data.test_images, params)
    with timer("embed_eval"):
        evaluation = embed_images(model, data.test_images, channels_last=channels_last)
    with timer("embed_probe"):
        probe = embed_images(model, data.probe_images, channels_last=channels_last)
    with timer("embed_views"):
        viewed = embed_images(model, views, channels_last=channels_last)
    arrays = file_arrays(evaluation, probe, viewed, cfg.views)
    embedding_file = scratch / "epoch_0001.npz"
    with timer("write_embeddings"):
        save_npz(embedding_file, **arrays)
    k = cfg.clusters(data.classes)
    with timer("evaluate_file_total"):  # exactly the evaluate stage's work for this checkpoint
        evaluate_file(embedding_file, trainer.method, data.test_labels, data.probe_labels, cfg, k)
    # the same work again, part by part (not added to the total)
    options = SuiteOptions.from_config(cfg, k)
    parts = Timer()
    for layer, layer_arrays in layers_of(arrays).items():
        with parts(f"suite_{layer}"):
            label_free_metrics(layer_arrays["eval"], options)
        with parts(f"suite_with_views_{layer}"):
            label_free_metrics(layer_arrays["eval"], options, views=layer_arrays["views"])
        with parts(f"linear_probe_{layer}"):
            linear_probe_accuracy(layer_arrays["probe"], data.probe_labels, layer_arrays["eval"], data.test_labels,
                                  max_iter=cfg.probe_max_iter)
        with parts(f"knn_{layer}"):
            knn_accuracy(layer_arrays["probe"], data.probe_labels, layer_arrays["eval"], data.test_labels,
                         k=cfg.knn_k, temperature=cfg.knn_temperature)
        with parts(f"outliers_{layer}"):
            outlier_summary(layer_arrays["eval"], cfg.outlier_z)
    return timer.parts | {f"part_{name}": seconds for name, seconds in parts.parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--method", default="simclr")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/evaluation_cost.json"))
    args = parser.parse_args()
    params = load_params(args.params)
    here = ProjectPaths.here()
    scratch = Path(tempfile.mkdtemp(prefix="sslnb-bench-"))
    try:
        (scratch / "data" / "processed").mkdir(parents=True)
        shutil.copy(here.dataset, ProjectPaths(scratch).dataset)
        trainer = Trainer(params, args.method, ProjectPaths(scratch))
        trainer.setup()
        rate_before = matmul_rate(torch.get_num_threads())
        flops, conv_flops = step_flops(trainer)
        epoch, state = time_epoch(trainer)
        conv_seconds, profiled_step_seconds = convolution_seconds(trainer)
        evaluation = time_evaluation(state, trainer, scratch)
        rate_after = matmul_rate(torch.get_num_threads())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    matmul = (rate_before + rate_after) / 2
    epoch_seconds = epoch["steps"] + epoch["callbacks"]
    # the views are drawn once per stage, not per checkpoint: reported, not counted
    evaluation_seconds = sum(v for k, v in evaluation.items() if not k.startswith("part_") and k != "augment_views")
    epoch_flops = flops * trainer.steps_per_epoch
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "threads": torch.get_num_threads(), "torch": torch.__version__},
        "method": args.method, "batch_size": trainer.batch_size, "steps_per_epoch": trainer.steps_per_epoch,
        "channels_last": params.train.channels_last,
        "matmul_gflops": {"before": rate_before, "after": rate_after, "mean": matmul},
        "step_mflop_per_image": flops / trainer.batch_size / 1e6,
        "epoch_seconds": epoch_seconds, "epoch_parts": epoch,
        "training_gflops_steps": epoch_flops / epoch["steps"] / 1e9,
        "training_gflops_epoch": epoch_flops / epoch_seconds / 1e9,
        "share_of_matmul_steps": epoch_flops / epoch["steps"] / 1e9 / matmul,
        "share_of_matmul_epoch": epoch_flops / epoch_seconds / 1e9 / matmul,
        # where the ceiling is: the convolutions alone (torch.profiler over 5 more steps, after the timed epoch)
        "convolution_share_of_step_flops": conv_flops / flops,
        "convolution_share_of_step_time": conv_seconds / profiled_step_seconds,
        "convolution_gflops": conv_flops / conv_seconds / 1e9,
        "convolution_share_of_matmul": conv_flops / conv_seconds / 1e9 / matmul,
        "evaluation_seconds": evaluation_seconds, "evaluation_parts": evaluation,
        "evaluation_over_epoch": evaluation_seconds / epoch_seconds,
    }
    save_json(result, args.out)
    print(f"epoch {epoch_seconds:.2f} s (steps {epoch['steps']:.2f}, callbacks {epoch['callbacks']:.2f}); "
          f"evaluation of one checkpoint {evaluation_seconds:.2f} s: ratio {result['evaluation_over_epoch']:.3f}")
    print(f"training {result['training_gflops_epoch']:.1f} GFLOP/s over the epoch "
          f"({result['training_gflops_steps']:.1f} over the steps); matmul {matmul:.1f} GFLOP/s: "
          f"share {result['share_of_matmul_epoch']:.3f} (steps {result['share_of_matmul_steps']:.3f})")
    print(f"convolutions: {result['convolution_share_of_step_flops']:.0%} of the FLOPs, "
          f"{result['convolution_share_of_step_time']:.0%} of the time, {result['convolution_gflops']:.1f} GFLOP/s "
          f"({result['convolution_share_of_matmul']:.3f} of the matmul rate)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
