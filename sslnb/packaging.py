"""What an install of sslnb brings: the distributions its requirements pull in, and their size on disk.

Used by the light-install test (which builds a fresh virtual environment with only the light
requirements) and by ``benchmarks/install_size.py`` (the README's installed sizes). Both read the
metadata of the current environment, so they need it to hold the extras they ask about.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_closure(requirements: list[str], extras: tuple[str, ...] = ()) -> dict[str, metadata.Distribution]:
    """Every installed distribution that ``requirements`` pull in, transitively (markers evaluated here)."""
    found: dict[str, metadata.Distribution] = {}
    pending = [(Requirement(text), extras) for text in requirements]
    while pending:
        requirement, active = pending.pop()
        environments = [{"extra": extra} for extra in active] or [{"extra": ""}]
        if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
            continue
        name = _canonical(requirement.name)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise LookupError(f"{requirement.name} is required but not installed in this environment") from None
        new_extras = tuple(sorted(requirement.extras))
        key = name + (f"[{','.join(new_extras)}]" if new_extras else "")
        if key in found:
            continue
        found[key] = distribution
        pending += [(Requirement(text), new_extras) for text in distribution.requires or []]
    return {_canonical(d.metadata["Name"]): d for d in found.values()}


def sslnb_requirements(extras: tuple[str, ...] = ()) -> list[str]:
    """sslnb's own requirements for ``extras`` (() = the light install), read from its metadata."""
    requirements = []
    for text in metadata.distribution("sslnb").requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or any(requirement.marker.evaluate({"extra": e}) for e in extras):
            requirements.append(text.split(";")[0].strip())
    return requirements


def top_level_entries(distribution: metadata.Distribution) -> set[Path]:
    """The files and folders a distribution puts directly into site-packages (what a copy must carry)."""
    entries = set()
    for file in distribution.files or []:
        if file.parts[0] in ("..",) or file.parts[0].endswith(".pth"):
            continue
        entries.add(Path(distribution.locate_file(file.parts[0])))
    return entries


def installed_bytes(distributions: dict[str, metadata.Distribution]) -> int:
    """Bytes on disk of every file the distributions installed (their RECORD), each file counted once."""
    seen, total = set(), 0
    for distribution in distributions.values():
        for file in distribution.files or []:
            path = Path(distribution.locate_file(file))
            if path in seen or not path.is_file():
                continue
            seen.add(path)
            total += path.stat().st_size
    return total
