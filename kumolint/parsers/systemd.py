"""systemd unit files and drop-ins: sections, settings, EnvironmentFile= and Environment=.

Written from systemd.syntax(7), systemd.unit(5) and systemd.exec(5): `#` and `;` start comment
lines, a trailing backslash joins the next line (the backslash becomes a space), `Key=value`
lines belong to the last `[Section]`. `Environment=` holds a space-separated list of
assignments, each may be quoted as a whole or in part, with C-style escapes. An empty
`Environment=` or `EnvironmentFile=` resets the list (nothing to report). `unit_facts()` is
also used for unit text embedded in other manifests (an Ansible `copy: content:` or a
cloud-init `write_files` entry), with a caller-supplied position mapping.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any

from kumolint.facts.env import EnvAssignment
from kumolint.facts.systemd import EnvironmentFileRef, UnitFile, UnitSetting
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import parser
from kumolint.parsers._text import LineIndex

Locate = Callable[[int], tuple[int, int]]

UNIT_SUFFIXES = (
    ".service",
    ".socket",
    ".mount",
    ".swap",
    ".timer",
    ".path",
    ".target",
    ".slice",
    ".scope",
    ".automount",
    ".device",
)
EXEC_UNIT_SUFFIXES = (".service", ".socket", ".mount", ".swap")
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".in", ".tpl", ".tmpl", ".template", ".erb")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECTION = re.compile(r"\[([^\]]*)\]")
_SYSTEMD_SECTION = re.compile(
    r"^[ \t]*\[(?:Unit|Service|Install|Socket|Timer|Path|Mount|Swap|Automount|Slice)\][ \t]*$",
    re.MULTILINE,
)
_KUMOD = re.compile(r"(?:^|[/\s@+!:-])kumod(?=\s|$)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "s": " "}


@parser(
    "systemd",
    globs=(
        # Only unit types that run processes can carry Environment=/EnvironmentFile=.
        *(f"*{suffix}" for suffix in EXEC_UNIT_SUFFIXES),
        *(f"*.service{suffix}" for suffix in TEMPLATE_SUFFIXES),
        "*.service.d/*.conf",
        "*.service.d/*.conf.j2",
        "*.socket.d/*.conf",
        "*.mount.d/*.conf",
        # Drop-ins that Ansible roles install with `template:` or `copy: src=`: read only when
        # they have a systemd section (see `parse`).
        "**/templates/*.conf.j2",
        "**/templates/*.conf",
        "**/files/*.conf",
    ),
)
def parse(path: str, text: str) -> Iterator[Any]:
    unit, dropin = unit_name(path)
    if not unit and not _SYSTEMD_SECTION.search(text):
        return
    index = LineIndex(text)
    yield from unit_facts(path, text, unit, dropin, index.position, strict=not is_template(path))


def is_template(path: str) -> bool:
    return path.lower().endswith(TEMPLATE_SUFFIXES)


def unit_name(path: str) -> tuple[str, bool]:
    """The unit a file configures ("" if its name does not say) and whether it is a drop-in."""
    directory, base = posixpath.split(path)
    for suffix in TEMPLATE_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    parent = posixpath.basename(directory)
    if parent.endswith(".d") and parent[:-2].lower().endswith(UNIT_SUFFIXES):
        return parent[:-2], True
    if base.lower().endswith(UNIT_SUFFIXES):
        return base, False
    return "", False


def unit_facts(
    path: str,
    text: str,
    unit: str,
    dropin: bool,
    locate: Locate,
    *,
    strict: bool = True,
    target: str = "",
) -> Iterator[Any]:
    """Facts of one unit text. `locate` maps an offset in `text` to a 1-based (line, column)."""

    def span(start: int, end: int) -> Span:
        line, column = locate(start)
        end_line, end_column = locate(end)
        return Span(path, line, column, end_line, end_column)

    section = ""
    first_header: Span | None = None
    runs_kumod = False
    facts: list[Any] = []
    for logical in _logical_lines(text):
        stripped = logical.text.strip()
        if not stripped or stripped[0] in "#;":
            continue
        lead = len(logical.text) - len(logical.text.lstrip())
        header = _SECTION.fullmatch(stripped)
        if header:
            section = header[1]
            if first_header is None:
                first_header = span(logical.offset(lead), logical.offset(lead + len(stripped)))
            continue
        key, equals, raw_value = logical.text.partition("=")
        if not equals or not section:
            if strict and section:
                where = span(logical.offset(lead), logical.offset(lead))
                facts.append(ParseError("systemd: line without '=' is ignored", where))
            continue
        name = key.strip()
        value_start = len(key) + 1 + (len(raw_value) - len(raw_value.lstrip()))
        value = raw_value.strip()
        value_end = value_start + len(value)
        key_start = len(key) - len(key.lstrip())
        key_span = span(logical.offset(key_start), logical.offset(key_start + len(name)))
        value_span = span(logical.offset(value_start), logical.offset(value_end))
        facts.append(UnitSetting(unit, section, name, Value(value), value_span, key_span))
        if name == "EnvironmentFile" and value:
            optional = value.startswith("-")
            facts.append(
                EnvironmentFileRef(
                    unit, value[1:].strip() if optional else value, optional, value_span
                )
            )
        elif name == "Environment":
            for word in _words(value):
                facts.extend(_assignment(word, logical, value_start, span))
        elif name.startswith("ExecStart") and _KUMOD.search(value):
            runs_kumod = True
    if first_header is None:
        return
    yield UnitFile(path, unit, dropin, first_header, runs_kumod, target)
    yield from facts


class _Logical:
    """A logical line: physical lines joined at trailing backslashes, with an offset map."""

    def __init__(self, text: str, starts: list[int], origins: list[int]) -> None:
        self.text = text
        self._starts = starts  # logical offsets where each physical piece starts
        self._origins = origins  # the matching offsets in the original text

    def offset(self, logical_offset: int) -> int:
        piece = bisect.bisect_right(self._starts, logical_offset) - 1
        return self._origins[piece] + logical_offset - self._starts[piece]


def _logical_lines(text: str) -> Iterator[_Logical]:
    position = 0
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    length = 0
    while position <= len(text):
        end = text.find("\n", position)
        if end == -1:
            end = len(text)
        line = text[position:end]
        continued = line.endswith("\\")
        if pieces and line.lstrip()[:1] in ("#", ";") and end != len(text):
            position = end + 1  # a comment inside a continued line is dropped
            continue
        starts.append(length)
        origins.append(position)
        piece = line[:-1] + " " if continued else line
        pieces.append(piece)
        length += len(piece)
        if not continued or end == len(text):
            if pieces:
                yield _Logical("".join(pieces), starts, origins)
            pieces, starts, origins, length = [], [], [], 0
        position = end + 1


class _Word:
    def __init__(self, text: str, start: int, end: int, raw: str) -> None:
        self.text = text  # unquoted, unescaped
        self.start = start  # offsets in the raw value
        self.end = end
        self.raw = raw


def _words(value: str) -> Iterator[_Word]:
    """Split a setting value into words the way systemd does (quotes, C escapes)."""
    position, length = 0, len(value)
    while position < length:
        while position < length and value[position] in " \t":
            position += 1
        if position >= length:
            return
        start = position
        buffer: list[str] = []
        quote = ""
        while position < length:
            char = value[position]
            if char == "\\" and position + 1 < length:
                following = value[position + 1]
                buffer.append(_ESCAPES.get(following, following))
                position += 2
                continue
            if quote:
                if char == quote:
                    quote = ""
                else:
                    buffer.append(char)
            elif char in " \t":
                break
            elif char in "\"'":
                quote = char
            else:
                buffer.append(char)
            position += 1
        yield _Word("".join(buffer), start, position, value[start:position])


def _assignment(
    word: _Word, logical: _Logical, value_start: int, span: Callable[[int, int], Span]
) -> Iterator[EnvAssignment]:
    name, equals, text = word.text.partition("=")
    if not equals or not _ENV_NAME.fullmatch(name):
        return
    raw_equals = word.raw.find("=")
    name_start = value_start + word.start + word.raw.find(name[:1])
    assign_start = value_start + word.start + raw_equals + 1
    assign_end = value_start + word.end
    quoted = "'" in word.raw or '"' in word.raw
    if quoted and word.raw[-1:] in "\"'" and assign_end > assign_start:
        assign_end -= 1
    if word.raw[raw_equals + 1 : raw_equals + 2] in ("'", '"'):
        assign_start += 1
    yield EnvAssignment(
        name=name,
        value=Value(text),
        span=span(logical.offset(assign_start), logical.offset(assign_end)),
        name_span=span(logical.offset(name_start), logical.offset(name_start + len(name))),
        dialect="unit-environment",
        quoted=quoted,
    )
