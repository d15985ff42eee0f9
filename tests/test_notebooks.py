"""Notebooks are committed clean and parameterised, and the pipeline executes and renders every one."""

import json

import pytest

from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
PER_METHOD = {"progression", "tsne"}  # run once per method; the others once for all methods


def test_there_are_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"progression", "correlation", "scatter", "tsne", "selection", "findings"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs_and_a_parameters_cell(path):
    cells = json.loads(path.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    dirty = [i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count") is not None]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs; clear them (jupyter nbconvert --clear-output)"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters' for papermill"
    assert "project_root" in "".join(tagged[0]["source"]), "every notebook takes project_root"


@pytest.mark.pipeline
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pipeline_executed_and_rendered_every_notebook(tiny_pipeline, path):
    methods = ["simclr", "mocov2", "simsiam", "byol"]
    names = [f"{path.stem}_{m}" for m in methods] if path.stem in PER_METHOD else [path.stem]
    for name in names:
        executed = json.loads((tiny_pipeline.root / f"reports/notebooks/{name}.ipynb").read_text())
        outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        assert not [o for o in outputs if o["output_type"] == "error"], f"{name} raised"
        assert outputs, f"{name} produced no output"
        html = (tiny_pipeline.root / f"reports/html/{name}.html").read_text()
        assert "from sslnb" not in html, f"{name}.html must hide the code"
