"""Every DVC stage's deps cover the sslnb code it runs, so `dvc repro` cannot call stale results up to date."""

import dataclasses

import pytest

from stage_deps import (CANNOT_CHANGE_RESULTS, REPO, dvc_files, interpolated, missing_deps, missing_params, params_read,
                        stage_modules, stages_of)

STAGES = [stage for path in dvc_files() for stage in stages_of(path)]


def test_every_pipeline_of_the_project_is_checked():
    assert {p.relative_to(REPO).as_posix() for p in dvc_files()} >= {"dvc.yaml", "sweeps/dvc.yaml", "sweeps/seeds/dvc.yaml", "sweeps/hyper/dvc.yaml",
                                                                 "sweeps/failures/dvc.yaml"}
    assert len(STAGES) >= 20


@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_stage_deps_cover_the_code_it_runs(stage):
    missing = missing_deps(stage)
    assert not missing, f"{stage.name}: add to its deps (or to CANNOT_CHANGE_RESULTS, with a reason): {missing}"


@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_stage_params_cover_the_keys_its_code_and_command_read(stage):
    missing = missing_params(stage)
    assert not missing, f"{stage.name}: add to its params: {missing}"


def test_the_params_check_follows_the_code_into_the_monitor():
    train = _stage("dvc.yaml:train")
    # the trainer's monitor callback scores with every metrics option (params.metrics.with_clusters)
    assert "metrics" in params_read(train)
    narrowed = dataclasses.replace(train, params=tuple(p for p in train.params if p != "metrics") + ("metrics.k", "metrics.seed"))
    assert missing_params(narrowed) == ["metrics"]  # what dvc.yaml declared before the check existed
    # a section passed to a function is read there: the embed stage reads three metrics keys, not the section
    embed = params_read(_stage("dvc.yaml:embed"))
    assert {"metrics.views", "metrics.view_samples", "metrics.seed", "train.channels_last"} <= embed
    assert "metrics" not in embed and "train" not in embed


# Commands that read params.yaml as a raw dict, not through Params, which this reading follows: the sweeps'
# collect stage reads its own sweeps.<name> entry (sslnb.sweeps.spec.sweep_from_params), which it lists.
RAW_PARAMS_COMMANDS = {"sweep-collect"}
SSLNB_STAGES_WITH_PARAMS = [s for s in STAGES if s.cmd.split()[:3] == ["python", "-m", "sslnb"] and s.params
                            and s.cmd.split()[3] not in {"notebook", *RAW_PARAMS_COMMANDS}]


@pytest.mark.parametrize("stage", SSLNB_STAGES_WITH_PARAMS, ids=[s.name for s in SSLNB_STAGES_WITH_PARAMS])
def test_the_params_check_follows_every_stage_that_lists_params(stage):
    """A stage whose code this static reading cannot follow would pass the coverage test vacuously."""
    assert params_read(stage), f"{stage.name}: the check finds no params key read by its code"


def test_a_package_s_re_exported_function_is_followed_not_its_submodule():
    # `from sslnb.sources import prepare` is the function (sslnb/sources/__init__.py re-exports it), not the
    # submodule sslnb/sources/prepare.py: read as the module, the prepare stage's code was never followed
    assert {"data.name", "data.train_size", "domains.shifts", "seed"} <= params_read(_stage("dvc.yaml:prepare"))


def test_a_notebook_stage_declares_what_its_command_passes():
    correlation = _stage("dvc.yaml:correlation")
    assert interpolated(correlation) == {"analysis.warmup_fraction", "analysis.n_boot", "analysis.seed"}
    without = dataclasses.replace(correlation, params=("analysis.n_boot", "analysis.seed"))
    assert missing_params(without) == ["analysis.warmup_fraction"]


def _stage(name):
    return next(s for s in STAGES if s.name == name)


def test_the_check_fails_when_a_needed_dep_is_removed():
    train = _stage("dvc.yaml:train")
    assert not missing_deps(train)
    # SimCLR's loss gathers the negatives through sslnb/training/distributed.py: dropping it must be caught
    without = dataclasses.replace(train, deps=tuple(d for d in train.deps if d != "sslnb/training/distributed.py"))
    assert missing_deps(without) == ["sslnb/training/distributed.py"]
    # a folder dep covers its files; removing it uncovers all of them
    without = dataclasses.replace(train, deps=tuple(d for d in train.deps if d != "sslnb/metrics"))
    assert "sslnb/metrics/rankme.py" in missing_deps(without)


def test_a_notebook_stage_needs_its_notebook_and_what_the_notebook_imports():
    correlation = _stage("dvc.yaml:correlation")
    files = {p.relative_to(REPO).as_posix() for p in stage_modules(correlation)}
    assert {"notebooks/correlation.ipynb", "sslnb/analysis/selection.py", "sslnb/analysis/correlation.py"} <= files
    without = dataclasses.replace(correlation, deps=tuple(d for d in correlation.deps if d != "sslnb/analysis/selection.py"))
    assert missing_deps(without) == ["sslnb/analysis/selection.py"]


def test_function_level_imports_are_followed():
    # sslnb/io.py imports torch inside a function; sslnb.cli imports each stage's module inside its handler
    files = {p.relative_to(REPO).as_posix() for p in stage_modules(_stage("dvc.yaml:embed"))}
    assert {"sslnb/stages/embed.py", "sslnb/training/methods/simclr.py", "sslnb/training/losses/nt_xent.py"} <= files
    assert "sslnb/training/trainer.py" not in files, "another command's handler must not count"


def test_allow_list_is_short_and_names_real_modules():
    assert len(CANNOT_CHANGE_RESULTS) <= 8
    for path, reason in CANNOT_CHANGE_RESULTS.items():
        assert (REPO / path).is_file() and len(reason) > 10, path
