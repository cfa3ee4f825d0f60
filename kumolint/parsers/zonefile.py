"""BIND-style zone files (also NSD, Knot, PowerDNS bind backend) -> DnsRecord facts.

dnspython reads whole zones but gives no positions and stops at the first bad record, so the
file is split into records here (with `$ORIGIN`, `$TTL`, blank and relative owners,
parentheses, quotes and `;` comments, tracking offsets), and each record's data alone goes to
`dns.rdata.from_text`. A bad record becomes a ParseError; the others are kept. `$INCLUDE` is
never followed here (a parser sees one file): it becomes a ZoneInclude fact for the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kumolint.facts.dns import DnsRecord, ZoneInclude
from kumolint.model import ParseError
from kumolint.parsers import parser
from kumolint.parsers._text import LineIndex

_TOKEN = re.compile(
    r"""(?P<newline>\n)
      | (?P<space>[ \t\r\f\v]+)
      | (?P<comment>;[^\n]*)
      | (?P<open>\()
      | (?P<close>\))
      | (?P<quoted>"(?:[^"\\\n]|\\.)*(?P<closed>")?)
      | (?P<word>(?:[^\s;()"\\]|\\.)+|\\)
    """,
    re.VERBOSE | re.DOTALL,
)
_CLASSES = frozenset({"IN", "CH", "CS", "HS", "NONE", "ANY"})
_TTL = re.compile(r"[0-9]+|(?:[0-9]+[smhdwSMHDW])+")
_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ESCAPE = re.compile(r"\\(?:([0-9]{3})|(.))", re.DOTALL)
_ZONE_HINT = re.compile(
    r"^\$(?:ORIGIN|TTL|INCLUDE)\b|\b(?:IN\s+)?(?:SOA|NS|MX|TXT|SPF|CNAME|A|AAAA|PTR|SRV|CAA)\s",
    re.MULTILINE | re.IGNORECASE,
)
_NOT_ZONES = re.compile(
    r".*\.(conf|key|keys|options|local|py|sh|js|json|ya?ml|md|txt|j2|tf|hcl|tpl|toml|lua|ini|cfg)$"
)


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int
    quoted: bool = False


@dataclass(slots=True)
class _Entry:
    start: int
    blank_owner: bool
    tokens: list[_Token] = field(default_factory=list)
    end: int = 0
    problem: str | None = None
    problem_at: int = 0


@parser(
    "zonefile",
    globs=(
        "*.zone",
        "**/dns/db.*",
        "**/dns/**/db.*",
        "**/zones/db.*",
        "**/zones/**/db.*",
        "**/bind/db.*",
        "**/bind/**/db.*",
        "**/named/**",
        "**/dns/*.db",
        "**/dns/**/*.db",
        "**/zones/*.db",
        "**/zones/**/*.db",
        "*.zone.inc",
    ),
)
def parse(path: str, text: str) -> Iterator[Any]:
    name = path.rsplit("/", 1)[-1].lower()
    if _NOT_ZONES.fullmatch(name) or name.startswith("named.") or not _ZONE_HINT.search(text):
        return
    yield from _Reader(path, text).records()


class _Reader:
    """Walks the entries of one zone file, keeping the directive state."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = LineIndex(text)
        self.guessed_origin = _origin_from_file_name(path)
        self.origin: str | None = None  # set by $ORIGIN
        self.default_ttl: int | None = None
        self.last_owner: tuple[str, str | None] | None = None
        self.origin_names: dict[str, Any] = {}

    def records(self) -> Iterator[Any]:
        for entry in _entries(self.text):
            if entry.problem is not None:
                yield self.error(entry.problem, entry.problem_at)
                continue
            if not entry.tokens:
                continue
            first = entry.tokens[0]
            if not entry.blank_owner and first.text.startswith("$") and not first.quoted:
                yield from self.directive(entry)
            else:
                yield from self.record(entry)

    def error(self, message: str, offset: int) -> ParseError:
        return ParseError(f"zone file: {message}", self.lines.span(self.path, offset))

    def current_origin(self) -> tuple[str, bool]:
        """(origin, guessed): the $ORIGIN in force, else the one the file name suggests."""
        if self.origin is not None:
            return self.origin, False
        return self.guessed_origin, True

    def absolute(self, name: str) -> tuple[str, str | None]:
        """(fqdn, relative name when the origin was guessed) for an owner or $ORIGIN name."""
        origin, guessed = self.current_origin()
        if name == "@":
            return origin, "@" if guessed else None
        if name.endswith(".") and not name.endswith("\\."):
            return _unescape_name(name).lower(), None
        relative = _unescape_name(name).lower()
        fqdn = relative + "." + origin if origin != "." else relative + "."
        return fqdn, relative if guessed else None

    def directive(self, entry: _Entry) -> Iterator[Any]:
        keyword = entry.tokens[0].text.upper()
        args = entry.tokens[1:]
        if keyword == "$ORIGIN":
            if not args:
                yield self.error("$ORIGIN without a name", entry.start)
                return
            self.origin = self.absolute(args[0].text)[0]
        elif keyword == "$TTL":
            ttl = _ttl(args[0].text) if args else None
            if ttl is None:
                yield self.error("$TTL needs a time value", entry.start)
                return
            self.default_ttl = ttl
        elif keyword == "$INCLUDE":
            if not args:
                yield self.error("$INCLUDE without a file name", entry.start)
                return
            origin = self.absolute(args[1].text)[0] if len(args) > 1 else self.origin
            yield ZoneInclude(args[0].text, origin, self.span(entry))
        elif keyword != "$GENERATE":
            # named only when it looks like one: a message never quotes arbitrary file text
            word = entry.tokens[0].text
            name = f" {word}" if re.fullmatch(r"\$[A-Za-z]{1,20}", word) else ""
            yield self.error(f"unknown directive{name}", entry.start)

    def span(self, entry: _Entry) -> Any:
        return self.lines.span(self.path, entry.start, entry.end)

    def record(self, entry: _Entry) -> Iterator[Any]:
        tokens = list(entry.tokens)
        if entry.blank_owner:
            if self.last_owner is None:
                yield self.error("record without an owner name", tokens[0].start)
                return
            owner, relative = self.last_owner
        else:
            owner, relative = self.absolute(tokens.pop(0).text)
            self.last_owner = (owner, relative)
        ttl = self.default_ttl
        for _ in range(2):
            if tokens and not tokens[0].quoted and tokens[0].text.upper() in _CLASSES:
                tokens.pop(0)
            elif tokens and not tokens[0].quoted and _TTL.fullmatch(tokens[0].text):
                ttl = _ttl(tokens.pop(0).text)
        if not tokens:
            yield self.error(f"record for {owner} has no type", entry.start)
            return
        rtype = tokens.pop(0).text.upper()
        record = self.rdata(owner, rtype, tokens, entry)
        if isinstance(record, str):
            yield self.error(record, entry.start)
            return
        rdata_text, txt, strings = record
        yield DnsRecord(
            owner_fqdn=owner,
            type=rtype,
            rdata_text=rdata_text,
            span=self.span(entry),
            ttl=ttl,
            txt=txt,
            strings=strings,
            relative_owner=relative,
        )

    def rdata(
        self, owner: str, rtype: str, tokens: list[_Token], entry: _Entry
    ) -> str | tuple[str, str | None, tuple[str, ...]]:
        """(presentation text, joined TXT, TXT strings), or a problem message."""
        import dns.exception
        import dns.name
        import dns.rdata
        import dns.rdataclass
        import dns.rdatatype

        try:
            rdtype = dns.rdatatype.from_text(rtype)
        except dns.exception.DNSException:
            return f"unknown record type {rtype!r} for {owner}"
        if not tokens:
            return f"{rtype} record for {owner} has no data"
        raw = " ".join(self.text[t.start : t.end] for t in tokens)
        if rtype in ("TXT", "SPF"):
            strings = tuple(_unescape_string(t.text) for t in tokens)
            too_long = [s for s in strings if len(s.encode("utf-8", "surrogatepass")) > 255]
            if too_long:
                return f"{rtype} string longer than 255 bytes for {owner}"
            return raw, "".join(strings), strings
        if rtype in ("A", "AAAA"):
            return _address(owner, rtype, tokens)
        origin, _ = self.current_origin()
        if origin not in self.origin_names:
            self.origin_names[origin] = dns.name.from_text(origin)
        try:
            rdata = dns.rdata.from_text(
                dns.rdataclass.IN,
                rdtype,
                raw,
                origin=self.origin_names[origin],
                relativize=False,
            )
        except (dns.exception.DNSException, ValueError) as problem:
            reason = str(problem).rstrip(".") or type(problem).__name__
            return f"bad {rtype} data for {owner} ({reason})"
        return rdata.to_text(), None, ()


def _address(
    owner: str, rtype: str, tokens: list[_Token]
) -> str | tuple[str, str | None, tuple[str, ...]]:
    """A and AAAA without dnspython: the common case in big zones, and 20 times faster."""
    import ipaddress

    version = 4 if rtype == "A" else 6
    if len(tokens) != 1 or tokens[0].quoted:
        return f"bad {rtype} data for {owner} (expected one address)"
    try:
        address = ipaddress.ip_address(tokens[0].text)
    except ValueError:
        address = None
    if address is None or address.version != version or "%" in tokens[0].text:
        return f"bad {rtype} data for {owner} (not an IPv{version} address)"
    if version == 4 and any(len(q) > 1 and q[0] == "0" for q in tokens[0].text.split(".")):
        return f"bad {rtype} data for {owner} (leading zero in an IPv4 address)"
    return str(address), None, ()


def _entries(text: str) -> Iterator[_Entry]:
    """Logical records: one line, or several joined by parentheses."""
    entry: _Entry | None = None
    depth = 0
    open_at = 0
    at_line_start = True
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "newline":
            if depth == 0 and entry is not None:
                entry.end = match.start()
                yield entry
                entry = None
            at_line_start = True
            continue
        if entry is None and at_line_start:
            entry = _Entry(match.start(), blank_owner=kind == "space")
        at_line_start = False
        if entry is None or kind in ("space", "comment"):
            continue
        if kind == "open":
            if depth == 0:
                open_at = match.start()
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth < 0 and entry.problem is None:
                entry.problem, entry.problem_at = "')' without '('", match.start()
                depth = 0
        elif kind == "quoted":
            if match["closed"] is None and entry.problem is None:
                entry.problem, entry.problem_at = "newline in quoted string", match.start()
            body = match.group()[1:-1] if match["closed"] else match.group()[1:]
            entry.tokens.append(_Token(body, match.start(), match.end(), quoted=True))
        else:
            entry.tokens.append(_Token(match.group(), match.start(), match.end()))
    if entry is not None:
        entry.end = len(text)
        if depth > 0 and entry.problem is None:
            entry.problem, entry.problem_at = "'(' is never closed", open_at
        yield entry


def _origin_from_file_name(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    for suffix in (".zone.inc", ".zone", ".db", ".hosts"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    else:
        if name.startswith("db.") and len(name) > 3:
            name = name[3:]
    return name.rstrip(".") + "."


def _ttl(text: str) -> int | None:
    if not _TTL.fullmatch(text):
        return None
    if text.isdigit():
        return int(text)
    return sum(
        int(number) * _TTL_UNITS[unit.lower()]
        for number, unit in re.findall(r"([0-9]+)([a-zA-Z])", text)
    )


def _unescape_string(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match[1] is not None:
            return chr(min(int(match[1]), 255))
        return match[2]

    return _ESCAPE.sub(replace, text)


def _unescape_name(name: str) -> str:
    return _unescape_string(name) if "\\" in name else name
