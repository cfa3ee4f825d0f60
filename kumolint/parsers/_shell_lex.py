"""The shell tokenizer: simple commands with exact offsets, never raising, in linear time.

Handles quotes, `\\` escapes and line continuations, `$(...)`/`${...}`/backticks (kept as
written), redirections, heredocs (`<<EOF`, `<<-EOF`, quoted delimiters; the body is kept as
offsets), operators and `( ... )` subshell depth. Problems (an unterminated quote or heredoc)
are returned with their offsets, for the caller to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

_METACHARS = frozenset(" \t\n;&|<>()")
_PLAIN = re.compile(r"[^ \t\n;&|<>()'\"\\$`]+")
_OPERATORS = (";;", "&&", "||", "|&", ";", "|", "&", "(", ")")
_REDIRECT = re.compile(r"(?:[0-9]+|&)?(?:>>|>\||>&|<<<|<<-|<<|<>|<&|>|<)")
_MAX_COMMANDS = 200_000


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word: `text` with quotes removed (expansions left as written)."""

    text: str
    start: int
    end: int
    expands: bool = False  # contains `$` or a backtick outside single quotes


@dataclass(frozen=True, slots=True)
class Redirect:
    op: str  # ">", ">>", "<<", "<<-", ...
    target: Word | None
    start: int
    body: tuple[int, int] | None = None  # heredoc body offsets


@dataclass(slots=True)
class Command:
    """A simple command: its words, its redirections, and how deep in `( ... )` it sits."""

    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    depth: int = 0

    @property
    def start(self) -> int:
        offsets = [w.start for w in self.words] + [r.start for r in self.redirects]
        return min(offsets) if offsets else 0

    @property
    def end(self) -> int:
        offsets = [w.end for w in self.words] + [
            r.target.end if r.target else r.start for r in self.redirects
        ]
        return max(offsets) if offsets else 0


@dataclass(slots=True)
class Lexed:
    commands: list[Command]
    errors: list[tuple[str, int]]  # (message, offset)


def lex(text: str, start: int = 0, end: int | None = None) -> Lexed:
    """Split `text[start:end]` into simple commands. Linear time, never raises."""
    return _Lexer(text, start, len(text) if end is None else end).run()


