"""Typed view of ``params.yaml``, the pipeline's single source of settings.

Each section of ``params.yaml`` maps to one dataclass. Unknown or misspelt keys are errors, not silently
ignored, because a typo in a profile would otherwise run the defaults and produce plausible-looking but
wrong results.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sslnb.constraints import at_least, below, between, check_settings, non_negative, one_of, positive, setting
from sslnb.errors import read_yaml
from sslnb.metrics.options import MetricOptions
from sslnb.metrics.registry import FEWSHOT_SHOTS


ARCHITECTURES = ("resnet", "convnet", "vit")  # encoder families of sslnb.training.models
OPTIMIZERS = ("adamw", "sgd")  # train.optimizer
SCHEDULES = ("cosine", "constant")  # train.schedule
# Options that any method's entry under `methods` may set, overriding the train section, with their types.
METHOD_TRAIN_OPTIONS = {"lr": float, "weight_decay": float, "batch_size": int, "optimizer": str, "momentum": float}


@dataclass(frozen=True)
class DataConfig:
    name: str = "fashion_mnist"  # fashion_mnist, cifar10, cifar100 or image_folder
    path: str | None = None  # folder with the data set's files; tried first
    debian_dir: str = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist package
    download: bool = True  # torchvision's downloader, tried last
    train_size: int = 10_000  # images of the train split used for SSL training
    probe_size: int = 10_000  # fixed subset of those used to fit the linear probe and kNN
    test_size: int = 10_000  # evaluation set, from the test split
    image_size: int = 32  # image_folder only: images are resized to image_size x image_size
    channels: int = 3  # image_folder only: 1 (grey) or 3 (RGB)

    @property
    def input_channels(self) -> int:
        """Channels of the images the encoder sees: 1 for Fashion-MNIST, 3 for CIFAR."""
        return {"fashion_mnist": 1, "cifar10": 3, "cifar100": 3}.get(self.name, self.channels)

    @property
    def input_size(self) -> int:
        """Side of the (square) images the encoder sees: 28 for Fashion-MNIST, 32 for CIFAR."""
        return {"fashion_mnist": 28, "cifar10": 32, "cifar100": 32}.get(self.name, self.image_size)


@dataclass(frozen=True)
class ModelConfig:
    architecture: str = setting("resnet", one_of(ARCHITECTURES), "resnet, convnet (no shortcuts) or vit "
                                "(sslnb.training.models)")
    width: int = setting(16, at_least(1), "resnet/convnet: channels of the first stage, doubled at each "
                         "stage; vit: token width")
    stages: int = setting(3, at_least(1), "resnet/convnet")
    blocks_per_stage: int = setting(1, at_least(1), "resnet/convnet")
    patch_size: int = setting(4, at_least(1), "vit")
    depth: int = setting(4, at_least(1), "vit: Transformer layers")
    heads: int = setting(4, at_least(1), "vit: attention heads (width must be a multiple)")
    projector_hidden: int = setting(128, at_least(1))
    projector_dim: int = setting(64, at_least(1))

    def check(self, section: str) -> None:
        if self.architecture == "vit" and self.width % self.heads:
            raise ValueError(f"{section}.width ({self.width}) must be a multiple of {section}.heads ({self.heads}) "
                             "for the ViT")


@dataclass(frozen=True)
class AugmentConfig:
    crop_scale: tuple[float, float] = (0.35, 1.0)  # area fraction of the random resized crop
    crop_ratio: tuple[float, float] = (0.75, 4 / 3)
    flip_p: float = 0.5
    brightness: float = 0.4  # multiplicative jitter in [1 - b, 1 + b]
    contrast: float = 0.4
    noise_std: float = 0.03  # additive Gaussian pixel noise
    grayscale_p: float = 0.0  # RGB images only: probability of turning a view grey (SimCLR uses 0.2)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = setting(30, at_least(1))
    batch_size: int = setting(256, at_least(2, "contrastive losses need negatives"))
    lr: float = setting(2e-3, positive())
    weight_decay: float = 1e-4
    optimizer: str = setting("adamw", one_of(OPTIMIZERS), "adamw, or sgd (with momentum, as in the SimCLR, "
                             "MoCo and SimSiam papers)")
    momentum: float = 0.9  # sgd only
    schedule: str = setting("cosine", one_of(SCHEDULES), "learning-rate schedule: cosine (decay to 0 over the "
                            "run) or constant")
    warmup_epochs: int = 0  # linear warm-up of the learning rate over this many epochs, then the schedule
    milestones: tuple[int, ...] = (0, 1, 2, 3, 4, 6, 8, 11, 15, 20, 25, 30)
    threads: int = 0  # torch intra-op threads; 0 keeps torch's default
    device: str = "auto"  # auto: CUDA, then MPS, then CPU
    amp: bool = True  # mixed precision (float16 autocast), used on CUDA only
    channels_last: bool = True  # NHWC memory layout for convolutions: faster on CPUs and GPUs (other round-off)
    sync_batchnorm: bool = False  # under torchrun on GPUs: batch statistics over the global batch
    collapse_warning: float = 0.1  # warn when embedding std < this fraction of a healthy 1/sqrt(d)
    monitor_samples: int = 1000  # evaluation images scored by the label-free monitor each epoch; 0: off

    def check(self, section: str) -> None:
        milestones = list(self.milestones)
        if 0 not in milestones:
            raise ValueError(f"{section}.milestones must include epoch 0 (the randomly initialised encoder)")
        if milestones != sorted(set(milestones)):
            raise ValueError(f"{section}.milestones must be strictly increasing, got {milestones}")
        if milestones[-1] > self.epochs:
            raise ValueError(f"{section}.milestones go up to {milestones[-1]} but {section}.epochs is {self.epochs}")
        if not 0 <= self.warmup_epochs <= self.epochs:
            raise ValueError(f"{section}.warmup_epochs must be between 0 and {section}.epochs ({self.epochs}), "
                             f"got {self.warmup_epochs}")


@dataclass(frozen=True)
class ProtocolsConfig:
    """The label-based references beyond the linear probe and kNN (sslnb.metrics.probes, sslnb.stages.finetune)."""

    nmi: bool = True  # nmi_c1_gt: NMI of k-means clustering C1 against the classes
    fewshot_shots: tuple[int, ...] = FEWSHOT_SHOTS  # fewshot_acc_<k>: labelled images per class; []: off
    fewshot_draws: int = setting(5, at_least(1), "seeded draws per k (mean and std columns)")
    probe_bn: bool = True  # probe_bn_acc: BatchNorm (no affine) + linear head, trained with SGD
    probe_bn_epochs: int = setting(20, at_least(1))
    probe_bn_batch_size: int = setting(256, at_least(1))
    probe_bn_lr: float = setting(0.1, positive())
    finetune: bool = True  # finetune_acc: backbone + linear head trained end to end on the probe subset
    finetune_epochs: int = setting(1, at_least(1))
    finetune_batch_size: int = setting(128, at_least(1))
    finetune_lr: float = setting(0.001, positive(), "AdamW base rate, times the two scales below")
    finetune_backbone_lr_scale: float = setting(1.0, non_negative())
    finetune_head_lr_scale: float = setting(10.0, non_negative(), "the head learns 10x faster than the "
                                            "pretrained layers")
    finetune_weight_decay: float = setting(0.0001, non_negative())
    domains: bool = True  # score the shifted and out-of-domain sets of `domains` (data/domains/M.csv)

    def check(self, section: str) -> None:
        shots = list(self.fewshot_shots)
        if any(k < 1 for k in shots) or shots != sorted(set(shots)):
            raise ValueError(f"{section}.fewshot_shots must be increasing positive integers, got {shots}")


SHIFTS = ("rotation", "blur", "noise", "invert", "occlusion")  # corruptions of sslnb.sources.domains
OUT_OF_DOMAIN = "digits"  # the out-of-domain set: scikit-learn's 8x8 handwritten digits, resized


@dataclass(frozen=True)
class DomainsConfig:
    """Shifted and out-of-domain evaluation sets (sslnb.sources.domains), scored like the evaluation set."""

    shifts: tuple[str, ...] = SHIFTS  # corruptions of the evaluation and probe images; []: none
    severity: int = setting(3, between(1, 5), "1 (mild) to 5 (strong), as in ImageNet-C")
    digits: bool = True  # scikit-learn's 8x8 handwritten digits, resized: out of domain
    eval_size: int = setting(1000, at_least(2), "evaluation images per set (the first of the evaluation set; "
                             "digits: a seeded half)")
    probe_size: int = setting(1000, at_least(2), "probe images per set, for the target-domain probes")
    view_samples: int = setting(250, at_least(2), "images per set given augmented views (alignment, "
                                "uniformity, LiDAR)")

    def check(self, section: str) -> None:
        unknown = sorted(set(self.shifts) - set(SHIFTS))
        if unknown or len(set(self.shifts)) != len(self.shifts):
            raise ValueError(f"{section}.shifts must name distinct corruptions among {list(SHIFTS)}, got "
                             f"{list(self.shifts)}")

    @property
    def names(self) -> tuple[str, ...]:
        """The sets' names, as the domain tables' ``domain`` column spells them."""
        return tuple(f"shift_{name}" for name in self.shifts) + ((OUT_OF_DOMAIN,) if self.digits else ())


@dataclass(frozen=True)
class TsneConfig:
    samples: int = setting(2000, at_least(10), "evaluation images per map (a seeded subset; t-SNE is "
                           "O(N log N) per iteration)")
    perplexity: float = 30.0
    n_iter: int = 500  # optimisation iterations after openTSNE's 250 early-exaggeration ones
    layer: str = "backbone"  # which embedding to map
    seed: int = 0


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of the analysis notebooks, passed to them by dvc.yaml with papermill's -p."""

    warmup_fraction: float = setting(0.25, below(1), '"late training": the checkpoints after this fraction of '
                                     "the epochs")
    n_boot: int = 1000  # bootstrap resamples of the checkpoints for the 95% intervals
    strong: float = 0.7  # |rho| the findings call a strong correlation
    trend: float = 0.3  # |Kendall tau| of epoch vs entropy the findings call a trend
    seed: int = 0


