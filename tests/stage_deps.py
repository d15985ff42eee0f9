"""Which ``sslnb`` modules can change a DVC stage's outputs, and which of them its ``deps`` miss.

DVC reruns a stage only when one of its ``deps`` changed, and those are written by hand. This module
derives what they must cover from the code itself: for ``python -m sslnb <command>``, the imports of the
command's handler in ``sslnb/cli.py`` (``sslnb.cli.HANDLERS``, with the cli helpers it calls), and for a
notebook stage also the notebook's own imports; each followed through every ``import`` inside the package
(function-level ones too: they run when the stage runs).
"""

from __future__ import annotations

import ast
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from sslnb.cli import handler_for, parser

REPO = Path(__file__).resolve().parents[1]

# Modules that a stage runs but that cannot change what it writes; each with the reason.
CANNOT_CHANGE_RESULTS = {
    "sslnb/__init__.py": "the package docstring and version string",
    "sslnb/__main__.py": "calls sslnb.cli.main",
    "sslnb/cli.py": "argument parsing and dispatch to the stage's module",
    "sslnb/errors.py": "the one-line error reporting of the CLI",
    "sslnb/paths.py": "where artifacts live, not what they hold",
    "sslnb/stages/execute.py": "runs papermill; the executed copy holds what the notebook and its imports compute",
}


def docstring_only(path: Path) -> bool:
    """A module that is its docstring alone (a subpackage's ``__init__.py``): running it changes nothing."""
    body = ast.parse(path.read_text()).body
    return len(body) <= 1 and all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


@dataclass(frozen=True)
class Stage:
    name: str
    cmd: str
    deps: tuple[str, ...]
    base: Path  # the folder the stage runs in (dvc.yaml's folder joined with wdir)


def dvc_files() -> list[Path]:
    """Every pipeline of the project: dvc.yaml files outside data/ and the virtual environment."""
    skip = {"data", ".venv", ".git", ".dvc", "reports"}
    return sorted(p for p in REPO.rglob("dvc.yaml") if not skip & set(p.relative_to(REPO).parts[:-1]))


def stages_of(path: Path) -> list[Stage]:
    """The stages of one dvc.yaml, each foreach/matrix stage once (its template)."""
    stages = []
    for name, stage in (yaml.safe_load(path.read_text()).get("stages") or {}).items():
        body = stage.get("do", stage)
        base = (path.parent / body.get("wdir", ".")).resolve()
        deps = tuple(str(d) for dep in body.get("deps", []) for d in ([dep] if isinstance(dep, str) else dep))
        stages.append(Stage(f"{path.relative_to(REPO)}:{name}", " ".join(str(body["cmd"]).split()), deps, base))
    return stages


def module_file(module: str) -> Path | None:
    """The source file of an ``sslnb`` module or package, or None if there is none."""
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Modules named by the import statements of ``tree`` (relative ones resolved against ``package``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}  # `from pkg import submodule`
    return {m for m in found if m == "sslnb" or m.startswith("sslnb.")}


def _package_of(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts[:-1]) if len(parts) > 1 else parts[0]


def imports_closure(modules: set[str]) -> set[Path]:
    """Source files of ``modules`` and of every sslnb module they import, transitively (parents included)."""
    seen: set[Path] = set()
    queue = list(modules)
    while queue:
        module = queue.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ first
            path = module_file(".".join(parts[:depth]))
            if path is None or path in seen:
                continue
            seen.add(path)
            queue += _imported_modules(ast.parse(path.read_text()), _package_of(path))
    return seen


def notebook_imports(notebook: Path) -> set[str]:
    """sslnb modules imported by a notebook's code cells (IPython magics skipped)."""
    cells = json.loads(notebook.read_text())["cells"]
    source = "\n".join(
        line for cell in cells if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    return _imported_modules(ast.parse(source), "")


def handler_imports(argv: list[str]) -> set[str]:
    """sslnb modules imported on the path of ``sslnb ARGV`` through cli.py: module level, ``main``, the
    helpers it calls and the handler of the command line (other handlers are not run)."""
    path = REPO / "sslnb" / "cli.py"
    tree = ast.parse(path.read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    top_level = ast.Module(body=[n for n in tree.body if not isinstance(n, ast.FunctionDef)], type_ignores=[])
    found = _imported_modules(top_level, "sslnb")
    queue, seen = ["main", handler_for(parser().parse_args(argv)).__name__], set()
    while queue:
        name = queue.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        found |= _imported_modules(functions[name], "sslnb")
        queue += [n.func.id for n in ast.walk(functions[name])
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in functions
                  and not n.func.id.startswith("_cmd_")]
    return found


def stage_modules(stage: Stage) -> set[Path]:
    """Every sslnb source file whose code runs when ``stage`` runs (and a notebook stage's notebook)."""
    words = shlex.split(stage.cmd)
    if "-m" not in words or words[words.index("-m") + 1] != "sslnb":
        return set()  # not sslnb's code (e.g. jupyter nbconvert)
    argv = words[words.index("-m") + 2:]
    command = argv[0]
    files = imports_closure(handler_imports(argv))
    if command == "notebook":
        notebook = stage.base / words[words.index("notebook") + 1]
        files |= imports_closure(notebook_imports(notebook)) | {notebook}
    return files


def covered(path: Path, stage: Stage) -> bool:
    return any(path == (stage.base / dep).resolve() or (stage.base / dep).resolve() in path.parents
               for dep in stage.deps)


def missing_deps(stage: Stage) -> list[str]:
    """Source files that can change ``stage``'s outputs but that none of its deps covers."""
    return sorted(
        str(path.relative_to(REPO)) for path in stage_modules(stage)
        if str(path.relative_to(REPO)) not in CANNOT_CHANGE_RESULTS and not docstring_only(path)
        and not covered(path, stage)
    )
