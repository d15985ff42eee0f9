"""Training on the tiny profile: checkpoints, their contents, determinism and resume."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import tiny_params
from sslnb.config import params_from_dict
from sslnb.sources import prepare
from sslnb.stages.embed import embed
from sslnb.io import load_checkpoint
from sslnb.paths import ProjectPaths
from sslnb.training.trainer import train


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, fake_fashion_dir):
    raw = tiny_params(fake_fashion_dir)
    raw["data"].update(train_size=128, probe_size=64, test_size=64)
    raw["train"].update(batch_size=32, epochs=3, milestones=[0, 1, 3])
    params = params_from_dict(raw)
    paths = ProjectPaths(tmp_path_factory.mktemp("train"))
    prepare(params, paths)
    train(params, "simclr", paths)
    return params, paths


def _weights(paths, epoch):
    return load_checkpoint(paths.checkpoint("simclr", epoch))["model"]


def test_checkpoints_at_milestones_hold_everything_to_resume(tiny):
    params, paths = tiny
    names = sorted(p.name for p in paths.checkpoints("simclr").glob("epoch_*.pt"))
    assert names == ["epoch_0000.pt", "epoch_0001.pt", "epoch_0003.pt"]
    state = load_checkpoint(paths.checkpoint("simclr", 3))
    assert {"model", "optimizer", "scheduler", "rng", "config", "history", "epoch"} <= set(state)
    assert [h["epoch"] for h in state["history"]] == [0, 1, 2, 3]
    assert state["config"]["method"] == "simclr"
    history = pd.read_csv(paths.checkpoints("simclr") / "history.csv")
    # the label-free monitor logged the backbone's metrics at every epoch, epoch 0 included
    assert history.epoch.tolist() == [0, 1, 2, 3]
    assert history[["rankme", "silhouette", "entropy_kl_bits", "embedding_std"]].notna().all().all()
    assert history.loss.isna().tolist() == [True, False, False, False]


def test_training_changes_the_weights(tiny):
    _, paths = tiny
    before, after = _weights(paths, 0), _weights(paths, 3)
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_same_seed_same_weights(tiny, tmp_path):
    params, paths = tiny
    again = ProjectPaths(tmp_path)
    again.dataset.parent.mkdir(parents=True)
    again.dataset.write_bytes(paths.dataset.read_bytes())
    train(params, "simclr", again)
    for key, value in _weights(paths, 3).items():
        torch.testing.assert_close(_weights(again, 3)[key], value, rtol=0, atol=0)


def test_resume_from_a_milestone_ends_with_the_same_weights(tiny, tmp_path):
    params, paths = tiny
    resumed = ProjectPaths(tmp_path)
    resumed.dataset.parent.mkdir(parents=True)
    resumed.dataset.write_bytes(paths.dataset.read_bytes())
    folder = resumed.checkpoints("simclr")
    folder.mkdir(parents=True)
    for epoch in (0, 1):  # as if the run had been killed during epoch 2
        resumed.checkpoint("simclr", epoch).write_bytes(paths.checkpoint("simclr", epoch).read_bytes())
    train(params, "simclr", resumed)
    state = load_checkpoint(resumed.checkpoint("simclr", 3))
    assert [h["epoch"] for h in state["history"]] == [0, 1, 2, 3]
    for key, value in _weights(paths, 3).items():
        torch.testing.assert_close(state["model"][key], value, rtol=0, atol=0)


def test_embeddings_are_float32_per_checkpoint(tiny):
    params, paths = tiny
    embed(params, "simclr", paths)
    import numpy as np

    with np.load(paths.embedding("simclr", 3)) as arrays:
        own = {f"{part}_{layer}" for part in ("eval", "probe", "views") for layer in ("backbone", "projector")}
        sets = [f"shift_{name}" for name in params.domains.shifts] + ["digits"]
        assert set(arrays) == own | {f"{name}__{key}" for name in sets for key in own}
        assert all(arrays[key].dtype == np.float32 for key in arrays)
        assert arrays["digits__views_backbone"].shape[:2] == (params.domains.view_samples, params.metrics.views)
        # the augmented views of the first evaluation images: (V, q, D)
        views = min(params.metrics.view_samples, 64)
        assert arrays["views_projector"].shape == (views, params.metrics.views, params.model.projector_dim)
        assert arrays["eval_backbone"].dtype == np.float32
        assert arrays["eval_backbone"].shape == (64, params.model.width * 2 ** (params.model.stages - 1))
        assert arrays["probe_projector"].shape == (64, params.model.projector_dim)


@pytest.mark.parametrize("stop_gradient", [False, True])
def test_collapse_warning_for_simsiam_without_stop_gradient(tmp_path, fake_fashion_dir, stop_gradient):
    raw = tiny_params(fake_fashion_dir)
    raw["methods"] = {"simsiam": {"stop_gradient": stop_gradient, "lr": 0.02}}
    raw["data"].update(train_size=256, probe_size=64, test_size=64)
    raw["train"].update(batch_size=64, epochs=15, milestones=[0, 5, 10])
    params, paths = params_from_dict(raw), ProjectPaths(tmp_path)
    prepare(params, paths)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(params, "simsiam", paths)
    collapse = [w for w in caught if "collapsing" in str(w.message)]
    history = load_checkpoint(paths.checkpoint("simsiam", 15))["history"]
    if stop_gradient:
        assert not collapse, f"healthy SimSiam must not warn; std per epoch: {[h['projector_std'] for h in history]}"
    else:
        assert len(collapse) == 1, "the warning comes once, when the std nears 0"
        assert history[-1]["projector_std"] < 0.1 * 16**-0.5
    # Checkpoints keep coming after the collapse, so it can be studied.
    assert paths.checkpoint("simsiam", 15).is_file() and paths.checkpoint("simsiam", 10).is_file()


def test_supervised_reference_learns_the_labels_and_embeds_like_the_ssl_methods(tmp_path, fake_fashion_dir):
    """The labelled reference of the architecture comparison: cross-entropy through the same loop."""
    raw = tiny_params(fake_fashion_dir)
    raw["methods"] = {"supervised": {"lr": 0.01}}
    raw["model"]["architecture"] = "convnet"
    raw["data"].update(train_size=256, probe_size=64, test_size=64)
    raw["train"].update(batch_size=32, epochs=4, milestones=[0, 4])
    params, paths = params_from_dict(raw), ProjectPaths(tmp_path)
    prepare(params, paths)
    train(params, "supervised", paths)
    history = load_checkpoint(paths.checkpoint("supervised", 4))["history"]
    assert history[-1]["loss"] < 0.8 * history[1]["loss"], [h["loss"] for h in history]
    embed(params, "supervised", paths)
    with np.load(paths.embedding("supervised", 4)) as arrays:
        assert {"eval_backbone", "eval_projector", "probe_backbone"} <= set(arrays.files)


def test_supervised_reference_needs_labels(tmp_path, fake_fashion_dir):
    from sslnb.training.methods import build_method

    raw = tiny_params(fake_fashion_dir)
    raw["methods"] = {"supervised": {"classes": 3}}
    model = build_method("supervised", params_from_dict(raw))
    views = torch.rand(2, 4, 1, 28, 28)
    with pytest.raises(ValueError, match="methods.supervised.classes"):
        model(views[0], views[1], torch.tensor([0, 1, 2, 7]))


def test_history_uses_the_metrics_sections_options(tiny):
    """One home for the metric settings: the trainer's monitor scores as the evaluate stage does."""
    params, paths = tiny
    history = pd.read_csv(paths.checkpoints("simclr") / "history.csv")
    assert params.metrics.silhouette_pca_dim and history.silhouette_pca.notna().all()


