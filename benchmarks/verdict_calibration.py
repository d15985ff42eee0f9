"""The test of the leaderboard's test: false verdicts under the null and power at a planted advantage.

For each design (its groups' candidate counts), simulates sweeps with :func:`sslnb.analysis.verdict.simulate_rejections`
(a Gaussian copula: the probe is a latent signal, 18 metrics and the training loss each the signal plus
their own independent noise) and runs the leaderboard's paired Δtau test with Holm's correction:

- null: every metric as informative as the loss (tau 0.3): the share of sweeps with any "beats the loss"
  (family-wise; the test is built to keep it at or below 5%);
- planted: one metric at tau 0.6, the other 17 at 0.3: how often the planted one is found (power), and how
  often one of the 17 is wrongly named.

    python benchmarks/verdict_calibration.py [--sims 1000] [--out benchmarks/results/verdict_calibration.json]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sslnb.io import save_json
from sslnb.analysis.verdict import ALPHA, MIN_CANDIDATES, POWER_TAUS, simulate_rejections

N_METRICS = 18  # the leaderboard's label-free metrics
DESIGNS = {  # name -> candidates per group; the committed sweeps first, then the earlier designs
    "hyperparameter: committed random search (2 methods x 44 configurations)": [44, 44],
    "checkpoint: committed long sweep (1 run x 12 checkpoints)": [12],
    "seed: committed (SimCLR x 3 seeds)": [3],
    "checkpoint: long sweep (2 runs x 16 checkpoints)": [16, 16],
    "hyperparameter: committed grid (2 methods x 8 runs)": [8, 8],
    "seed: committed (4 methods x 3 seeds)": [3, 3, 3, 3],
    "architecture: committed (3 and 5 encoders)": [3, 5],
    "hyperparameter: 24 configurations per method": [24, 24],
    "hyperparameter: 32 configurations per method": [32, 32],
    "hyperparameter: 48 configurations per method": [48, 48],
}


def standard_error(rate: float, n: int) -> float:
    return float(np.sqrt(max(rate * (1 - rate), 1e-12) / n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=1000, help="simulated sweeps per design and hypothesis")
    parser.add_argument("--boot", type=int, default=300, help="bootstrap resamples per simulated group")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results/verdict_calibration.json")
    parser.add_argument("--only", help="simulate only the designs whose name contains this; keep the others' "
                        "results from --out")
    args = parser.parse_args()
    better, base = POWER_TAUS
    results = {}
    if args.only and args.out.is_file():
        import json

        results = json.loads(args.out.read_text())["designs"]
    for seed, (name, sizes) in enumerate(DESIGNS.items()):
        if args.only and args.only not in name:
            continue
        if max(sizes) < MIN_CANDIDATES:
            results[name] = {"group_sizes": sizes, "anecdotal": True}
            print(f"{name}: anecdotal (no group of {MIN_CANDIDATES}), no verdict is given")
            continue
        start = time.perf_counter()
        null = simulate_rejections(sizes, [base] * N_METRICS, base, args.sims, args.boot, random_state=2 * seed)
        planted = simulate_rejections(sizes, [better] + [base] * (N_METRICS - 1), base, args.sims, args.boot,
                                      random_state=2 * seed + 1)
        family_wise, power = float(null.any(axis=1).mean()), float(planted[:, 0].mean())
        results[name] = {
            "group_sizes": sizes, "anecdotal": False, "simulated_sweeps": args.sims,
            "null_family_wise_false_verdicts": family_wise,
            "null_family_wise_se": standard_error(family_wise, args.sims),
            "planted_detected": power, "planted_detected_se": standard_error(power, args.sims),
            "planted_false_among_others": float(planted[:, 1:].any(axis=1).mean()),
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(f"{name}: false verdicts {family_wise:.3f} (nominal {ALPHA}), power {power:.3f}")
    save_json({"alpha": ALPHA, "n_metrics": N_METRICS, "metric_tau": better, "baseline_tau": base,
               "bootstrap_resamples": args.boot, "designs": {n: results[n] for n in DESIGNS if n in results}}, args.out)
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
