"""Bring your own: the pipeline's metrics table for embeddings or checkpoints made outside the pipeline.

``sslnb evaluate FILE...`` scores embedding files, one per checkpoint:

- ``.npy``: one (N, D) array, reported as layer ``embedding``;
- ``.npz``: every 2-D array is a layer named by its key; an sslnb embedding file (``eval_<layer>``,
  ``probe_<layer>``, ``views_<layer>``) is read as the pipeline reads it;
- ``.parquet``: one row per sample, every numeric column a feature (``--label-column`` names a column
  of labels instead).

The epoch of a file is the last number in its name (``epoch_0010.npy``, ``ckpt-20.npz``, ``step500``); a
name without one is refused (``--epoch N`` names it for a single file), and so are files of different
embedding widths, which cannot be one run's checkpoints. ``sslnb evaluate FOLDER`` with a folder of sslnb checkpoints
(``epoch_*.pt``) rebuilds each encoder from the checkpoint's own config and embeds the project's prepared
data set, exactly as the pipeline's embed stage does.

With labels (``--labels`` file, or ``--label-column``), the label-based references are computed too:
AMI(C1; classes) on every row, and the linear probe and kNN fitted on a seeded ``--probe-fraction`` of
the rows and scored on the rest.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sslnb.columns import DIAGNOSTIC, FEWSHOT_STD, LABEL_BASED, LABEL_FREE
from sslnb.config import Params, ProtocolsConfig, params_from_dict
from sslnb.metrics.options import MetricOptions
from sslnb.stages.embed import augmented_views, embed_arrays
from sslnb.errors import UsageError
from sslnb.stages.evaluate import layer_rows, layers_of, probe_metrics
from sslnb.io import load_arrays, load_checkpoint
from sslnb.paths import ProjectPaths, epoch_files

FORMATS = (".npy", ".npz", ".parquet")
FIX = "save it again (np.save, np.savez or DataFrame.to_parquet)"


def epoch_of(path: Path) -> int:
    """The last integer in the file name's stem (``epoch_0010.npy``, ``ckpt-20.npz``, ``step500``)."""
    numbers = re.findall(r"\d+", path.name.split(".")[0])
    if not numbers:
        # epoch 0 would read as the random initialisation, and a position is no epoch: refuse to guess
        raise UsageError(f"{path}: the file name holds no epoch number; rename it (e.g. epoch_0010{path.suffix}) "
                         "or, for a single file, give its epoch with --epoch N")
    return int(numbers[-1])


