"""Write the numbers of the README and the docs from the files the pipeline and the benchmarks write.

Nothing measured is typed by hand: every table and sentence with a measured number is rendered here from
its source file, into ``docs/generated/<name>.md`` (the pages include them with ``pymdownx.snippets``) and
into README.md between ``<!-- generated: <name> ... -->`` and ``<!-- /generated -->``.

    python docs/generate.py                      # rewrite what changed
    python docs/generate.py --check              # change nothing; exit 1 naming what is out of date
    python docs/generate.py --committed-only     # only the sources git tracks (what tests/test_docs.py checks)
    python docs/generate.py --project ../fresh   # read the pipeline's outputs of another checkout
    python docs/generate.py --from /tmp/leaderboard.json   # one source file from elsewhere

Two kinds of source. Committed ones (``benchmarks/results/``, ``reports/summary.json``, the package's own
module list) are always there. The others are DVC outputs that ``make run`` or ``make sweeps`` writes and
git does not track (``reports/tables/*``, ``reports/sweeps/leaderboard.json``, ...): a block whose source
is missing is left as it is, so the committed text stays the last one generated from it. Each block's
source is named in the file's first line. The figures the README shows (``FIGURES``) are copied the same way,
byte for byte, into ``docs/assets/``.

Standard library, PyYAML and pandas only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "docs" / "generated"
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+)(?: [^>]*)? -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)
DASH = "—"


# --- formatting -------------------------------------------------------------------------------------------


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def signed(value, digits: int = 2) -> str:
    return DASH if missing(value) else f"{value:+.{digits}f}"


def fixed(value, digits: int = 2) -> str:
    return DASH if missing(value) else f"{value:.{digits}f}"


def thousands(value) -> str:
    return DASH if missing(value) else f"{value:,.0f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def read_json(path: Path):
    return json.loads(path.read_text())


# --- committed sources: benchmarks/results and reports/summary.json ------------------------------------------


def render_default_run(summary: Path, params: Path) -> str:
    """The default run's last checkpoint per method (reports/summary.json, the DVC metrics file)."""
    data = read_json(summary)
    order = list((yaml.safe_load(params.read_text()) or {}).get("methods") or {})
    methods = [m for m in order if m in data] + sorted(m for m in data if m not in order)
    epochs = sorted({data[m]["epochs"] for m in methods})
    last = f"epoch {epochs[0]}" if len(epochs) == 1 else "last epoch"
    rows = []
    for method in methods:
        row = data[method]
        final = 100 * row["linear_probe_acc"]
        rows.append([method, fixed(final - row["lp_gain_points"]), fixed(final), signed(row["lp_gain_points"]),
                     fixed(100 * row["knn_acc"]), fixed(row["rankme"], 1), fixed(row["ami_c1_gt"]),
                     str(row["outlier_milestones"])])
    header = ["method", "linear probe, epoch 0", f"linear probe, {last}", "change (points)", f"kNN, {last}",
              "RankMe", "AMI(C1; C_GT)", "outlier milestones"]
    return table(header, rows)


def render_throughput(path: Path) -> str:
    data = read_json(path)
    by_method: dict[str, dict] = {}
    for row in data["results"]:
        by_method.setdefault(row["method"], {})[row["channels_last"]] = row
    rows = []
    for method, layouts in sorted(by_method.items(), key=lambda item: -item[1][True]["images_per_second"]):
        fast, plain = layouts[True], layouts[False]
        rows.append([method, str(fast["batch_size"]), thousands(fast["images_per_second"]),
                     thousands(plain["images_per_second"]), f"{fast['channels_last_speedup']:.2f}×"])
    steps = sorted({row["steps"] for row in data["results"]})
    machine = data["machine"]
    return (table(["method", "batch", "images/s, channels_last (default)", "images/s, NCHW", "channels_last speed-up"],
                  rows)
            + f"\nMedian of {', '.join(map(str, steps))} full steps per method and layout, side by side in one run "
              f"(torch {machine['torch']}, {machine['threads']} threads).\n")


