"""Nginx syntax: tokens with offsets, directives and blocks, and the errors found on the way.

The lexer follows nginx's own rules (ngx_conf_file.c): quotes only at the start of a token,
`\\` escapes, `${name}` inside a word, `#` comments at a token start. Jinja statements
(`{% … %}`, `{# … #}`) are blanked first, keeping offsets; `{{ var }}` stays part of its word.
Nothing here raises: an unclosed block, an extra `}`, an unterminated quote or a missing `;`
is an (message, offset) error and the rest is kept. crossplane supplies the table of known
directive names for the missing-`;` check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<comment>\#[^\n]*)
    | (?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<open_quote>["'])
    | (?P<word>(?:[^\s;{}\\$]+|\$\{[^}\s]*\}|\{\{[^\n]*?\}\}|\\.|\$)+)
    | (?P<punct>[{};])
    | (?P<other>.)
    | (?P<end>\Z)
    )""",
    re.VERBOSE | re.DOTALL,
)
_JINJA_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# Blocks whose body is a list of entries, not directives (no missing-`;` check inside).
_ENTRY_BLOCKS = {"map", "types", "geo", "split_clients", "match", "charset_map", "upstream"}


@dataclass(slots=True)
class Arg:
    text: str
    start: int
    end: int
    quoted: bool


@dataclass(slots=True)
class Directive:
    name: str
    start: int
    args: list[Arg]
    block: list[Directive] | None = None
    end: int = 0


@dataclass(slots=True)
class Tree:
    root: list[Directive] = field(default_factory=list)
    errors: list[tuple[str, int]] = field(default_factory=list)
    balanced: bool = True


def _blank(segment: str) -> str:
    return re.sub(r"[^\n]", " ", segment)


def build(text: str) -> Tree:
    """Directives and blocks from `text`; errors are (message, offset) pairs."""
    text = _JINJA_STATEMENT.sub(lambda m: _blank(m[0]), text)
    from crossplane.analyzer import DIRECTIVES

    tree = Tree()
    stack: list[Directive] = []
    words: list[Arg] = []
    current = tree.root
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # the last alternative matches any character
        kind = match.lastgroup or "end"
        start, position, token = match.start(kind), match.end(), match[kind]
        if kind in ("comment", "end"):
            continue
        if kind == "open_quote":
            tree.errors.append(("unterminated quoted string", start))
            break
        if kind in ("word", "other"):
            words.append(Arg(token, start, position, False))
            continue
        if kind == "quoted":
            words.append(Arg(_unescape(token[1:-1]), start, position, True))
            continue
        char = token
        if char == "}":
            if words:
                tree.errors.append(('missing ";" before "}"', words[-1].end))
                current.extend(_split_missing_semicolons(words, text, tree, DIRECTIVES, stack))
                words = []
            if not stack:
                tree.errors.append(('unexpected "}"', start))
                tree.balanced = False
                continue
            stack.pop().end = position
            current = stack[-1].block if stack else tree.root  # type: ignore[assignment]
            continue
        if not words:
            if char == "{":
                tree.errors.append(('unexpected "{"', start))
                tree.balanced = False
            continue
        directives = _split_missing_semicolons(words, text, tree, DIRECTIVES, stack)
        words = []
        current.extend(directives)
        if char == "{":
            opener = directives[-1]
            opener.block = []
            stack.append(opener)
            current = opener.block
            if opener.name.endswith("_by_lua_block"):
                position = _skip_lua_block(text, position)
                stack.pop().end = position
                current = stack[-1].block if stack else tree.root  # type: ignore[assignment]
        else:
            directives[-1].end = position
    if words:
        tree.errors.append(('unexpected end of file, expecting ";" or "}"', words[0].start))
        current.extend(_split_missing_semicolons(words, text, tree, DIRECTIVES, stack))
    if stack:
        tree.errors.append((f'"{{" of "{stack[-1].name}" is never closed', stack[-1].start))
        tree.balanced = False
    return tree


def _split_missing_semicolons(
    words: list[Arg], text: str, tree: Tree, known: Any, stack: list[Directive]
) -> list[Directive]:
    """One directive, or several when a line starts with a known directive name: a lost `;`."""
    in_entries = bool(stack) and stack[-1].name in _ENTRY_BLOCKS
    directives = [Directive(words[0].text, words[0].start, [])]
    previous = words[0]
    for word in words[1:]:
        new_line = "\n" in text[previous.end : word.start]
        if new_line and not word.quoted and not in_entries and word.text in known:
            tree.errors.append((f'missing ";" before "{word.text}"', previous.end))
            directives.append(Directive(word.text, word.start, []))
        else:
            directives[-1].args.append(word)
        previous = word
    return directives


def _skip_lua_block(text: str, position: int) -> int:
    depth = 1
    quote = ""
    while position < len(text) and depth:
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        position += 1
    return position


def _unescape(text: str) -> str:
    return re.sub(r"\\([\"'\\])", r"\1", text)


def walk(block: Iterable[Directive]) -> Iterator[Directive]:
    stack = list(reversed(list(block)))
    while stack:
        directive = stack.pop()
        yield directive
        if directive.block:
            stack.extend(reversed(directive.block))
