"""Env files: systemd `EnvironmentFile=` files (`/etc/default/*`) and dotenv files (`.env`).

The two dialects look alike and mean different things, so the dialect is chosen by path:

- systemd (written from systemd.exec(5)): `#` and `;` start a comment only at the start of a
  line; no `export`; no inline comments (`A=b # c` is `b # c`); no `${VAR}` expansion;
  unquoted values keep inner whitespace, drop leading/trailing whitespace, take `\\x` as `x`
  and join a line ending in `\\` with the next; `'...'` is verbatim, `"..."` unescapes only
  `\\"`, `\\\\`, `` \\` ``, `\\$` and backslash-newline; quoted parts may span lines, and text
  right after a closing quote is joined on. Lines without `=` are ignored.
- dotenv (as python-dotenv and compose read it): optional `export`, `#` comments, inline
  comments after whitespace, `"..."` with C-style escapes, `'...'` verbatim, no line joining.

Files routed here only because of a generous name (`deploy/kumomta`, `files/kumo*.conf`, any
`etc/default/*`) are read only when their content is shaped like `/etc/default/kumomta`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kumolint.facts.env import EnvAssignment, EnvFile
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import parser
from kumolint.parsers._text import LineIndex

TEMPLATE_SUFFIXES = (
    ".example",
    ".sample",
    ".template",
    ".tmpl",
    ".tpl",
    ".dist",
    ".j2",
    ".jinja",
    ".jinja2",
    ".in",
)
# KumoMTA's own units read /opt/kumomta/etc/{kumo-common,kumod}.env with systemd.
_KUMO_STEMS = ("kumomta", "kumod", "kumo-common", "kumoproxy", "kumo")
_SYSTEMD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_KUMO_VARIABLE = re.compile(r"^(?:KUMO|PING8_)", re.IGNORECASE)
_PLAIN_SYSTEMD = re.compile(r"[^\\\n]+")
_PLAIN_DOUBLE = re.compile(r'[^"\\]+')
_PLAIN_QUOTED = {"'": re.compile(r"[^'\\]*"), '"': re.compile(r'[^"\\]*')}
_DOTENV_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}
_SPACE = " \t\r\f\v"
_INLINE_COMMENT = re.compile(r"[ \t]#")
MAX_ERRORS_PER_FILE = 10


@dataclass(frozen=True)
class Route:
    """How to read one path: its dialect, and whether the content must prove it is env."""

    dialect: str
    sniff: bool
    base_name: str
    template: bool


@dataclass(frozen=True, slots=True)
class _Line:
    """One logical assignment as the tokenizer saw it (offsets into the text)."""

    name: str
    name_start: int
    name_end: int
    value: str
    value_start: int
    value_end: int
    quoted: bool
    exported: bool


def route(path: str) -> Route | None:
    """The dialect for `path`, or None when it is not an env file by name."""
    parts = path.lower().split("/")
    name = parts[-1]
    base = _strip_template_suffixes(name)
    template = base != name
    stem = base[1:] if base.startswith(".") else base
    if base == ".env" or base.startswith(".env."):
        return Route("dotenv", False, base, template)
    if base.endswith(".env") and len(base) > 4:
        kumo = stem[:-4].startswith(_KUMO_STEMS)
        return Route("systemd" if kumo else "dotenv", False, base, template)
    if base.endswith(".default") and len(base) > 8:
        return Route("systemd", False, base, template)
    if len(parts) >= 2 and parts[-2] == "default" and "." not in base:
        return Route("systemd", not base.startswith(_KUMO_STEMS), base, template)
    if base in _KUMO_STEMS or (base.startswith("kumo") and base.endswith(".conf")):
        return Route("systemd", True, base, template)
    return None


def _globs() -> tuple[str, ...]:
    """The names `route` may accept (a few more; `route` decides). No `kumomta.*`, so an image
    named kumomta.png is never opened for this parser."""
    return (
        ".env",
        ".env.*",
        "*.env",
        "*.env.*",
        "*.default",
        "*.default.*",
        "**/etc/default/*",
        "**/default/kumo*",
        *_KUMO_STEMS,
        "kumo*.conf",
        "kumo*.conf.*",
        *(f"kumo*{suffix}" for suffix in TEMPLATE_SUFFIXES),
    )


@parser("envfile", globs=_globs())
def parse(path: str, text: str) -> Iterator[Any]:
    how = route(path)
    if how is None:
        return
    lines, errors, other_lines = tokenize(text, how.dialect, template=how.template)
    if how.sniff and not _shaped_like_env(lines, other_lines):
        return
    index = LineIndex(text)
    yield EnvFile(path, how.dialect, Span(path, 1, 1), how.base_name, how.template)
    for line in lines:
        ignored = how.dialect == "systemd" and line.exported
        yield EnvAssignment(
            name=line.name,
            value=Value(line.value),
            span=index.span(path, line.value_start, line.value_end),
            name_span=index.span(path, line.name_start, line.name_end),
            dialect=how.dialect,
            quoted=line.quoted,
            ignored=ignored,
        )
    for message, offset in errors[:MAX_ERRORS_PER_FILE]:
        yield ParseError(message, index.span(path, offset))
    if len(errors) > MAX_ERRORS_PER_FILE:
        more = len(errors) - MAX_ERRORS_PER_FILE
        yield ParseError(f"{how.dialect} env file: {more} more unreadable lines", Span(path, 1, 1))


def tokenize(
    text: str, dialect: str, *, template: bool = False
) -> tuple[list[_Line], list[tuple[str, int]], int]:
    """Assignments, problems as (message, offset), and how many lines were neither."""
    lines: list[_Line] = []
    errors: list[tuple[str, int]] = []
    other = 0
    length = len(text)
    pos = 0
    while pos < length:
        line_end = text.find("\n", pos)
        if line_end == -1:
            line_end = length
        start = pos
        while start < line_end and text[start] in _SPACE:
            start += 1
        if (
            start == line_end
            or text[start] == "#"
            or (dialect == "systemd" and text[start] == ";")
        ):
            pos = line_end + 1
            continue
        if template and text.startswith(("{%", "{#", "{{-", "{%-"), start):
            pos = line_end + 1
            continue
        equals = text.find("=", start, line_end)
        if equals == -1:
            other += 1
            if dialect == "dotenv" and not _DOTENV_NAME.fullmatch(text[start:line_end].strip()):
                errors.append(("dotenv: not a NAME=value line", start))
            pos = line_end + 1
            continue
        key_text = text[start:equals].rstrip(_SPACE)
        name_start, exported = start, False
        if key_text.startswith("export") and key_text[6:7] in (" ", "\t"):
            exported = True
            name_start = start + 6
            while text[name_start] in _SPACE:
                name_start += 1
        name = text[name_start : start + len(key_text)]
        valid = (_SYSTEMD_NAME if dialect == "systemd" else _DOTENV_NAME).fullmatch(name)
        if not valid:
            other += 1
            if "\ufffd" in name:  # already reported as invalid UTF-8
                pos = line_end + 1
                continue
            errors.append(
                (f"{dialect} env file: invalid variable name; the line is ignored", start)
            )
            pos = line_end + 1
            continue
        value_start = equals + 1
        while value_start < line_end and text[value_start] in " \t":
            value_start += 1
        if dialect == "systemd":
            value, value_end, next_pos, quoted, problem = _systemd_value(text, value_start)
        else:
            value, value_end, next_pos, quoted, problem = _dotenv_value(text, value_start)
        if problem:
            errors.append(problem)
        if exported and dialect == "systemd":
            errors.append(
                (
                    f"systemd ignores `export {name}=...` in an EnvironmentFile; "
                    f"{name} is not set (drop `export`)",
                    start,
                )
            )
        name_end = name_start + len(name)
        lines.append(
            _Line(name, name_start, name_end, value, value_start, value_end, quoted, exported)
        )
        pos = next_pos + 1
    return lines, errors, other


def _systemd_value(text: str, pos: int) -> tuple[str, int, int, bool, tuple[str, int] | None]:
    """(value, raw end, offset of the ending newline, quoted, problem) per systemd.exec(5)."""
    pieces: list[str] = []
    length = len(text)
    raw_end = pos
    trailing = 0  # unescaped whitespace at the end of `pieces`, dropped at the end
    quoted = False
    segment_start = True
    while pos < length:
        char = text[pos]
        if char == "\n":
            break
        if segment_start:
            if char in _SPACE:
                pos += 1
                continue
            if char in "'\"":
                close, piece, closed = _quoted(text, pos)
                if not closed:
                    line_end = text.find("\n", pos)
                    line_end = length if line_end == -1 else line_end
                    pieces.append(text[pos + 1 : line_end])
                    kind = "single" if char == "'" else "double"
                    problem = (f"systemd env file: unterminated {kind} quote", pos)
                    return "".join(pieces), line_end, line_end, True, problem
                pieces.append(piece)
                quoted, trailing = True, 0
                pos = raw_end = close + 1
                continue
            segment_start = False
        if char == "\\":
            if pos + 1 >= length:
                pos += 1
                continue
            escaped = text[pos + 1]
            pos += 2
            if escaped != "\n":
                pieces.append(escaped)
                trailing, raw_end = 0, pos
            continue
        run = _PLAIN_SYSTEMD.match(text, pos)
        assert run is not None  # `char` is neither a newline nor a backslash
        chunk = run.group()
        kept = chunk.rstrip(_SPACE)
        pieces.append(chunk)
        if kept:
            trailing, raw_end = len(chunk) - len(kept), pos + len(kept)
        else:
            trailing += len(chunk)
        pos = run.end()
    value = "".join(pieces)
    if trailing:
        value = value[:-trailing]
    return value, raw_end, pos, quoted, None


def _quoted(text: str, pos: int) -> tuple[int, str, bool]:
    """A systemd quoted part at `pos`: (offset of the closing quote, its text, closed?)."""
    if text[pos] == "'":
        close = text.find("'", pos + 1)
        return close, text[pos + 1 : close], close != -1
    pieces: list[str] = []
    cursor = pos + 1
    length = len(text)
    while cursor < length:
        run = _PLAIN_DOUBLE.match(text, cursor)
        if run:
            pieces.append(run.group())
            cursor = run.end()
            continue
        if text[cursor] == '"':
            return cursor, "".join(pieces), True
        if cursor + 1 >= length:
            break
        escaped = text[cursor + 1]
        if escaped in '"\\`$':
            pieces.append(escaped)
        elif escaped != "\n":
            pieces.append("\\" + escaped)
        cursor += 2
    return -1, "", False


def _dotenv_value(text: str, pos: int) -> tuple[str, int, int, bool, tuple[str, int] | None]:
    """(value, raw end, offset of the ending newline, quoted, problem) as dotenv reads it."""
    length = len(text)
    line_end = text.find("\n", pos)
    line_end = length if line_end == -1 else line_end
    if pos < length and text[pos] in "'\"":
        quote = text[pos]
        pieces: list[str] = []
        cursor = pos + 1
        while cursor < length and text[cursor] != quote:
            char = text[cursor]
            if char == "\\" and cursor + 1 < length:
                escaped = text[cursor + 1]
                if quote == "'":
                    pieces.append(escaped if escaped in "\\'" else "\\" + escaped)
                else:
                    pieces.append(_DOTENV_ESCAPES.get(escaped, "\\" + escaped))
                cursor += 2
                continue
            run = _PLAIN_QUOTED[quote].match(text, cursor + 1)
            stop = run.end() if run else cursor + 1
            pieces.append(text[cursor:stop])
            cursor = stop
        if cursor >= length:
            kind = "single" if quote == "'" else "double"
            unterminated = (f"dotenv: unterminated {kind} quote", pos)
            return text[pos + 1 : line_end], line_end, line_end, True, unterminated
        raw_end = cursor + 1
        after_end = text.find("\n", raw_end)
        after_end = length if after_end == -1 else after_end
        rest = text[raw_end:after_end].strip(_SPACE)
        problem: tuple[str, int] | None = None
        if rest and not rest.startswith("#"):
            problem = ("dotenv: unexpected text after the closing quote", raw_end)
        return "".join(pieces), raw_end, after_end, True, problem
    raw = text[pos:line_end]
    comment = _INLINE_COMMENT.search(raw)
    if comment:
        raw = raw[: comment.start()]
    value = raw.rstrip(_SPACE)
    return value, pos + len(value), line_end, False, None


def _strip_template_suffixes(name: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for suffix in TEMPLATE_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                stripped = True
    return name


def _shaped_like_env(lines: list[_Line], other_lines: int) -> bool:
    """Mostly NAME=value lines, and at least one KumoMTA/KumoProxy/PING8 variable."""
    if not lines or other_lines * 4 > len(lines):
        return False
    return any(_KUMO_VARIABLE.match(line.name) for line in lines)
