"""The published report: every notebook linked, every figure shown, and it renders in headless Chromium at 1400 px."""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from browser import check_renders_in_chromium
from conftest import REPO, run

pytestmark = pytest.mark.pipeline


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))


def test_index_links_every_rendered_notebook_and_shows_every_figure(tiny_pipeline):
    reports = tiny_pipeline.root / "reports"
    page = _Collect()
    page.feed((reports / "index.html").read_text())
    rendered = sorted(p.relative_to(reports).as_posix() for p in (reports / "html").glob("*.html"))
    assert len(rendered) == 4 * 2 + 5  # progression and t-SNE per method, five analysis notebooks
    assert set(rendered) <= set(page.links)
    figures = sorted((tiny_pipeline.root / "figures").glob("*.png"))
    assert len(set(page.images)) == len(figures) > 10  # the front page's answer shows one of them again
    # figures are files beside the page (reports/figures/), not inlined: the page stays light
    assert sorted(set(page.images)) == sorted(f"figures/{p.name}" for p in figures)
    assert (reports / "index.html").stat().st_size < 100_000
    for stem in {p.stem for p in figures}:
        assert (tiny_pipeline.root / "figures" / f"{stem}.svg").is_file(), f"{stem} has no SVG"
    for link in page.links:  # relative and inside reports/, so the folder publishes as it is
        target = (reports / link).resolve()
        assert target.is_file() and reports.resolve() in target.parents, link
    text = (reports / "index.html").read_text()
    assert "Finding 3" in text
    # before the sweeps, the front page answers with this run's checkpoint selection and its figure
    assert "Checkpoint selection in this run" in text and 'src="figures/selection_regret.png"' in text


def test_tiny_report_renders_in_headless_chromium(tiny_pipeline):
    check_renders_in_chromium(tiny_pipeline.root / "reports" / "index.html")


def test_default_report_renders_in_headless_chromium():
    """The default profile's report, built by `make run` in this checkout (not by the tests: ~25 minutes)."""
    index = REPO / "reports" / "index.html"
    if not index.is_file():
        pytest.skip("no default report in this checkout; build it with `make run` (or `dvc repro`), then rerun")
    checked = check_renders_in_chromium(index)
    print(f"default report: {checked}")


def test_dvc_metrics_and_plots_show(tiny_pipeline):
    metrics = json.loads(run(["dvc", "metrics", "show", "--json"], tiny_pipeline.root).stdout)
    (workspace,) = metrics.values()  # "workspace" in a git repository, "" without one
    assert list(workspace["data"]) == ["reports/summary.json"], "summary.json is the one metrics file"
    summary = workspace["data"]["reports/summary.json"]["data"]
    assert set(summary) == {"simclr", "simsiam", "mae", "rotation"}
    assert 0 < summary["simclr"]["linear_probe_acc"] <= 1
    plots = json.loads(run(["dvc", "plots", "show", "--json"], tiny_pipeline.root).stdout)
    assert not plots.get("errors"), plots.get("errors")
    probe = plots["data"]["reports/plots/linear_probe_acc.csv"][0]["content"]
    assert probe["encoding"]["x"]["field"] == "epoch" and probe["encoding"]["color"]["field"] == "method"


def test_each_figure_is_filed_under_the_page_that_draws_it(tmp_path):
    """Which page drew a figure comes from the notebook stages' outs in dvc.yaml and sweeps/dvc.yaml; a page is
    matched against its own pipeline's stages (both have a findings page, each with its own desc)."""
    from sslnb.notebook_stages import read_notebook_stages
    from sslnb.paths import ProjectPaths
    from sslnb.stages.report import _page_of, _pages

    main, sweeps = tmp_path / "html", tmp_path / "sweeps" / "html"
    for folder, stems in ((main, ("protocols", "progression_mae", "tsne_rotation", "correlation", "findings")),
                          (sweeps, ("runs", "findings"))):
        folder.mkdir(parents=True)
        for stem in stems:
            (folder / f"{stem}.html").touch()
    paths = ProjectPaths(REPO)
    pages = _pages([(main, "", read_notebook_stages(paths.pipeline)),
                    (sweeps, "sweeps/", read_notebook_stages(paths.sweeps_pipeline))])
    drawn = {stem: _page_of(stem, pages).label for stem in
             ("protocol_agreement", "leaderboard", "entropy_progression_mae", "tsne_rotation", "correlation_kendall")}
    assert drawn == {"protocol_agreement": "protocols", "leaderboard": "sweeps/runs",
                     "entropy_progression_mae": "progression_mae", "tsne_rotation": "tsne_rotation",
                     "correlation_kendall": "correlation"}
    assert _page_of("no_such_figure", pages) is None
    findings = [page for page in pages if page.path.stem == "findings"]
    assert [page.label for page in findings] == ["findings", "sweeps/findings"]
    assert findings[0].description and findings[1].description
    assert findings[0].description != findings[1].description


def test_every_notebook_stage_says_what_its_page_shows():
    """One declaration: each notebook stage of the pipelines has a desc, and every notebook has a stage."""
    from sslnb.notebook_stages import notebook_stages
    from sslnb.paths import ProjectPaths

    stages = notebook_stages(ProjectPaths(REPO))
    assert all(len(stage.description) > 30 for stage in stages), [s.name for s in stages if len(s.description) <= 30]
    declared = {Path(stage.notebook).stem for stage in stages}
    # the architectures page is generated only while params.yaml declares an architecture sweep (commented out)
    assert declared | {"architectures"} == {p.stem for p in (REPO / "notebooks").glob("*.ipynb")}


def test_the_selection_answer_names_the_least_regret_metrics_and_leaves_out_undefined_ones(tmp_path):
    """The front page's answer after make run, from a hand-made regret table: the mean regret over the
    methods, lowest first; a metric that chose no checkpoint (NaN) is left out, never printed as "nan"."""
    import pandas as pd

    from sslnb.stages.report import _selection_answer

    rows = [{"method": method, "layer": "backbone", "dataset": "fashion_mnist", "metric": metric,
             "regret": regret, "last_regret": 1.0}
            for method, regrets in (("simclr", (0.5, 2.0, None)), ("byol", (1.0, 0.0, None)))
            for metric, regret in zip(("silhouette", "rankme", "alpha_req"), regrets)]
    rows.append({**rows[0], "layer": "projector", "regret": -9.0})  # another layer: not the backbone's answer
    pd.DataFrame(rows).to_csv(tmp_path / "regret.csv", index=False)
    text = _selection_answer(tmp_path / "regret.csv", tmp_path / "absent.png")
    assert "<strong>silhouette</strong> (0.75), <strong>rankme</strong> (1.00)" in text
    assert "alpha_req" not in text and "nan" not in text and "lost 1.00" in text and "2 methods" in text
    assert "<img" not in text  # no figure file: none linked