def read_embedding_file(path: Path, label_column: str | None = None) -> tuple[dict[str, dict[str, np.ndarray]],
                                                                             np.ndarray | None]:
    """``({layer: {"eval": Z, optional "probe", "views"}}, labels or None)`` of one file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return {"embedding": {"eval": _two_d(load_arrays(path, FIX)[""], path)}}, None
    if suffix == ".npz":
        arrays = load_arrays(path, FIX)
        if any(key.startswith("eval_") for key in arrays):  # sslnb's own embedding files
            return layers_of(arrays), None
        layers = {key: {"eval": value} for key, value in arrays.items() if value.ndim == 2}
        if not layers:
            raise ValueError(f"{path} holds no 2-D array; each layer must be an (n_samples, n_features) array")
        return layers, None
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except ImportError as error:  # the light install has no Parquet engine
            raise ValueError(f"{path}: reading .parquet needs pyarrow, which the light install leaves out: "
                             "pip install pyarrow (or 'sslnb[pipeline]'), or save the embeddings with np.save") from error
        except Exception as error:  # pyarrow raises its own error types for damaged files
            raise ValueError(f"{path} is truncated, corrupt or not a Parquet file ({type(error).__name__}); "
                             f"{FIX}") from error
        labels = None
        if label_column is not None:
            if label_column not in frame:
                raise ValueError(f"{path} has no column {label_column!r}; its columns are {list(frame.columns)[:10]}")
            labels = frame.pop(label_column).to_numpy()
        numeric = frame.select_dtypes("number")
        if numeric.shape[1] == 0:
            raise ValueError(f"{path} has no numeric feature columns")
        return {"embedding": {"eval": numeric.to_numpy(dtype=np.float32)}}, labels
    raise ValueError(f"{path}: unsupported format {suffix!r}; use one of {', '.join(FORMATS)}")


def _two_d(array: np.ndarray, path: Path) -> np.ndarray:
    if array.ndim != 2:
        raise ValueError(f"{path} holds an array of shape {array.shape}; embeddings must be 2-D "
                         "(n_samples, n_features): save one row per sample")
    return array


def read_labels(path: Path) -> np.ndarray:
    """Labels from ``.npy`` (1-D) or a text/CSV file with one label per line (no header)."""
    if path.suffix == ".npy":
        labels = load_arrays(path, "save the labels with np.save(PATH, labels)")[""]
        if labels.ndim != 1:
            raise ValueError(f"--labels {path} holds an array of shape {labels.shape}; give one label per row (1-D)")
        return labels
    if not path.is_file():
        raise FileNotFoundError(f"--labels {path} does not exist")
    try:
        return pd.read_csv(path, header=None).iloc[:, 0].to_numpy()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"--labels {path} is not a text file with one label per line ({error})") from error


def _probe_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if not 0 < fraction < 1:
        raise ValueError(f"--probe-fraction must be between 0 and 1, got {fraction}")
    order = np.random.default_rng(seed).permutation(n)
    cut = int(round(n * fraction))
    return np.sort(order[:cut]), np.sort(order[cut:])


def _file_rows(layers: dict[str, dict[str, np.ndarray]], labels: np.ndarray | None, cfg: MetricOptions,
               k: int, probe_fraction: float) -> list[dict]:
    first = next(iter(layers.values()))["eval"]
    if labels is not None and len(labels) != len(first):
        raise ValueError(f"the labels have {len(labels)} entries but the embeddings have {len(first)} rows")
    if labels is None or any("probe" in parts for parts in layers.values()):
        return layer_rows(layers, labels, labels, cfg.with_clusters(k))
    # no separate probe set: AMI(C1; classes) on every row; the probes fit on a seeded part of the rows
    # and are scored on the rest
    rows = layer_rows(layers, labels, None, cfg.with_clusters(k))
    fit, held_out = _probe_split(len(first), probe_fraction, cfg.seed)
    for row, parts in zip(rows, layers.values()):
        Z = parts["eval"]
        row |= probe_metrics(Z[fit], labels[fit], Z[held_out], labels[held_out], cfg, knn_k=min(cfg.knn_k, len(fit)))
    return rows


def _check_widths(widths: dict[str, tuple[int, Path]], layers: dict[str, dict[str, np.ndarray]], path: Path) -> None:
    """Every file of one run gives each layer the same embedding width; the first file sets it."""
    for layer, parts in layers.items():
        dim = parts["eval"].shape[1]
        first_dim, first_path = widths.setdefault(layer, (dim, path))
        if dim != first_dim:
            raise UsageError(f"{path} has {dim}-dimensional embeddings (layer {layer!r}) but {first_path} has "
                             f"{first_dim}: the checkpoints of one run share one width, so these look like two "
                             "runs; score each in its own call, with --name")


def evaluate_files(files: list[Path], method: str, cfg: MetricOptions, k: int | None,
                   labels: np.ndarray | None = None, label_column: str | None = None,
                   probe_fraction: float = 0.5, epoch: int | None = None) -> pd.DataFrame:
    """The tidy metrics table of embedding files, one per checkpoint, ordered by epoch.

    The epoch of each file is the last number in its name; ``epoch`` gives it for a single file whose name
    has none. Files whose embedding widths differ are refused (two runs, not one).
    """
    if not files:
        raise ValueError("no embedding files given")
    for path in files:  # a typo or a format is named as such, before the names' epochs are read
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
        if path.suffix.lower() not in FORMATS:
            raise ValueError(f"{path}: unsupported format {path.suffix!r}; use one of {', '.join(FORMATS)}")
    if epoch is not None and len(files) > 1:
        raise UsageError(f"--epoch names the epoch of a single file, but {len(files)} were given; put each "
                         "file's epoch in its name instead (epoch_0010.npy, ...)")
    dated = sorted((epoch if epoch is not None else epoch_of(path), path) for path in files)
    for (first_epoch, first), (second_epoch, second) in zip(dated, dated[1:]):
        if first_epoch == second_epoch:
            raise ValueError(f"{first} and {second} are both epoch {first_epoch} of {method!r}; score one run "
                             "per call (separate calls with --name for each run), or rename the files")
    rows, widths = [], {}
    for epoch, path in tqdm(dated, desc=f"metrics {method}", unit="file"):
        layers, file_labels = read_embedding_file(path, label_column)
        _check_widths(widths, layers, path)
        file_labels = labels if labels is not None else file_labels
        clusters = k if k is not None else (len(np.unique(file_labels)) if file_labels is not None else None)
        if clusters is None:
            raise ValueError("without labels, say how many k-means clusters to use: --k K")
        try:
            file_rows = _file_rows(layers, file_labels, cfg, clusters, probe_fraction)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error
        rows += [{"method": method, "epoch": epoch, **row} for row in file_rows]
    return tidy_table(rows)


def tidy_table(rows: list[dict]) -> pd.DataFrame:
    """The pipeline's column order; ``dataset`` only where known (sslnb checkpoints record it)."""
    known = ["dataset"] if rows and "dataset" in rows[0] else []
    columns = ["method", *known, "epoch", "layer", "n_samples", "dim", *LABEL_FREE, *LABEL_BASED, *FEWSHOT_STD,
               *DIAGNOSTIC]
    return pd.DataFrame(rows).reindex(columns=columns)


def params_of_checkpoint(state: dict, metrics: MetricOptions) -> tuple[str, Params]:
    """The method and the params a checkpoint was trained with (its own record), with today's metrics."""
    config = state.get("config")
    if not config or "method" not in config:
        raise ValueError("this checkpoint records no training config; sslnb evaluate reads sslnb's own checkpoints")
    raw = {"seed": config["seed"], "methods": {config["method"]: config["method_options"]},
           "data": config["data"], "model": config["model"], "augment": config["augment"],
           "train": config["train"], "metrics": vars(metrics)}
    return config["method"], params_from_dict(raw)


