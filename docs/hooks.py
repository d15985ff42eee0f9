"""MkDocs hook: the API reference lists every public module of sslnb.metrics as it is on disk.

A page line ``<!-- api-modules: sslnb.metrics -->`` becomes one ``::: sslnb.metrics.<module>`` directive per
public module (a file or a package of ``sslnb/metrics/`` whose name does not start with ``_``), so a new
metric module appears in the reference without editing a page.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!-- api-modules: ([\w.]+) -->$", re.M)


def public_modules(package: str) -> list[str]:
    folder = ROOT.joinpath(*package.split("."))
    names = [p.stem for p in folder.glob("*.py")] + [p.name for p in folder.iterdir() if (p / "__init__.py").is_file()]
    return [f"{package}.{name}" for name in sorted(set(names)) if not name.startswith("_")]


def on_page_markdown(markdown: str, **_) -> str:
    return MARKER.sub(lambda m: "\n\n".join(f"::: {name}" for name in public_modules(m[1])), markdown)
