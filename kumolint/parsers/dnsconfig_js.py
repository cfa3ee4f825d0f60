"""DNSControl `dnsconfig.js` -> DnsRecord facts, read with a small tokenizer (never executed).

Understood: `D("zone", ...)` and `D_EXTEND`, record calls `A`, `AAAA`, `MX`, `PTR`, `TXT`
(one string, or a list of strings = one RR), `SPF_BUILDER({label, parts})` (parts joined
with spaces), and `var`/`const`/`let` string constants with `+` concatenation. Anything else
(function calls, `require`, template literals with `${}`) makes the value unknown: the record
is kept with `exact=False`. The `_rawspf` debug record DNSControl generates is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kumolint.facts.dns import DnsRecord
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import parser
from kumolint.parsers._text import LineIndex

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
      | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)
      | (?P<unterminated>["'][^\n]*)
      | (?P<number>[0-9][0-9.xXa-fA-F_]*)
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
      | (?P<punct>=>|===|!==|==|!=|&&|\|\||\.\.\.|[-+*/%=<>!?:;,.(){}\[\]&|^~])
      | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
RECORD_CALLS = frozenset({"A", "AAAA", "MX", "PTR", "TXT", "CNAME"})
DOMAIN_CALLS = frozenset({"D", "D_EXTEND"})


class _Unknown:
    """A value the tokenizer cannot compute without running the script."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


@dataclass(slots=True)
class _Tok:
    kind: str
    text: str
    start: int
    value: Any = None


@dataclass
class _State:
    tokens: list[_Tok]
    position: int = 0
    constants: dict[str, Any] = field(default_factory=dict)

    def peek(self, offset: int = 0) -> _Tok | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Tok | None:
        token = self.peek()
        self.position += 1
        return token

    def at(self, text: str, offset: int = 0) -> bool:
        index = self.position + offset
        if index >= len(self.tokens):
            return False
        token = self.tokens[index]
        return token.text == text and token.kind == "punct"


@parser("dnsconfig_js", globs=("dnsconfig.js", "**/dnscontrol/**.js", "**/dnsconfig/**.js"))
def parse(path: str, text: str) -> Iterator[Any]:
    lines = LineIndex(text)
    tokens: list[_Tok] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("space", "comment"):
            continue
        if kind == "unterminated":
            yield ParseError("dnsconfig.js: unterminated string", lines.span(path, match.start()))
            kind = "other"
        token = _Tok(kind, match.group(), match.start())
        if kind == "string":
            token.value = _string_value(match.group())
        tokens.append(token)
    state = _State(tokens)
    yield from _walk(state, path, lines)


def _walk(state: _State, path: str, lines: LineIndex) -> Iterator[Any]:
    domains: list[tuple[str | None, int]] = []  # (zone, paren depth where its D( opened)
    depth = 0
    while state.peek() is not None:
        token = state.peek()
        assert token is not None
        if token.kind == "name" and token.text in ("var", "const", "let"):
            state.take()
            _declaration(state)
            continue
        if token.kind == "name" and state.at("(", 1):
            if token.text in DOMAIN_CALLS:
                state.position += 2
                depth += 1
                zone = _expression(state)
                zone_name = zone.lower().rstrip(".") if isinstance(zone, str) else None
                domains.append((zone_name, depth))
                continue
            if domains and (token.text in RECORD_CALLS or token.text == "SPF_BUILDER"):
                state.position += 2
                arguments = _arguments(state)
                span = lines.span(path, token.start)
                yield from _record(token.text, arguments, domains[-1][0], span)
                continue
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            if domains and domains[-1][1] == depth:
                domains.pop()
            depth -= 1
        state.take()


def _declaration(state: _State) -> None:
    while True:
        name = state.take()
        if name is None or name.kind != "name":
            return
        if not state.at("="):
            value: Any = UNKNOWN
        else:
            state.take()
            value = _expression(state)
        state.constants[name.text] = value
        if not state.at(","):
            return
        state.take()


def _arguments(state: _State) -> list[Any]:
    """The arguments of a call whose `(` was consumed; consumes the closing `)`."""
    arguments: list[Any] = []
    while state.peek() is not None and not state.at(")"):
        arguments.append(_expression(state))
        if state.at(","):
            state.take()
        elif not state.at(")"):
            _skip_to_close(state)
            break
    state.take()
    return arguments


def _expression(state: _State) -> Any:
    value = _term(state)
    while state.at("+"):
        state.take()
        right = _term(state)
        value = value + right if isinstance(value, str) and isinstance(right, str) else UNKNOWN
    following = state.peek()
    if following is not None and following.kind == "punct" and following.text not in ",;)]}":
        _skip_expression(state)  # an operator we do not fold: `a ? b : c`, `x * 2` ...
        return UNKNOWN
    return value


