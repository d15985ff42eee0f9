"""Command line of sslnb: the heavy stages of the DVC pipeline, runnable on their own.

Each subcommand reads ``params.yaml`` (or ``--params``) and writes its artifacts under the project root
(the current folder unless ``--root`` is given). ``dvc repro`` calls them in order; you rarely need to.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from sslnb.errors import UsageError, check_writable, one_line, read_yaml

EXAMPLES = """\
stages, in pipeline order (dvc repro runs them for you):
  python -m sslnb prepare                  write data/processed/dataset.npz from Fashion-MNIST
  python -m sslnb train --method simclr    train, writing data/checkpoints/simclr/epoch_XXXX.pt
  python -m sslnb embed --method simclr    embed eval + probe sets: data/embeddings/simclr/epoch_XXXX.npz
  python -m sslnb finetune --method simclr fine-tuning accuracy per checkpoint: data/finetune/simclr.csv
  python -m sslnb evaluate --method simclr metrics table data/metrics/simclr.csv
  python -m sslnb tsne --method simclr     t-SNE maps at the first, middle and last milestone: data/tsne/simclr.npz
  python -m sslnb summarize                reports/summary.json (dvc metrics) and reports/plots/ (dvc plots)
  python -m sslnb notebook notebooks/progression.ipynb reports/notebooks/progression_simclr.ipynb -p method simclr
  python -m sslnb report                   reports/index.html: links every rendered notebook, embeds the figures

any encoder: a torchvision or timm model by name, a state-dict file or TorchScript (`sslnb evaluate-model --help`):
  python -m sslnb evaluate-model --torchvision resnet18 --weights DEFAULT --out resnet18.csv
  python -m sslnb evaluate-model --timm resnet18 --random-weights --image-size 32

inside your own training code: sslnb.monitor.LabelFreeMonitor in any loop; Lightning, Hugging Face, TensorBoard
and MLflow callbacks in sslnb.integrations; every metric alone in sslnb.metrics

which metric to trust, judged on your own runs (a table with a group, metric and probe column):
  python -m sslnb leaderboard runs.csv --group sweep --probe linear_probe_acc --loss train_loss

sweeps (params.yaml's 'sweeps': seeds, hyper, failures, long; `make sweeps` runs them all):
  python -m sslnb sweep-plan                      write sweeps/NAME/dvc.yaml from params.yaml
  python -m sslnb sweep-run --sweep seeds --point simclr_seed1
                                                  data/sweeps/seeds/simclr_seed1/: its params.yaml, then train,
                                                  embed, finetune and evaluate there, in one process
  python -m sslnb sweep-collect --sweep seeds     data/sweeps/seeds.csv: every run's metrics and training loss

bring your own embeddings or checkpoints (the same tidy table, see `sslnb evaluate --help`):
  python -m sslnb evaluate runs/emb/epoch_*.npy --k 10 --out my_metrics.csv
  python -m sslnb evaluate data/checkpoints/simclr --out simclr_again.csv

Fashion-MNIST is looked for in data.path (params.yaml), then in Debian's dataset-fashion-mnist package
(/usr/share/datasets/fashion-mnist), then downloaded by torchvision if data.download is true.
"""


EVALUATE_FORMATS = """\
input formats (one file per checkpoint; the epoch is the last number in the file name, or --epoch N for
one file whose name has none; every file of a run must have the same width):
  .npy       one (n_samples, n_features) array, reported as layer 'embedding'
  .npz       every 2-D array is a layer named by its key; sslnb's own files (eval_<layer>, probe_<layer>,
             views_<layer>) are read as the pipeline reads them, view-based metrics included
  .parquet   one row per sample, every numeric column a feature (--label-column takes one out as labels)
  FOLDER     sslnb checkpoints epoch_*.pt: each encoder is rebuilt from its own config and embeds the
             project's prepared data set (run `sslnb prepare` first)

Labels are optional. Without them only label-free metrics are computed (give --k). With them, the table
also holds AMI(C1; classes), and a linear probe and kNN fitted on --probe-fraction of the rows.

examples:
  sslnb evaluate runs/emb/epoch_*.npy --k 10 --out my_metrics.csv
  sslnb evaluate emb/step*.parquet --label-column label --name mymodel
  sslnb evaluate data/checkpoints/simclr --out simclr_again.csv
  sslnb evaluate --method simclr                (the pipeline stage)
