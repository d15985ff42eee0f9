"""sslnb.integrations: schedules, encoders, names, DDP (rank 0 computes), and the Hugging Face log order.

The full two-epoch fits with each framework are the README's examples (tests/test_readme_examples.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from sslnb.integrations.shared import check_schedule, logged_names, resolve_encoder


def images(n=240, seed=0):
    return torch.rand(n, 1, 12, 12, generator=torch.Generator().manual_seed(seed))


def batches(n=64, seed=1):
    """A Lightning data loader of ``n`` images in batches of 8."""
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images(n, seed=seed)), batch_size=8)


class Module(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.head = nn.Linear(16, 2)


def test_encoder_by_attribute_or_callable_and_a_clear_error_otherwise():
    module = Module()
    assert resolve_encoder(module, "backbone") is module.backbone
    assert resolve_encoder(module, lambda m: m.head) is module.head
    with pytest.raises(AttributeError, match=r"no attribute 'encoder'.*\['backbone', 'head'\]"):
        resolve_encoder(module, "encoder")


def test_schedules_and_names():
    with pytest.raises(ValueError, match="every_n_epochs must be a positive integer"):
        check_schedule(0, None)
    with pytest.raises(ValueError, match="needs a schedule"):
        check_schedule(None, None)
    assert logged_names({"step": 3, "rankme": 2.5}) == {"label_free/rankme": 2.5}


def test_mlflow_writer_names_the_fix_for_a_database_store_it_cannot_open(monkeypatch, tmp_path):
    from sslnb.integrations import writers

    def without_sqlalchemy(name):
        return None if name == "sqlalchemy" else find_spec(name)

    find_spec = writers.importlib.util.find_spec
    monkeypatch.setattr(writers.importlib.util, "find_spec", without_sqlalchemy)
    for uri in ("sqlite:///mlflow.db", "postgresql+psycopg2://host/db", "mysql://host/db"):
        with pytest.raises(RuntimeError, match="needs SQLAlchemy.*MLFLOW_TRACKING_URI.*pip install mlflow"):
            writers.check_tracking_store(uri)
    for uri in ("http://localhost:5000", "https://host", "file:///tmp/mlruns", "/tmp/mlruns", "databricks"):
        writers.check_tracking_store(uri)  # stores the tracking client opens itself
    monkeypatch.setattr(writers.importlib.util, "find_spec", lambda name: object())  # the full mlflow package
    writers.check_tracking_store("sqlite:///mlflow.db")
    if find_spec("mlflow") is not None and find_spec("sqlalchemy") is None:  # mlflow-skinny: MLflow 3's default
        monkeypatch.setattr(writers.importlib.util, "find_spec", without_sqlalchemy)
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
        monkeypatch.chdir(tmp_path)
        with pytest.raises(RuntimeError, match=r"tracking URI is sqlite:"):
            writers.MLflowWriter()


lightning = pytest.importorskip("lightning")


class LitModule(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.backbone = Module().backbone

    def training_step(self, batch, batch_idx):
        (x,) = batch
        return (self.backbone(x) - self.backbone(x.flip(-1))).pow(2).mean() - self.backbone(x).std()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


def test_lightning_every_n_steps_logs_at_those_steps(tmp_path):
    from lightning.pytorch.loggers import CSVLogger

    from sslnb.integrations import LightningMonitor

    monitor = LightningMonitor(images(), every_n_epochs=None, every_n_steps=3, k=3, sample_size=120)
    loader = batches()
    trainer = lightning.Trainer(max_steps=7, callbacks=[monitor], logger=CSVLogger(tmp_path), accelerator="cpu",
                                enable_progress_bar=False, enable_checkpointing=False, log_every_n_steps=1)
    trainer.fit(LitModule(), loader)
    assert [record["step"] for record in monitor.records] == [3, 6]
    log = pd.read_csv(next(Path(tmp_path).rglob("metrics.csv")))
    # once each; Lightning's loggers number the n-th optimizer step n - 1 (the row of that batch's own loss)
    assert log.dropna(subset=["label_free/rankme"]).step.tolist() == [2, 5]
    with pytest.raises(TypeError, match="every_n_epochs / every_n_steps"):
        LightningMonitor(images(), every=3)


class LitModuleWithValidation(LitModule):
    def validation_step(self, batch, batch_idx):
        (x,) = batch
        self.log("val_loss", (self.backbone(x) - self.backbone(x.flip(-1))).pow(2).mean())


@pytest.mark.parametrize("validation, steps", [
    ({}, [8, 16, 24]),                                  # validation at each epoch's end: saved at the epoch's end
    ({"check_val_every_n_epoch": 2}, [8, 16, 24]),      # saved after validation, only at epochs 1, 3, ...
    ({"val_check_interval": 0.5}, [4, 8, 12, 16, 20, 24]),  # saved after each of two validations per epoch
])
def test_lightning_checkpoints_are_scored_on_their_own_weights_whenever_lightning_saves(validation, steps, tmp_path):
    from lightning.pytorch.callbacks import ModelCheckpoint

    from sslnb.integrations import LightningMonitor

    torch.manual_seed(0)
    monitor = LightningMonitor(images(), every_n_epochs=1, k=3, sample_size=120)
    checkpoint = ModelCheckpoint(dirpath=tmp_path, monitor="label_free/rankme", mode="max", save_top_k=-1)
    train, val = batches(), batches(16, seed=2)
    trainer = lightning.Trainer(max_epochs=3, callbacks=[monitor, checkpoint], logger=False, accelerator="cpu",
                                enable_progress_bar=False, **validation)
    trainer.fit(LitModuleWithValidation(), train, val)
    assert [record["step"] for record in monitor.records] == steps  # once per validation or epoch end, not both
    rankme = {record["step"]: record["rankme"] for record in monitor.records}
    scores = {int(Path(path).stem.split("step=")[1]): float(score) for path, score in checkpoint.best_k_models.items()}
    assert scores and all(scores[step] == pytest.approx(rankme[step], rel=1e-6) for step in scores)  # float32 logs
    assert set(scores) == ({16} if validation.get("check_val_every_n_epoch") else set(steps))


DDP_SCRIPT = """
import json, os, sys, torch, lightning
sys.path.insert(0, {tests!r})
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from test_integrations import LitModule, batches, images
from sslnb.integrations import LightningMonitor