# what choosing among a sweep's runs decides (each sweep's ``decision``; sslnb.sweeps.spec, sslnb.analysis.runs)
DECISIONS = ("checkpoint", "hyperparameter", "seed", "architecture", "failure")


@dataclass(frozen=True)
class Params:
    seed: int = 0
    methods: dict[str, dict[str, Any]] = field(default_factory=lambda: {"simclr": {"temperature": 0.5}})
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    augment: AugmentConfig = AugmentConfig()
    # The augmentation of the views that alignment, uniformity, LiDAR and the held-out objective score; None:
    # ``augment``. A sweep that varies ``augment`` pins it to the main profile's, so every run of a comparison
    # is scored on the very same views.
    reference_augment: AugmentConfig | None = None
    train: TrainConfig = TrainConfig()
    # the suite's own options type: each option, its default and its rule declared once (sslnb.metrics.options)
    metrics: MetricOptions = MetricOptions()
    protocols: ProtocolsConfig = ProtocolsConfig()
    domains: DomainsConfig = DomainsConfig()
    tsne: TsneConfig = TsneConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    report: dict[str, Any] = field(default_factory=dict)
    sweeps: dict[str, Any] = field(default_factory=dict)  # named sweeps, read by sslnb.sweeps.spec

    def method(self, name: str) -> dict[str, Any]:
        if name not in self.methods:
            raise ValueError(
                f"method {name!r} is not listed under 'methods' in params.yaml (listed: {sorted(self.methods)})"
            )
        return dict(self.methods[name] or {})

    @property
    def view_augment(self) -> AugmentConfig:
        """The augmentation of the scored views: ``reference_augment``, else ``augment``."""
        return self.reference_augment if self.reference_augment is not None else self.augment

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _kind(annotation: Any) -> str:
    """A reader's name for a field's type: 'an integer', 'a list of 2 numbers', ..."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return f"{_kind(inner[0])} or null" if len(inner) == 1 else " or ".join(_kind(a) for a in inner)
    if origin is tuple:
        items = "strings" if args[0] is str else "numbers"
        return f"a list of {items}" if args[-1] is Ellipsis else f"a list of {len(args)} {items}"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(annotation, "a value")


def _typed(annotation: Any, value: Any, where: str) -> Any:
    """``value`` checked against a field's type (ints stay ints, numbers become floats), else a ValueError."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    ok = True
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        for candidate in inner:
            try:
                return _typed(candidate, value, where)
            except ValueError:
                pass
        ok = False
    elif origin is tuple:
        items = value if isinstance(value, (list, tuple)) else None
        length_ok = items is not None and (args[-1] is Ellipsis or len(items) == len(args))
        if length_ok:
            item_type = args[0]
            return tuple(_typed(item_type, item, where) for item in items)
        ok = False
    elif annotation is bool:
        ok = isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif annotation is str:
        ok = isinstance(value, str)
    if not ok:
        raise ValueError(f"params.yaml: {where} must be {_kind(annotation)}, got {value!r} "
                         f"({type(value).__name__}); fix the value in params.yaml")
    return value


