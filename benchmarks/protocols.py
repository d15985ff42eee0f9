"""The cost of each label-based protocol per checkpoint, timed side by side in one run.

On a project that has run the pipeline (data/embeddings, data/checkpoints, data/finetune), for one method's
last checkpoint this script times, per layer of the evaluation set and per shifted / out-of-domain set:
the linear probe and kNN (today's references, for scale), the BatchNorm probe, the few-shot probes (every k,
every draw), NMI of C1 against the classes; then fine-tuning of the checkpoint (the finetune stage's work
for one checkpoint: the in-domain run scored on every set, plus the out-of-domain run). Writes JSON:

    python benchmarks/protocols.py [--root .] [--method simclr] [--out benchmarks/results/protocols.json]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from sslnb.config import load_params
from sslnb.sources import load_dataset
from sslnb.sources.domains import load_domains
from sslnb.stages.evaluate import domain_layers, layers_of
from sslnb.stages.finetune import finetune_checkpoint
from sslnb.io import load_arrays, load_checkpoint, save_json
from sslnb.training.methods import build_method
from sslnb.metrics import (bn_probe_accuracy, fewshot_accuracy, kmeans, knn_accuracy, linear_probe_accuracy,
                           normalized_mutual_information)
from sslnb.paths import ProjectPaths, epoch_files


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def frozen_costs(arrays: dict, eval_y: np.ndarray, probe_y: np.ndarray, params) -> dict[str, float]:
    """Seconds of each frozen-feature protocol on one set's layers (summed over the layers)."""
    cfg, protocols = params.metrics, params.protocols
    costs = dict.fromkeys(["linear_probe", "knn", "probe_bn", "fewshot", "nmi"], 0.0)
    for layer in arrays.values():
        fit, score = layer["probe"], layer["eval"]
        costs["linear_probe"] += timed(linear_probe_accuracy, fit, probe_y, score, eval_y, max_iter=cfg.probe_max_iter)
        costs["knn"] += timed(knn_accuracy, fit, probe_y, score, eval_y, k=min(cfg.knn_k, len(fit)))
        costs["probe_bn"] += timed(bn_probe_accuracy, fit, probe_y, score, eval_y, epochs=protocols.probe_bn_epochs,
                                   batch_size=protocols.probe_bn_batch_size, lr=protocols.probe_bn_lr)
        for shots in protocols.fewshot_shots:
            costs["fewshot"] += timed(fewshot_accuracy, fit, probe_y, score, eval_y, shots, protocols.fewshot_draws)
        clusters = kmeans(score, len(np.unique(eval_y)), seed=cfg.seed)  # C1 is the suite's; NMI alone is timed
        costs["nmi"] += timed(normalized_mutual_information, clusters, eval_y)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--method", default="simclr")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/protocols.json"))
    args = parser.parse_args()
    paths = ProjectPaths(args.root.resolve())
    params = load_params(paths.params)
    torch.set_num_threads(params.train.threads or torch.get_num_threads())
    data, domains = load_dataset(paths.dataset), load_domains(paths.domains)
    embedding = epoch_files(paths.embeddings(args.method), ".npz")[-1]
    arrays = load_arrays(embedding)
    per_set = {"in_domain": frozen_costs(layers_of(arrays), data.test_labels, data.probe_labels, params)}
    for domain in domains:
        per_set[domain.name] = frozen_costs(domain_layers(arrays, domain.name), domain.eval_labels,
                                            domain.probe_labels, params)
    model = build_method(args.method, params)
    checkpoint = epoch_files(paths.checkpoints(args.method), ".pt")[-1]
    model.load_state_dict(load_checkpoint(checkpoint)["model"])
    finetune_seconds = timed(finetune_checkpoint, model.backbone, data, domains, params.protocols, params.metrics.seed)
    totals = {name: sum(costs[name] for costs in per_set.values()) for name in per_set["in_domain"]}
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "threads": torch.get_num_threads()},
        "method": args.method, "checkpoint": checkpoint.name,
        "seconds_per_checkpoint": {**totals, "finetune": finetune_seconds},
        "seconds_per_set": per_set,
        "note": "frozen-feature protocols: both layers of every set summed; finetune: the stage's work for one "
                "checkpoint (the in-domain run scored on every set, and the out-of-domain run)",
    }
    save_json(result, args.out)
    print({k: round(v, 2) for k, v in result["seconds_per_checkpoint"].items()})


if __name__ == "__main__":
    main()