def evaluate_checkpoint_folder(folder: Path, paths: ProjectPaths, cfg: MetricOptions, k: int | None,
                               name: str | None = None, protocols: ProtocolsConfig | None = None) -> pd.DataFrame:
    """Embed the project's prepared data set with every ``epoch_*.pt`` in ``folder``; their metrics table.

    With ``protocols``, the frozen-feature protocols too (few-shot, BatchNorm probe, NMI); ``finetune_acc``
    stays empty: fine-tuning is the finetune stage's work.
    """
    from sslnb.sources import load_dataset
    from sslnb.training.methods import build_method

    files = epoch_files(folder, ".pt")
    if not files:
        embeddings = sorted(path for path in folder.iterdir() if path.suffix.lower() in FORMATS)
        hint = (f"; it holds {len(embeddings)} embedding file(s) ({', '.join(p.name for p in embeddings[:3])}"
                f"{', ...' if len(embeddings) > 3 else ''}): pass the files themselves, e.g. sslnb evaluate "
                f"{folder}/*{embeddings[0].suffix}" if embeddings else "")
        raise FileNotFoundError(f"no sslnb checkpoints (epoch_*.pt) in {folder}{hint}")
    data = load_dataset(paths.dataset)
    k = dataclasses.replace(cfg, k=k).clusters(data.classes)
    labels = (data.test_labels, data.probe_labels) if data.labelled else (None, None)
    rows = []
    for path in tqdm(files, desc=f"evaluate {folder.name}", unit="checkpoint"):
        state = load_checkpoint(path)
        method, params = params_of_checkpoint(state, cfg)
        model = build_method(method, params)
        model.load_state_dict(state["model"])
        layers = layers_of(embed_arrays(model, data, augmented_views(data.test_images, params), cfg.views,
                                        params.train.channels_last))
        rows += [{"method": name or method, "dataset": params.data.name, "epoch": int(state["epoch"]), **row}
                 for row in layer_rows(layers, *labels, cfg.with_clusters(k), protocols)]
    return tidy_table(rows)


# why a column of the metrics table is empty for an input that lacks what it needs (Metric.needs)
_WHY_EMPTY = {
    "views": "they need augmented views of the images, which only checkpoints give (pass a checkpoint folder)",
    "labels": "they need labels (--labels FILE)",
    "layers": "it needs a backbone and a projector layer of one checkpoint",
}


def summary_lines(table: pd.DataFrame, layer: str | None = None) -> list[str]:
    """What ``sslnb evaluate`` prints: each computed metric's direction and the epoch it would pick, then the
    columns left empty for this input, each with why.

    ``layer`` (default: the backbone where present, else the first layer) is the one summarised.
    """
    from sslnb.metrics.registry import BY_NAME, LABEL_FREE, REFERENCE

    layers = list(dict.fromkeys(table["layer"])) if "layer" in table else [None]
    layer = layer or ("backbone" if "backbone" in layers else layers[0])
    rows = table[table["layer"] == layer] if layer is not None else table
    picks, empty = [], {}
    labelled = "linear_probe_acc" in rows and rows["linear_probe_acc"].notna().any()
    for entry in BY_NAME.values():
        if entry.name not in rows:
            continue
        values = rows[entry.name]
        if values.isna().all():
            if entry.role in (LABEL_FREE, REFERENCE) or entry.name == "heldout_loss":
                why = _why_option(entry.name) if labelled and entry.needs == "labels" else \
                    _WHY_EMPTY.get(entry.needs, _why_option(entry.name))
                empty.setdefault(why, []).append(entry.name)
            continue
        if entry.direction is None or entry.role not in (LABEL_FREE, REFERENCE) and entry.name != "heldout_loss":
            continue
        scores = entry.direction.score(values)
        best = rows["epoch"].to_numpy()[int(np.nanargmax(scores))] if "epoch" in rows else None
        target = entry.direction.target
        better = f"closer to {target:g}" if target is not None else "higher" if entry.direction.sign > 0 else "lower"
        picks.append(f"  {entry.name:<24} {better:<12} {'' if best is None else f'epoch {best}'}")
    several = "epoch" in rows and rows["epoch"].nunique() > 1
    lines = [f"{len(rows)} checkpoint(s), layer {layer}: each metric's better direction"
             + (" and the epoch it would pick" if several else "")]
    lines += picks if several else [line.rsplit("epoch", 1)[0].rstrip() for line in picks]
    for why, names in empty.items():
        lines.append(f"not computed: {', '.join(names)}; {why}")
    return lines


def _why_option(name: str) -> str:
    return ("metrics.silhouette_pca_dim is null" if name == "silhouette_pca"
            else "the fine-tuning protocol needs the training stages" if name == "finetune_acc"
            else "undefined on these embeddings (see the warnings above)")