class _Lexer:
    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.i = start
        self.end = end
        self.commands: list[Command] = []
        self.errors: list[tuple[str, int]] = []
        self.current = Command()
        self.depth = 0
        self.pending: list[tuple[Redirect, str, bool, Command]] = []  # heredocs to read

    def run(self) -> Lexed:
        text, end = self.text, self.end
        while self.i < end and len(self.commands) < _MAX_COMMANDS:
            c = text[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "\\" and self.i + 1 < end and text[self.i + 1] == "\n":
                self.i += 2
            elif c == "#":
                newline = text.find("\n", self.i, end)
                self.i = end if newline == -1 else newline
            elif c == "\n":
                self.i += 1
                self.finish()
                self.read_heredocs()
            elif (match := _REDIRECT.match(text, self.i, end)) and (
                match.group(0)[0] in "<>&" or self.at_word_start()
            ):
                self.redirect(match.group(0))
            elif c in ";&|()":
                op = next(o for o in _OPERATORS if text.startswith(o, self.i))
                self.i += len(op)
                self.finish()
                if op == "(":
                    self.depth += 1
                elif op == ")":
                    self.depth = max(0, self.depth - 1)
                self.current.depth = self.depth
            else:
                self.current.words.append(self.word())
        self.finish()
        for redirect, delimiter, _, _ in self.pending:
            self.errors.append((f"unterminated heredoc <<{delimiter}", redirect.start))
        return Lexed(self.commands, self.errors)

    def at_word_start(self) -> bool:
        return self.i == 0 or self.text[self.i - 1] in _METACHARS

    def finish(self) -> None:
        if self.current.words or self.current.redirects:
            self.commands.append(self.current)
        self.current = Command(depth=self.depth)

    def redirect(self, op: str) -> None:
        start = self.i
        self.i += len(op)
        while self.i < self.end and self.text[self.i] in " \t":
            self.i += 1
        target = None
        if self.i < self.end and self.text[self.i] not in _METACHARS:
            target = self.word()
        bare = op.lstrip("0123456789&")
        redirect = Redirect(bare, target, start)
        self.current.redirects.append(redirect)
        if bare in ("<<", "<<-") and target is not None:
            self.pending.append((redirect, target.text, bare == "<<-", self.current))

    def read_heredocs(self) -> None:
        text, end = self.text, self.end
        pending, self.pending = self.pending, []
        for redirect, delimiter, strip_tabs, owner in pending:
            body_start = self.i
            found = False
            while self.i < end:
                newline = text.find("\n", self.i, end)
                line_end = end if newline == -1 else newline
                line = text[self.i : line_end]
                if (line.lstrip("\t") if strip_tabs else line).rstrip("\r") == delimiter:
                    body = (body_start, self.i)
                    self.i = line_end + 1 if newline != -1 else end
                    found = True
                    break
                self.i = line_end + 1 if newline != -1 else end
            if not found:
                body = (body_start, end)
                self.errors.append((f"unterminated heredoc <<{delimiter}", redirect.start))
            owner.redirects = [
                replace(r, body=body) if r is redirect else r for r in owner.redirects
            ]

    def word(self) -> Word:
        text, end = self.text, self.end
        start = self.i
        out: list[str] = []
        expands = False
        while self.i < end:
            plain = _PLAIN.match(text, self.i, end)
            if plain:
                out.append(plain.group(0))
                self.i = plain.end()
                continue
            c = text[self.i]
            if c in _METACHARS:
                break
            if c == "'":
                close = text.find("'", self.i + 1, end)
                if close == -1:
                    self.errors.append(("unterminated single quote", self.i))
                    close = end
                out.append(text[self.i + 1 : close])
                self.i = close + 1
            elif c == '"':
                self.i += 1
                while self.i < end and text[self.i] != '"':
                    if text[self.i] == "\\" and self.i + 1 < end:
                        nxt = text[self.i + 1]
                        if nxt != "\n":
                            out.append(nxt if nxt in '"\\$`' else "\\" + nxt)
                        self.i += 2
                    elif text[self.i] == "$" or text[self.i] == "`":
                        expands = True
                        out.append(self.expansion())
                    else:
                        out.append(text[self.i])
                        self.i += 1
                if self.i >= end:
                    self.errors.append(("unterminated double quote", start))
                self.i += 1
            elif c == "\\":
                if self.i + 1 < end and text[self.i + 1] != "\n":
                    out.append(text[self.i + 1])
                self.i += 2
            elif c in "$`":
                expands = True
                out.append(self.expansion())
            else:
                out.append(c)
                self.i += 1
        self.i = min(self.i, end)
        return Word("".join(out), start, self.i, expands)

    def expansion(self) -> str:
        """`$(...)`, `$((...))`, `${...}`, `` `...` `` or `$NAME`, returned as written."""
        text, end = self.text, self.end
        start = self.i
        if text[self.i] == "`":
            close = text.find("`", self.i + 1, end)
            self.i = end if close == -1 else close + 1
            return text[start : self.i]
        if self.i + 1 < end and text[self.i + 1] in "({":
            opener = text[self.i + 1]
            closer = ")" if opener == "(" else "}"
            depth = 0
            self.i += 1
            while self.i < end:
                c = text[self.i]
                if c == opener:
                    depth += 1
                elif c == closer:
                    depth -= 1
                    if depth == 0:
                        self.i += 1
                        return text[start : self.i]
                elif c == "'" and opener == "(":
                    close = text.find("'", self.i + 1, end)
                    self.i = end if close == -1 else close
                elif c == "\\":
                    self.i += 1
                self.i += 1
            self.errors.append((f"unterminated ${opener}", start))
            return text[start:end]
        self.i += 1
        while self.i < end and (text[self.i].isalnum() or text[self.i] == "_"):
            self.i += 1
        if self.i == start + 1 and self.i < end and text[self.i] in "@*#?$!-0123456789":
            self.i += 1
        return text[start : self.i]