def render_evaluation_cost(path: Path) -> str:
    data = read_json(path)
    parts = data["evaluation_parts"]
    forward = parts["embed_eval"] + parts["embed_probe"] + parts["embed_views"]
    rows = [
        [f"training epoch ({data['steps_per_epoch']} steps of batch {data['batch_size']}, augmentation included; "
         f"callbacks {data['epoch_parts']['callbacks']:.2f} s)", fixed(data["epoch_seconds"])],
        ["one checkpoint's evaluation", fixed(data["evaluation_seconds"])],
        ["of which: forward passes over the evaluation, probe and view images", fixed(forward)],
        ["of which: every metric of both layers (the evaluate stage's work for one file)",
         fixed(parts["evaluate_file_total"])],
        ["per layer (backbone): label-free suite with views / linear probe / kNN",
         " / ".join(fixed(parts[f"part_{name}_backbone"]) for name in ("suite_with_views", "linear_probe", "knn"))],
        ["**evaluation / epoch**", f"**{data['evaluation_over_epoch']:.3f}**"],
    ]
    speed = [
        ["training, over the steps", f"{data['training_gflops_steps']:.0f}",
         f"{data['share_of_matmul_steps']:.2f}"],
        ["training, over the whole epoch", f"{data['training_gflops_epoch']:.0f}",
         f"{data['share_of_matmul_epoch']:.2f}"],
        ["the convolutions alone", f"{data['convolution_gflops']:.0f}", f"{data['convolution_share_of_matmul']:.2f}"],
        ["fp32 2048² matmul (mean of before and after)", f"{data['matmul_gflops']['mean']:.0f}", "1.00"],
    ]
    return (table(["", "seconds"], rows) + "\n"
            + table(["", "GFLOP/s", "share of the matmul rate"], speed)
            + f"\n{data['step_mflop_per_image']:.0f} MFLOP per training image (FlopCounterMode); the convolutions "
              f"are {100 * data['convolution_share_of_step_flops']:.1f}% of the counted FLOPs and "
              f"{100 * data['convolution_share_of_step_time']:.0f}% of the step time. Method {data['method']}, "
              f"channels_last {str(data['channels_last']).lower()}, torch {data['machine']['torch']}, "
              f"{data['machine']['threads']} threads.\n")


def render_metrics_cost(path: Path) -> str:
    data = read_json(path)
    rows = [[f"{row['n']:,} × {row['d']:,}", fixed(row["seconds"])] for row in data["time_vs_n"]]
    peak = data["peak_memory"]
    rows.append([f"{peak['n']:,} × {peak['d']:,}", f"{peak['seconds']:.2f} (peak resident memory "
                                                   f"{peak['peak_rss_gb']:.2f} GB)"])
    shared = data["shared_vs_standalone"]
    torch_rows = [[f"{row['n']:,} × {row['d']:,}", fixed(row["numpy_seconds"]), fixed(row["torch_cpu_seconds"]),
                   f"{row['torch_cpu_over_numpy']:.2f}", f"{row['max_relative_difference_cpu']:.1e}"]
                  for row in data["torch_vs_numpy"]]
    return (table(["embeddings (float32)", "seconds"], rows)
            + f"\nSharing the expensive parts: at {shared['n']:,} × {shared['d']:,} the suite takes "
              f"{shared['shared_seconds']:.2f} s, the same metrics called one by one {shared['standalone_seconds']:.2f} s "
              f"({shared['speedup']:.2f}× faster, side by side in one run). {data['threads']} threads, torch "
              f"{data['machine']['torch']}.\n\n"
            + table(["embeddings", "NumPy, s", "torch CPU tensor, s", "tensor / NumPy", "largest relative difference"],
                    torch_rows))


PROTOCOL_LABELS = {
    "linear_probe": "linear probe (for scale)", "knn": "kNN (for scale)", "probe_bn": "BatchNorm probe",
    "fewshot": "few-shot probes", "nmi": "NMI (given C1)",
    "finetune": "fine-tuning (the in-domain run scored on every set, and the out-of-domain run)",
}


def render_protocols_cost(path: Path) -> str:
    data = read_json(path)
    seconds = data["seconds_per_checkpoint"]
    rows = [[PROTOCOL_LABELS.get(name, name), fixed(value)] for name, value in seconds.items()]
    sets = ", ".join(name for name in data["seconds_per_set"] if name != "in_domain")
    return (table(["protocol", "seconds per checkpoint"], rows)
            + f"\n{data['method']}'s {data['checkpoint']}, both layers of the evaluation set and of {sets}, in one "
              f"run ({data['machine']['threads']} threads).\n")


