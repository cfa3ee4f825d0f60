"""Which parsers an audit needs: only those that can make a fact the selected rules read.

A history holds thousands of versions of each file; parsing a Lua policy that no selected
rule looks at would dominate the audit's time. The fact types a module can read or make are
found from the code itself: the `kumolint.facts` classes its module namespace refers to, and
those of the kumolint modules it uses (helpers, extractor registries), transitively; plus any
`from kumolint.facts.x import ...` written inside a function. When a rule's inputs cannot be
found this way, every parser is kept (never a silent miss).
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any

from kumolint.parsers import Parser
from kumolint.registry import Rule

_FACT_MODULES = ("kumolint.facts.", "kumolint.model")
_MODEL_FACTS = ("ParseError", "InlineIgnore")  # the rest of kumolint.model is not a fact
_LOCAL_IMPORT = re.compile(r"from\s+(kumolint(?:\.\w+)+)\s+import\s+\(?([\w\s,]+)")


def needed_parsers(rules: Iterable[Rule], parsers: Mapping[str, Parser]) -> set[str]:
    """Names of the parsers whose facts some rule in `rules` reads."""
    seen: dict[str, _Direct] = {}  # shared by every search below: modules overlap a lot
    wanted: set[type] = set()
    for rule in rules:
        inputs = _facts_of(sys.modules[rule.check.__module__], seen)
        if not inputs:
            return set(parsers)
        wanted |= inputs
    return {name for name, p in parsers.items() if _facts_of(_module_of(p.parse), seen) & wanted}


def _module_of(function: Any) -> types.ModuleType:
    return sys.modules[function.__module__]


_Direct = tuple[set[type], list[types.ModuleType]]


def _facts_of(start: types.ModuleType, cache: dict[str, _Direct]) -> set[type]:
    found: set[type] = set()
    seen: set[str] = set()
    pending = [start]
    while pending:
        module = pending.pop()
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        if module.__name__ not in cache:
            cache[module.__name__] = _direct(module)
        facts, modules = cache[module.__name__]
        found |= facts
        pending.extend(modules)
    return found


def _direct(module: types.ModuleType) -> _Direct:
    """The fact classes `module` itself refers to, and the kumolint modules it uses."""
    found: set[type] = set()
    pending: list[types.ModuleType] = []
    package = hasattr(module, "__path__")
    for value in _values(vars(module).values()):
        if package and inspect.ismodule(value):
            continue  # a package's namespace lists every imported submodule: not a use
        owner = getattr(value, "__module__", None) if not inspect.ismodule(value) else None
        name = value.__name__ if inspect.ismodule(value) else owner
        if not isinstance(name, str) or not name.startswith("kumolint."):
            continue
        if inspect.isclass(value) and name.startswith(_FACT_MODULES):
            if _is_fact(value):
                found.add(value)
        elif not name.startswith(_FACT_MODULES) and name in sys.modules:
            pending.append(sys.modules[name])
    facts, modules = _local_imports(module)
    found |= facts
    pending.extend(modules)
    return found, pending


def _is_fact(kind: type) -> bool:
    return kind.__module__ != "kumolint.model" or kind.__name__ in _MODEL_FACTS


def _values(values: Iterable[Any]) -> Iterable[Any]:
    for value in values:
        yield value
        if isinstance(value, dict):  # registries, such as the YAML extractors
            yield from value.values()


def _local_imports(module: types.ModuleType) -> tuple[set[type], list[types.ModuleType]]:
    """What `from kumolint... import ...` statements anywhere in the source bring in (lazy
    imports inside functions are invisible in the module namespace until they run)."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return set(), []
    found: set[type] = set()
    modules: list[types.ModuleType] = []
    for match in _LOCAL_IMPORT.finditer(source):
        try:
            target = importlib.import_module(match[1])
        except ImportError:
            continue
        if not match[1].startswith(_FACT_MODULES):
            modules.append(target)
        for name in re.split(r"[\s,]+", match[2].strip()):
            value = getattr(target, name, None)
            if inspect.isclass(value) and match[1].startswith(_FACT_MODULES) and _is_fact(value):
                found.add(value)
            elif inspect.ismodule(value) or inspect.isfunction(value):
                modules.append(sys.modules[getattr(value, "__module__", None) or value.__name__])
    return found, modules
