"""LabelFreeMonitor in a plain PyTorch loop: records every N steps, bounded cost, no effect on training."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from sslnb.training.augment import augment
from sslnb.config import AugmentConfig
from sslnb.monitor import LabelFreeMonitor


def images(n=300, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 12, 12, generator=generator)


def encoder():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())


def train(model, monitor=None, steps=6):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    data = images(64, seed=1)
    for step in range(steps):
        loss = model(data + 0.1 * torch.randn(data.shape)).pow(2).mean()  # draws from the global RNG
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if monitor is not None:
            monitor(model, step)
    return model


def test_records_every_n_steps_and_appends_jsonl(tmp_path):
    log = tmp_path / "logs" / "monitor.jsonl"
    monitor = LabelFreeMonitor(images(), every=2, sample_size=120, k=3, log_path=log)
    torch.manual_seed(0)
    train(encoder(), monitor)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 2, 4]
    assert all(np.isfinite(line[m]) for line in lines for m in ("rankme", "silhouette", "entropy_kl_bits"))
    assert len(monitor.images) == 120  # the cost is bounded by the sample, not the 300 images given


def test_monitoring_does_not_change_training_and_restores_the_mode():
    torch.manual_seed(0)
    plain = train(encoder())
    torch.manual_seed(0)
    watched = train(encoder(), LabelFreeMonitor(images(), every=1, sample_size=50, k=3))
    for a, b in zip(plain.state_dict().values(), watched.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    model = encoder().train()
    LabelFreeMonitor(images(), sample_size=50, k=3).compute(model)
    assert model.training


def test_views_add_alignment_uniformity_and_lidar_and_csv_log(tmp_path):
    config = AugmentConfig()
    monitor = LabelFreeMonitor(images(), sample_size=100, k=3, log_path=tmp_path / "m.csv", views=3,
                               view_samples=40, augment=lambda x, g: augment(x, config, g))
    record = monitor.compute(encoder(), step=7)
    assert all(np.isfinite(record[m]) for m in ("alignment", "uniformity", "lidar"))
    monitor.compute(encoder(), step=8)
    assert pd.read_csv(tmp_path / "m.csv").step.tolist() == [7, 8]


def test_takes_a_dataloader_and_rejects_bad_settings():
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images(), torch.zeros(300)), batch_size=32)
    assert len(LabelFreeMonitor(loader, sample_size=70, k=3).images) == 70
    with pytest.raises(ValueError, match="k=500"):
        LabelFreeMonitor(images(), sample_size=100, k=500)
    with pytest.raises(ValueError, match=".jsonl or .csv"):
        LabelFreeMonitor(images(), k=3, log_path="log.txt")


def test_uint8_images_from_a_loader_are_scaled_like_arrays():
    raw = (images(100) * 255).to(torch.uint8)
    loader = torch.utils.data.DataLoader(raw, batch_size=16)
    from_loader = LabelFreeMonitor(loader, sample_size=100, k=3).images
    from_array = LabelFreeMonitor(raw, sample_size=100, k=3).images
    torch.testing.assert_close(from_loader, from_array)
    assert from_loader.max() <= 1.0