def test_callbacks_see_every_epoch_after_the_trainers_own(tiny, tmp_path):
    from sslnb.training.callbacks import Callback
    from sslnb.training.trainer import Trainer

    class Record(Callback):
        def __init__(self):
            self.seen, self.started, self.ended = [], None, False

        def on_train_start(self, trainer, start_epoch):
            self.started = start_epoch

        def on_epoch_end(self, trainer, epoch, record):
            self.seen.append((epoch, "rankme" in record, trainer.history[-1] is record))

        def on_train_end(self, trainer):
            self.ended = True

    params, paths = tiny
    again = ProjectPaths(tmp_path)
    again.dataset.parent.mkdir(parents=True)
    again.dataset.write_bytes(paths.dataset.read_bytes())
    recorder = Record()
    Trainer(params, "simclr", again, callbacks=[recorder]).run()
    # epoch 0 too; the monitor's metrics are in the record, and the history callback has appended it
    assert recorder.seen == [(e, True, True) for e in range(4)]
    assert recorder.started == 0 and recorder.ended
    assert sorted(p.name for p in again.checkpoints("simclr").glob("*.pt")) == [
        "epoch_0000.pt", "epoch_0001.pt", "epoch_0003.pt"]


def test_learning_rate_schedule_closed_form():
    import math

    from sslnb.training.trainer import lr_factor

    cosine = lr_factor(total_steps=100)
    assert cosine(0) == 1.0 and cosine(50) == pytest.approx(0.5) and cosine(100) == pytest.approx(0.0)
    warm = lr_factor(total_steps=100, warmup_steps=10)
    assert [warm(s) for s in (0, 4, 9)] == pytest.approx([0.1, 0.5, 1.0])
    assert warm(55) == pytest.approx(0.5 * (1 + math.cos(math.pi * 45 / 90)))
    assert lr_factor(100, 10, "constant")(80) == 1.0


def test_sgd_with_momentum_trains_and_resumes_identically(tiny, tmp_path):
    params, paths = tiny
    raw = params.to_dict()
    raw["train"].update(optimizer="sgd", lr=0.05, momentum=0.9, warmup_epochs=1)
    sgd = params_from_dict(raw)
    root = ProjectPaths(tmp_path / "sgd")
    root.dataset.parent.mkdir(parents=True)
    root.dataset.write_bytes(paths.dataset.read_bytes())
    train(sgd, "simclr", root)
    state = load_checkpoint(root.checkpoint("simclr", 3))
    assert state["optimizer"]["param_groups"][0]["momentum"] == 0.9
    final = state["model"]
    root.checkpoint("simclr", 3).unlink()  # resume from epoch 1
    train(sgd, "simclr", root)
    again = load_checkpoint(root.checkpoint("simclr", 3))["model"]
    assert all(torch.equal(final[k], again[k]) for k in final)
