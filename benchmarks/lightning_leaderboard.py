"""`sslnb leaderboard` on what the README's Lightning example writes, with a probe column added.

The README's Lightning example (SimCLR, CSVLogger, LightningMonitor), run for three learning rates x 12
epochs on 2,048 Fashion-MNIST images (Debian's package), with a linear probe of the backbone at each
epoch's end (2,000 labelled images; scored on the 1,000 evaluation images) merged into each run's
metrics.csv as a ``linear_probe_acc`` column; then

    sslnb leaderboard runs.csv --group run --probe linear_probe_acc --loss train_loss --order epoch

    python benchmarks/lightning_leaderboard.py [--out benchmarks/results/lightning_leaderboard]
"""
import argparse, os, subprocess, sys
from pathlib import Path
import lightning as L, numpy as np, pandas as pd, torch
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset
from sslnb.training.augment import two_views
from sslnb.config import AugmentConfig
from sslnb.sources.fashion_mnist import load_fashion_mnist
from sslnb.integrations import LightningMonitor
from sslnb.training.losses import nt_xent
from sslnb.metrics import linear_probe_accuracy
from sslnb.training.models.resnet import SmallResNet

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results/lightning_leaderboard")
args = parser.parse_args()
args.out.mkdir(parents=True, exist_ok=True)
os.chdir(args.out)
torch.set_num_threads(2)
s = load_fashion_mnist(None, "/usr/share/datasets/fashion-mnist", download=False, download_root=".")
train_images = torch.from_numpy(np.ascontiguousarray(s.train_images[:2048]))
eval_images = torch.from_numpy(np.ascontiguousarray(s.test_images[:1000]))
probe_x, probe_y = torch.from_numpy(np.ascontiguousarray(s.train_images[2048:4048])), s.train_labels[2048:4048]
test_y = s.test_labels[:1000]

class SimCLR(L.LightningModule):
    def __init__(self, lr):
        super().__init__()
        self.backbone = SmallResNet(in_channels=1, width=8)
        self.projector = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32))
        self.views = torch.Generator().manual_seed(0)
        self.lr = lr
    def training_step(self, batch, batch_idx):
        x1, x2 = two_views(batch[0].float() / 255, AugmentConfig(), self.views)
        loss = nt_xent(self.projector(self.backbone(x1)), self.projector(self.backbone(x2)))
        self.log("train_loss", loss)
        return loss
    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)

class Probe(L.Callback):  # what a user with a few labels adds: the probe of each epoch's backbone
    def __init__(self): self.rows = []
    def on_train_epoch_end(self, trainer, module):
        module.backbone.eval()
        with torch.no_grad():
            f = lambda x: module.backbone(x[:, None].float() / 255).numpy()
            acc = linear_probe_accuracy(f(probe_x), probe_y, f(eval_images), test_y)
        module.backbone.train()
        self.rows.append({"epoch": trainer.current_epoch, "linear_probe_acc": acc})

tables = []
for lr in (1e-4, 1e-3, 3e-3):
    torch.manual_seed(0)
    probe = Probe()
    monitor = LightningMonitor(eval_images, encoder="backbone", every_n_epochs=1, k=10, sample_size=1000)
    logger = CSVLogger("logs", name=f"lr{lr:g}")
    trainer = L.Trainer(max_epochs=12, callbacks=[monitor, probe], logger=logger, log_every_n_steps=4,
                        accelerator="cpu", enable_progress_bar=False, enable_checkpointing=False)
    trainer.fit(SimCLR(lr), DataLoader(TensorDataset(train_images[:, None]), batch_size=128, shuffle=True))
    log = pd.read_csv(f"{logger.log_dir}/metrics.csv")            # as the README's example writes it
    log = log.merge(pd.DataFrame(probe.rows), on="epoch", how="left").assign(run=f"lr{lr:g}")
    tables.append(log)
pd.concat(tables).to_csv("runs.csv", index=False)
verdict = subprocess.run([sys.executable, "-m", "sslnb", "leaderboard", "runs.csv", "--group", "run", "--probe",
                          "linear_probe_acc", "--loss", "train_loss", "--order", "epoch", "--out", "leaderboard.csv"],
                         capture_output=True, text=True, check=True).stdout
Path("leaderboard.txt").write_text(verdict)
print(verdict)
