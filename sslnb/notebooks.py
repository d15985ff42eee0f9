"""Execute a parameterised notebook with papermill, writing the executed copy atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sslnb.io import atomic_path


def parse_parameters(pairs: list[list[str]] | None) -> dict[str, Any]:
    """``[["method", "simclr"], ["k", "10"]]`` -> ``{"method": "simclr", "k": 10}`` (values parsed as YAML)."""
    return {key: yaml.safe_load(value) for key, value in pairs or []}


def execute(notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path) -> Path:
    """Run ``notebook`` with papermill, injecting ``parameters`` after its ``parameters`` cell."""
    import papermill

    if not notebook.is_file():
        raise FileNotFoundError(f"notebook {notebook} not found")
    with atomic_path(output) as tmp:
        papermill.execute_notebook(
            str(notebook), str(tmp), parameters=parameters, cwd=str(cwd), progress_bar=True,
        )
    return output
