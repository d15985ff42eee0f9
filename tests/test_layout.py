"""The package's layout is its architecture: layers that import only downward, no cycle, no private imports.

The import graph is read from the source (every ``import`` and ``from ... import``, function-level ones
too), so the test needs nothing installed and sees imports that only run in some branches.
``python tests/test_layout.py`` prints the graph's summary: modules per subpackage and the imports
between layers.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sslnb"

# Bottom to top: a module may import its own layer and the layers below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("sslnb", "sslnb.errors", "sslnb.io", "sslnb.constraints", "sslnb.paths", "sslnb.images", "sslnb.optional",
     "sslnb.packaging", "sslnb.notebook_stages"),  # infrastructure: no sslnb imports but each other
    ("sslnb.metrics", "sslnb.columns"),  # the library core: the metrics and their registry
    ("sslnb.config",),  # params.yaml, whose metrics section is the metrics' options
    ("sslnb.sources", "sslnb.monitor"),  # data sets; the label-free monitor
    ("sslnb.training", "sslnb.integrations"),  # the trainer; the frameworks' callbacks around the monitor
    ("sslnb.analysis",),  # what the notebooks compute and draw
    ("sslnb.stages",),  # what each `python -m sslnb <command>` of a pipeline stage runs
    ("sslnb.sweeps",),  # many runs of those stages
    ("sslnb.cli", "sslnb.__main__"),  # the command line
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _resolve(name: str) -> str:
    """The module that ``name`` (a module, or a name inside one) lives in."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def imports_of(module: str) -> dict[str, set[str]]:
    """The sslnb modules ``module`` imports, each with the names it takes from it."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sslnb":
                    found.setdefault(_resolve(alias.name), set())
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parents + ([node.module] if node.module else []))
            if base.split(".")[0] != "sslnb":
                continue
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in MODULES:  # a submodule
                    found.setdefault(target, set())
                else:
                    found.setdefault(_resolve(base), set()).add(alias.name)
    found.pop(module, None)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def layer_of(module: str) -> int:
    best = None
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if module == prefix or (prefix != "sslnb" and module.startswith(prefix + ".")):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    assert best is not None, f"{module} is in no layer of tests/test_layout.py: add it to LAYERS"
    return best[0]


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in GRAPH[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    return found


def test_every_module_is_in_a_layer_and_imports_only_downward():
    upward = [f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
              for module, targets in GRAPH.items() for target in targets if layer_of(target) > layer_of(module)]
    assert not upward, "\n".join(upward)


def test_there_is_no_import_cycle():
    assert cycles() == []


def test_no_module_imports_another_modules_private_names():
    private = [f"{module} imports {name} from {target}" for module, targets in GRAPH.items()
               for target, names in targets.items() for name in names
               if name.startswith("_") and not name.startswith("__")]
    assert not private, "\n".join(private)


def test_no_two_modules_or_folders_share_a_name_across_layers():
    """A module's name is not also a subpackage's, and no subpackage is named like a top-level folder
    of the project other than the one it generates (``sslnb/sweeps`` writes ``sweeps/``)."""
    top_level = {path.stem for path in PACKAGE.glob("*.py")}
    packages = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").is_file()}
    assert not top_level & packages
    project_folders = {path.name for path in PACKAGE.parent.iterdir() if path.is_dir()} - {"sslnb", "sweeps"}
    assert not (top_level | packages) & project_folders


def summary() -> str:
    counts = Counter(module.split(".")[1] if module.count(".") and (PACKAGE / module.split(".")[1]).is_dir()
                     else "(top level)" for module in MODULES)
    edges = sum(len(targets) for targets in GRAPH.values())
    lines = [f"{len(MODULES)} modules, {edges} imports, {len(cycles())} cycles"]
    lines += [f"  {name}: {count}" for name, count in sorted(counts.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary())
