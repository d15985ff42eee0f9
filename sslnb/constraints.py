"""Declarative rules for settings: each rule sits on the field it constrains, and one function checks them.

A settings dataclass declares a field's rule in its metadata, next to its default::

    k: int | None = setting(None, at_least(2), "k-means clusters; null: the number of classes")

:func:`check_settings` then checks every field of an instance and raises one ValueError that names the
key (``metrics.k must be at least 2, got 1``). Tests enumerate the rules with :func:`rules_of`, in the
spirit of scikit-learn's ``_parameter_constraints``. Rules that relate two fields (the milestones and the
epochs) are the section's own ``check`` method, next to the fields as well.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Rule:
    """One constraint on a value: ``accepts(value)`` and the phrase ``must <description>``."""

    description: str
    accepts: Callable[[Any], bool]

    def violated_by(self, value: Any) -> bool:
        if value is None:  # null is a type question: the field's annotation says whether it may be null
            return False
        values = value if isinstance(value, (tuple, list)) else (value,)
        return not all(self.accepts(v) for v in values)


def _why(description: str, why: str) -> str:
    return f"{description} ({why})" if why else description


def at_least(low: float, why: str = "") -> Rule:
    return Rule(_why(f"be at least {low:g}", why), lambda value: value >= low)


def positive(why: str = "") -> Rule:
    return Rule(_why("be positive", why), lambda value: value > 0 and math.isfinite(value))


def non_negative() -> Rule:
    return Rule("be 0 or more", lambda value: value >= 0)


def between(low: float, high: float) -> Rule:
    return Rule(f"be between {low:g} and {high:g}", lambda value: low <= value <= high)


def below(high: float, low: float = 0.0) -> Rule:
    return Rule(f"be in [{low:g}, {high:g})", lambda value: low <= value < high)


def one_of(choices: tuple[str, ...]) -> Rule:
    return Rule(f"be one of {list(choices)}", lambda value: value in choices)


def setting(default: Any, rule: Rule | None = None, help: str = "") -> Any:
    """A dataclass field with its default, its rule and a line of help (what ``--help`` and the docs show)."""
    metadata = {"rule": rule, "help": help}
    if isinstance(default, (list, dict, set)):
        raise TypeError("give a tuple as a setting's default, not a mutable container")
    return dataclasses.field(default=default, metadata=metadata)


def rules_of(cls: type) -> dict[str, Rule]:
    """Every field of a settings dataclass that declares a rule, by name."""
    return {f.name: f.metadata["rule"] for f in dataclasses.fields(cls) if f.metadata.get("rule") is not None}


def check_settings(settings: Any, section: str) -> None:
    """Raise a ValueError naming ``section.key`` for the first field whose value breaks its rule."""
    for name, rule in rules_of(type(settings)).items():
        value = getattr(settings, name)
        if rule.violated_by(value):
            shown = list(value) if isinstance(value, tuple) else value
            raise ValueError(f"{section}.{name} must {rule.description}, got {shown!r}")