def render_install_size(path: Path) -> str:
    data = read_json(path)
    rows = [[row["install"], str(row["distributions"]), thousands(row["megabytes"]),
             thousands(row["megabytes_without_torch"])] for row in data["installs"]]
    return (table(["install", "distributions", "MB", "MB without torch and its CUDA libraries"], rows)
            + f"\nSummed from this environment's package records; the torch set is {len(data['torch_distributions'])} "
              "distributions (torch, its CUDA libraries and their dependencies).\n")


def render_tiny_pipeline(path: Path) -> str:
    data = read_json(path)
    rows = [["stages up to the metrics tables (prepare, train, embed, finetune, evaluate, ...)",
             fixed(data["compute_seconds"], 1)],
            ["analysis (notebooks, pages, report)", fixed(data["analysis_seconds"], 1)],
            ["**`dvc repro` from scratch**", f"**{data['total_seconds']:.1f}**"],
            ["a second `dvc repro`, nothing changed", fixed(data["noop_repro_seconds"], 1)
             + (" (ran a stage)" if data["noop_ran_a_stage"] else " (ran no stage)")]]
    return (table(["tiny profile", "seconds"], rows)
            + f"\n{data['machine']['cpus']} CPUs, Python {data['machine']['python']}.\n")


def render_verdict_calibration(path: Path) -> str:
    data = read_json(path)
    rows = []
    for design, row in data["designs"].items():
        sizes = ", ".join(map(str, row["group_sizes"]))
        if row["anecdotal"]:
            rows.append([design, sizes, "anecdotal: no verdict", DASH, DASH])
            continue
        rows.append([design, sizes,
                     f"{row['null_family_wise_false_verdicts']:.3f} ± {row['null_family_wise_se']:.3f}",
                     f"{row['planted_detected']:.3f} ± {row['planted_detected_se']:.3f}",
                     f"{row['planted_false_among_others']:.3f}"])
    sweeps = sorted({row["simulated_sweeps"] for row in data["designs"].values() if "simulated_sweeps" in row})
    return (table(["design", "candidates per group", f"false verdicts, any of {data['n_metrics']} metrics (null)",
                   "planted metric found (power)", "another metric wrongly named"], rows)
            + f"\n{', '.join(map(str, sweeps))} simulated sweeps per design; the planted metric at tau "
              f"{data['metric_tau']} against a baseline at {data['baseline_tau']}, Holm over {data['n_metrics']} "
              f"metrics at {data['alpha']:.0%}, {data['bootstrap_resamples']} bootstrap resamples per group.\n")


def render_sweep_spec(params: Path) -> str:
    """The hyperparameter sweep's declaration in params.yaml, as a YAML example of a random search."""
    spec = (yaml.safe_load(params.read_text()) or {}).get("sweeps", {}).get("hyper")
    body = yaml.safe_dump({"hyper": spec}, sort_keys=False, default_flow_style=None, width=110)
    return "```yaml\n" + body + "```\n"


# --- leaderboards: the sweeps' (a DVC output) and the Lightning benchmark's (committed) ----------------------

DECISION_ORDER = ("checkpoint", "hyperparameter", "seed", "architecture")


def render_leaderboard_table(path: Path) -> str:
    """One row per metric: tau pooled over the decisions, then tau [95% CI] / regret per decision."""
    board = pd.read_csv(path)
    board = board[~board.decision.str.contains("(", regex=False)]  # the probe-judged decisions
    decisions = sorted(board.decision.unique(),
                       key=lambda d: (DECISION_ORDER.index(d) if d in DECISION_ORDER else len(DECISION_ORDER), d))
    rows = []
    for metric in dict.fromkeys(board.metric):
        part = board[board.metric == metric].set_index("decision")
        kind = part.kind.iloc[0]
        pooled = part.pooled_tau.dropna()
        cells = [f"**{metric}**" if kind in ("oracle", "baseline") else metric,
                 signed(pooled.iloc[0] if len(pooled) else math.nan)]
        for decision in decisions:
            if decision not in part.index or missing(part.at[decision, "kendall_tau"]):
                cells.append(DASH)
                continue
            r = part.loc[decision]
            cells.append(f"{signed(r.kendall_tau)} [{signed(r.tau_low)}, {signed(r.tau_high)}] / {fixed(r.regret)}")
        rows.append(cells)
    candidates = ", ".join(f"{d} {int(board[board.decision == d].n_runs.max())}" for d in decisions)
    return (table(["metric", "pooled tau", *(f"{d}: tau [95% CI] / regret" for d in decisions)], rows)
            + f"\nCandidates: {candidates}. Bold rows are the oracle and the baselines; {DASH}: not comparable there.\n")


