"""Fine-tuning accuracy (sslnb.stages.finetune): closed forms on encoders built for the test."""

import numpy as np
import pytest
import torch
from torch import nn

from sslnb.images import to_tensor
from sslnb.stages.finetune import finetune_accuracy


class Flat(nn.Module):
    """A linear encoder of 4x4 images, without BatchNorm, so its eval mode is its training mode."""

    embedding_dim = 3

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(16, 3)

    def forward(self, x):
        return self.linear(x.flatten(1))


def _images(rng, n, classes=2):
    """Class c: image brightness around (c + 1) / (classes + 1); separable by the mean pixel."""
    labels = rng.integers(0, classes, n)
    images = (labels[:, None, None] + 1) / (classes + 1) + 0.02 * rng.normal(size=(n, 4, 4))
    return (255 * np.clip(images, 0, 1)).astype(np.uint8), labels


def test_zero_rates_score_the_seeded_head_on_the_frozen_encoder_by_hand():
    rng = np.random.default_rng(0)
    train, train_y = _images(rng, 64)
    test, test_y = _images(rng, 40)
    torch.manual_seed(1)
    encoder = Flat()
    got = finetune_accuracy(encoder, train, train_y, {"test": (test, test_y)}, backbone_lr_scale=0,
                            head_lr_scale=0, weight_decay=0, seed=7)
    with torch.random.fork_rng():  # the head finetune_accuracy builds: PyTorch's default init under seed 7
        torch.manual_seed(7)
        head = nn.Linear(3, 2)
    with torch.no_grad():
        predicted = head(encoder(to_tensor(test))).argmax(dim=1).numpy()
    assert got == {"test": float(np.mean(predicted == test_y))}


def test_fine_tuning_learns_a_separable_task_and_leaves_the_encoder_untouched():
    rng = np.random.default_rng(0)
    train, train_y = _images(rng, 256, classes=3)
    test, test_y = _images(rng, 90, classes=3)
    torch.manual_seed(0)
    encoder = Flat()
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    got = finetune_accuracy(encoder, train, train_y, {"a": (test, test_y), "b": (test[:30], test_y[:30])},
                            epochs=30, batch_size=32, lr=0.01, seed=0)
    assert got["a"] == 1.0 and got["b"] == 1.0
    assert all(torch.equal(before[k], v) for k, v in encoder.state_dict().items())
    again = finetune_accuracy(encoder, train, train_y, {"a": (test, test_y)}, epochs=2, seed=3)
    assert again == finetune_accuracy(encoder, train, train_y, {"a": (test, test_y)}, epochs=2, seed=3)


def test_bad_inputs_are_named():
    rng = np.random.default_rng(0)
    train, train_y = _images(rng, 16)
    with pytest.raises(ValueError, match="single class"):
        finetune_accuracy(Flat(), train, np.zeros(16, dtype=int), {})
    with pytest.raises(ValueError, match="training labels must be 1-D with one entry per image"):
        finetune_accuracy(Flat(), train, train_y[:5], {})
    with pytest.raises(ValueError, match="lr must be positive"):
        finetune_accuracy(Flat(), train, train_y, {}, lr=0)
