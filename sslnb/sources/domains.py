"""Shifted and out-of-domain evaluation sets: every metric and reference is computed on them too.

Two kinds, each with an evaluation part and a probe part (for the target-domain probes):

- **shifted** (``shift_<name>``): the first ``domains.eval_size`` images of the evaluation set and the first
  ``domains.probe_size`` of the probe subset, corrupted at a fixed severity (1-5, as in ImageNet-C of
  Hendrycks & Dietterich, ICLR 2019) with a seeded generator: ``rotation`` (by +-angle, the sign drawn per
  image), ``blur`` (Gaussian), ``noise`` (additive Gaussian), ``invert`` (contrast inversion, x -> 255 - x;
  no severity) and ``occlusion`` (a grey square at a random place);
- **out of domain** (``digits``): scikit-learn's bundled handwritten digits (1,797 8x8 images of 10 classes;
  offline), resized bilinearly to the data set's image size and channels, split in seeded halves.

``prepare`` writes them to ``data/processed/domains.npz``; Marks et al. (IJCV 2025) ask how well in-domain
protocols predict accuracy there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional

from sslnb.config import OUT_OF_DOMAIN, DomainsConfig
from sslnb.io import load_arrays, save_npz

# The corruption's strength at severities 1..5.
SEVERITIES = {
    "rotation": (15, 30, 45, 60, 90),  # degrees
    "blur": (0.5, 1.0, 1.5, 2.0, 3.0),  # Gaussian sigma, pixels
    "noise": (0.04, 0.08, 0.12, 0.18, 0.26),  # std of additive noise, intensities in [0, 1]
    "invert": (1, 1, 1, 1, 1),  # no strength: the contrast is inverted
    "occlusion": (0.2, 0.3, 0.4, 0.5, 0.6),  # side of the grey square, a fraction of the image side
}
PARTS = ("eval", "probe")


@dataclass(frozen=True)
class Domain:
    """One evaluation set: images (uint8, as the prepared data set's) and labels, per part."""

    name: str
    eval_images: np.ndarray
    eval_labels: np.ndarray
    probe_images: np.ndarray
    probe_labels: np.ndarray

    @property
    def shifted(self) -> bool:
        """Whether it is the evaluation set's own images, corrupted (same classes), not another data set."""
        return self.name.startswith("shift_")


def _as_float(images: np.ndarray) -> torch.Tensor:
    """(N, C, H, W) float in [0, 1] from uint8 (N, H, W) or (N, C, H, W)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float() / 255  # a reversed view has negative strides
    return x.unsqueeze(1) if x.ndim == 3 else x


def _as_uint8(x: torch.Tensor, like: np.ndarray) -> np.ndarray:
    out = (x.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return out[:, 0] if np.asarray(like).ndim == 3 else out


def _rotate(x: torch.Tensor, degrees: float, generator: torch.Generator) -> torch.Tensor:
    sign = torch.randint(0, 2, (len(x),), generator=generator).float() * 2 - 1
    angle = torch.deg2rad(sign * degrees)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, torch.zeros_like(cos)], 1),
                         torch.stack([sin, cos, torch.zeros_like(cos)], 1)], 1)
    grid = functional.affine_grid(theta, list(x.shape), align_corners=False)
    return functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(int(np.ceil(3 * sigma)), 1)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    rows = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    cols = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    x = functional.conv2d(functional.pad(x, (0, 0, radius, radius), mode="replicate"), rows, groups=channels)
    return functional.conv2d(functional.pad(x, (radius, radius, 0, 0), mode="replicate"), cols, groups=channels)


def _occlude(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    height, width = x.shape[-2:]
    side_h, side_w = max(round(fraction * height), 1), max(round(fraction * width), 1)
    top = torch.randint(0, height - side_h + 1, (len(x),), generator=generator)
    left = torch.randint(0, width - side_w + 1, (len(x),), generator=generator)
    x = x.clone()
    for i in range(len(x)):  # a few thousand images: a loop is clear and fast enough
        x[i, :, top[i]:top[i] + side_h, left[i]:left[i] + side_w] = 0.5
    return x


def corrupt(images: np.ndarray, name: str, severity: int, seed: int) -> np.ndarray:
    """``images`` (uint8) with corruption ``name`` at ``severity`` (1-5); seeded, so the same call gives the same."""
    if name not in SEVERITIES:
        raise ValueError(f"unknown corruption {name!r}; choose from {sorted(SEVERITIES)}")
    if not 1 <= severity <= 5:
        raise ValueError(f"severity must be 1 to 5, got {severity}")
    strength = SEVERITIES[name][severity - 1]
    generator = torch.Generator().manual_seed(seed)
    x = _as_float(images)
    if name == "rotation":
        x = _rotate(x, strength, generator)
    elif name == "blur":
        x = _blur(x, strength)
    elif name == "noise":
        x = x + strength * torch.randn(x.shape, generator=generator)
    elif name == "invert":
        x = 1 - x
    else:
        x = _occlude(x, strength, generator)
    return _as_uint8(x, images)


def digits_images(like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits as uint8 images of the size and layout of ``like``, and their labels.

    The 8x8 images hold ink counts 0..16 (ink bright on a dark ground, as Fashion-MNIST's objects); they are
    scaled to 0..255 and resized bilinearly to ``like``'s height and width, repeated over its channels.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.from_numpy(digits.images.astype(np.float32) / 16).unsqueeze(1)
    like = np.asarray(like)
    x = functional.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)
    if like.ndim == 4:
        x = x.repeat(1, like.shape[1], 1, 1)
    return _as_uint8(x, like), digits.target.astype(np.int64)


def build_domains(eval_images: np.ndarray, eval_labels: np.ndarray, probe_images: np.ndarray,
                  probe_labels: np.ndarray, cfg: DomainsConfig, seed: int) -> list[Domain]:
    """The sets of ``cfg`` from the prepared evaluation set and probe subset (labels are those images')."""
    domains = []
    n_eval, n_probe = min(cfg.eval_size, len(eval_images)), min(cfg.probe_size, len(probe_images))
    for index, name in enumerate(cfg.shifts):
        shift_seed = seed * 1000 + index  # one stream per corruption, independent of the others
        domains.append(Domain(
            f"shift_{name}",
            corrupt(eval_images[:n_eval], name, cfg.severity, shift_seed), eval_labels[:n_eval],
            corrupt(probe_images[:n_probe], name, cfg.severity, shift_seed + 500), probe_labels[:n_probe]))
    if cfg.digits:
        images, labels = digits_images(eval_images[:1])
        order = np.random.default_rng(seed).permutation(len(images))
        half = len(order) // 2
        probe_rows, eval_rows = np.sort(order[:half][:cfg.probe_size]), np.sort(order[half:][:cfg.eval_size])
        domains.append(Domain(OUT_OF_DOMAIN, images[eval_rows], labels[eval_rows], images[probe_rows], labels[probe_rows]))
    return domains


def save_domains(domains: list[Domain], path: str | Path) -> None:
    """One ``.npz``: ``names`` and, per set, ``<name>__<part>_images`` and ``<name>__<part>_labels``."""
    arrays = {"names": np.array([d.name for d in domains], dtype=str)}
    for domain in domains:
        for part in PARTS:
            arrays[f"{domain.name}__{part}_images"] = getattr(domain, f"{part}_images")
            arrays[f"{domain.name}__{part}_labels"] = getattr(domain, f"{part}_labels")
    save_npz(path, **arrays)


def load_domains(path: str | Path, scored: bool = True) -> list[Domain]:
    """The sets ``prepare`` wrote (none if the file lists none, or if not ``scored``: ``protocols.domains``
    false, the cheap path of sweep points, which skips them without reading the file)."""
    if not scored:
        return []
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"shifted and out-of-domain sets {path} not found; run the prepare stage "
                                "(dvc repro prepare)")
    arrays = load_arrays(path, "recreate it with the prepare stage (dvc repro --force prepare)")
    try:
        return [Domain(str(name), *(arrays[f"{name}__{part}_{kind}"] for part in PARTS for kind in ("images", "labels")))
                for name in arrays["names"]]
    except KeyError as error:
        raise ValueError(f"{path} lacks the array {error}; recreate it with the prepare stage "
                         "(dvc repro --force prepare)") from error
