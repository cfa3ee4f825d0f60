"""The parser registry: which parsers read which files.

A parser is a function `parse(path, text) -> Iterable[fact]`, registered with `@parser(...)`
in a module of this package (found by walking the package, no hand-kept list). Routing looks
at the repo-relative path only, so a file that no parser wants is never opened. Parser modules
import their heavy libraries inside the parse function, so the hook path pays only for the
file kinds the repository has.

Parsers never decide findings and never raise on bad input: what they cannot read becomes a
`ParseError` fact.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ParseFunction = Callable[[str, str], Iterable[Any]]


@dataclass(frozen=True)
class Parser:
    name: str
    parse: ParseFunction
    patterns: tuple[re.Pattern[str], ...]
    # Runs on every file that some other parser opens, too (e.g. the PEM block scanner).
    piggyback: bool = False

    def wants(self, path: str) -> bool:
        return any(p.fullmatch(path) for p in self.patterns)


PARSERS: dict[str, Parser] = {}


def parser(
    name: str, *, globs: Iterable[str], piggyback: bool = False
) -> Callable[[ParseFunction], ParseFunction]:
    """Register `parse` for the paths matching any of `globs`.

    A glob without `/` matches the file name in any directory; one with `/` matches the whole
    repo-relative path, where `**/` stands for any number of leading directories. Matching
    ignores case.
    """

    patterns = tuple(_compile(glob) for glob in globs)

    def register(parse: ParseFunction) -> ParseFunction:
        if name in PARSERS and PARSERS[name].parse is not parse:
            raise ValueError(f"parser {name!r} is declared twice")
        PARSERS[name] = Parser(name, parse, patterns, piggyback)
        return parse

    return register


def load_parsers() -> dict[str, Parser]:
    """Import every module of this package (each registers its parsers) and return them."""
    for info in pkgutil.iter_modules(__path__, f"{__name__}."):
        if not info.name.rpartition(".")[2].startswith("_"):
            importlib.import_module(info.name)
    return dict(sorted(PARSERS.items()))


def parsers_for(path: str, parsers: dict[str, Parser]) -> list[Parser]:
    """The parsers that read `path`: the ones that want it, plus piggybacks if any does."""
    chosen = [p for p in parsers.values() if not p.piggyback and p.wants(path)]
    piggybacks = [p for p in parsers.values() if p.piggyback and (chosen or p.wants(path))]
    return chosen + piggybacks


def _compile(glob: str) -> re.Pattern[str]:
    if "/" not in glob:
        glob = "**/" + glob
    body = ""
    rest = glob
    while rest.startswith("**/"):
        body += "(?:.*/)?"
        rest = rest[3:]
    translated = fnmatch.translate(rest)  # `*` crosses `/` here, which the globs rely on
    return re.compile(body + translated, re.IGNORECASE | re.DOTALL)
