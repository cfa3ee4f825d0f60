"""KumoMTA / KumoProxy Lua policy files, parsed with tree-sitter (nothing is ever executed).

Facts: env reads with their guards and fallbacks, secret literals, HTTP auth headers, egress
sources and paths, HTTP listeners and webhook constructors (see `kumolint.facts.lua`). A
syntax error gives one ParseError at the first broken spot; the intact parts still give facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import parser


@parser("lua", globs=("*.lua",))
def parse(path: str, text: str) -> Iterator[Any]:
    from kumolint.parsers._lua_extract import extract
    from kumolint.parsers._lua_tree import LuaSource, first_error

    if not text.strip():
        return
    try:
        source = LuaSource(path, text)
    except (ValueError, RuntimeError) as error:  # tree-sitter refused the input
        yield ParseError(f"Lua could not be parsed ({type(error).__name__})", Span(path))
        return
    facts: list[Any] = list(extract(source))
    root = source.tree.root_node
    if root.has_error:
        broken = first_error(root)
        span = source.span(broken) if broken is not None else Span(path)
        if broken is not None and broken.is_missing:
            # A missing closer sits at the end of the file; point at what it should close.
            opener = broken.parent if broken.parent is not None else broken
            span = source.span(opener)
            message = f"Lua syntax error: missing '{broken.type}' for what starts here"
        else:
            message = "Lua syntax error: this part could not be parsed"
        facts.append(ParseError(message, span))
    facts.sort(key=lambda fact: (fact.span.line, fact.span.column))
    yield from facts
