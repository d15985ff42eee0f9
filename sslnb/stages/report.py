"""The ``report`` stage: ``reports/index.html``, the page a reader opens without Python.

It links every rendered notebook (``reports/html/*.html``, code hidden), embeds every figure of
``figures/`` as an inline PNG, states the findings' verdicts and the headline numbers, and links the
tables of ``reports/tables``. Every link is relative and stays inside ``reports/``, so the folder can be
published as it is (GitHub Pages, an artifact store, a shared drive).
"""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from sslnb.config import Params
from sslnb.io import atomic_path
from sslnb.paths import ProjectPaths

# What each notebook shows, by the rendered file's name (per-method copies share their notebook's text).
NOTEBOOKS = {
    "findings": "Which of the study's findings hold in this run: one computed verdict each, with its numbers.",
    "progression": "Every metric against epoch for one method (the study's entropy progression plots), "
                   "outlier milestones highlighted, linear-probe and kNN accuracy on the same page.",
    "correlation": "Pearson, Spearman and Kendall of each label-free metric with the linear probe, with "
                   "bootstrap 95% intervals, over all checkpoints and over late training; heatmaps.",
    "scatter": "Each metric against linear-probe accuracy, one panel per method, points coloured by epoch.",
    "tsne": "openTSNE maps of the evaluation set at the first, middle and last milestone, coloured by "
            "class and by k-means cluster, all started from one shared initialisation.",
    "selection": "Checkpoint-selection regret of each metric, and how it ranks the methods' final models.",
    "protocols": "How the label-based protocols (probe, kNN, BatchNorm probe, fine-tuning, few-shot, NMI) agree, "
                 "whether every method learns, and what predicts accuracy on the shifted and out-of-domain sets.",
    "runs": "The leaderboard (`make sweeps`): which label-free metric ranks runs as the probe does, and what "
            "trusting it costs, for each decision (checkpoint, hyperparameter, seed, architecture), against the "
            "training loss, a random pick and the seed noise floor.",
    "architectures": "Across encoder families (the architecture sweep): each metric "
                     "against the probe, cross-architecture correlations, the verdict on finding 5.",
}
ORDER = list(NOTEBOOKS)

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 0.3em 0.6em; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; } .holds { color: #1a7f37; } .fails { color: #b42318; }
.untestable { color: #777; }
"""


def _notebook_kind(name: str) -> str:
    """The notebook a rendered page or a figure comes from: ``progression`` for ``entropy_progression_simclr``."""
    return "progression" if "progression" in name else name.split("_", 1)[0]


def _rank(name: str) -> tuple[int, str]:
    kind = _notebook_kind(name)
    return (ORDER.index(kind) if kind in ORDER else len(ORDER), name)


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


def _leaderboard_section(paths: ProjectPaths) -> str:
    """The answer to "which metric can I trust, for what": the sweeps' leaderboard, once they have run."""
    verdict, figure = paths.sweep_reports / "leaderboard.json", paths.figures / "leaderboard.png"
    if not verdict.is_file() or not figure.is_file():
        return ("<p>No sweeps yet: <code>make sweeps</code> runs the seed, hyperparameter, long and architecture "
                "sweeps and builds the leaderboard of label-free metrics.</p>")
    sentence = json.loads(verdict.read_text())["sentence"]
    return (f"<p>{_markdown_bold(sentence)} (<a href=\"tables/leaderboard.md\">leaderboard.md</a>, "
            f"<a href=\"sweeps/html/runs.html\">notebook</a>)</p>\n{_figure(figure)}")


def _protocols_section(path: Path) -> str:
    """The protocols notebook's computed answer: does a label-free metric on unlabelled target data beat the
    in-domain probe at predicting the target-domain probe?"""
    if not path.is_file():
        return "<p>No protocol analysis yet: the protocols notebook has not run.</p>"
    sentence = json.loads(path.read_text())["sentence"]
    return (f"<p>{_markdown_bold(sentence)} (<a href=\"tables/protocol_prediction.md\">protocol_prediction.md</a>, "
            f"<a href=\"tables/protocol_agreement.md\">protocol_agreement.md</a>, "
            f"<a href=\"html/protocols.html\">notebook</a>)</p>")


def _summary_section(path: Path) -> str:
    if not path.is_file():
        return "<p>No summary yet: run the summarize stage.</p>"
    summary = json.loads(path.read_text())
    columns = sorted({key for values in summary.values() for key in values})
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["method", *columns])
    rows = []
    for method, values in summary.items():
        cells = "".join(f'<td class="num">{_number(values.get(c))}</td>' for c in columns)
        rows.append(f"<tr><td>{html.escape(method)}</td>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _number(value) -> str:
    if value is None:
        return ""
    return f"{value:d}" if isinstance(value, int) else f"{value:.4g}"


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    title = path.stem.replace("_", " ")
    return (f'<figure id="{html.escape(path.stem)}"><img alt="{html.escape(title)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{html.escape(title)} '
            f'(also <code>figures/{html.escape(path.stem)}.svg</code>)</figcaption></figure>')


def _figures_section(figures: list[Path], pages: list[Path], reports: Path) -> str:
    """The figures under one heading per notebook, in the notebooks' order, each linking its page."""
    links = {p.stem: p.relative_to(reports).as_posix() for p in pages}

    def page(figure: Path) -> str:
        return _page_of(_notebook_kind(figure.stem), figure.stem)

    parts, current = [], None
    for figure in sorted(figures, key=lambda f: (_rank(page(f)), f.stem)):
        if page(figure) != current:
            current = page(figure)
            link = f' (<a href="{html.escape(links[current])}">notebook</a>)' if current in links else ""
            parts.append(f"<h3>{html.escape(current)}{link}</h3>")
        parts.append(_figure(figure))
    return "\n".join(parts)


def _page_of(kind: str, stem: str) -> str:
    """The rendered page a figure belongs to: per-method notebooks end in the method's name."""
    if kind in ("progression", "tsne"):
        return f"{kind}_{stem.rsplit('_', 1)[-1]}"
    return {"leaderboard": "runs", "protocol": "protocols"}.get(kind, kind)  # figures named apart from their page


def build_index(paths: ProjectPaths, params: Params) -> Path:
    """Write ``reports/index.html`` from what the pipeline produced; an error if nothing was rendered."""
    pages = sorted(paths.rendered.glob("*.html"), key=lambda p: _rank(p.stem))
    pages += sorted(paths.sweep_pages.glob("*.html"), key=lambda p: _rank(p.stem))  # once the sweeps have run
    if not pages:
        raise FileNotFoundError(f"no rendered notebooks in {paths.rendered}; run the render stages (dvc repro)")
    figures = list(paths.figures.glob("*.png"))
    tables = sorted(p for p in paths.tables.glob("*.*") if not p.name.startswith("."))
    notebook_items = "\n".join(
        f'<li><a href="{page.relative_to(paths.reports).as_posix()}">{html.escape(page.stem)}</a> — '
        f'{html.escape(NOTEBOOKS.get(_notebook_kind(page.stem), ""))}</li>' for page in pages)
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
{_leaderboard_section(paths)}
<h2>Findings of Xu, Lowe &amp; Trappenberg (2022) in this run</h2>
{_findings_section(paths.findings, paths.architecture_verdict, paths.sweep_reports / "findings.json")}
<h2>Out of domain: label-free metrics against the in-domain probe</h2>
{_protocols_section(paths.reports / "protocols.json")}
<h2>Last checkpoint, backbone</h2>
<div style="overflow-x: auto">{_summary_section(paths.summary)}</div>
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
