"""Command line of sslnb: the heavy stages of the DVC pipeline, runnable on their own.

Each subcommand reads ``params.yaml`` (or ``--params``) and writes its artifacts under the project root
(the current folder unless ``--root`` is given). ``dvc repro`` calls them in order; you rarely need to.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

EXAMPLES = """\
stages, in pipeline order (dvc repro runs them for you):
  python -m sslnb prepare                  write data/processed/dataset.npz from Fashion-MNIST
  python -m sslnb train --method simclr    train, writing data/checkpoints/simclr/epoch_XXXX.pt
  python -m sslnb embed --method simclr    embed eval + probe sets: data/embeddings/simclr/epoch_XXXX.npz
  python -m sslnb evaluate --method simclr metrics table data/metrics/simclr.csv (+ _final.json)
  python -m sslnb notebook notebooks/progression.ipynb reports/notebooks/progression_simclr.ipynb -p method simclr

Fashion-MNIST is looked for in data.path (params.yaml), then in Debian's dataset-fashion-mnist package
(/usr/share/datasets/fashion-mnist), then downloaded by torchvision if data.download is true.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sslnb",
        description="Label-free monitoring of self-supervised learning: train SSL encoders, embed every "
        "checkpoint, and score the embeddings with label-free metrics (and label-based references).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--params", type=Path, default=None,
                        help="settings file (default: ROOT/params.yaml)")
    common.add_argument("--root", type=Path, default=Path("."),
                        help="project root where data/ lives (default: current folder)")
    common.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    with_method = argparse.ArgumentParser(add_help=False, parents=[common])
    with_method.add_argument("--method", required=True, help="SSL method, a key of 'methods' in params.yaml")

    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("prepare", parents=[common], help="copy the train/test subsets to data/processed")
    train = commands.add_parser("train", parents=[with_method], help="train one SSL method, writing checkpoints")
    train.add_argument("--no-resume", action="store_true",
                       help="start from scratch even if checkpoints of the same config exist")
    commands.add_parser("embed", parents=[with_method], help="embed the evaluation and probe sets per checkpoint")
    commands.add_parser("evaluate", parents=[with_method], help="compute the metrics table of one method")
    notebook = commands.add_parser(
        "notebook", parents=[common], help="execute a parameterised notebook with papermill (atomic output)")
    notebook.add_argument("notebook", type=Path, help="the notebook to run, e.g. notebooks/progression.ipynb")
    notebook.add_argument("output", type=Path, help="where to write the executed copy")
    notebook.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                          help="set a variable of the notebook's parameters cell (value parsed as YAML)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    # Imported here so that --help answers instantly, without importing torch.
    from sslnb.config import load_params
    from sslnb.paths import ProjectPaths

    paths = ProjectPaths(args.root.resolve())
    try:
        if args.command == "notebook":
            from sslnb.notebooks import execute, parse_parameters

            out = execute(args.notebook, args.output, parse_parameters(args.parameter), cwd=paths.root)
            print(f"sslnb notebook: wrote {out}")
            return 0
        params = load_params(args.params or paths.params)
        if args.command == "prepare":
            from sslnb.data import prepare

            out = prepare(params, paths)
        elif args.command == "train":
            from sslnb.train import train

            out = train(params, args.method, paths, resume=not args.no_resume)
        elif args.command == "embed":
            from sslnb.embed import embed

            out = embed(params, args.method, paths)
        else:
            from sslnb.evaluate import evaluate

            out = evaluate(params, args.method, paths)
    except (ValueError, FileNotFoundError, FloatingPointError) as error:
        print(f"sslnb {args.command}: error: {error}", file=sys.stderr)
        return 2
    print(f"sslnb {args.command}: wrote {out}")
    return 0
