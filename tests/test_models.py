"""The encoder families: shapes, sizes, and that each one trains a step of every SSL method."""

import pytest
import torch

from sslnb.config import DataConfig, ModelConfig, params_from_dict
from sslnb.training.methods import METHODS, build_method
from sslnb.training.models import ConvNet, SmallResNet, SmallViT, backbone_for

FAMILIES = {
    "resnet": {"architecture": "resnet", "width": 8, "stages": 2},
    "convnet": {"architecture": "convnet", "width": 8, "stages": 2},
    "vit": {"architecture": "vit", "width": 16, "depth": 2, "heads": 2, "patch_size": 7},
}


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("data", [DataConfig(name="fashion_mnist"), DataConfig(name="cifar10")], ids=["grey28", "rgb32"])
def test_every_family_embeds_its_data(name, data):
    cfg = ModelConfig(**FAMILIES[name])
    encoder = backbone_for(cfg, data).eval()
    images = torch.rand(5, data.input_channels, data.input_size, data.input_size)
    out = encoder(images)
    assert out.shape == (5, encoder.embedding_dim)
    assert torch.isfinite(out).all()


def test_convnet_matches_the_resnet_width_but_has_no_shortcuts():
    plain, residual = ConvNet(1, 16, 3, 1), SmallResNet(1, 16, 3, 1)
    assert plain.embedding_dim == residual.embedding_dim == 64
    assert not any("shortcut" in name for name, _ in plain.named_modules())
    assert sum(p.numel() for p in plain.parameters()) < sum(p.numel() for p in residual.parameters())


def test_vit_counts_its_patches_and_pads_to_whole_patches():
    vit = SmallViT(in_channels=1, image_size=28, patch_size=8, dim=32, depth=1, heads=4)
    assert vit.position.shape[1] == 4 * 4 + 1  # 28 padded to 32: a 4 x 4 grid, plus the class token
    assert vit(torch.rand(2, 1, 28, 28)).shape == (2, 32)
    with pytest.raises(ValueError, match="model.image_size"):
        vit(torch.rand(2, 1, 64, 64))
    with pytest.raises(ValueError, match="multiple of its heads"):
        SmallViT(dim=30, heads=4)


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="model.architecture must be one of"):
        params_from_dict({"model": {"architecture": "mlp"}})


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_trains_a_step_on_every_family(name, method):
    params = params_from_dict({"model": {**FAMILIES[name], "projector_hidden": 16, "projector_dim": 8},
                               "methods": {method: {}}})
    if method == "mae" and FAMILIES[name]["architecture"] != "vit":
        with pytest.raises(ValueError, match="methods.mae needs the ViT encoder"):
            build_method(method, params)
        return
    torch.manual_seed(0)
    model = build_method(method, params).train()
    views = torch.rand(2, 8, 1, 28, 28)
    labels = (torch.arange(8) % 10,) if getattr(model, "uses_labels", False) else ()  # the supervised reference
    loss, _ = model(views[0], views[1], *labels)
    loss.backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert torch.isfinite(loss) and all(g is not None and torch.isfinite(g).all() for g in grads)
