"""The ``report`` stage: ``reports/index.html``, the page a reader opens without Python.

Its first section is the best answer the run has to "which label-free metric can I trust": the sweeps'
leaderboard once ``make sweeps`` has run, else this run's checkpoint selection, each with its figure. It
then states the findings' verdicts and the headline numbers, links every rendered notebook
(``reports/html/*.html``, code hidden; each links back here) and the tables of ``reports/tables``, and
shows every figure of ``figures/``, copied to ``reports/figures/`` and linked as a file, so the page stays
light. Every link is relative and stays inside ``reports/``, so the folder can be published as it is
(GitHub Pages, an artifact store, a shared drive).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sslnb.config import Params
from sslnb.io import atomic_path
from sslnb.notebook_stages import NotebookStage, read_notebook_stages
from sslnb.paths import ProjectPaths

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 0.3em 0.6em; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; } .holds { color: #1a7f37; } .fails { color: #b42318; }
.untestable { color: #777; }
"""


def _markdown_bold(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))


def _findings_section(path: Path, sweep: Path, replicates: Path) -> str:
    """The verdicts of the findings notebook; finding 5 from the architecture sweep, and each finding's
    verdicts across seeds and in the long runs, when the sweeps have run."""
    if not path.is_file():
        return "<p>No findings yet: the findings notebook has not run.</p>"
    verdicts = json.loads(path.read_text())
    if sweep.is_file():
        swept = json.loads(sweep.read_text())
        verdicts = [swept if v["finding"] == swept["finding"] else v for v in verdicts]
    across = {}
    if replicates.is_file():
        across = {row["finding"]: row for row in json.loads(replicates.read_text()).get("summary", [])}
    items = []
    for verdict in verdicts:
        css = {"holds": "holds", "does not hold": "fails"}.get(verdict["verdict"], "untestable")
        extra = across.get(verdict["finding"])
        extra = (f' <em>Across the sweeps: {html.escape(extra["across seeds"])}; in the long runs: '
                 f'{html.escape(extra["long runs"])}.</em>' if extra else "")
        items.append(f'<li><strong>Finding {verdict["finding"]}</strong> ({html.escape(verdict["claim"])}): '
                     f'<strong class="{css}">{html.escape(verdict["verdict"])}</strong>. '
                     f'{_markdown_bold(verdict["evidence"])}{extra}</li>')
    return "<ul>" + "\n".join(items) + "</ul>"


def _answer_section(paths: ProjectPaths, figures: Path) -> str:
    """The best answer the run has to "which metric can I trust, for what": the sweeps' leaderboard once they
    have run (a calibrated test across runs), else this run's checkpoint selection (one run: no test)."""
    verdict, figure = paths.sweep_reports / "leaderboard.json", figures / "leaderboard.png"
    if verdict.is_file() and figure.is_file():
        sentence = json.loads(verdict.read_text())["sentence"]
        return (f"<p>{_markdown_bold(sentence)} (<a href=\"tables/leaderboard.md\">leaderboard.md</a>, "
                f"<a href=\"sweeps/html/runs.html\">notebook</a>)</p>\n{_figure(figure)}")
    return _selection_answer(paths.tables / "selection_regret.csv", figures / "selection_regret.png") + (
        "<p><code>make sweeps</code> judges the metrics across many runs with a calibrated test (the "
        "leaderboard), which replaces this answer.</p>")


