"""Execute a parameterised notebook with papermill, writing the executed copy atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sslnb.errors import UsageError, read_yaml
from sslnb.io import atomic_path


def parse_parameters(pairs: list[list[str]] | None) -> dict[str, Any]:
    """``[["method", "simclr"], ["k", "10"]]`` -> ``{"method": "simclr", "k": 10}`` (values parsed as YAML)."""
    return {key: yaml.safe_load(value) for key, value in pairs or []}


def check_method_parameter(parameters: dict[str, Any], params_file: Path) -> None:
    """A ``method`` parameter must be a key of params.yaml's ``methods`` (names are case-sensitive)."""
    method = parameters.get("method")
    if method is None or not Path(params_file).is_file():
        return
    methods = (read_yaml(params_file) or {}).get("methods") or {}
    if method not in methods:
        close = [name for name in methods if name.lower() == str(method).lower()]
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UsageError(f"-p method {method!r} is not a key of 'methods' in {params_file}; {hint}"
                         f"give one of {', '.join(map(str, methods))}")


def execute(notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path, verbose: bool = False) -> Path:
    """Run ``notebook`` with papermill, injecting ``parameters`` after its ``parameters`` cell.

    A cell that fails becomes one line naming the notebook, the cell's error and where the executed copy
    with the traceback is kept (``verbose``: papermill's whole error); no output is left half-written.
    """
    import papermill

    if not notebook.is_file():
        raise FileNotFoundError(f"notebook {notebook} not found")
    try:
        with atomic_path(output) as tmp:
            papermill.execute_notebook(
                str(notebook), str(tmp), parameters=parameters, cwd=str(cwd), progress_bar=True,
            )
    except papermill.PapermillExecutionError as error:
        if verbose:
            raise
        raise NotebookError(f"{notebook} failed in cell {error.exec_count}: {error.ename}: "
                            f"{str(error.evalue).splitlines()[0] if error.evalue else ''} "
                            "(check its parameters; run with -v for the cell's traceback)") from None
    return output


class NotebookError(ValueError):
    """A notebook cell raised; the message names the notebook, the cell and its error."""
