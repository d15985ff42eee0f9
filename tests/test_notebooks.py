"""Notebooks are committed clean and parameterised, and the pipeline executes and renders every one."""

import json

import pytest

from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
PER_METHOD = {"progression", "tsne"}  # run once per method; the others once for all methods
SWEEP = {"architectures", "runs"}  # run by sweeps/dvc.yaml (tests/test_sweeps.py), not by `dvc repro`


def test_there_are_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"progression", "correlation", "scatter", "tsne", "selection", "findings",
                                           "runs", "architectures"}


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
    if path.stem in SWEEP:
        pytest.skip("executed by the sweeps' analysis pipeline, tested in test_sweeps.py")
    methods = ["simclr", "simsiam", "mae", "rotation"]  # the tiny profile's
    names = [f"{path.stem}_{m}" for m in methods] if path.stem in PER_METHOD else [path.stem]
    for name in names:
        executed = json.loads((tiny_pipeline.root / f"reports/notebooks/{name}.ipynb").read_text())
        outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        assert not [o for o in outputs if o["output_type"] == "error"], f"{name} raised"
        assert outputs, f"{name} produced no output"
        html = (tiny_pipeline.root / f"reports/html/{name}.html").read_text()
        assert "from sslnb" not in html, f"{name}.html must hide the code"


@pytest.mark.pipeline
def test_notebook_runs_from_the_notebooks_folder_as_in_jupyterlab(tiny_pipeline, tmp_path):
    """JupyterLab starts kernels in notebooks/: the notebook must find the project and its cached artifacts."""
    import shutil

    from sslnb.stages.execute import execute

    project = tmp_path / "project"  # a copy, so the shared pipeline's outputs stay untouched
    shutil.copytree(tiny_pipeline.root, project, ignore=shutil.ignore_patterns("checkpoints", "embeddings", ".dvc"))
    executed = execute(project / "notebooks/selection.ipynb", tmp_path / "selection.ipynb", {},
                       cwd=project / "notebooks")
    outputs = [o for c in json.loads(executed.read_text())["cells"] for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
    assert (project / "reports/tables/selection_regret.csv").stat().st_mtime > \
        (tiny_pipeline.root / "reports/tables/selection_regret.csv").stat().st_mtime


def test_outlier_z_flags_milestones_from_each_checkpoints_largest_z():
    import pandas as pd

    from sslnb.analysis.tables import outlier_milestones

    # outlier_fraction was counted at the evaluate stage's metrics.outlier_z (6)
    table = pd.DataFrame({"layer": "backbone", "epoch": [0, 1, 2], "outlier_max_z": [2.0, 4.0, 7.0],
                          "outlier_fraction": [0.0, 0.0, 0.002]})
    assert list(outlier_milestones(table).epoch) == [2]  # the stage's own threshold
    assert list(outlier_milestones(table, 6.0).epoch) == [2]  # the same threshold, from the largest z
    assert list(outlier_milestones(table, 3.0).epoch) == [1, 2]  # another one changes the answer
    assert outlier_milestones(table, 10.0).empty
    with pytest.raises(ValueError, match="positive"):
        outlier_milestones(table, 0.0)


@pytest.mark.pipeline
def test_the_progression_notebooks_outlier_z_changes_its_flags(tiny_pipeline, tmp_path):
    import shutil

    from sslnb.stages.execute import execute

    project = tmp_path / "project"  # a copy: the notebook redraws the figures, which the pipeline owns
    shutil.copytree(tiny_pipeline.root, project, ignore=shutil.ignore_patterns("checkpoints", "embeddings", ".dvc"))
    # the pipeline ran it with metrics.outlier_z (6); run it again with 0.5, beyond which every checkpoint
    # has a sample, and compare the last cell's text
    executed = execute(project / "notebooks/progression.ipynb", tmp_path / "z.ipynb",
                       {"method": "simclr", "outlier_z": 0.5}, cwd=project)
    low = json.dumps(json.loads(executed.read_text())["cells"][-1]["outputs"])
    default = json.dumps(json.loads((project / "reports/notebooks/progression_simclr.ipynb").read_text())
                         ["cells"][-1]["outputs"])
    assert "robust z > 0.5" in low and "robust z > 0.5" not in default
    assert low != default