def render_sweeps_verdict(path: Path) -> str:
    return read_json(path)["sentence"] + "\n"


def render_failure_detection(path: Path) -> str:
    records = read_json(path)["failure_detection"]
    rows = []
    for row in records:
        name = row["metric"] + ("" if row.get("comparable", True) else " (mixed definitions)")
        rows.append([name, row["kind"], f"{fixed(row['auroc'])} [{fixed(row['auroc_low'])}, {fixed(row['auroc_high'])}]",
                     f"{row['n_runs']} ({row['n_failed']})"])
    return table(["metric", "kind", "AUROC [95% CI]", "runs (failed)"], rows)


def render_configuration_share(path: Path) -> str:
    records = read_json(path)["configuration_share"]
    rows = [[row["sweep"], row["method"], str(row["pairs"]), fixed(row["seed_std"], 3), fixed(row["total_std"], 3),
             signed(row["configuration_share"], 3)] for row in records]
    return table(["sweep", "method", "re-seeded pairs", "seed std (points)", "total std (points)",
                  "configuration share"], rows)


def render_lightning_leaderboard(text: Path, board: Path) -> str:
    sentence = text.read_text().split("\n\n")[0].strip()
    return sentence + "\n\n" + render_leaderboard_table(board)


# --- the default run's analysis (DVC outputs: reports/) -----------------------------------------------------


def render_verbatim(path: Path) -> str:
    """A Markdown table the pipeline writes itself (sslnb's save_table), as it is."""
    return path.read_text().rstrip("\n") + "\n"


def render_protocols_answer(path: Path) -> str:
    return read_json(path)["sentence"] + "\n"


def render_findings(path: Path) -> str:
    data = read_json(path)
    verdicts = data["main_run"] if isinstance(data, dict) else data
    return "".join(f"- **Finding {v['finding']}** ({v['claim']}): **{v['verdict']}**. {v['evidence']}\n"
                   for v in verdicts)


# --- the registry -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    name: str
    sources: tuple[str, ...]  # relative to the project; every one must exist
    render: Callable[..., str]
    committed: bool  # tracked by git (always there) or a DVC output (there after make run / make sweeps)
    what: str


BLOCKS = (
    Block("default_run", ("reports/summary.json", "params.yaml"), render_default_run, True,
          "the default run's last checkpoint per method"),
    Block("throughput", ("benchmarks/results/throughput.json",), render_throughput, True, "training throughput"),
    Block("evaluation_cost", ("benchmarks/results/evaluation_cost.json",), render_evaluation_cost, True,
          "evaluation against training"),
    Block("metrics_cost", ("benchmarks/results/metrics.json",), render_metrics_cost, True, "the suite's cost"),
    Block("protocols_cost", ("benchmarks/results/protocols.json",), render_protocols_cost, True,
          "the protocols' cost"),
    Block("install_size", ("benchmarks/results/install_size.json",), render_install_size, True, "install sizes"),
    Block("tiny_pipeline", ("benchmarks/results/tiny_pipeline.json",), render_tiny_pipeline, True,
          "the tiny pipeline's time"),
    Block("verdict_calibration", ("benchmarks/results/verdict_calibration.json",), render_verdict_calibration, True,
          "the test of the test"),
    Block("lightning_leaderboard", ("benchmarks/results/lightning_leaderboard/leaderboard.txt",
                                    "benchmarks/results/lightning_leaderboard/leaderboard.csv"),
          render_lightning_leaderboard, True, "sslnb leaderboard on the Lightning example's runs"),
    Block("sweep_spec", ("params.yaml",), render_sweep_spec, True, "the hyperparameter sweep's declaration"),
    Block("sweeps_verdict", ("reports/sweeps/leaderboard.json",), render_sweeps_verdict, False,
          "the leaderboard's verdict"),
    Block("sweeps_leaderboard", ("reports/tables/leaderboard.csv",), render_leaderboard_table, False,
          "the sweeps' leaderboard"),
    Block("failure_detection", ("reports/sweeps/leaderboard.json",), render_failure_detection, False,
          "failure detection"),
    Block("configuration_share", ("reports/sweeps/leaderboard.json",), render_configuration_share, False,
          "the configuration's share of the probe's spread"),
    Block("correlation_spearman", ("reports/tables/correlation_spearman.md",), render_verbatim, False,
          "Spearman's rho of each metric with the probe"),
    Block("selection_regret", ("reports/tables/selection_regret.md",), render_verbatim, False,
          "checkpoint-selection regret"),
    Block("learning", ("reports/tables/learning.md",), render_verbatim, False,
          "every protocol at the first and last checkpoint"),
    Block("protocol_agreement", ("reports/tables/protocol_agreement.md",), render_verbatim, False,
          "agreement between the protocols"),
    Block("protocol_prediction", ("reports/tables/protocol_prediction.md",), render_verbatim, False,
          "predicting accuracy on the target sets"),
    Block("protocols_answer", ("reports/protocols.json",), render_protocols_answer, False,
          "the protocols notebook's answer"),
    Block("findings", ("reports/findings.json",), render_findings, False, "the study's findings in this run"),
)