def _selection_answer(regret_table: Path, figure: Path, shown: int = 3) -> str:
    """This run's checkpoint selection: the label-free metrics whose chosen checkpoint lost the fewest probe
    points (mean over the methods, backbone, evaluation set), against always taking the last checkpoint."""
    if not regret_table.is_file():
        return "<p>No checkpoint selection yet: the selection notebook has not run.</p>"
    import pandas as pd

    from sslnb.columns import JUDGED

    table = pd.read_csv(regret_table)
    rows = table[(table.layer == "backbone") & table.metric.isin(JUDGED)]
    if "dataset" in rows:
        rows = rows[rows.dataset == rows.dataset.iloc[0]] if len(rows) else rows
    # a metric that chose no checkpoint (undefined on every checkpoint) has no regret: left out, not "nan"
    mean = rows.groupby("metric").regret.mean().dropna().sort_values(kind="stable")
    if mean.empty:
        return "<p>No label-free metric selected a checkpoint in this run.</p>"
    last = rows.groupby("method").last_regret.first().mean()
    best = ", ".join(f"<strong>{html.escape(metric)}</strong> ({value:.2f})" for metric, value in mean.head(shown).items())
    methods = rows.method.nunique()
    text = (f"<p>Checkpoint selection in this run ({methods} method{'s' if methods != 1 else ''}, backbone): "
            f"the checkpoint each label-free metric ranks best lost the fewest linear-probe points for {best}, "
            f"as the mean over the methods; always taking the last checkpoint lost {last:.2f}. One run and no "
            f"test: a ranking of this run's checkpoints, not a verdict (<a href=\"tables/selection_regret.md\">"
            f"selection_regret.md</a>, <a href=\"html/selection.html\">notebook</a>).</p>")
    return text + (_figure(figure) if figure.is_file() else "")


def _protocols_section(path: Path) -> str:
    """The protocols notebook's computed answer: does a label-free metric on unlabelled target data beat the
    in-domain probe at predicting the target-domain probe?"""
    if not path.is_file():
        return "<p>No protocol analysis yet: the protocols notebook has not run.</p>"
    sentence = json.loads(path.read_text())["sentence"]
    return (f"<p>{_markdown_bold(sentence)} (<a href=\"tables/protocol_prediction.md\">protocol_prediction.md</a>, "
            f"<a href=\"tables/protocol_agreement.md\">protocol_agreement.md</a>, "
            f"<a href=\"html/protocols.html\">notebook</a>)</p>")


ACCURACIES = ("linear_probe_acc", "knn_acc")  # shown in percent, as the README and the docs print them


