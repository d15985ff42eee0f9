"""Which ``sslnb`` modules can change a DVC stage's outputs, and which of them its ``deps`` miss.

DVC reruns a stage only when one of its ``deps`` changed, and those are written by hand. This module
derives what they must cover from the code itself: for ``python -m sslnb <command>``, the imports of the
command's handler in ``sslnb/cli.py`` (``sslnb.cli.HANDLERS``, with the cli helpers it calls), and for a
notebook stage also the notebook's own imports; each followed through every ``import`` inside the package
(function-level ones too: they run when the stage runs).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from sslnb.cli import handler_for, parser
from sslnb.config import Params

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
    params: tuple[str, ...] = ()  # its params keys (a section or a dotted key)


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
        params = tuple(str(k) for entry in body.get("params", [])
                       for k in ([entry] if isinstance(entry, str) else [key for value in entry.values() for key in value]))
        stages.append(Stage(f"{path.relative_to(REPO)}:{name}", " ".join(str(body["cmd"]).split()), deps, base, params))
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


# -- params ----------------------------------------------------------------------------------------------
# The name sslnb's code gives a Params everywhere it is passed; the reads of a stage are the attribute
# chains on it (and on names bound to one of its sections) in the functions the stage's command runs.
PARAMS_NAME = "params"
# Params' own methods and properties, and the keys they read (None: records params.yaml, computes nothing)
DERIVED_READS = {"method": ("methods.${key}",), "view_augment": ("augment", "reference_augment"), "to_dict": None}
PLACEHOLDER = "${key}"
PARAMS_FIELDS = {field.name for field in dataclasses.fields(Params)}  # a dict named params (a sweep's) is not one


@dataclass(frozen=True)
class _Module:
    functions: dict[str, ast.AST]  # "f" and "Class.method"
    classes: set[str]
    imports: dict[str, tuple[str, str | None]]  # local name -> (module, name in it; None: the module itself)


def _module_index(module: str) -> _Module | None:
    path = module_file(module)
    if path is None:
        return None
    tree = ast.parse(path.read_text())
    functions, classes, imports = {}, set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            classes.add(node.name)
            functions |= {f"{node.name}.{item.name}": item for item in node.body
                          if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in ast.walk(tree):  # function-level imports too: they bind names the same way
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sslnb"):
            for alias in node.names:
                imports[alias.asname or alias.name] = _imported(node.module, alias.name)
    return _Module(functions, classes, imports)


@functools.lru_cache(maxsize=None)
def _top_level(module: str) -> tuple[ast.stmt, ...]:
    """The module-level statements of an sslnb module (none if there is no such file), parsed once."""
    path = module_file(module)
    return tuple(ast.parse(path.read_text()).body) if path else ()


def _top_level_imports(module: str) -> dict[str, tuple[str, str]]:
    """What the module-level ``from sslnb... import`` statements of ``module`` bind: name -> (module, name)."""
    return {alias.asname or alias.name: (node.module, alias.name) for node in _top_level(module)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sslnb")
            for alias in node.names}


def _defines(module: str, name: str) -> bool:
    return any(getattr(node, "name", None) == name for node in _top_level(module))


def _imported(module: str, name: str) -> tuple[str, str | None]:
    """What ``from module import name`` binds, as Python does: the package's own attribute when it defines or
    re-exports one (``from sslnb.sources import prepare`` is the function that ``sslnb/sources/__init__.py``
    re-exports, not the submodule of the same name), followed to where it is defined; else the submodule."""
    seen = set()
    while (module, name) not in seen:
        seen.add((module, name))
        if _defines(module, name):
            return module, name
        reexports = _top_level_imports(module)
        if name not in reexports:
            break
        module, name = reexports[name]
    submodule = f"{module}.{name}"
    return (submodule, None) if module_file(submodule) else (module, name)


def _resolve_call(func: ast.AST, module: str, index: _Module, owner: str | None) -> list[tuple[str, str]]:
    """The sslnb functions a call may run, for the calls this static reading can resolve (by name)."""
    if isinstance(func, ast.Name):
        if func.id in index.functions:
            return [(module, func.id)]
        if func.id in index.classes:
            return [(module, f"{func.id}.__init__")]
        if func.id in index.imports and index.imports[func.id][1]:
            target, name = index.imports[func.id]
            return [(target, name), (target, f"{name}.__init__")]
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        base = func.value.id
        if base in ("self", "cls") and owner:
            return [(module, f"{owner}.{func.attr}")]
        if base in index.classes:
            return [(module, f"{base}.{func.attr}")]
        if base in index.imports:
            target, name = index.imports[base]
            return [(target, func.attr) if name is None else (target, f"{name}.{func.attr}")]
    return []


def _function(module: str, name: str, indexes: dict) -> ast.AST | None:
    if module not in indexes:
        indexes[module] = _module_index(module)
    index = indexes[module]
    return index.functions.get(name) if index else None


def _parameter_names(function: ast.AST) -> list[str]:
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    return names[1:] if names and names[0] in ("self", "cls") else names


# Members of a section that are not params keys, and the keys they read (sslnb.config, sslnb.metrics.options)
SECTION_MEMBERS = {
    "data.input_channels": ("data.name", "data.channels"), "data.input_size": ("data.name", "data.image_size"),
    "domains.names": ("domains.shifts", "domains.digits"), "metrics.clusters": ("metrics.k",),
    "metrics.with_clusters": ("metrics",),  # a copy of every option, for the monitor
}
PARAMS = "<params>"  # what a name bound to the whole Params is bound to


def _section_of(node: ast.AST, names: dict[str, str]) -> str | None:
    """What ``node`` is: PARAMS (the Params), a section's name (``params.metrics``), or None (neither)."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        if node.attr == PARAMS_NAME and isinstance(node.value, ast.Name) and node.value.id in ("self", "trainer"):
            return PARAMS  # the trainer's self.params, a callback's trainer.params
        if isinstance(node.value, ast.Name) and node.value.id == "self" and f"self.{node.attr}" in names:
            return names[f"self.{node.attr}"]  # self.cfg = params.train in __init__, read in another method
        if _section_of(node.value, names) == PARAMS and node.attr in PARAMS_FIELDS:
            return node.attr
    return None