"""


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sslnb",
        description="Label-free monitoring of self-supervised learning: train SSL encoders, embed every "
        "checkpoint, and score the embeddings with label-free metrics (and label-based references).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from sslnb import __version__

    parser.add_argument("--version", action="version", version=f"sslnb {__version__}")
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
    commands.add_parser("embed", parents=[with_method],
                        help="embed the evaluation, probe, shifted and out-of-domain sets per checkpoint")
    commands.add_parser(
        "finetune", parents=[with_method], help="fine-tuning accuracy of every checkpoint (data/finetune/M.csv)",
        description="Fine-tune a copy of each checkpoint's backbone with a linear head on the probe subset "
        "(protocols.finetune_* in params.yaml: epochs, batch size, rate, the backbone's and the head's rate "
        "scales), then score it on the evaluation set and on every shifted and out-of-domain set. Writes "
        "data/finetune/M.csv (epoch, domain, finetune_acc, seconds); an empty table when protocols.finetune is "
        "false or the data set has no labels.")
    evaluate = commands.add_parser(
        "evaluate", parents=[common], help="metrics table of one method, or of your own embeddings/checkpoints",
        description="Compute the tidy metrics table (one row per checkpoint x layer).\n\n"
        "Pipeline stage: --method M scores data/embeddings/M/ and writes data/metrics/M.csv.\n"
        "Bring your own: give embedding files, one per checkpoint, or a folder of sslnb checkpoints.",
        epilog=EVALUATE_FORMATS, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("inputs", nargs="*", type=Path, metavar="INPUT",
                          help="embedding files (.npy, .npz, .parquet), or one folder of epoch_*.pt checkpoints")
    evaluate.add_argument("--method", help="pipeline mode: the SSL method whose embeddings to score")
    evaluate.add_argument("--out", type=Path, default=Path("sslnb_metrics.csv"),
                          help="where to write the table (bring-your-own mode; default: sslnb_metrics.csv)")
    evaluate.add_argument("--name", help="value of the table's 'method' column (default: the inputs' folder)")
    evaluate.add_argument("--epoch", type=int,
                          help="the epoch of a single input file whose name holds no epoch number (e.g. final.npy)")
    evaluate.add_argument("--k", type=int, help="k-means clusters (default: metrics.k, else the number of classes)")
    evaluate.add_argument("--labels", type=Path,
                          help="labels of the rows, same order: .npy (1-D) or a text file with one per line")
    evaluate.add_argument("--label-column", help="parquet inputs: the column that holds the labels")
    evaluate.add_argument("--probe-fraction", type=float, default=0.5,
                          help="with labels and no probe set: share of rows that fits the probes (default 0.5)")
    model = commands.add_parser(
        "evaluate-model", parents=[common],
        help="metrics table of any encoder (torchvision, timm, state dict, TorchScript)",
        description="Embed the project's prepared data set (data/processed/dataset.npz, from `sslnb prepare`) with "
        "an encoder from outside the pipeline and write its metrics table (one row: epoch 0, layer backbone).\n\n"
        "Weights: --weights NAME downloads through torchvision (needs the internet or a $TORCH_HOME cache); "
        "--weights-file PATH loads a state dict saved locally; --random-weights keeps the random initialisation. "
        "Images are resized and normalised as the weights require (override the size with --image-size); "
        "timm models use timm's data config for the model (input size, crop fraction, mean, std).",
        epilog="examples:\n"
        "  sslnb evaluate-model --torchvision resnet18 --weights DEFAULT --out resnet18.csv\n"
        "  sslnb evaluate-model --torchvision resnet18 --weights-file resnet18.pth --name resnet18-local\n"
        "  sslnb evaluate-model --torchvision vit_b_16 --random-weights --image-size 64\n"
        "  sslnb evaluate-model --timm resnet18 --random-weights --image-size 32\n"
        "  sslnb evaluate-model --timm convnext_atto --weights-file convnext_atto.pth\n"
        "  sslnb evaluate-model --torchscript encoder.pt --image-size 32",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = model.add_mutually_exclusive_group(required=True)
    source.add_argument("--torchvision", metavar="NAME", help="a torchvision model name, e.g. resnet18, vit_b_16")
    source.add_argument("--timm", metavar="NAME", help="a timm model name, e.g. resnet18 (pip install 'sslnb[timm]')")
    source.add_argument("--torchscript", type=Path, metavar="FILE", help="a TorchScript encoder (output = embedding)")
    weights = model.add_mutually_exclusive_group()
    weights.add_argument("--weights", metavar="NAME",
                         help="pretrained weights: a torchvision weights name (DEFAULT, IMAGENET1K_V1, ...) or, with "
                         "--timm, DEFAULT (timm's pretrained tag, from the Hugging Face cache or downloaded)")
    weights.add_argument("--weights-file", type=Path, metavar="FILE", help="a state dict saved with torch.save")
    weights.add_argument("--random-weights", action="store_true", help="keep the random initialisation")
    model.add_argument("--image-size", type=int, help="resize and crop to this size instead of the weights' own")
    model.add_argument("--name", help="value of the table's 'method' column (default: the model's name)")
    model.add_argument("--out", type=Path, help="where to write the table (default: <name>.csv)")
    model.add_argument("--batch-size", type=int, default=128)
    commands.add_parser(
        "sweep-plan", parents=[common], help="write sweeps/NAME/dvc.yaml for every sweep in params.yaml",
        description="Expand every sweep under 'sweeps' in params.yaml into its grid points, check each point's "
        "params, and write the sweep's DVC pipeline sweeps/NAME/dvc.yaml (one sweep-run stage per point: "
        "configure, train, embed, finetune, evaluate; then collect). Points whose run is the main run reuse it. `make sweeps` runs this first.")
    one_point = argparse.ArgumentParser(add_help=False, parents=[common])  # the commands that take one point
    one_point.add_argument("--sweep", required=True, help="a key of 'sweeps' in params.yaml")
    one_point.add_argument("--point", required=True, help="a point of that sweep (see sweeps/SWEEP/dvc.yaml)")
    commands.add_parser(
        "sweep-configure", parents=[one_point], help="write one grid point's sub-project of a sweep",
        description="Write data/sweeps/SWEEP/POINT/params.yaml (the main params with the point's values and its "
        "one method) and link the prepared data set there, so that every stage runs on it with "
        "--root data/sweeps/SWEEP/POINT (sweeps/SWEEP/dvc.yaml does).")
    commands.add_parser(
        "sweep-run", parents=[one_point], help="run one point of a sweep: configure, train, embed, finetune, evaluate",
        description="Configure data/sweeps/SWEEP/POINT (as sweep-configure does), then run the train, embed, "
        "finetune and evaluate stages on it in one process: the one stage per point of sweeps/SWEEP/dvc.yaml.")
    points = commands.add_parser(
        "sweep-points", parents=[common], help="run the sweeps' out-of-date points side by side (make sweeps)",
        description="Ask DVC which sweep points are out of date, run them (sslnb sweep-run) JOBS at a time and "
        "record each with dvc commit, as dvc repro would; then `dvc repro sweeps/dvc.yaml` collects and analyses. "
        "Points on the cheap path train on one thread, so --jobs 2 uses both cores of a 2-core machine.")
    points.add_argument("--jobs", type=int, default=2, help="points run side by side (default 2)")
    collect = commands.add_parser(
        "sweep-collect", parents=[common], help="data/sweeps/SWEEP.csv: every point's metrics and training loss")
    collect.add_argument("--sweep", required=True, help="a key of 'sweeps' in params.yaml")
    commands.add_parser("tsne", parents=[with_method],
                        help="openTSNE maps of the evaluation set at the first, middle and last milestone")
    commands.add_parser("summarize", parents=[common],
                        help="reports/summary.json and reports/plots/ from every metrics table")
    commands.add_parser("report", parents=[common],
                        help="reports/index.html from the rendered notebooks, figures and tables")
    board = commands.add_parser(
        "leaderboard", parents=[common], help="which label-free metric to trust, judged on your own runs table",
        description="Judge label-free metrics on your own runs, as sslnb judges its sweeps: one row per run or "
        "checkpoint, a group column (the candidates of one choice), metric columns (sslnb's names, with or "
        "without the label_free/ prefix its monitors log), a probe column, optionally a training-loss column. "
        "Prints the verdict (a paired test of Kendall's tau against each baseline, Holm-corrected across "
        "metrics at 5%; groups under 10 candidates are anecdotal) and writes the leaderboard.",
        epilog="example:\n  sslnb leaderboard runs.csv --group sweep --probe linear_probe_acc --loss train_loss "
        "--order epoch --out leaderboard.csv", formatter_class=argparse.RawDescriptionHelpFormatter)
    board.add_argument("runs", type=Path, metavar="RUNS", help="the runs table (.csv or .parquet)")
    board.add_argument("--group", default="group", help="column of the choice each row is a candidate of (default: group)")
    board.add_argument("--probe", default="linear_probe_acc", help="column of the labelled score (default: linear_probe_acc)")
    board.add_argument("--loss", help="column of the training loss, the baseline to beat (lower is better)")
    board.add_argument("--order", help="epoch or step column: adds the last_checkpoint baseline")
    board.add_argument("--decision", default=None,
                       help="what the choice decides, in the output (default: checkpoint with --order, else run)")
    board.add_argument("--direction", action="append", metavar="NAME=higher|lower",
                       help="the direction of a metric sslnb does not know (repeatable)")
    board.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples of the candidates (default 1000)")
    board.add_argument("--power-simulations", type=int, default=200,
                       help="simulated sweeps behind each decision's power (default 200)")
    board.add_argument("--out", type=Path, default=Path("leaderboard.csv"), help="where to write the leaderboard")
    notebook = commands.add_parser(
        "notebook", parents=[common], help="execute a parameterised notebook with papermill (atomic output)")
    notebook.add_argument("notebook", type=Path, help="the notebook to run, e.g. notebooks/progression.ipynb")
    notebook.add_argument("output", type=Path, help="where to write the executed copy")
    notebook.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                          help="set a variable of the notebook's parameters cell (value parsed as YAML)")
    return parser


def _cmd_prepare(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.sources import prepare

    return prepare(params, paths)


def _cmd_train(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.training.trainer import train

    return train(params, args.method, paths, resume=not args.no_resume)


def _cmd_embed(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.stages.embed import embed

    return embed(params, args.method, paths)


def _cmd_finetune(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.stages.finetune import finetune

    return finetune(params, args.method, paths)


def _cmd_evaluate_stage(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.stages.evaluate import evaluate

    return evaluate(params, args.method, paths)


def _cmd_evaluate(args: argparse.Namespace, params, paths) -> Path:
    """Bring your own embeddings or checkpoints (the pipeline stage, --method, is _cmd_evaluate_stage)."""
    if not args.inputs:
        raise UsageError("nothing to evaluate: give embedding files or a checkpoint folder, or --method M "
                         "(see sslnb evaluate --help)")
    check_writable(args.out, "--out", suffix=".csv")  # before any work, not after it
    from sslnb.stages.own_embeddings import evaluate_checkpoint_folder, evaluate_files, read_labels, summary_lines
    from sslnb.io import save_csv

    k = args.k if args.k is not None else params.metrics.k
    folders = [path for path in args.inputs if path.is_dir()]
    if folders:
        if len(args.inputs) > 1:
            raise UsageError("give one checkpoint folder at a time")
        if args.epoch is not None:
            raise UsageError("--epoch names the epoch of one embedding file; a checkpoint records its own")
        table = evaluate_checkpoint_folder(folders[0], paths, params.metrics, k, args.name, params.protocols)
    else:
        labels = read_labels(args.labels) if args.labels else None
        name = args.name or args.inputs[0].resolve().parent.name
        table = evaluate_files(list(args.inputs), name, params.metrics, k, labels, args.label_column,
                               args.probe_fraction, epoch=args.epoch)
    save_csv(table, args.out)
    print("\n".join(summary_lines(table)))
    return args.out


def _cmd_evaluate_model(args: argparse.Namespace, params, paths) -> Path:
    if args.torchscript and args.image_size is None:
        raise UsageError("--torchscript needs --image-size: the size the encoder expects")
    name = args.name or (args.torchscript.stem if args.torchscript else args.timm or args.torchvision)
    out = args.out or Path(f"{name}.csv")
    check_writable(out, "--out", suffix=".csv")
    from sslnb.sources import load_dataset
    from sslnb.io import save_csv
    from sslnb.stages.pretrained_encoders import evaluate_encoder, timm_encoder, torchscript_encoder, torchvision_encoder

    data = load_dataset(paths.dataset)  # a missing data set is named before any weights are loaded
    if args.torchscript:
        encoder, preprocessing = torchscript_encoder(args.torchscript, args.image_size)
    else:
        build = timm_encoder if args.timm else torchvision_encoder
        encoder, preprocessing = build(args.timm or args.torchvision, args.weights, args.weights_file,
                                       args.random_weights)
        preprocessing = preprocessing.with_size(args.image_size)
    if params.train.threads > 0:
        import torch

        torch.set_num_threads(params.train.threads)
    try:
        table = evaluate_encoder(encoder, preprocessing, data, params, name, args.batch_size)
    except ValueError as error:
        raise ValueError(f"{args.torchscript or args.timm or args.torchvision}: {error}") from error
    save_csv(table, out)
    return out


def _cmd_sweep_plan(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.sweeps.pipelines import plan

    written = plan(read_yaml(args.params or paths.params), paths)
    return paths.root / "sweeps" if written else paths.root / "sweeps (no sweep declared)"


def _cmd_sweep_configure(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.sweeps.project import configure

    return configure(read_yaml(args.params or paths.params), args.sweep, args.point, paths)


def _cmd_sweep_run(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.sweeps.run_point import run_point

    return run_point(read_yaml(args.params or paths.params), args.sweep, args.point, paths)


def _cmd_sweep_points(args: argparse.Namespace, params, paths) -> Path:
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1")
    from sslnb.sweeps.points import run_stale_points

    return run_stale_points(paths, args.jobs)


def _cmd_sweep_collect(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.sweeps.collect import collect

    return collect(read_yaml(args.params or paths.params), args.sweep, paths)


def _cmd_tsne(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.stages.tsne import tsne

    params.method(args.method)  # an unknown method is a clear error before any work
    return tsne(params, args.method, paths)


def _cmd_summarize(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.stages.summarize import summarize

    return summarize(paths)


def _cmd_report(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.stages.report import build_index

    return build_index(paths, params)


def _cmd_leaderboard(args: argparse.Namespace, params, paths) -> Path:
    check_writable(args.out, "--out", suffix=".csv")
    from sslnb.io import save_csv
    from sslnb.analysis.own_runs import candidate_groups, judge, parse_directions, read_runs_table, summary_lines

    if args.n_boot < 100:
        raise UsageError(f"--n-boot {args.n_boot}: give at least 100 resamples (1000 is the default)")
    groups = candidate_groups(read_runs_table(args.runs), args.group, args.probe, args.loss, args.order,
                              parse_directions(args.direction))
    decision = args.decision or ("checkpoint" if args.order else "run")
    board, result = judge(groups, decision, n_boot=args.n_boot, power_simulations=args.power_simulations)
    print("\n".join(summary_lines(board, result)))
    save_csv(board, args.out)
    return args.out


def _cmd_notebook(args: argparse.Namespace, params, paths) -> Path:
    from sslnb.stages.execute import check_method_parameter, execute, parse_parameters

    parameters = parse_parameters(args.parameter)
    check_method_parameter(parameters, args.params or paths.params)
    return execute(args.notebook, args.output, parameters, cwd=paths.root, verbose=args.verbose)


# One handler per command. The stage-dependency test (tests/stage_deps.py) follows the imports of each
# handler to the modules a DVC stage runs, so a stage's deps cannot lag behind its code.
HANDLERS: dict[str, Callable[[argparse.Namespace, Any, Any], Path]] = {
    "prepare": _cmd_prepare,
    "train": _cmd_train,
    "embed": _cmd_embed,
    "finetune": _cmd_finetune,
    "evaluate": _cmd_evaluate,
    "evaluate-model": _cmd_evaluate_model,
    "sweep-plan": _cmd_sweep_plan,
    "sweep-configure": _cmd_sweep_configure,
    "sweep-run": _cmd_sweep_run,
    "sweep-points": _cmd_sweep_points,
    "sweep-collect": _cmd_sweep_collect,
    "tsne": _cmd_tsne,
    "summarize": _cmd_summarize,
    "report": _cmd_report,
    "leaderboard": _cmd_leaderboard,
    "notebook": _cmd_notebook,
}
NEEDS_NO_PARAMS = ("notebook", "leaderboard")


def handler_for(args: argparse.Namespace) -> Callable[[argparse.Namespace, Any, Any], Path]:
    """The function that runs the parsed command line (``evaluate --method M`` is the pipeline stage)."""
    if args.command == "evaluate" and args.method and args.inputs:
        raise UsageError("give either --method (pipeline stage) or INPUT files/folder, not both")
    if args.command == "evaluate" and args.method:
        return _cmd_evaluate_stage
    return HANDLERS[args.command]


def _load_params(args: argparse.Namespace, paths):
    from sslnb.config import Params, load_params

    if args.command in NEEDS_NO_PARAMS:
        return None
    params_file = args.params or paths.params
    if args.command == "evaluate" and not args.method and args.params is None and not params_file.is_file():
        return Params()  # your own embeddings outside an sslnb project: default metric settings
    return load_params(params_file)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    logging.captureWarnings(True)  # warnings (collapse, duplicates) print once, through the log
    # Imported here so that --help answers instantly, without importing torch.
    from sslnb.paths import ProjectPaths

    try:
        handler = handler_for(args)
        paths = ProjectPaths(args.root.resolve())
        out = handler(args, _load_params(args, paths), paths)
    except KeyboardInterrupt:
        print(f"sslnb {args.command}: interrupted; no half-written artifact was left", file=sys.stderr)
        return 130
    except Exception as error:  # every failure: one line naming the file or key and the fix (-v: traceback)
        if args.verbose:
            traceback.print_exc()
        print(f"sslnb {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 2
    print(f"sslnb {args.command}: wrote {out}")
    return 0