def _summary_section(path: Path) -> str:
    """The last checkpoint's headline numbers: one row per quantity, one column per method (fits any width)."""
    if not path.is_file():
        return "<p>No summary yet: run the summarize stage.</p>"
    summary = json.loads(path.read_text())
    quantities = sorted({key for values in summary.values() for key in values})
    head = "".join(f"<th>{html.escape(m)}</th>" for m in ["", *summary])
    rows = []
    for quantity in quantities:
        label = f"{quantity} [%]" if quantity in ACCURACIES else quantity
        cells = "".join(f'<td class="num">{_number(values.get(quantity), quantity)}</td>' for values in summary.values())
        rows.append(f"<tr><th>{html.escape(label)}</th>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _number(value, quantity: str = "") -> str:
    if value is None:
        return ""
    if quantity in ACCURACIES:
        return f"{100 * value:.2f}"
    return f"{value:d}" if isinstance(value, int) else f"{value:.4g}"


def _figure(path: Path) -> str:
    """A figure of ``reports/figures/`` (copied there by :func:`build_index`), linked as a file."""
    title = path.stem.replace("_", " ")
    svg = f"figures/{html.escape(path.stem)}.svg"
    return (f'<figure id="{html.escape(path.stem)}"><a href="figures/{html.escape(path.name)}"><img loading="lazy" '
            f'alt="{html.escape(title)}" src="figures/{html.escape(path.name)}"></a><figcaption>{html.escape(title)} '
            f'(<a href="{svg}">SVG</a>)</figcaption></figure>')


def _copy_figures(source: Path, target: Path) -> list[Path]:
    """Every figure of ``source`` (PNG and SVG) copied to ``target``, written afresh; the PNGs' new paths."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for figure in sorted(source.glob("*.png")) + sorted(source.glob("*.svg")):
        shutil.copyfile(figure, target / figure.name)
    return sorted(target.glob("*.png"))


@dataclass(frozen=True)
class Page:
    """A rendered notebook and the stage that executed it (None for a page no stage declares)."""

    path: Path
    stage: NotebookStage | None
    label: str  # the page's name in the report: its stem, "sweeps/<stem>" for the sweeps' pages

    @property
    def description(self) -> str:
        return self.stage.description if self.stage else ""


def _pages(groups: list[tuple[Path, str, list[NotebookStage]]]) -> list[Page]:
    """The rendered pages of each (folder, label prefix, its pipeline's notebook stages), a folder's pages in
    the order of their stages there (a method's pages by name). The main and the sweeps' pipelines each have
    a findings page: a page is matched only against the stages of the pipeline that renders its folder."""
    pages = []
    for folder, prefix, stages in groups:
        found = []
        for path in folder.glob("*.html"):
            rank = next((i for i, stage in enumerate(stages) if stage.renders(path.stem)), len(stages))
            found.append((rank, path.stem, Page(path, stages[rank] if rank < len(stages) else None,
                                                prefix + path.stem)))
        pages += [page for *_, page in sorted(found, key=lambda item: item[:2])]
    return pages


def _page_of(figure: str, pages: list[Page]) -> Page | None:
    """The page whose stage drew ``figure`` (a stem), from the notebook stages' outs; None if none did."""
    return next((page for page in pages if page.stage and page.stage.draws(figure) == page.path.stem), None)


def _figures_section(figures: list[Path], pages: list[Page], reports: Path) -> str:
    """The figures under one heading per notebook page, in the pages' order, each linking its page; a figure
    that no page declares under its own name, after them."""
    order = {page.label: i for i, page in enumerate(pages)}
    drawn = [(_page_of(figure.stem, pages), figure) for figure in figures]
    drawn.sort(key=lambda item: (order[item[0].label] if item[0] else len(order), item[1].stem))
    parts, current = [], None
    for page, figure in drawn:
        heading = page.label if page else figure.stem
        if heading != current:
            current = heading
            link = f' (<a href="{html.escape(page.path.relative_to(reports).as_posix())}">notebook</a>)' if page else ""
            parts.append(f"<h3>{html.escape(heading)}{link}</h3>")
        parts.append(_figure(figure))
    return "\n".join(parts)


def build_index(paths: ProjectPaths, params: Params) -> Path:
    """Write ``reports/index.html`` from what the pipeline produced; an error if nothing was rendered."""
    pages = _pages([(paths.rendered, "", read_notebook_stages(paths.pipeline)),
                    (paths.sweep_pages, "sweeps/", read_notebook_stages(paths.sweeps_pipeline))])  # once they ran
    if not pages:
        raise FileNotFoundError(f"no rendered notebooks in {paths.rendered}; run the render stages (dvc repro)")
    figures_folder = paths.reports / "figures"
    figures = _copy_figures(paths.figures, figures_folder)
    tables = sorted(p for p in paths.tables.glob("*.*") if not p.name.startswith("."))
    notebook_items = "\n".join(
        f'<li><a href="{page.path.relative_to(paths.reports).as_posix()}">{html.escape(page.label)}</a> — '
        f'{html.escape(page.description)}</li>' for page in pages)
    table_items = "\n".join(
        f'<li><a href="{table.relative_to(paths.reports).as_posix()}">{html.escape(table.name)}</a></li>'
        for table in tables)
    methods = ", ".join(params.methods)
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sslnb report</title><style>{STYLE}</style></head>
<body>
<h1>Label-free monitoring of self-supervised learning</h1>
<p class="meta">sslnb report · data set {html.escape(params.data.name)} · methods {html.escape(methods)} ·
{params.train.epochs} epochs · built {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC</p>
<h2>Which label-free metric to trust, for which decision</h2>
{_answer_section(paths, figures_folder)}
<h2>Findings of Xu, Lowe &amp; Trappenberg (2022) in this run</h2>
{_findings_section(paths.findings, paths.architecture_verdict, paths.sweep_reports / "findings.json")}
<h2>Out of domain: label-free metrics against the in-domain probe</h2>
{_protocols_section(paths.reports / "protocols.json")}
<h2>Last checkpoint, backbone</h2>
{_summary_section(paths.summary)}
<h2>Notebooks</h2>
<ul>{notebook_items}</ul>
<h2>Tables</h2>
<ul>{table_items}</ul>
<h2>Figures</h2>
{_figures_section(figures, pages, paths.reports)}
</body></html>
"""
    with atomic_path(paths.index) as tmp:
        tmp.write_text(body, encoding="utf-8")
    return paths.index