rank = os.environ.get("LOCAL_RANK", "0")
monitor = LightningMonitor(images(), every_n_epochs=1, k=3, sample_size=120, log_path=f"monitor_rank{{rank}}.csv")
# both decide on every rank together: each rank must hold the metric
checkpoint = ModelCheckpoint(dirpath="checkpoints", monitor="label_free/rankme", mode="max", save_top_k=1)
stopping = EarlyStopping(monitor="label_free/rankme", mode="max", patience=10)
loader = batches()
trainer = lightning.Trainer(max_epochs=2, callbacks=[monitor, stopping, checkpoint], logger=CSVLogger("logs"),
                            accelerator="cpu", devices=2, strategy="ddp", enable_progress_bar=False)
trainer.fit(LitModule(), loader)
seen = {{"rankme": trainer.callback_metrics["label_free/rankme"].item(), "best": checkpoint.best_model_score.item(),
         "best_path": os.path.basename(checkpoint.best_model_path)}}
with open(f"seen_rank{{rank}}.json", "w") as file:
    json.dump(seen, file)
"""


@pytest.mark.pipeline  # two processes over gloo
def test_lightning_under_ddp_rank_zero_computes_and_every_rank_can_checkpoint_on_it(tmp_path):
    script = tmp_path / "ddp_fit.py"
    script.write_text(DDP_SCRIPT.format(tests=str(Path(__file__).parent)))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "monitor_rank0.csv").is_file() and not (tmp_path / "monitor_rank1.csv").exists()
    records = pd.read_csv(tmp_path / "monitor_rank0.csv")
    assert len(records) == 2
    log = pd.read_csv(next(tmp_path.rglob("metrics.csv")))
    assert log["label_free/rankme"].notna().sum() == 2
    assert "sync_dist=True" not in result.stderr  # the values are declared synchronised
    # rank 1 holds rank 0's values, so ModelCheckpoint and EarlyStopping agree on every rank
    seen = [json.loads((tmp_path / f"seen_rank{rank}.json").read_text()) for rank in (0, 1)]
    assert seen[0] == seen[1]
    assert seen[0]["rankme"] == pytest.approx(records.rankme.iloc[-1], rel=1e-6)  # logged as float32
    assert seen[0]["best"] == pytest.approx(records.rankme.max(), rel=1e-6)
    best_epoch = int(records.rankme.idxmax())
    assert seen[0]["best_path"].startswith(f"epoch={best_epoch}-")
    assert (tmp_path / "checkpoints" / seen[0]["best_path"]).is_file()


transformers = pytest.importorskip("transformers")


def tiny_mae():
    from transformers import ViTMAEConfig, ViTMAEForPreTraining

    torch.manual_seed(0)
    return ViTMAEForPreTraining(ViTMAEConfig(
        image_size=12, patch_size=4, num_channels=1, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, decoder_hidden_size=16, decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
        decoder_intermediate_size=32))


def test_vit_mae_encoder_sees_every_patch_and_draws_no_random_numbers():
    from sslnb.integrations import vit_mae_encoder

    model = tiny_mae().eval()
    encode = vit_mae_encoder(model)
    seen = []
    model.vit.layernorm.register_forward_hook(lambda module, args, out: seen.append(args[0].shape[1]))
    state = torch.get_rng_state()
    first, second = encode(images(5)), encode(images(5))
    assert seen == [1 + 9, 1 + 9]  # CLS + every patch
    assert torch.equal(torch.get_rng_state(), state) and torch.equal(first, second)
    assert first.shape == (5, 16) and model.config.mask_ratio == 0.75  # the ratio is restored
    tokens = model.vit(pixel_values=images(5), noise=torch.arange(9.0).expand(5, -1)).last_hidden_state
    assert tokens.shape[1] == 1 + int(9 * (1 - 0.75))  # pretraining keeps 2 of the 9 patches; the monitor all 9


def test_hf_monitor_without_attach_still_fills_the_log_history(tmp_path):
    from transformers import Trainer, TrainingArguments

    from sslnb.integrations import HFMonitor, vit_mae_encoder

    train_set = [{"pixel_values": image} for image in images(32, seed=1)]
    args = TrainingArguments(str(tmp_path), max_steps=4, per_device_train_batch_size=8, logging_steps=100,
                             report_to=[], save_strategy="no", use_cpu=True, disable_tqdm=True)
    monitor = HFMonitor(images(), encoder=vit_mae_encoder, every_n_steps=2, k=3, sample_size=120)
    trainer = Trainer(model=tiny_mae(), args=args, train_dataset=train_set, callbacks=[monitor])
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "label_free/rankme" in entry]
    assert [entry["step"] for entry in logged] == [2, 4] == [record["step"] for record in monitor.records]
    assert all(entry["label_free/rankme"] == record["rankme"] for entry, record in zip(logged, monitor.records))
    monitor.attach(trainer)
    assert trainer.callback_handler.callbacks[0] is monitor and trainer.callback_handler.callbacks.count(monitor) == 1


def test_hf_monitor_on_the_epoch_schedule(tmp_path):
    from transformers import Trainer, TrainingArguments

    from sslnb.integrations import HFMonitor, vit_mae_encoder

    train_set = [{"pixel_values": image} for image in images(32, seed=1)]
    args = TrainingArguments(str(tmp_path), num_train_epochs=2, per_device_train_batch_size=8, logging_steps=100,
                             report_to=[], save_strategy="no", use_cpu=True, disable_tqdm=True)
    monitor = HFMonitor(images(), encoder=vit_mae_encoder, every_n_steps=None, every_n_epochs=1, k=3,
                        sample_size=120)
    trainer = Trainer(model=tiny_mae(), args=args, train_dataset=train_set)
    monitor.attach(trainer)
    trainer.train()
    assert [record["step"] for record in monitor.records] == [4, 8]  # the last step of each 4-step epoch
    logged = [entry["step"] for entry in trainer.state.log_history if "label_free/rankme" in entry]
    assert logged == [4, 8]


def test_hf_monitor_picks_the_best_checkpoint_by_a_label_free_metric(tmp_path):
    from transformers import Trainer, TrainingArguments

    from sslnb.integrations import HFMonitor, vit_mae_encoder

    train_set = [{"pixel_values": image} for image in images(48, seed=1)]
    args = TrainingArguments(str(tmp_path), max_steps=6, per_device_train_batch_size=8, logging_steps=100,
                             eval_strategy="steps", eval_steps=2, save_strategy="best",
                             metric_for_best_model="label_free/rankme", greater_is_better=True,
                             report_to=[], use_cpu=True, disable_tqdm=True)
    monitor = HFMonitor(images(), encoder=vit_mae_encoder, every_n_steps=3, k=3, sample_size=120)
    reported = []  # what a report_to reporter (a callback after the attached monitor) receives

    class Reporter(transformers.TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            reported.append((state.global_step, dict(logs)))

    trainer = Trainer(model=tiny_mae(), args=args, train_dataset=train_set, eval_dataset=train_set[:16],
                      callbacks=[Reporter()])
    monitor.attach(trainer)
    trainer.train()
    # steps 3 and 6 are scheduled; the evaluations at 2 and 4 compute, the one at 6 reuses the step's record
    assert [record["step"] for record in monitor.records] == [2, 3, 4, 6]
    at_evaluation = {record["step"]: record["rankme"] for record in monitor.records if record["step"] % 2 == 0}
    best_step = max(at_evaluation, key=at_evaluation.get)
    assert trainer.state.best_metric == pytest.approx(at_evaluation[best_step], rel=1e-12)
    assert Path(trainer.state.best_model_checkpoint).name == f"checkpoint-{best_step}"
    evaluations = [entry for entry in trainer.state.log_history if "eval_runtime" in entry]
    assert [entry["eval_label_free/rankme"] for entry in evaluations] == list(at_evaluation.values())
    assert [(step, logs["eval_label_free/rankme"]) for step, logs in reported if "eval_runtime" in logs] \
        == list(at_evaluation.items())  # the reporters get them with the evaluation's log
    assert not any("train_label_free/rankme" in logs for _, logs in reported)  # the summary is no evaluation
    # trainer.evaluate() after training returns them too, from the last step's record (no new computation)
    assert trainer.evaluate()["eval_label_free/rankme"] == at_evaluation[6] and len(monitor.records) == 4
    tested = trainer.evaluate(train_set[:8], metric_key_prefix="test")  # the Trainer's prefix is kept
    assert tested["test_label_free/rankme"] == at_evaluation[6]
    assert trainer.state.log_history[-1]["test_label_free/rankme"] == at_evaluation[6]
    with pytest.raises(ValueError, match="needs a schedule"):
        HFMonitor(images(), every_n_steps=None, at_evaluation=False)
    assert HFMonitor(images(), every_n_steps=None).at_evaluation  # evaluations alone are a schedule


HF_DDP_SCRIPT = """
import json, os, sys
sys.path.insert(0, {tests!r})
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments
from test_integrations import images, tiny_mae
from sslnb.integrations import HFMonitor, vit_mae_encoder

