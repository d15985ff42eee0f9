"""The held-out objective (sslnb.metrics.heldout) against a hand-written loop and SimCLR's own loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sslnb.training.losses import nt_xent
from sslnb.metrics.heldout import heldout_ntxent


def _loop(view1: np.ndarray, view2: np.ndarray, t: float) -> float:
    """NT-Xent written out view by view, in float64 (Chen et al. 2020, equation 1)."""
    u = np.concatenate([view1, view2]).astype(np.float64)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    n, total = len(view1), 0.0
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        others = [math.exp(u[i] @ u[k] / t) for k in range(2 * n) if k != i]
        total += -u[i] @ u[positive] / t + math.log(sum(others))
    return total / (2 * n)


@pytest.mark.parametrize("t", [0.05, 0.5, 1.0])
def test_equals_a_hand_written_loop_and_the_training_loss(t):
    rng = np.random.default_rng(0)
    view1 = rng.normal(size=(12, 5)).astype(np.float32)
    view2 = (view1 + 0.3 * rng.normal(size=view1.shape)).astype(np.float32)
    got = heldout_ntxent(view1, view2, t)
    assert got == pytest.approx(_loop(view1, view2, t), rel=1e-10)
    torch_loss = nt_xent(torch.as_tensor(view1, dtype=torch.float64), torch.as_tensor(view2, dtype=torch.float64), t)
    assert got == pytest.approx(float(torch_loss), rel=1e-10)


def test_collapsed_views_give_log_of_the_negatives_plus_one():
    view = np.ones((10, 4), dtype=np.float32)
    assert heldout_ntxent(view, view, 0.5) == pytest.approx(math.log(19), rel=1e-12)


def test_is_the_same_number_for_every_run_whatever_its_training_temperature():
    # the point of a fixed temperature: one number per embedding, not per run's loss definition
    rng = np.random.default_rng(1)
    view1 = rng.normal(size=(20, 8))
    view2 = view1 + 0.1 * rng.normal(size=view1.shape)
    assert heldout_ntxent(view1, view2, 0.5) < heldout_ntxent(view1, rng.normal(size=view1.shape), 0.5)


@pytest.mark.parametrize("bad, message", [
    ((np.ones((1, 3)), np.ones((1, 3)), 0.5), "at least 2 images"),
    ((np.ones((4, 3)), np.ones((5, 3)), 0.5), "same shape"),
    ((np.ones((4, 3)), np.ones((4, 3)), 0.0), "temperature must be positive"),
])
def test_bad_input_is_named(bad, message):
    with pytest.raises(ValueError, match=message):
        heldout_ntxent(*bad)
