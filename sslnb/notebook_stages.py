"""The pipeline's notebook stages, read from where they are declared: ``dvc.yaml`` and ``sweeps/dvc.yaml``.

A notebook stage is declared once, as a DVC stage whose command is ``python -m sslnb notebook
notebooks/<name>.ipynb reports/.../<page>.ipynb``, with a ``desc`` (what its page shows) and its ``outs``
(the figures it draws). The main ones are written by hand in ``dvc.yaml``; the sweeps' ones are generated
into ``sweeps/dvc.yaml`` by :mod:`sslnb.sweeps.pipelines`. The report takes from here its list of pages, their
order and descriptions, and which page drew each figure; nothing else lists the notebooks.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from sslnb.errors import read_yaml
from sslnb.paths import ProjectPaths

PER_METHOD = "${key}"  # a foreach stage's placeholder for the method, in its page and figure names


@dataclass(frozen=True)
class NotebookStage:
    """One notebook stage: its notebook, its rendered page's name, what the page shows, the figures it draws.

    ``page`` and ``figures`` keep a per-method stage's ``${key}`` (``progression_${key}``).
    """

    name: str
    notebook: str
    page: str
    description: str
    figures: tuple[str, ...]

    @property
    def per_method(self) -> bool:
        return PER_METHOD in self.page

    def _pattern(self, template: str) -> re.Pattern:
        return re.compile(re.escape(template).replace(re.escape(PER_METHOD), "(?P<key>[^/]+)") + "$")

    def draws(self, figure: str) -> str | None:
        """The page (a rendered file's stem) of this stage that drew ``figure`` (a stem), or None."""
        for template in self.figures:
            if match := self._pattern(template).match(figure):
                return self.page.replace(PER_METHOD, match.groupdict().get("key") or "")
        return None

    def renders(self, page: str) -> bool:
        """Whether ``page`` (a rendered file's stem) is one of this stage's pages."""
        return bool(self._pattern(self.page).match(page))


def _notebook_stage(name: str, stage: dict) -> NotebookStage | None:
    body = stage.get("do", stage)
    words = shlex.split(" ".join(str(body.get("cmd", "")).split()))
    if words[:4] != ["python", "-m", "sslnb", "notebook"] or len(words) < 6:
        return None
    figures = tuple(Path(str(out)).stem for out in body.get("outs", [])
                    if str(out).startswith("figures/") and str(out).endswith(".png"))
    return NotebookStage(name, words[4], Path(words[5]).stem, str(body.get("desc", "")), figures)


def read_notebook_stages(pipeline: Path) -> list[NotebookStage]:
    """The notebook stages of one ``dvc.yaml``, in their order there (none if the file does not exist)."""
    if not pipeline.is_file():
        return []
    stages = (read_yaml(pipeline) or {}).get("stages") or {}
    return [found for name, stage in stages.items() if (found := _notebook_stage(name, stage))]


def notebook_stages(paths: ProjectPaths) -> list[NotebookStage]:
    """Every notebook stage of the project: the main pipeline's, then the sweeps' analysis."""
    return read_notebook_stages(paths.pipeline) + read_notebook_stages(paths.sweeps_pipeline)