train_set = [{{"pixel_values": image}} for image in images(48, seed=1)]
args = TrainingArguments("out", max_steps=6, per_device_train_batch_size=4, logging_steps=100, eval_strategy="steps",
                         eval_steps=2, save_strategy="best", metric_for_best_model="label_free/rankme",
                         greater_is_better=True, report_to=[], use_cpu=True, disable_tqdm=True, ddp_backend="gloo")
monitor = HFMonitor(images(), encoder=vit_mae_encoder, every_n_steps=3, k=3, sample_size=120)
trainer = Trainer(model=tiny_mae(), args=args, train_dataset=train_set, eval_dataset=train_set[:16],
                  callbacks=[EarlyStoppingCallback(early_stopping_patience=5)])
monitor.attach(trainer)
trainer.train()
with open(f"seen_rank{{os.environ['RANK']}}.json", "w") as file:
    json.dump({{"world_size": trainer.args.world_size, "best": trainer.state.best_metric,
               "checkpoint": trainer.state.best_model_checkpoint, "records": monitor.records}}, file)
"""


@pytest.mark.pipeline  # two processes over gloo
def test_hf_monitor_under_torchrun_logs_evaluates_and_picks_the_same_checkpoint_on_every_process(tmp_path):
    script = tmp_path / "hf_ddp_fit.py"
    script.write_text(HF_DDP_SCRIPT.format(tests=str(Path(__file__).parent)))
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]  # a free port
    result = subprocess.run([*torchrun, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = [json.loads((tmp_path / f"seen_rank{rank}.json").read_text()) for rank in (0, 1)]
    assert seen[0]["world_size"] == 2
    records = seen[0]["records"]  # only the main process computes; the logs asked for at steps 3 and 6 ran on both
    assert [record["step"] for record in records] == [2, 3, 4, 6] and seen[1]["records"] == []
    at_evaluation = {record["step"]: record["rankme"] for record in records if record["step"] % 2 == 0}
    best_step = max(at_evaluation, key=at_evaluation.get)
    for rank in (0, 1):  # every process chose the same checkpoint from rank 0's values
        assert seen[rank]["best"] == pytest.approx(at_evaluation[best_step], rel=1e-12)
        assert Path(seen[rank]["checkpoint"]).name == f"checkpoint-{best_step}"
    assert (tmp_path / "out" / f"checkpoint-{best_step}").is_dir()


def test_hf_evaluation_metrics_reach_callbacks_listed_before_the_monitor(tmp_path):
    """EarlyStoppingCallback reads the metrics in on_evaluate: listed before the (unattached) monitor, it sees them."""
    from transformers import Trainer, TrainingArguments

    from sslnb.integrations import HFMonitor, vit_mae_encoder

    seen = []

    class EarlyStoppingLike(transformers.TrainerCallback):
        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            seen.append((state.global_step, metrics.get("eval_label_free/rankme")))

    train_set = [{"pixel_values": image} for image in images(32, seed=1)]
    args = TrainingArguments(str(tmp_path), max_steps=4, per_device_train_batch_size=8, eval_strategy="steps",
                             eval_steps=2, report_to=[], save_strategy="no", use_cpu=True, disable_tqdm=True)
    monitor = HFMonitor(images(), encoder=vit_mae_encoder, every_n_steps=None, k=3, sample_size=120)
    trainer = Trainer(model=tiny_mae(), args=args, train_dataset=train_set, eval_dataset=train_set[:8],
                      callbacks=[EarlyStoppingLike(), monitor])
    trainer.train()
    assert seen == [(record["step"], record["rankme"]) for record in monitor.records] and len(seen) == 2