def _bind(function: ast.AST, names: dict[str, str], extra: dict[str, str]) -> None:
    """Add to ``names`` what the assignments of ``function`` bind: ``cfg = params.metrics``, ``self.cfg = ...``,
    ``params, data = trainer.params, trainer.data``."""
    scope = {**names, **extra}
    for assign in ast.walk(function):
        if not isinstance(assign, ast.Assign) or len(assign.targets) != 1:
            continue
        target, value = assign.targets[0], assign.value
        pairs = (zip(target.elts, value.elts) if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                 and len(target.elts) == len(value.elts) else [(target, value)])
        for left, right in pairs:
            if (section := _section_of(right, scope)) is None:
                continue
            if isinstance(left, ast.Name):
                key = left.id
            elif isinstance(left, ast.Attribute) and isinstance(left.value, ast.Name) and left.value.id == "self":
                key = f"self.{left.attr}"
            else:
                continue
            names[key] = scope[key] = section


def _reads_and_calls(function: ast.AST, module: str, owner: str | None, names: dict[str, str],
                     indexes: dict) -> tuple[set[str], list]:
    """The params keys a function reads, and the sslnb functions it calls with what their parameters are bound to.

    ``params.train.lr`` is ``train.lr``; ``cfg = params.metrics`` then ``cfg.k`` is ``metrics.k``; a section
    passed to a function this reading follows is read there, passed anywhere else it is read whole.
    """
    parents = {child: parent for parent in ast.walk(function) for child in ast.iter_child_nodes(parent)}
    names = dict(names)
    if owner:  # the object's attributes bound in any of its methods
        for name, method in indexes[module].functions.items():
            if name.startswith(f"{owner}."):
                _bind(method, names, {PARAMS_NAME: PARAMS} if PARAMS_NAME in _parameter_names(method) else {})
    _bind(function, names, {})
    calls, followed = [], set()
    for call in ast.walk(function):
        if not isinstance(call, ast.Call):
            continue
        for target in _resolve_call(call.func, module, indexes[module], owner):
            callee = _function(*target, indexes)
            if callee is None:
                continue
            parameters, binding = _parameter_names(callee), {}
            for position, arg in enumerate(call.args):
                if position < len(parameters) and (section := _section_of(arg, names)) is not None:
                    binding[parameters[position]] = section
                    followed.add(arg)
            for keyword in call.keywords:
                if keyword.arg and (section := _section_of(keyword.value, names)) is not None:
                    binding[keyword.arg] = section
                    followed.add(keyword.value)
            calls.append((target, binding))
    found: set[str] = set()
    for at in ast.walk(function):
        if isinstance(at, ast.Attribute) and at.attr in DERIVED_READS and _section_of(at.value, names) == PARAMS:
            found |= set(DERIVED_READS[at.attr] or ())  # params.method(name), params.view_augment
            continue
        section = _section_of(at, names)
        if section is None or section == PARAMS or at in followed:
            continue
        parent = parents.get(at)
        if isinstance(parent, ast.Assign) and parent.value is at or (
                isinstance(parent, ast.Tuple) and isinstance(parents.get(parent), ast.Assign)):
            continue  # binds a name: read where the name is used
        if isinstance(parent, ast.Attribute) and parent.value is at:
            member = f"{section}.{parent.attr}"
            found |= set(SECTION_MEMBERS.get(member, (member,)))
        elif not (isinstance(parent, ast.Call) and getattr(parent.func, "id", "") == "replace"):
            found.add(section)  # used whole: passed where this reading does not follow
        # dataclasses.replace(params.metrics, ...) is a copy: its fields are read where the copy is used
    return found, calls


