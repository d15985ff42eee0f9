import math

import pytest
import torch

from sslnb.training.losses import nt_xent


def test_nt_xent_closed_form_on_orthogonal_pairs():
    # Views u = (e1, e2 | e1, e2): each view's positive has similarity 1, its two negatives 0, so
    # loss_i = -log(e^(1/t) / (e^(1/t) + 2)) = log(1 + 2 e^(-1/t)) for every view.
    z = torch.eye(2)
    t = 0.5
    assert nt_xent(z, z.clone(), t).item() == pytest.approx(math.log(1 + 2 * math.exp(-1 / t)), rel=1e-6)


def _nt_xent_by_hand(z1: torch.Tensor, z2: torch.Tensor, t: float) -> float:
    """The paper's formula, one view at a time, with explicit loops."""
    views = [v / v.norm() for v in torch.cat([z1, z2])]
    n = len(z1)
    total = 0.0
    for i, u in enumerate(views):
        positive = (i + n) % (2 * n)
        numerator = math.exp(float(u @ views[positive]) / t)
        denominator = sum(math.exp(float(u @ views[k]) / t) for k in range(2 * n) if k != i)
        total += -math.log(numerator / denominator)
    return total / (2 * n)


@pytest.mark.parametrize("t", [0.1, 0.5, 1.0])
def test_nt_xent_matches_the_formula_on_random_pairs(t):
    generator = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 3, generator=generator), torch.randn(5, 3, generator=generator)
    assert nt_xent(z1, z2, t).item() == pytest.approx(_nt_xent_by_hand(z1, z2, t), rel=1e-5)


def test_nt_xent_is_scale_free_and_differentiable():
    z1 = torch.randn(4, 8, requires_grad=True)
    z2 = torch.randn(4, 8)
    loss = nt_xent(z1, z2)
    loss.backward()
    assert z1.grad is not None and torch.isfinite(z1.grad).all()
    assert nt_xent(3 * z1, z2).item() == pytest.approx(loss.item(), rel=1e-5)


@pytest.mark.parametrize("z1, z2, t, match", [
    (torch.randn(4, 3), torch.randn(5, 3), 0.5, "equal shape"),
    (torch.randn(1, 3), torch.randn(1, 3), 0.5, "at least 2"),
    (torch.randn(4, 3), torch.randn(4, 3), 0.0, "temperature"),
])
def test_nt_xent_rejects_bad_input(z1, z2, t, match):
    with pytest.raises(ValueError, match=match):
        nt_xent(z1, z2, t)


# -- InfoNCE (MoCo) -------------------------------------------------------------------------------
from sslnb.training.losses import info_nce, negative_cosine  # noqa: E402


def test_info_nce_closed_form():
    # q = k = e1, queue = (e2, -e1): logits (1, 0, -1) / t, the positive first.
    q = torch.tensor([[1.0, 0.0]])
    queue = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    t = 0.2
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + 1 + math.exp(-1 / t)))
    # float32 cross-entropy of a loss near 0: relative error about 1e-6 of 1, i.e. ~3e-6 of the value
    assert info_nce(q, q.clone(), queue, t).item() == pytest.approx(expected, rel=1e-5)


def test_info_nce_matches_the_formula_and_stops_gradients_into_keys():
    generator = torch.Generator().manual_seed(1)
    q = torch.randn(4, 3, generator=generator, requires_grad=True)
    k = torch.randn(4, 3, generator=generator, requires_grad=True)
    queue = torch.randn(6, 3, generator=generator)
    t = 0.5
    unit = lambda v: v.detach() / v.detach().norm()  # noqa: E731
    expected = 0.0
    for i in range(4):
        positive = math.exp(float(unit(q[i]) @ unit(k[i])) / t)
        negatives = sum(math.exp(float(unit(q[i]) @ unit(n)) / t) for n in queue)
        expected += -math.log(positive / (positive + negatives)) / 4
    loss = info_nce(q, k, queue, t)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    loss.backward()
    assert q.grad is not None and k.grad is None


def test_info_nce_rejects_a_queue_of_the_wrong_width():
    with pytest.raises(ValueError, match="queue must have shape"):
        info_nce(torch.randn(2, 3), torch.randn(2, 3), torch.randn(5, 4))


# -- negative cosine (SimSiam, BYOL) --------------------------------------------------------------
def test_negative_cosine_closed_form_and_stop_gradient():
    p = torch.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    z = torch.tensor([[1.0, 1.0], [0.0, -3.0]], requires_grad=True)
    loss = negative_cosine(p, z)
    assert loss.item() == pytest.approx(-(1 / math.sqrt(2) - 1) / 2, rel=1e-6)
    loss.backward()
    assert p.grad is not None and z.grad is None
    negative_cosine(p, z, stop_gradient=False).backward()
    assert z.grad is not None


def test_negative_cosine_shape_check():
    with pytest.raises(ValueError, match="equal shape"):
        negative_cosine(torch.randn(2, 3), torch.randn(3, 3))
