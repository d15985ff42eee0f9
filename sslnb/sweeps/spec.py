"""Named sweeps: grids or seeded random searches over any params keys, each point a small sslnb project.

A sweep is declared under ``sweeps`` in ``params.yaml``::

    sweeps:
      hyper:
        decision: hyperparameter          # what choosing among its runs decides (see DECISIONS)
        set: {train.milestones: [0, 2]}   # dotted keys fixed for every point
        grid:                             # a mapping of dotted keys to lists of values (their product), or
          - method: [simclr]              # a list of such mappings (the union of their products), as
            methods.simclr.temperature: [0.1, 0.5]   # scikit-learn's ParameterGrid reads them
            train.lr: [0.0005, 0.002]

or, instead of ``grid``, a ``search`` (:func:`search_grids`): per block a ``method``, ``n_iter``
configurations drawn by scikit-learn's ParameterSampler from ``distributions`` (``{loguniform: [low,
high]}``, ``{uniform: ...}``, ``{randint: ...}`` or a list) with ``random_state``, and optionally
``replicates: {configurations: c, seed: s}``.

``method`` is the grid's one special key: the method a point trains (default: every method of the main
run, one point each). Any other key is a dotted path into params.yaml: ``seed``, ``train.lr``,
``augment.crop_scale``, ``methods.simclr.temperature``, or one item of a list, ``augment.crop_scale.0``.
A value that is a mapping of names to values (``model: {resnet_w16: {...}, vit: {...}}``) names its
points; a mapping merges into a mapping.

Each point is the main ``params.yaml`` with ``set``, then the point's values, applied, and with only the
point's method; a point that changes ``augment`` scores the main profile's reference views
(``reference_augment``). Its project lives in ``data/sweeps/<sweep>/<point>/``, and
``sweeps/<sweep>/dvc.yaml`` (written by ``sslnb sweep-plan``, never by hand) runs it with one ``sslnb
sweep-run`` stage (:mod:`sslnb.sweeps.run_point`: configure, train, embed, finetune and evaluate in one process).
A point whose run is the main run (the same params, milestones aside, its milestones among the main run's,
its protocols among those the main run computed) is not run again: the main run's tables stand in for it.
``sslnb sweep-collect`` stacks every point's metrics table, with its training loss per epoch, into
``data/sweeps/<sweep>.csv``: what :mod:`sslnb.analysis.runs` judges.
"""


from __future__ import annotations

import copy
import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from sslnb.config import DECISIONS, params_from_dict