def params_read(stage: Stage) -> set[str]:
    """The params keys the functions of a ``python -m sslnb`` stage read, followed from its command's handler
    through every call this static reading resolves by name (methods called on other objects are not)."""
    words = shlex.split(stage.cmd)
    if "-m" not in words or words[words.index("-m") + 1] != "sslnb":
        return set()
    handler = handler_for(parser().parse_args(words[words.index("-m") + 2:]))
    indexes: dict = {}
    queue = [(("sslnb.cli", handler.__name__), {PARAMS_NAME: PARAMS})]
    seen, found = set(), set()
    while queue:
        (module, name), bound = queue.pop()
        key = (module, name, tuple(sorted(bound.items())))
        if key in seen or module == "sslnb.config":  # config validates every key; it computes nothing
            continue
        seen.add(key)
        function = _function(module, name, indexes)
        if function is None:
            continue
        owner = name.split(".")[0] if "." in name else None
        reads, calls = _reads_and_calls(function, module, owner, bound, indexes)
        found |= reads
        queue += calls
        if name.endswith(".__init__"):  # an object made: any of its methods may run, reading self.params
            queue += [((module, other), {}) for other in indexes[module].functions if other.startswith(f"{owner}.")]
    return found


def interpolated(stage: Stage) -> set[str]:
    """The params keys a stage's command interpolates (``${analysis.n_boot}``), the foreach ``${key}`` left out."""
    import re

    return {key for key in re.findall(r"\$\{([^}]+)\}", stage.cmd) if key not in ("key", "item")}


def covers(declared: str, read: str) -> bool:
    declared = declared.replace(PLACEHOLDER, "*")
    read = read.replace(PLACEHOLDER, "*")
    return read == declared or read.startswith(declared + ".")


def missing_params(stage: Stage) -> list[str]:
    """The params keys the stage reads (in its code or its command) that none of its ``params`` covers."""
    return sorted(key for key in params_read(stage) | interpolated(stage)
                  if not any(covers(declared, key) for declared in stage.params))
