"""Each SSL method: builds from params, trains a step, keeps its momentum parts and queue right."""

import pytest
import torch

from sslnb.config import params_from_dict
from sslnb.methods import METHODS, MoCoV2, build_method
from sslnb.methods.byol import cosine_momentum

TINY_MODEL = {"width": 4, "stages": 2, "projector_hidden": 16, "projector_dim": 8}


def _params(method, **options):
    return params_from_dict({"methods": {method: options}, "model": TINY_MODEL})


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_trains_one_step(method):
    torch.manual_seed(0)
    model = build_method(method, _params(method))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    views = torch.rand(8, 1, 28, 28), torch.rand(8, 1, 28, 28)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    labels = (torch.arange(8) % 10,) if getattr(model, "uses_labels", False) else ()  # the supervised reference
    loss, z = model(*views, *labels)
    assert torch.isfinite(loss) and z.shape == (8, 8) and not z.requires_grad
    loss.backward()
    optimizer.step()
    model.on_step_end(0.5)
    assert not torch.equal(before["backbone.stem.0.weight"], model.state_dict()["backbone.stem.0.weight"])
    model.eval()
    with torch.no_grad():
        out = model.embed(views[0])
    assert out["backbone"].shape == (8, 8) and out["projector"].shape == (8, 8)


def test_unknown_method_option_is_named():
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['queue'\] under methods.mocov2"):
        build_method("mocov2", _params("mocov2", queue=5))


def test_moco_queue_is_fifo_and_holds_normalised_keys():
    model = build_method("mocov2", _params("mocov2", queue_size=20))
    assert isinstance(model, MoCoV2)
    start = model.queue.clone()
    model(torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28))  # enqueues 8 keys
    assert int(model.queue_pointer) == 8
    torch.testing.assert_close(model.queue[8:], start[8:])
    torch.testing.assert_close(model.queue[:8].norm(dim=1), torch.ones(8))
    for _ in range(2):
        model(torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28))
    assert int(model.queue_pointer) == 24 % 20


def test_momentum_encoders_follow_the_online_network():
    model = build_method("byol", _params("byol", momentum=0.5))
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(1.0)
    target = model.target_backbone.stem[0].weight.clone()
    online = model.backbone.stem[0].weight.clone()
    model.on_step_end(0.0)  # tau = base = 0.5
    torch.testing.assert_close(model.target_backbone.stem[0].weight, 0.5 * target + 0.5 * online)


def test_byol_momentum_schedule_closed_form():
    assert cosine_momentum(0.99, 0.0) == pytest.approx(0.99)
    assert cosine_momentum(0.99, 0.5) == pytest.approx(0.995)
    assert cosine_momentum(0.99, 1.0) == pytest.approx(1.0)