def _build(cls: type, section: str, values: Any) -> Any:
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValueError(f"params.yaml: section '{section}' must be a mapping of keys to values, got a "
                         f"{type(values).__name__}; write it as '{section}:' followed by indented 'key: value' lines")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(
            f"params.yaml: unknown key(s) {unknown} in section '{section}'; known keys are {sorted(known)}"
        )
    hints = typing.get_type_hints(cls)
    built = cls(**{name: _typed(hints[name], value, f"{section}.{name}") for name, value in values.items()})
    check_settings(built, section)  # each field's own rule, declared on the field
    if hasattr(built, "check"):
        built.check(section)  # the rules relating two fields of the section, declared next to them
    return built


def model_section(values: Any, where: str = "model") -> ModelConfig:
    """A checked :class:`ModelConfig` from a mapping of model keys (the model section, or a method's overrides)."""
    return _build(ModelConfig, where, values)


def _methods(raw: Any) -> dict[str, dict[str, Any]]:
    """The ``methods`` section: a non-empty mapping of method name to options, common options typed."""
    if raw is None or raw == {}:
        raise ValueError("params.yaml: 'methods' lists no method; name at least one, "
                         "e.g. 'methods: {simclr: {temperature: 0.5}}'")
    if not isinstance(raw, dict):
        raise ValueError(f"params.yaml: 'methods' must map method names to their options, got a "
                         f"{type(raw).__name__}; e.g. 'methods: {{simclr: {{temperature: 0.5}}}}'")
    methods = {}
    for name, options in raw.items():
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"params.yaml: methods.{name} must be a mapping of options (or empty), "
                             f"got {options!r}; e.g. 'methods: {{{name}: {{}}}}'")
        options = dict(options or {})
        for key, kind in METHOD_TRAIN_OPTIONS.items():
            if key in options:
                options[key] = _typed(kind, options[key], f"methods.{name}.{key}")
        methods[str(name)] = options
    return methods