@dataclass(frozen=True)
class Figure:
    """A figure that the README and the docs show: a DVC output, copied byte for byte into docs/assets/ (git
    tracks the copy, so GitHub and the site show it without a run); left as it is while the source is absent."""

    source: str  # relative to the project
    copy: str  # relative to this checkout


FIGURES = (Figure("figures/leaderboard.png", "docs/assets/leaderboard.png"),)

def header(block: Block) -> str:
    where = "committed" if block.committed else "a DVC output; this file is left as it is while the source is absent"
    return (f"<!-- generated by docs/generate.py from {', '.join(block.sources)} ({where}); "
            f"edit the generator, not this file -->\n\n")


def resolve(block: Block, project: Path, overrides: dict[str, Path]) -> list[Path] | None:
    paths = [overrides.get(source, project / source) for source in block.sources]
    return paths if all(path.exists() for path in paths) else None


def plan(project: Path, overrides: dict[str, Path], committed_only: bool) -> dict[Path, str | bytes]:
    """Every file that would be written: path -> its new text, or a figure's bytes (unchanged files included)."""
    rendered: dict[str, str] = {}
    for block in BLOCKS:
        if committed_only and not block.committed:
            continue
        paths = resolve(block, project, overrides)
        if paths is not None:
            rendered[block.name] = block.render(*paths)
    out = {GENERATED / f"{name}.md": header(next(b for b in BLOCKS if b.name == name)) + text
           for name, text in rendered.items()}
    readme = README.read_text()
    unknown = sorted({m["name"] for m in BLOCK.finditer(readme)} - {b.name for b in BLOCKS})
    if unknown:
        raise SystemExit(f"README.md: unknown generated block(s) {unknown}; known: {[b.name for b in BLOCKS]}")
    if not committed_only:
        for figure in FIGURES:
            source = overrides.get(figure.source, project / figure.source)
            if source.is_file():
                out[ROOT / figure.copy] = source.read_bytes()
    out[README] = BLOCK.sub(lambda m: m[1] + "\n" + rendered[m["name"]] + "\n" + m[4] if m["name"] in rendered else m[0], readme)
    return out


def match_override(path: Path) -> str:
    """The source that a --from file stands for: the one its path ends with, else the one of its name."""
    sources = sorted({s for b in BLOCKS for s in b.sources} | {f.source for f in FIGURES})
    text = path.as_posix()
    hits = [s for s in sources if text.endswith(s)] or [s for s in sources if Path(s).name == path.name]
    if len(hits) != 1:
        raise SystemExit(f"--from {path}: matches {hits or 'no source'}; sources: {sources}")
    return hits[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is out of date")
    parser.add_argument("--committed-only", action="store_true", help="only the sources git tracks")
    parser.add_argument("--project", type=Path, default=ROOT, help="where to read the sources (default: this one)")
    parser.add_argument("--from", dest="sources", type=Path, action="append", default=[], metavar="FILE",
                        help="read this file for the source it names (e.g. reports/sweeps/leaderboard.json)")
    args = parser.parse_args(argv)
    overrides = {match_override(path): path for path in args.sources}
    stale = []
    for path, content in plan(args.project.resolve(), overrides, args.committed_only).items():
        binary = isinstance(content, bytes)
        if path.exists() and (path.read_bytes() if binary else path.read_text()) == content:
            continue
        stale.append(path.relative_to(ROOT).as_posix())
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content) if binary else path.write_text(content)
    verb = "out of date" if args.check else "wrote"
    for name in stale:
        print(f"{verb}: {name}")
    if args.check and stale:
        print("run: python docs/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
