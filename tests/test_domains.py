"""Shifted and out-of-domain sets (sslnb.sources.domains): each corruption against a closed form."""

import numpy as np
import pytest

from sslnb.config import DomainsConfig
from sslnb.sources.domains import SEVERITIES, build_domains, corrupt, digits_images, load_domains, save_domains


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(12, 28, 28), dtype=np.uint8)


def test_invert_is_255_minus_x(images):
    assert np.array_equal(corrupt(images, "invert", 3, seed=0), 255 - images)


def test_a_quarter_turn_is_rot90_either_way(images):
    turned = corrupt(images, "rotation", 5, seed=0)  # severity 5: 90 degrees, the sign drawn per image
    assert SEVERITIES["rotation"][4] == 90
    for original, got in zip(images, turned):
        options = [np.rot90(original, k) for k in (1, -1)]
        assert any(np.abs(got.astype(int) - o.astype(int)).max() <= 1 for o in options)


def test_blur_keeps_a_constant_image_and_smooths_noise(images):
    flat = np.full((2, 28, 28), 100, dtype=np.uint8)
    assert np.array_equal(corrupt(flat, "blur", 5, seed=0), flat)
    assert corrupt(images, "blur", 3, seed=0).astype(float).std() < 0.5 * images.astype(float).std()


def test_occlusion_greys_a_square_of_the_severity_s_side():
    black = np.zeros((5, 28, 28), dtype=np.uint8)
    side = round(SEVERITIES["occlusion"][2] * 28)
    occluded = corrupt(black, "occlusion", 3, seed=1)
    assert all(np.sum(image == 128) == side * side for image in occluded)


def test_noise_is_seeded_and_has_the_severity_s_spread():
    grey = np.full((50, 28, 28), 128, dtype=np.uint8)
    noisy = corrupt(grey, "noise", 2, seed=4)
    assert np.array_equal(noisy, corrupt(grey, "noise", 2, seed=4))
    assert not np.array_equal(noisy, corrupt(grey, "noise", 2, seed=5))
    assert (noisy.astype(float) - 128).std() / 255 == pytest.approx(SEVERITIES["noise"][1], rel=0.05)


def test_digits_are_resized_to_the_data_set_s_layout():
    grey, labels = digits_images(np.zeros((1, 28, 28), dtype=np.uint8))
    rgb, _ = digits_images(np.zeros((1, 3, 32, 32), dtype=np.uint8))
    assert grey.shape == (1797, 28, 28) and rgb.shape == (1797, 3, 32, 32) and grey.dtype == np.uint8
    assert set(labels) == set(range(10)) and grey.max() == 255 and grey[:, 0, 0].max() == 0  # dark ground


def test_build_save_load_round_trip(images, tmp_path):
    labels = np.arange(12) % 3
    cfg = DomainsConfig(shifts=("invert", "blur"), eval_size=5, probe_size=4)
    domains = build_domains(images, labels, images[::-1].copy(), labels[::-1], cfg, seed=0)
    assert [d.name for d in domains] == ["shift_invert", "shift_blur", "digits"]
    assert domains[0].eval_images.shape == (5, 28, 28) and domains[0].probe_images.shape == (4, 28, 28)
    assert np.array_equal(domains[0].eval_labels, labels[:5]) and domains[0].shifted and not domains[2].shifted
    assert len(domains[2].eval_labels) == 5 and len(domains[2].probe_labels) == 4
    save_domains(domains, tmp_path / "domains.npz")
    loaded = load_domains(tmp_path / "domains.npz")
    assert [d.name for d in loaded] == [d.name for d in domains]
    assert all(np.array_equal(a.probe_images, b.probe_images) for a, b in zip(loaded, domains))
    save_domains([], tmp_path / "none.npz")
    assert load_domains(tmp_path / "none.npz") == []


def test_unknown_corruption_and_severity_are_named(images):
    with pytest.raises(ValueError, match="unknown corruption 'fog'"):
        corrupt(images, "fog", 3, seed=0)
    with pytest.raises(ValueError, match="severity must be 1 to 5"):
        corrupt(images, "blur", 0, seed=0)