# params.yaml's typed sections and their dataclasses; each field's rule sits on the field (sslnb.constraints)
SECTIONS = {
    "data": DataConfig,
    "model": ModelConfig,
    "augment": AugmentConfig,
    "train": TrainConfig,
    "metrics": MetricOptions,
    "protocols": ProtocolsConfig,
    "domains": DomainsConfig,
    "tsne": TsneConfig,
    "analysis": AnalysisConfig,
}


def params_from_dict(raw: dict[str, Any]) -> Params:
    """Build and validate :class:`Params` from a parsed ``params.yaml``."""
    allowed = set(SECTIONS) | {"seed", "methods", "report", "sweeps", "reference_augment"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"params.yaml: unknown section(s) {unknown}; known sections are {sorted(allowed)}")
    sections = {name: _build(cls, name, raw.get(name)) for name, cls in SECTIONS.items()}
    for name in ("report", "sweeps"):
        if not isinstance(raw.get(name) or {}, dict):
            raise ValueError(f"params.yaml: section '{name}' must be a mapping of keys to values, "
                             f"got a {type(raw[name]).__name__}")
    params = Params(
        seed=_typed(int, raw.get("seed", 0), "seed"),
        methods=_methods(raw["methods"]) if "methods" in raw else Params().methods,
        report=dict(raw.get("report") or {}),
        sweeps=dict(raw.get("sweeps") or {}),
        reference_augment=(None if raw.get("reference_augment") is None
                           else _build(AugmentConfig, "reference_augment", raw["reference_augment"])),
        **sections,
    )
    _validate(params)
    return params


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate a params file; every error names the file or the key and the fix."""
    return params_from_dict(read_yaml(Path(path)))


def _validate(params: Params) -> None:
    """The rules that relate two sections (each section's own rules sit on its fields and its ``check``)."""
    data, train = params.data, params.train
    if data.probe_size > data.train_size:
        raise ValueError(
            f"data.probe_size ({data.probe_size}) must not exceed data.train_size ({data.train_size}); "
            "the probe subset is drawn from the training images"
        )
    if data.train_size < train.batch_size:
        raise ValueError(
            f"data.train_size ({data.train_size}) is smaller than train.batch_size ({train.batch_size}); "
            "lower the batch size"
        )