METHOD_KEY = "method"
# sections that do not change a run's checkpoints, embeddings or metrics tables
NOT_THE_RUN = ("tsne", "analysis", "report", "sweeps")


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep: a method trained with ``values`` (dotted key -> value) on top of ``set``."""

    sweep: str
    name: str
    method: str
    values: dict[str, Any]  # grid key -> value
    labels: dict[str, str]  # grid key -> how the value is shown (a named value's name)
    params: dict[str, Any] = field(repr=False, compare=False)  # the point's whole params.yaml
    reuses_main: bool = False  # the main run is this run: its tables stand in


@dataclass(frozen=True)
class Sweep:
    """One entry of ``sweeps`` in params.yaml, with its points expanded and validated."""

    name: str
    decision: str
    points: tuple[SweepPoint, ...]

    def point(self, name: str) -> SweepPoint:
        for point in self.points:
            if point.name == name:
                return point
        raise ValueError(f"sweep {self.name!r} has no point {name!r}; its points: {[p.name for p in self.points]}")

    @property
    def run_points(self) -> tuple[SweepPoint, ...]:
        """The points that need their own run (the others reuse the main run)."""
        return tuple(p for p in self.points if not p.reuses_main)


def sweeps_from_params(raw: dict[str, Any]) -> dict[str, Sweep]:
    """Every sweep of ``raw`` (a parsed params.yaml), each point validated as a params.yaml of its own."""
    section = raw.get("sweeps") or {}
    if not isinstance(section, dict):
        raise ValueError("params.yaml: 'sweeps' must map sweep names to their settings; see the README's sweeps")
    return {name: _sweep(raw, name, spec) for name, spec in section.items()}


def sweep_from_params(raw: dict[str, Any], name: str) -> Sweep:
    section = raw.get("sweeps") or {}
    if name not in section:
        raise ValueError(f"params.yaml: no sweep {name!r} under 'sweeps' (declared: {sorted(section)})")
    return _sweep(raw, name, section[name])


# Sections that `prepare` reads: the points share the main project's prepared data (hard links), so a sweep
# cannot vary them.
SHARED_DATA = ("data", "domains")


def _sweep(raw: dict[str, Any], name: str, spec: Any) -> Sweep:
    where = f"params.yaml: sweeps.{name}"
    if not isinstance(spec, dict):
        raise ValueError(f"{where} must be a mapping with 'decision' and 'grid', got {spec!r}")
    unknown = sorted(set(spec) - {"decision", "set", "grid", "search"})
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known keys are ['decision', 'grid', 'search', 'set']")
    if ("grid" in spec) == ("search" in spec):
        raise ValueError(f"{where} needs exactly one of 'grid' (every combination) and 'search' (a seeded random "
                         "search); see the README's sweeps")
    decision = spec.get("decision")
    if decision not in DECISIONS:
        raise ValueError(f"{where}.decision must be one of {list(DECISIONS)}, got {decision!r}")
    fixed = spec.get("set") or {}
    if not isinstance(fixed, dict):
        raise ValueError(f"{where}.set must map dotted params keys to values, e.g. 'train.epochs: 40'")
    if "search" in spec:
        grids = search_grids(spec["search"], f"{where}.search")
        section_name = "search"
    else:
        grids = spec.get("grid")
        grids = [grids] if isinstance(grids, dict) else grids
        if not grids or not all(isinstance(g, dict) and g for g in grids):
            raise ValueError(f"{where}.grid must be a mapping of dotted keys to lists of values (or a list of such "
                             "mappings), e.g. 'grid: {seed: [1, 2]}'")
        section_name = "grid"
    for section, keys in (("set", fixed), *((section_name, grid) for grid in grids)):
        shared = [key for key in keys if str(key).split(".")[0] in SHARED_DATA]
        if shared:
            raise ValueError(f"{where}.{section}.{shared[0]}: every point links the main project's prepared data "
                             f"set, so a {str(shared[0]).split('.')[0]}.* key would change nothing; vary it in "
                             "params.yaml's main profile (one `make run` per data set) instead")
    points, names = [], set()
    for grid in grids:
        for point in _expand(raw, name, fixed, grid, where):
            if point.name in names:
                raise ValueError(f"{where}: two points are both named {point.name!r}; give the grid's values names")
            names.add(point.name)
            points.append(point)
    return Sweep(name, decision, tuple(points))


# -- random search (sweeps.<name>.search) ----------------------------------------------------------

POINT_KEY = "_point"  # an internal grid key: the name of a sampled configuration (not a params key)
REPLICATE_KEY = "replicate_of"  # a sweep-table column: the configuration a point re-runs with another seed
SEARCH_KEYS = ("method", "n_iter", "random_state", "distributions", "replicates")
# params.yaml's names of SciPy distributions, each over [low, high] (randint: high included)
DISTRIBUTIONS = {
    "uniform": lambda low, high: stats.uniform(low, high - low),
    "loguniform": lambda low, high: stats.loguniform(low, high),
    "randint": lambda low, high: stats.randint(low, high + 1),
}
SIGNIFICANT_DIGITS = 3  # sampled numbers are rounded, so that names and params files stay readable


def _distribution(value: Any, where: str) -> Any:
    """A list of choices, or a SciPy distribution from ``{loguniform: [low, high]}`` and the like."""
    if isinstance(value, list) and value:
        return value
    if isinstance(value, dict) and len(value) == 1:
        (name, bounds), = value.items()
        if name in DISTRIBUTIONS and isinstance(bounds, list) and len(bounds) == 2 \
                and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds) and bounds[0] < bounds[1]:
            if name == "loguniform" and bounds[0] <= 0:
                raise ValueError(f"{where}: a loguniform distribution needs low > 0, got {bounds}")
            return DISTRIBUTIONS[name](*bounds)
    raise ValueError(f"{where} must be a list of values or one of {sorted(DISTRIBUTIONS)} with [low, high], "
                     f"e.g. '{{loguniform: [0.0003, 0.01]}}', got {value!r}")


def _rounded(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return float(f"{float(value):.{SIGNIFICANT_DIGITS}g}")
    return value.item() if isinstance(value, np.generic) else value


def search_grids(search: Any, where: str) -> list[dict[str, Any]]:
    """The configurations of a seeded random search, as one-point grids (see the module docstring).

    Each block draws ``n_iter`` configurations of its ``distributions`` with scikit-learn's
    :class:`~sklearn.model_selection.ParameterSampler` (``random_state``); ``replicates: {configurations: c,
    seed: s}`` runs the first c of them again with ``seed: s``, which measures how much of the probe's spread
    the configuration explains (:func:`sslnb.analysis.runs.configuration_share`).
    """
    from sklearn.model_selection import ParameterSampler

    blocks = [search] if isinstance(search, dict) else search
    if not blocks or not all(isinstance(b, dict) for b in blocks):
        raise ValueError(f"{where} must be a mapping (or a list of mappings) with method, n_iter, random_state "
                         "and distributions")
    grids = []
    for index, block in enumerate(blocks):
        at = f"{where}[{index}]" if isinstance(search, list) else where
        unknown = sorted(set(block) - set(SEARCH_KEYS))
        if unknown:
            raise ValueError(f"{at}: unknown key(s) {unknown}; known keys are {sorted(SEARCH_KEYS)}")
        method, n_iter = block.get("method"), block.get("n_iter")
        if not isinstance(method, str):
            raise ValueError(f"{at}.method must name one method, e.g. 'method: simclr', got {method!r}")
        if not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 1:
            raise ValueError(f"{at}.n_iter must be a positive number of configurations, got {n_iter!r}")
        distributions = block.get("distributions")
        if not isinstance(distributions, dict) or not distributions:
            raise ValueError(f"{at}.distributions must map dotted params keys to distributions, e.g. "
                             "'train.lr: {loguniform: [0.0003, 0.01]}'")
        sampler = ParameterSampler({key: _distribution(value, f"{at}.distributions.{key}")
                                    for key, value in distributions.items()},
                                   n_iter=n_iter, random_state=block.get("random_state", 0))
        configurations = [{key: _rounded(value) for key, value in drawn.items()} for drawn in sampler]
        width = len(str(n_iter - 1))
        for i, values in enumerate(configurations):
            grids.append({METHOD_KEY: [method], POINT_KEY: f"s{i:0{width}d}", **{k: [v] for k, v in values.items()}})
        replicates = block.get("replicates") or {}
        if not isinstance(replicates, dict) or set(replicates) - {"configurations", "seed"}:
            raise ValueError(f"{at}.replicates must be '{{configurations: 3, seed: 1}}' (the first 3 configurations "
                             f"again with seed 1), got {replicates!r}")
        count, seed = replicates.get("configurations", 0), replicates.get("seed", 1)
        if not isinstance(count, int) or not 0 <= count <= n_iter:
            raise ValueError(f"{at}.replicates.configurations must be 0 to n_iter ({n_iter}), got {count!r}")
        for i, values in enumerate(configurations[:count]):
            name = f"s{i:0{width}d}"
            grids.append({METHOD_KEY: [method], POINT_KEY: f"{name}_seed{seed}", REPLICATE_KEY: f"{method}_{name}",
                          **{k: [v] for k, v in values.items()}, "seed": [seed]})
    return grids


def _choices(values: Any, key: str, where: str) -> list[tuple[str, Any]]:
    """(label, value) pairs of one grid key."""
    if isinstance(values, dict):
        return [(str(label), value) for label, value in values.items()]
    if not isinstance(values, list) or not values:
        raise ValueError(f"{where}.grid.{key} must be a non-empty list of values (or a mapping of names to "
                         f"values), got {values!r}")
    return [(_label(value), value) for value in values]


def _label(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_label(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _expand(raw: dict[str, Any], sweep: str, fixed: dict[str, Any], grid: dict[str, Any],
            where: str) -> list[SweepPoint]:
    main_methods = raw.get("methods") or {}
    methods = grid.get(METHOD_KEY, list(main_methods))
    if isinstance(methods, str):
        methods = [methods]
    keys = [key for key in grid if key not in (METHOD_KEY, POINT_KEY, REPLICATE_KEY)]
    choices = [_choices(grid[key], key, where) for key in keys]
    points = []
    for method in methods:
        for combination in itertools.product(*choices):
            values = {key: value for key, (_, value) in zip(keys, combination)}
            labels = {key: label for key, (label, _) in zip(keys, combination)}
            named = {key for key in keys if isinstance(grid[key], dict)}
            parts = [labels[k] if k in named else f"{k.rsplit('.', 1)[-1]}{labels[k]}" for k in keys]
            name = "_".join([str(method), *parts]).replace("/", "-")
            if POINT_KEY in grid:  # a sampled configuration: named by its index, its values in the columns
                name = f"{method}_{grid[POINT_KEY]}"
                labels[REPLICATE_KEY] = grid.get(REPLICATE_KEY, "")
            params = point_params(raw, method, {**fixed, **values}, f"{where} point {name}")
            points.append(SweepPoint(sweep, name, str(method), values, labels, params,
                                     reuses_main=_is_main_run(raw, params, method)))
    return points


def set_dotted(params: dict[str, Any], key: str, value: Any, where: str) -> None:
    """Set ``params[a][b][c] = value`` for key ``a.b.c``; a mapping merges into a mapping."""
    *parents, last = key.split(".")
    node = params
    for part in parents:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if isinstance(child, list) and part == parents[-1] and last.isdigit():
            if int(last) >= len(child):
                raise ValueError(f"{where}: cannot set {key!r}: {part!r} has {len(child)} items")
            child[int(last)] = copy.deepcopy(value)  # one item of a list, e.g. augment.crop_scale.0
            return
        if not isinstance(child, dict):
            raise ValueError(f"{where}: cannot set {key!r}: {part!r} is not a section")
        node = child
    if isinstance(value, dict) and isinstance(node.get(last), dict):
        node[last] = {**node[last], **copy.deepcopy(value)}
    else:
        node[last] = copy.deepcopy(value)


def point_params(raw: dict[str, Any], method: str, values: dict[str, Any], where: str) -> dict[str, Any]:
    """The params.yaml of a point: the main one with ``values`` applied and only ``method``; validated."""
    params = copy.deepcopy({key: value for key, value in raw.items() if key != "sweeps"})
    params["methods"] = {method: copy.deepcopy((raw.get("methods") or {}).get(method) or {})}
    for key, value in values.items():
        head = key.split(".")
        if head[0] == "methods" and len(head) > 1 and head[1] != method:
            raise ValueError(f"{where}: {key!r} sets another method's option than this point's {method!r}; "
                             "put it in a grid of its own with 'method: [...]'")
        set_dotted(params, key, value, where)
    if any(key.split(".")[0] == "augment" for key in values) and raw.get("reference_augment") is None:
        # the views the view metrics score stay those of the main profile: one reference for the comparison
        params["reference_augment"] = copy.deepcopy(raw.get("augment") or {})
    try:
        params_from_dict(params)
    except ValueError as error:  # fail now, not after an hour of training
        raise ValueError(f"{where}: {str(error).removeprefix('params.yaml: ')}") from None
    return params


def _run_identity(params: dict[str, Any]) -> dict[str, Any]:
    # protocols change no checkpoint: whether the main run's tables answer a point is _protocols_covered's call
    identity = {key: value for key, value in params.items() if key not in (*NOT_THE_RUN, "protocols")}
    train = dict(identity.get("train") or {})
    train["milestones"] = [0, train.get("epochs", 1)]  # which checkpoints are kept does not change the run
    identity["train"] = train
    return identity


def _is_main_run(raw: dict[str, Any], params: dict[str, Any], method: str) -> bool:
    if method not in (raw.get("methods") or {}):
        return False
    main = copy.deepcopy(raw)
    main["methods"] = {method: (raw.get("methods") or {}).get(method) or {}}
    milestones = set((params.get("train") or {}).get("milestones") or [])
    main_milestones = set((raw.get("train") or {}).get("milestones") or [])
    # normalised through the config so that defaults written out and left out compare equal
    same = params_from_dict(_run_identity(params)) == params_from_dict(_run_identity(main))
    return same and milestones <= main_milestones and _protocols_covered(params, main)


def _protocols_covered(params: dict[str, Any], main: dict[str, Any]) -> bool:
    """True if the main run computed every protocol the point asks for, with the same settings (the cheap
    path turns some off: the main run's tables then hold more than the point needs)."""
    point, ran = params_from_dict(params).protocols, params_from_dict(main).protocols
    for field_ in dataclasses.fields(point):
        wanted, done = getattr(point, field_.name), getattr(ran, field_.name)
        if isinstance(wanted, bool):
            if wanted and not done:
                return False
        elif field_.name == "fewshot_shots":
            if not set(wanted) <= set(done):
                return False
        elif wanted != done:
            return False
    return True
