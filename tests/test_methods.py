"""Each SSL method: builds from params, trains a step, keeps its momentum parts and queue right."""

import numpy as np
import pytest
import torch

from sslnb.config import params_from_dict
from sslnb.training.methods import METHODS, MoCoV2, build_method
from sslnb.training.methods.byol import cosine_momentum

TINY_MODEL = {"width": 4, "stages": 2, "projector_hidden": 16, "projector_dim": 8}


TINY_VIT = {"architecture": "vit", "width": 8, "patch_size": 7, "depth": 1, "heads": 2}


def _params(method, **options):
    if method == "mae":  # masked autoencoding needs the ViT: its own model section, as params.yaml gives it
        options = {"model": TINY_VIT, "decoder_dim": 8, **options}
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
    first = "backbone.patches.weight" if method == "mae" else "backbone.stem.0.weight"
    assert not torch.equal(before[first], model.state_dict()[first])
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


def test_rotation_rotates_each_view_by_its_label_and_learns_it():
    from sslnb.training.methods.rotation import rotate_batch

    images = torch.rand(6, 1, 5, 5)
    rotations = torch.tensor([0, 1, 2, 3, 1, 2])
    rotated = rotate_batch(images, rotations)
    for image, r, got in zip(images, rotations, rotated):
        assert torch.equal(got, torch.rot90(image, int(r), dims=(-2, -1)))
    with pytest.raises(ValueError, match="square images"):
        rotate_batch(torch.rand(2, 1, 4, 5), torch.tensor([0, 1]))
    torch.manual_seed(0)
    model = build_method("rotation", _params("rotation"))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    views = torch.rand(16, 1, 28, 28), torch.rand(16, 1, 28, 28)
    losses = []
    for _ in range(30):  # random images rotated: the rotation is learnable, the loss falls from log 4
        loss, _ = model(*views)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(np.log(4), abs=0.3) and losses[-1] < 0.5 * losses[0]


def test_mae_reconstructs_only_the_masked_patches():
    from sslnb.training.methods.mae import patchify

    images = torch.arange(2 * 1 * 8 * 8, dtype=torch.float32).reshape(2, 1, 8, 8)
    patches = patchify(images, 4)  # row-major patches of 4x4, the ViT's token order
    assert patches.shape == (2, 4, 16) and torch.equal(patches[0, 1], images[0, 0, :4, 4:].reshape(-1))
    torch.manual_seed(0)
    model = build_method("mae", _params("mae", mask_ratio=0.75))
    assert model.backbone.pool == "mean" and model.projector is model.decoder_embed
    views = torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28)
    loss, z = model(*views)
    assert torch.isfinite(loss) and z.shape == (4, 8)
    with pytest.raises(ValueError, match="mask_ratio must be between 0 and 1"):
        build_method("mae", _params("mae", mask_ratio=1.0))
    with pytest.raises(ValueError, match="methods.mae needs the ViT encoder"):
        build_method("mae", params_from_dict({"methods": {"mae": {}}, "model": TINY_MODEL}))


def test_mae_loss_counts_masked_patches_only(monkeypatch):
    torch.manual_seed(0)
    model = build_method("mae", _params("mae", mask_ratio=0.5, norm_pix_loss=False))
    views = torch.rand(3, 1, 28, 28), torch.rand(3, 1, 28, 28)
    # A decoder that outputs the true pixels on the visible patches and zeros elsewhere: the loss must be
    # the mean squared pixel value of the masked patches, by hand.
    from sslnb.training.methods import mae as mae_module

    target = mae_module.patchify(views[0], model.backbone.patch_size)
    seen = {}
    real_rand = torch.rand

    def recording_rand(*size, **kwargs):
        noise = real_rand(*size, **kwargs)
        seen["noise"] = noise
        return noise

    monkeypatch.setattr(mae_module.torch, "rand", recording_rand)
    model.decoder_pred.forward = lambda x: torch.zeros(*x.shape[:2], target.shape[-1])
    loss, _ = model(*views)
    order = torch.argsort(seen["noise"], dim=1)
    keep = round(target.shape[1] * 0.5)
    masked = torch.zeros(target.shape[:2], dtype=torch.bool)
    masked.scatter_(1, order[:, keep:], True)
    expected = (target ** 2).mean(dim=-1)[masked].mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
