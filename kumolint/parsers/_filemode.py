"""Permission bits: numeric and symbolic modes (chmod(1) semantics), and target paths.

A `Mode` carries which bits are known, so a relative change (`o+r`) of a file whose earlier
mode is unknown proves only the bits it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BUILDROOT_PREFIX = re.compile(
    r"^(?:\$\(DESTDIR\)|\$\{DESTDIR\}|\$DESTDIR|%\{buildroot\}|%buildroot|\$RPM_BUILD_ROOT"
    r"|\$\{RPM_BUILD_ROOT\}|%\{?_buildrootdir\}?/[^/]+|\$\{?pkgdir\}?|\$\(CURDIR\)/debian/[^/]+"
    r"|\$\{?CURDIR\}?/debian/[^/]+|debian/[^/]+(?=/))"
)


@dataclass(frozen=True, slots=True)
class Mode:
    """Permission bits, and which of them are known."""

    value: int
    known: int = 0o7777

    def render(self) -> str:
        return f"{self.value:04o}" if self.known == 0o7777 else f"{self.value & self.known:04o}?"


UNKNOWN = Mode(0, 0)
_WHO = {"u": 0o4700, "g": 0o2070, "o": 0o1007}
_SYMBOLIC_CLAUSE = re.compile(r"([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)")
_OP = re.compile(r"([-+=])([ugo]|[rwxXst]*)")


def parse_mode(text: str, base: Mode = UNKNOWN, umask: int = 0) -> Mode | None:
    """A numeric or symbolic mode applied to `base`; None when `text` is not a mode.

    Numeric modes are absolute. Symbolic clauses without `ugoa` are masked by `umask`, like
    chmod(1); `=`, `+` and `-` change only the bits they name, so the rest stays as known as
    it was in `base`.
    """
    if re.fullmatch(r"[0-7]{1,5}", text):
        return Mode(int(text, 8) & 0o7777)
    if not text or not all(_SYMBOLIC_CLAUSE.fullmatch(c) for c in text.split(",")):
        return None
    value, known = base.value, base.known
    for clause in text.split(","):
        match = _SYMBOLIC_CLAUSE.fullmatch(clause)
        assert match is not None
        who_text, ops = match.groups()
        masked = not who_text
        who = 0
        for letter in who_text.replace("a", "ugo") or "ugo":
            who |= _WHO[letter]
        for op, perms in _OP.findall(ops):
            if perms in ("u", "g", "o"):
                shift = {"u": 6, "g": 3, "o": 0}[perms]
                if (known >> shift) & 0o7 != 0o7:
                    known &= ~who
                    continue
                triple = (value >> shift) & 0o7
                bits = (triple << 6 | triple << 3 | triple) & who & 0o777
            else:
                bits = 0
                for letter in perms:
                    bits |= _perm_bits(letter, who, value, known)
                bits &= who
            if masked:
                bits &= ~umask
            if op == "+":
                value |= bits
                known |= bits
            elif op == "-":
                value &= ~bits
                known |= bits
            else:
                clear = who & ~(0o7000 if masked else 0)
                value = (value & ~clear) | bits
                known |= clear & ~(umask if masked else 0)
    return Mode(value & 0o7777, known & 0o7777)


def _perm_bits(letter: str, who: int, value: int, known: int) -> int:
    if letter == "r":
        return 0o444
    if letter == "w":
        return 0o222
    if letter in "xX":
        return 0o111 if letter == "x" or (value & known & 0o111) else 0
    if letter == "s":
        return 0o6000
    return 0o1000  # t


def normalize_path(text: str) -> str:
    """A destination as the target host sees it: build-root prefixes and `//` removed."""
    path = _BUILDROOT_PREFIX.sub("", text.strip())
    path = re.sub(r"/{2,}", "/", path)
    if path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or path
