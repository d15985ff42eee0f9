"""Writers that send :class:`~sslnb.monitor.LabelFreeMonitor`'s records on to TensorBoard and MLflow.

A writer is any ``writer(record, step)`` callable; pass them as ``LabelFreeMonitor(..., writers=[...])``::

    from sslnb.integrations import MLflowWriter, TensorBoardWriter

    monitor = LabelFreeMonitor(eval_images, every=200, writers=[TensorBoardWriter("runs/tb"), MLflowWriter()])

Both log every metric as ``label_free/<metric>`` at the monitor's step, as the Lightning and Hugging Face
callbacks do.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sslnb.integrations.shared import logged_names
from sslnb.optional import require


class TensorBoardWriter:
    """Scalars ``label_free/<metric>`` in a TensorBoard event file.

    Args:
        log_dir_or_writer: a folder for a new ``torch.utils.tensorboard.SummaryWriter``, or your own writer
            (then the event file is the one your training already writes).
    """

    def __init__(self, log_dir_or_writer: str | Path | Any) -> None:
        if isinstance(log_dir_or_writer, (str, Path)):
            require("tensorboard", "tensorboard")  # torch's SummaryWriter needs the tensorboard package
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(log_dir_or_writer))
        else:
            self.writer = log_dir_or_writer

    def __call__(self, record: dict[str, float], step: int) -> None:
        for name, value in logged_names(record).items():
            self.writer.add_scalar(name, value, global_step=step)
        self.writer.flush()  # a monitor step is rare and a reader may be watching

    def close(self) -> None:
        self.writer.close()


class MLflowWriter:
    """Metrics ``label_free/<metric>`` in the active MLflow run (``mlflow.start_run()``, or MLflow's own).

    Args:
        run_id: log to this run instead of the active one (through ``MlflowClient``).
    """

    def __init__(self, run_id: str | None = None) -> None:
        self.mlflow = require("mlflow", "mlflow")
        self.run_id = run_id
        check_tracking_store(self.mlflow.get_tracking_uri())

    def __call__(self, record: dict[str, float], step: int) -> None:
        values = logged_names(record)  # MLflow stores NaN (an undefined metric) as NaN
        if self.run_id is None:
            self.mlflow.log_metrics(values, step=step)
        else:
            client = self.mlflow.tracking.MlflowClient()
            for name, value in values.items():
                client.log_metric(self.run_id, name, value, step=step)


def check_tracking_store(uri: str) -> None:
    """Fail at once, naming the fix, where MLflow's store is a database that this install cannot open.

    MLflow 3 defaults to a local SQLite store (``sqlite:///mlflow.db``); opening it needs SQLAlchemy, which
    the full ``mlflow`` package brings and ``mlflow-skinny`` (the ``sslnb[mlflow]`` extra, a tracking
    client) does not. Without this check the first record fails deep inside MLflow with a message about
    its model registry.
    """
    scheme = uri.split(":", 1)[0].split("+", 1)[0] if ":" in uri else ""
    if scheme in {"sqlite", "postgresql", "mysql", "mssql"} and importlib.util.find_spec("sqlalchemy") is None:
        raise RuntimeError(
            f"MLflow's tracking URI is {uri} (a database store, MLflow 3's default when none is set), which "
            "needs SQLAlchemy; sslnb[mlflow] installs only MLflow's tracking client. Set MLFLOW_TRACKING_URI to "
            "your tracking server (http://host:5000), or pip install mlflow for the local store")
