"""File modes as each YAML-reading tool really reads them, from the raw scalar text and tag.

A loaded YAML value lies about modes: PyYAML (YAML 1.1) turns `0644` into 420 but `644` into
decimal 644 (0o1204) and leaves `0o644` a string, while Go's yaml.v3 reads `0644` and `0o644`
as octal, and Salt reads every digit string as octal. So every function here starts from the
composed node (raw text, tag, quote style) and applies one tool's rules.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import yaml

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.model import ParseError
from kumolint.parsers._text import LineIndex

INT_TAG = "tag:yaml.org,2002:int"
STR_TAG = "tag:yaml.org,2002:str"
NEW_FILE_MODE = 0o644  # 0666 & ~022: what a tool that only creates a file leaves behind
GIT_FILE_MODE = 0o644  # git stores 100644 (or 100755): "keep the source mode" means this

_OCTAL_DIGITS = re.compile(r"[0-7]+")
_SYMBOLIC_CLAUSE = re.compile(r"([ugoa]*)((?:[-+=][rwxXst]*)+)")
_OPERATION = re.compile(r"([-+=])([rwxXst]*)")
_WHO_BITS = {"u": 0o4700, "g": 0o2070, "o": 0o1007}
_PERMISSION_BITS = {
    "u": {"r": 0o400, "w": 0o200, "x": 0o100, "s": 0o4000},
    "g": {"r": 0o040, "w": 0o020, "x": 0o010, "s": 0o2000},
    "o": {"r": 0o004, "w": 0o002, "x": 0o001, "t": 0o1000},
}
# Decimal spellings of ordinary modes, as Kubernetes JSON and generators write them.
_WELL_KNOWN_DECIMALS = frozenset({256, 288, 292, 384, 416, 420, 432, 436, 438, 448, 488, 493})


@dataclass(frozen=True)
class Mode:
    """An interpreted mode: the effective bits (or None) and how we know them."""

    value: int | None
    source: str  # "explicit" | "default" | "unknown"
    raw: str | None = None
    note: str = ""  # a trap in how it was written ("unquoted 644 is decimal: 0o1204")
    reason: str = ""  # for "default": which default applied
    known_bits: int = 0o7777  # the bits of `value` the text decides (see symbolic_mode)

    @classmethod
    def default(cls, value: int, reason: str, raw: str | None = None) -> Mode:
        return cls(value, "default", raw, reason=reason)

    @classmethod
    def unknown(cls, raw: str | None, note: str = "") -> Mode:
        return cls(None, "unknown", raw, note=note)


def is_template(text: str) -> bool:
    """Jinja, Go template or Helm text: rendered later, so its value is unknown here."""
    return "{{" in text or "{%" in text


def is_plain(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style in (None, "")


def yaml11_int(text: str) -> int | None:
    """The integer PyYAML (YAML 1.1) builds from an int-tagged scalar, or None."""
    value = text.replace("_", "")
    sign = -1 if value.startswith("-") else 1
    value = value.lstrip("+-")
    try:
        if value == "0":
            return 0
        if value.startswith("0b"):
            return sign * int(value[2:], 2)
        if value.startswith("0x"):
            return sign * int(value[2:], 16)
        if value.startswith("0"):
            return sign * int(value, 8)
        if ":" in value:
            total = 0
            for part in value.split(":"):
                total = total * 60 + int(part)
            return sign * total
        return sign * int(value, 10)
    except ValueError:
        return None


def go_int(text: str) -> int | None:
    """Go yaml (v2 and v3) for a plain scalar: `strconv.ParseInt(s, 0, 64)` without `_`."""
    value = text.replace("_", "")
    sign = -1 if value.startswith("-") else 1
    value = value[1:] if value[:1] in "+-" else value
    lowered = value.lower()
    for prefix, base, digits in (
        ("0x", 16, r"[0-9a-f]+"),
        ("0o", 8, r"[0-7]+"),
        ("0b", 2, r"[01]+"),
    ):
        if lowered.startswith(prefix):
            rest = lowered[2:]
            return sign * int(rest, base) if re.fullmatch(digits, rest) else None
    if re.fullmatch(r"0[0-7]+", value):
        return sign * int(value, 8)
    if re.fullmatch(r"0|[1-9][0-9]*", value) and len(value) < 19:  # int64, and int()'s limit
        return sign * int(value)
    return None


def python_octal(text: str) -> int | None:
    """`int(text, 8)` as Python does it (Ansible, cloud-init): `0644`, `644`, `0o644`."""
    try:
        return int(text, 8)
    except ValueError:
        return None


def apply_symbolic(text: str, base: int) -> int | None:
    """A chmod-style symbolic mode (`u=rw,g=r,o=`, `go-rwx`, `a+X`) applied to `base`."""
    mode = base
    for clause in text.split(","):
        match = _SYMBOLIC_CLAUSE.fullmatch(clause.strip())
        if not match:
            return None
        who = match[1].replace("a", "ugo") or "ugo"
        for operator, permissions in _OPERATION.findall(match[2]):
            executable = bool(mode & 0o111)
            for person in set(who):
                bits = 0
                for permission in permissions:
                    if permission == "X":
                        permission = "x" if executable else ""
                    bits |= _PERMISSION_BITS[person].get(permission, 0)
                if operator == "=":
                    mode &= ~_WHO_BITS[person]
                    mode |= bits
                elif operator == "+":
                    mode |= bits
                else:
                    mode &= ~bits
    return mode


def symbolic_mode(text: str, raw: str, tool: str) -> Mode | None:
    """A symbolic mode. Bits it does not set depend on the file's earlier mode: those are not
    in `known_bits`, and `value` shows them as a new file (0644) would have them."""
    low, high = apply_symbolic(text, 0), apply_symbolic(text, 0o777)
    value = apply_symbolic(text, NEW_FILE_MODE)
    if low is None or high is None or value is None:
        return None
    known = ~(low ^ high) & 0o7777
    if known & 0o777 == 0o777:
        return Mode(low, "explicit", raw)
    note = f"{tool} applies the relative mode {text} to the file's earlier mode"
    return Mode(value, "explicit", raw, note=note, known_bits=known)


def decimal_note(text: str, value: int) -> str:
    """Say so when a mode written in decimal digits was probably meant as octal."""
    digits = text.lstrip("+")
    if not digits.isdigit() or digits.startswith("0") or value < 8:
        return ""
    if value in _WELL_KNOWN_DECIMALS:
        return ""
    reading = f"0o{value:o}" if value <= 0o7777 else f"{value} (out of range)"
    return f"unquoted {digits} is the decimal number {value}, mode {reading}, not 0{digits}"


def ansible_mode(node: yaml.Node, module: str) -> Mode:
    """Ansible: an int is the bits as-is; a string is octal, symbolic or `preserve`."""
    if not isinstance(node, yaml.ScalarNode):
        return Mode.unknown(None)
    text = node.value
    if node.tag == INT_TAG:
        value = yaml11_int(text)
        if value is None or value < 0:
            return Mode.unknown(text)
        return Mode(value & 0o7777, "explicit", text, note=decimal_note(text, value))
    stripped = text.strip()
    if is_template(stripped) or not stripped:
        return Mode.unknown(text)
    if stripped == "preserve":
        if module in ("copy", "template"):
            return Mode.default(
                GIT_FILE_MODE, "mode: preserve keeps the source file's mode, 0644 from git", text
            )
        return Mode.unknown(text, f"{module} does not accept mode: preserve")
    value = python_octal(stripped)
    if value is not None:
        return Mode(value & 0o7777, "explicit", text) if value >= 0 else Mode.unknown(text)
    return symbolic_mode(stripped, text, "Ansible") or Mode.unknown(text)


def salt_mode(node: yaml.Node) -> Mode:
    """Salt: every digit string is octal (its loader drops leading zeros of ints); `keep`."""
    if not isinstance(node, yaml.ScalarNode):
        return Mode.unknown(None)
    text = node.value.strip().strip("'\"")
    if is_template(text) or not text:
        return Mode.unknown(node.value)
    if text.lower() == "keep":
        return Mode.default(
            GIT_FILE_MODE, "mode: keep copies the source file's mode, 0644 from git", node.value
        )
    digits = text.replace("0o", "0", 1) if text.startswith("0o") else text
    if _OCTAL_DIGITS.fullmatch(digits):
        return Mode(int(digits, 8) & 0o7777, "explicit", node.value)
    return Mode.unknown(node.value, "Salt rejects this mode")


def cloudinit_mode(node: yaml.Node) -> Mode:
    """cloud-init `decode_perms`: an int as-is, else `int(str, 8)`, else a warning and 0644."""
    if not isinstance(node, yaml.ScalarNode):
        return _cloudinit_fallback(None)
    text = node.value
    if is_template(text) or "${" in text or "%{" in text:
        return Mode.unknown(text)
    if node.tag == INT_TAG:
        value = yaml11_int(text)
        if value is not None and value >= 0:
            return Mode(value & 0o7777, "explicit", text, note=decimal_note(text, value))
    value = python_octal(text.strip())
    if value is not None and value >= 0:
        return Mode(value & 0o7777, "explicit", text)
    return _cloudinit_fallback(text)


def _cloudinit_fallback(text: str | None) -> Mode:
    return Mode.default(
        NEW_FILE_MODE,
        "cloud-init logs a warning for permissions it cannot read and writes 0644",
        text,
    )


def go_yaml_mode(node: yaml.Node, tool: str, *, strings_are_octal: bool) -> Mode:
    """Go tools (yaml.v2/v3): a plain `0644`, `0o644` or `0x1a4` is an int; `644` is decimal.

    `strings_are_octal`: the tool reads a quoted mode as octal (compose-go); otherwise a
    quoted mode does not decode into the integer field at all (nfpm, Kubernetes).
    """
    if not isinstance(node, yaml.ScalarNode):
        return Mode.unknown(None)
    text = node.value
    if is_template(text) or "${" in text:
        return Mode.unknown(text)
    if (is_plain(node) and node.tag != STR_TAG) or node.tag == INT_TAG:
        value = go_int(text)
        if value is None or value < 0:
            return Mode.unknown(text, f"{tool} cannot read this mode")
        return Mode(value & 0o7777, "explicit", text, note=decimal_note(text, value))
    if is_plain(node) and text.lower().startswith("0o"):
        value = go_int(text)  # PyYAML resolves `0o644` to a string; Go reads it as octal
        if value is not None:
            return Mode(value & 0o7777, "explicit", text)
    if strings_are_octal and re.fullmatch(r"[+]?[0-7]+", text.strip()):
        return Mode(int(text.strip(), 8) & 0o7777, "explicit", text)
    return Mode.unknown(text, f"{tool} expects a number, not a quoted string")


def scalar_locator(node: yaml.ScalarNode, indent: int) -> Callable[[int], tuple[int, int]]:
    """Map an offset in a scalar's text (unit text in `content:`) to a (line, column) in the file.

    Lines are exact for literal blocks (`|`) and single-line scalars. The composed node does not
    record a block's indentation, so `indent` (0-based, usually the key's column + 2) stands in.
    Anything else (folded or multi-line quoted text) maps to the scalar's start.
    """
    start_line, start_column = node.start_mark.line + 1, node.start_mark.column + 1
    text = node.value
    if node.style == "|":
        starts = [0]
        position = text.find("\n")
        while position != -1:
            starts.append(position + 1)
            position = text.find("\n", position + 1)

        def in_block(offset: int) -> tuple[int, int]:
            line = bisect.bisect_right(starts, offset) - 1
            return start_line + 1 + line, indent + 1 + offset - starts[line]

        return in_block
    if node.start_mark.line == node.end_mark.line:
        shift = 0 if node.style in (None, "") else 1
        return lambda offset: (start_line, start_column + shift + offset)
    return lambda offset: (start_line, start_column)


def shell_facts(
    path: str, pieces: list[tuple[yaml.ScalarNode, int]], prefix: str
) -> Iterator[InstalledFile | ServiceRestart | ParseError]:
    """Run shell text held in YAML scalars (one shell, in order) through the shell model.

    Each piece is a scalar and the indent its block would have; positions map back to the
    YAML file through `scalar_locator`, so findings point into the scalar.
    """
    from kumolint.parsers._shell import Context, ShellModel

    texts = [node.value for node, _ in pieces]
    if not any(text.strip() for text in texts):
        return
    starts: list[int] = []
    total = 0
    for text in texts:
        starts.append(total)
        total += len(text) + 1
    locators = [scalar_locator(node, indent) for node, indent in pieces]

    def locate(offset: int) -> tuple[int, int]:
        piece = max(bisect.bisect_right(starts, offset) - 1, 0)
        return locators[piece](min(offset - starts[piece], len(texts[piece])))

    text = "\n".join(texts)
    model = ShellModel(path, text, _LocatedIndex(text, locate), Context(prefix=prefix))
    model.run()
    yield from model.facts()


class _LocatedIndex(LineIndex):
    """A LineIndex whose positions come from a mapping into the enclosing YAML file."""

    def __init__(self, text: str, locate: Callable[[int], tuple[int, int]]) -> None:
        super().__init__(text)
        self._locate = locate

    def position(self, offset: int) -> tuple[int, int]:
        return self._locate(offset)
