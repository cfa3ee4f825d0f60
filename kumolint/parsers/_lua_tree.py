"""tree-sitter plumbing for the Lua parser: the cached parser, node text, string values, spans.

tree-sitter counts columns in bytes; kumolint's spans count characters, so every position
goes through `LuaSource.span`, which converts per line (only lines with non-ASCII bytes pay).
"""

from __future__ import annotations

import bisect
import functools
import operator
import re
from typing import TYPE_CHECKING, Any

from kumolint.finding import Span

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

_ESCAPE = re.compile(
    rb"\\(?:(?P<simple>[abfnrtv\\\"'\n])|x(?P<hex>[0-9A-Fa-f]{2})|(?P<dec>[0-9]{1,3})"
    rb"|u\{(?P<uni>[0-9A-Fa-f]{1,8})\}|(?P<z>z\s*))"
)
_SIMPLE = {
    b"a": b"\a",
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
    b"\\": b"\\",
    b'"': b'"',
    b"'": b"'",
    b"\n": b"\n",
}
_CONTINUATION = re.compile(rb"[\x80-\xbf]")
_LONG_OPEN = re.compile(rb"\[=*\[")


@functools.lru_cache(maxsize=1)
def lua_parser() -> Any:
    """The tree-sitter parser for Lua, built once per process (imported lazily)."""
    import tree_sitter
    import tree_sitter_lua

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_lua.language()))


# The node kinds the extractor looks at, found by tree-sitter in C instead of a Python walk.
_INTERESTING = (
    "function_call",
    "assignment_statement",
    "if_statement",
    "elseif_statement",
    "for_statement",
    "function_declaration",
    "function_definition",
)
# Table fields are many and few matter: their keys come straight from C, so a key can be
# judged from its bytes before the field and its value are looked up.
_FIELD_NAMES = "field_name"
_CAPTURES = (*_INTERESTING, _FIELD_NAMES)


@functools.lru_cache(maxsize=1)
def _query() -> Any:
    import tree_sitter
    import tree_sitter_lua

    language = tree_sitter.Language(tree_sitter_lua.language())
    patterns = [f"({kind}) @{kind}" for kind in _INTERESTING]
    patterns.append(f"(field name: (_) @{_FIELD_NAMES})")
    return tree_sitter.Query(language, " ".join(patterns))


def nodes_by_kind(root: Node) -> dict[str, list[Node]]:
    """Every node of the interesting kinds under `root`, by kind, in document order; and
    under "field_name" the key of every named table field."""
    import tree_sitter

    query = _query()
    cursor_type = getattr(tree_sitter, "QueryCursor", None)
    found: Any = (
        cursor_type(query).captures(root) if cursor_type is not None else query.captures(root)
    )
    if isinstance(found, list):  # tree-sitter < 0.23 returns (node, name) pairs
        grouped: dict[str, list[Node]] = {}
        for node, name in found:
            grouped.setdefault(name, []).append(node)
        found = grouped
    # Captures of nested nodes do not come in document order; the extractor's bisects need it.
    by_start = operator.attrgetter("start_byte")
    return {kind: sorted(found.get(kind, ()), key=by_start) for kind in _CAPTURES}


class LuaSource:
    """One Lua file as bytes, its tree, and position conversion."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.data = text.encode("utf-8", "surrogatepass")
        self.tree: Tree = lua_parser().parse(self.data)
        self.ascii = self.data.isascii()
        self._line_starts: list[int] | None = None
        self._continuations: dict[int, list[int]] = {}

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def span(self, node: Node) -> Span:
        if self.ascii:  # bytes are characters: no conversion
            start, end = node.start_point, node.end_point
            return Span(self.path, start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1)
        line, column = self._position(node.start_point[0], node.start_point[1])
        end_line, end_column = self._position(node.end_point[0], node.end_point[1])
        return Span(self.path, line, column, end_line, end_column)

    def span_between(self, first: Node, last: Node) -> Span:
        """From the start of `first` to the end of `last`."""
        if self.ascii:
            start, end = first.start_point, last.end_point
            return Span(self.path, start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1)
        line, column = self._position(first.start_point[0], first.start_point[1])
        end_line, end_column = self._position(last.end_point[0], last.end_point[1])
        return Span(self.path, line, column, end_line, end_column)

    def _position(self, row: int, byte_column: int) -> tuple[int, int]:
        if self._line_starts is None:
            starts = [0]
            start = self.data.find(b"\n")
            while start != -1:
                starts.append(start + 1)
                start = self.data.find(b"\n", start + 1)
            self._line_starts = starts
        if row >= len(self._line_starts):
            return row + 1, byte_column + 1
        if row not in self._continuations:
            begin = self._line_starts[row]
            end = self._line_starts[row + 1] - 1 if row + 1 < len(self._line_starts) else None
            line = self.data[begin:end]
            self._continuations[row] = (
                [] if line.isascii() else [m.start() for m in _CONTINUATION.finditer(line)]
            )
        skipped = bisect.bisect_left(self._continuations[row], byte_column)
        return row + 1, byte_column - skipped + 1


def string_value(source: LuaSource, node: Node) -> str | None:
    """The value of a Lua string literal node, escapes decoded; None if it is not one."""
    if node.type != "string":
        return None
    raw = source.data[node.start_byte : node.end_byte]
    long_open = _LONG_OPEN.match(raw)
    if long_open is not None:
        width = len(long_open[0])
        body = raw[width:]
        closer = b"]" + b"=" * (width - 2) + b"]"
        if body.endswith(closer):
            body = body[: -len(closer)]
        # A long string drops the newline right after its opening bracket.
        if body.startswith(b"\r\n"):
            body = body[2:]
        elif body.startswith(b"\n"):
            body = body[1:]
        return body.decode("utf-8", "replace")
    body = raw[1:]
    if b"\\" not in body:  # the common case: no escapes at all
        return (body[:-1] if body.endswith(raw[:1]) else body).decode("utf-8", "replace")
    if len(raw) > 1 and body.endswith(raw[:1]) and not _escaped_end(body):
        body = body[:-1]
    return _ESCAPE.sub(_unescape, body).decode("utf-8", "replace")


def _escaped_end(body: bytes) -> bool:
    """Is the last byte escaped (an unterminated `'abc\\'`)? Odd number of backslashes before."""
    count = len(body[:-1]) - len(body[:-1].rstrip(b"\\"))
    return count % 2 == 1


def _unescape(match: re.Match[bytes]) -> bytes:
    if match["simple"] is not None:
        return _SIMPLE[match["simple"]]
    if match["hex"] is not None:
        return bytes([int(match["hex"], 16)])
    if match["dec"] is not None:
        return bytes([min(int(match["dec"]), 255)])
    if match["uni"] is not None:
        code = int(match["uni"], 16)
        return chr(code).encode("utf-8", "surrogatepass") if code <= 0x10FFFF else b""
    return b""  # \z skips the following whitespace


def first_error(root: Node) -> Node | None:
    """The first ERROR or MISSING node, in document order (descends only into broken parts)."""
    if root.is_error or root.is_missing:
        return root
    node = root
    while True:
        for child in node.children:
            if child.is_missing or child.is_error:
                return child
            if child.has_error:
                node = child
                break
        else:
            return node if node is not root else None