def _term(state: _State) -> Any:
    token = state.take()
    if token is None:
        return UNKNOWN
    if token.kind == "string":
        return token.value
    if token.kind == "number":
        return token.text
    if token.kind == "name":
        if state.at("("):
            state.take()
            _skip_to_close(state)
            state.take()
            return UNKNOWN
        if state.at("."):
            while state.at(".") and (state.peek(1) or _Tok("", "", 0)).kind == "name":
                state.position += 2
            return UNKNOWN
        return state.constants.get(token.text, UNKNOWN)
    if token.kind == "punct" and token.text == "[":
        items: list[Any] = []
        while state.peek() is not None and not state.at("]"):
            items.append(_expression(state))
            if state.at(","):
                state.take()
            elif not state.at("]"):
                _skip_to_close(state)
                break
        state.take()
        return items
    if token.kind == "punct" and token.text == "{":
        return _object(state)
    if token.kind == "punct" and token.text == "(":
        value = _expression(state)
        if state.at(")"):
            state.take()
        return value
    return UNKNOWN


def _object(state: _State) -> dict[str, Any]:
    result: dict[str, Any] = {}
    while state.peek() is not None and not state.at("}"):
        key = state.take()
        if key is None or not state.at(":"):
            _skip_to_close(state)
            break
        state.take()
        name = key.value if key.kind == "string" else key.text
        result[str(name)] = _expression(state)
        if state.at(","):
            state.take()
    state.take()
    return result


def _skip_to_close(state: _State) -> None:
    """Skip to the bracket that closes the current one (left in place)."""
    _skip(state, at_separator=False)


def _skip_expression(state: _State) -> None:
    """Skip one expression: up to a `,` or `;` at this level, or the closing bracket."""
    _skip(state, at_separator=True)


def _skip(state: _State, *, at_separator: bool) -> None:
    depth = 0
    while (token := state.peek()) is not None:
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            if depth == 0:
                return
            depth -= 1
        elif at_separator and depth == 0 and token.kind == "punct" and token.text in ",;":
            return
        state.take()


def _string_value(text: str) -> Any:
    body = text[1:-1] if len(text) >= 2 and text[-1] == text[0] else text[1:]
    if text.startswith("`") and "${" in body:
        return UNKNOWN
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), body, flags=re.DOTALL)


def _record(call: str, arguments: list[Any], zone: str | None, span: Span) -> Iterator[DnsRecord]:
    if call == "SPF_BUILDER":
        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        label = options.get("label", "@")
        parts = options.get("parts", UNKNOWN)
        if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
            text: Any = " ".join(parts)
        else:
            text = UNKNOWN
        yield from _txt(label, (text,), zone, span)
        return
    if len(arguments) < 2 or call == "CNAME":
        return
    label = arguments[0]
    if call == "TXT":
        value = arguments[1]
        strings = tuple(value) if isinstance(value, list) else (value,)
        yield from _txt(label, strings, zone, span)
        return
    owner, exact = _owner(label, zone)
    if call == "MX":
        priority, host = arguments[1], arguments[2] if len(arguments) > 2 else UNKNOWN
        exact = exact and isinstance(priority, str) and isinstance(host, str)
        host = host if isinstance(host, str) else ""
        if host and not host.endswith(".") and zone:
            host = f"{zone}." if host == "@" else f"{host}.{zone}."
        rdata = f"{priority if isinstance(priority, str) else ''} {host}"
    else:
        value = arguments[1]
        rdata = value if isinstance(value, str) else ""
        exact = exact and isinstance(value, str)
    yield DnsRecord(owner, call, rdata, span, "dnscontrol", exact=exact)


def _txt(
    label: Any, strings: tuple[Any, ...], zone: str | None, span: Span
) -> Iterator[DnsRecord]:
    if isinstance(label, str) and label.lower().startswith("_rawspf"):
        return  # SPF_BUILDER's debug copy, never the record receivers read
    owner, exact = _owner(label, zone)
    exact = exact and all(isinstance(s, str) for s in strings)
    texts = tuple(s if isinstance(s, str) else "" for s in strings)
    yield DnsRecord(
        owner,
        "TXT",
        " ".join(f'"{s}"' for s in texts),
        span,
        "dnscontrol",
        txt="".join(texts),
        strings=texts,
        exact=exact,
    )


def _owner(label: Any, zone: str | None) -> tuple[str, bool]:
    if not isinstance(label, str) or zone is None:
        return (f"{zone}." if zone else "@."), False
    name = label.strip().lower()
    if name.endswith("."):
        return name, True
    if name in ("@", ""):
        return zone + ".", True
    return f"{name}.{zone}.", True
