import numpy as np
import torch

from sslnb.images import to_tensor
from sslnb.training.augment import augment, random_resized_crop_and_flip, two_views
from sslnb.config import AugmentConfig


def _batch(n=8):
    images = np.random.default_rng(0).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    return to_tensor(images)


def test_views_keep_shape_and_range_and_differ():
    batch = _batch()
    v1, v2 = two_views(batch, AugmentConfig(), torch.Generator().manual_seed(0))
    assert v1.shape == v2.shape == (8, 1, 28, 28)
    assert v1.min() >= 0 and v1.max() <= 1
    assert not torch.allclose(v1, v2)


def test_same_seed_same_views():
    batch = _batch()
    a = augment(batch, AugmentConfig(), torch.Generator().manual_seed(3))
    b = augment(batch, AugmentConfig(), torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)


def test_full_crop_without_flip_is_identity_and_flip_mirrors():
    batch = _batch(4)
    keep = AugmentConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), flip_p=0.0)
    out = random_resized_crop_and_flip(batch, keep, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, batch, atol=1e-5, rtol=0)
    flip = AugmentConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), flip_p=1.0)
    out = random_resized_crop_and_flip(batch, flip, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, batch.flip(-1), atol=1e-5, rtol=0)


def test_random_grayscale_on_rgb_views():
    from sslnb.training.augment import random_grayscale

    rgb = torch.rand(6, 3, 8, 8)
    grey = random_grayscale(rgb, 1.0, torch.Generator().manual_seed(0))
    expected = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
    for channel in range(3):
        torch.testing.assert_close(grey[:, channel], expected)
    torch.testing.assert_close(random_grayscale(rgb, 0.0, torch.Generator().manual_seed(0)), rgb)
