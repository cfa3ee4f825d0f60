"""Rule registration: `@rule(...)` on a check function, found by walking `kumolint.rules`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kumolint.finding import Related, Severity, Span
from kumolint.model import RepoModel

ID_PATTERN = re.compile(r"KL[0-9]{3}")
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Report:
    """What a check yields when a plain `(span, message)` is not enough.

    `key` is the structural key of the finding (a variable name, a record owner ...): with the
    rule and path it makes the fingerprint, so a finding keeps its identity when lines move.
    It defaults to the message. It must never be a secret value.
    """

    span: Span
    message: str
    key: str = ""
    related: tuple[Related, ...] = ()
    severity: Severity | None = None


Yield = Report | tuple[Span, str]
Check = Callable[[RepoModel, Any], Iterable[Yield]]


@dataclass(frozen=True)
class NoOptions:
    """Options of a rule that has none."""


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    doc: str
    check: Check
    options: type[Any] = NoOptions

    @property
    def summary(self) -> str:
        return self.doc.partition("\n")[0].strip()


REGISTRY: dict[str, Rule] = {}


def rule(
    *, id: str, name: str, severity: Severity, options: type[Any] = NoOptions
) -> Callable[[Check], Check]:
    """Register the decorated function as the check of rule `id`."""

    def register(check: Check) -> Check:
        if not ID_PATTERN.fullmatch(id):
            raise ValueError(f"rule id {id!r} is not KL followed by 3 digits")
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(f"rule name {name!r} is not kebab-case")
        if id in REGISTRY and REGISTRY[id].check is not check:
            raise ValueError(f"rule id {id} is declared twice")
        doc = inspect.cleandoc(sys.modules[check.__module__].__doc__ or "")
        REGISTRY[id] = Rule(id, name, severity, doc, check, options)
        return check

    return register


def load_rules() -> dict[str, Rule]:
    """Import every rule module under kumolint.rules, then return the registry by id."""
    import kumolint.rules as package

    for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        if not info.name.rpartition(".")[2].startswith("_"):
            importlib.import_module(info.name)
    return dict(sorted(REGISTRY.items()))
