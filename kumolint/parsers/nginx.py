"""Nginx configuration: bearer checks, auth headers, and what each location proxies to.

crossplane's parser wants a file path, keeps line numbers only and drops the whole file on an
unbalanced brace, so the directives come from `_nginx_syntax` (offsets, errors with
positions, crossplane's directive table for the missing-`;` check). `include` is never
followed: the rules resolve it against the repo's own files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kumolint.facts.nginx import (
    AuthHeaderSet,
    BearerCheck,
    NginxFile,
    NginxFlag,
    NginxLocation,
    NginxMap,
    NginxUpstream,
    TokenText,
)
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import parser
from kumolint.parsers._nginx_syntax import Arg, Directive, Tree, build, walk
from kumolint.parsers._text import LineIndex

_INI_SECTION = re.compile(r"^[ \t]*\[[A-Za-z][^\]\n]*\][ \t]*$", re.MULTILINE)
_ASSIGNMENT_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?[A-Za-z_][\w.-]*=", re.MULTILINE)
_DIRECTIVE_LINE = re.compile(
    r"^[ \t]*(?:(?:[a-z_~][^\s;{}]*|\"[^\"\n]*\")(?:[ \t][^\n]*)?[;{}]|\})[ \t]*(?:#[^\n]*)?$",
    re.MULTILINE,
)
_ENV_REF = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_BEARER_KEY = re.compile(r"~?\*?\^?bearer\b", re.IGNORECASE)
_TEMPLATE_REF = re.compile(r"\{\{-?\s*([\w.\[\]'\"]+)[^}]*\}\}")
_BEARER = re.compile(r"bearer[ \t]+", re.IGNORECASE)
_REGEX_BEARER = re.compile(r"\^?(?:bearer|\[Bb\]earer)(?:\\s\+|\\s|\[ \]\+?| \+| |\\ )", re.I)
_REGEX_META = re.compile(r"(?<!\\)[.^$*+?()\[\]{}|]")
_REJECTING_STATUS = re.compile(r"4\d\d")  # 401, 403, 444 (drop), 404 (hide) ...
_MAX_SET_HOPS = 8
_MAP_SPECIAL_KEYS = {"default", "hostnames", "volatile", "include"}


@dataclass(slots=True)
class _Scope:
    """What a location inherits from the levels around it."""

    guards: tuple[str, ...] = ()
    headers: list[tuple[str, Arg | None]] | None = None
    auth_request: bool = False
    includes: tuple[str, ...] = ()
    restricted: bool = False


@parser(
    "nginx",
    globs=(
        "nginx.conf",
        "*nginx*.conf",
        "*.nginx",
        "*.nginxconf",
        "*nginx*.conf.j2",
        "*nginx*.conf.template",
        "*nginx*/*.conf",
        "*nginx*/*.conf.j2",
        "*nginx*/*.template",
        "*nginx*/*.tmpl",
        "*nginx*/*.inc",
        "*nginx*/*.map",
        "*nginx*/*.vhost",
        "**/templates/*.conf.j2",
        "*.conf.template",
        "**/sites-available/*",
        "**/sites-enabled/*",
        "**/conf.d/*.conf",
        "**/snippets/*.conf",
    ),
)
def parse(path: str, text: str) -> Iterator[Any]:
    if not _looks_like_nginx(text):
        return
    template = _template_kind(path, text)
    index = LineIndex(text)
    tree = build(text)
    yield NginxFile(path, template, Span(path, 1, 1))
    for message, offset in tree.errors:
        yield ParseError(f"nginx: {message}", index.span(path, offset))
    yield from _Analyzer(path, text, index, template, tree).facts()


def fragment_facts(path: str, text: str, index: LineIndex) -> list[Any]:
    """Facts of nginx text held inside another file (an ingress-nginx snippet annotation).

    `index` maps offsets in `text` to positions in the enclosing file. The fragment's top level
    comes back as a snippet NginxLocation (its checks and `proxy_set_header` lines).
    """
    tree = build(text)
    facts: list[Any] = [ParseError(f"nginx: {m}", index.span(path, o)) for m, o in tree.errors]
    return facts + _Analyzer(path, text, index, None, tree).facts()


def _looks_like_nginx(text: str) -> bool:
    """Directive lines (`name args;`, `name {`, `}`) outnumber `NAME=value` and `[section]` lines.

    Routing is generous (`conf.d/*.conf`, `sites-enabled/*`); systemd drop-ins and env files
    that live there are left to their own parsers.
    """
    directives = len(_DIRECTIVE_LINE.findall(text))
    others = len(_ASSIGNMENT_LINE.findall(text)) + len(_INI_SECTION.findall(text))
    return directives > 0 and directives >= others


def _template_kind(path: str, text: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".template") or ("/templates/" in f"/{lower}" and "${" in text):
        return "envsubst"
    if lower.endswith((".j2", ".jinja", ".jinja2", ".tpl")) or "{{" in text or "{%" in text:
        return "jinja"
    return None


class _Analyzer:
    """Walks the directive tree once and turns what matters for auth into facts."""

    def __init__(
        self, path: str, text: str, index: LineIndex, template: str | None, tree: Tree
    ) -> None:
        self.path = path
        self.text = text
        self.index = index
        self.template = template
        self.tree = tree
        self.sets: dict[str, Arg] = {}
        self.bare: frozenset[str] = frozenset()
        self.out: list[Any] = []

    def facts(self) -> list[Any]:
        for directive in walk(self.tree.root):
            if directive.name == "set" and len(directive.args) == 2:
                self.sets.setdefault(directive.args[0].text.lstrip("$"), directive.args[1])
        self.bare = _bare_token_variables(self.tree.root)
        self._facts_anywhere(self.tree.root)
        # A file included inside `map $http_authorization … { include tokens.map; }` holds
        # bare entries; a directive named `Bearer …` means nothing else in nginx.
        self._entries(d for d in self.tree.root if _BEARER_KEY.match(d.name))
        if self.tree.balanced:
            root = self._level(self.tree.root, _Scope())
            self._locations(self.tree.root, root, root.guards)
            if not any(d.name in ("http", "server") for d in self.tree.root):
                self._snippet(self.tree.root)
        return self.out

    def span(self, start: int, end: int | None = None) -> Span:
        return self.index.span(self.path, start, end)

    # Facts that do not depend on nesting: checks, maps, flags, upstreams, auth headers.

    def _facts_anywhere(self, block: list[Directive]) -> None:
        for directive in walk(block):
            name, args = directive.name, directive.args
            if name == "map" and len(args) == 2:
                self.out.append(NginxMap(args[0].text, args[1].text, self.span(directive.start)))
                if args[0].text == "$http_authorization":
                    self._map_entries(directive)
                elif args[0].text in self.bare:
                    for entry in directive.block or ():
                        special = entry.name in _MAP_SPECIAL_KEYS or entry.name.startswith("~")
                        if entry.args and not special:
                            self._token(entry.name, entry.start, "map", entry)
            elif name == "if" and directive.block is not None:
                self._if(directive)
            elif name == "upstream" and args and directive.block is not None:
                servers = tuple(
                    d.args[0].text for d in directive.block if d.name == "server" and d.args
                )
                self.out.append(NginxUpstream(args[0].text, servers, self.span(directive.start)))
            elif (
                name == "proxy_set_header"
                and len(args) == 2
                and args[0].text.lower() == "authorization"
                and args[1].text.strip()
            ):
                self._auth_header(args[1])

    def _map_entries(self, directive: Directive) -> None:
        self._entries(directive.block or ())

    def _entries(self, entries: Iterable[Directive]) -> None:
        for entry in entries:
            key = entry.name
            if key in _MAP_SPECIAL_KEYS or not entry.args:
                continue
            if key.startswith("~"):
                token = _regex_literal(key.lstrip("~*"))
                if token is not None:
                    offset = self._raw_offset(entry.start, token)
                    self._check(TokenText("literal", Value(token)), "map-regex", offset, entry)
                continue
            self._bearer(key, entry.start, "map", entry)

    def _if(self, directive: Directive) -> None:
        variable, operator, value = _condition(directive.args)
        tested = tuple(v for v in (variable,) if v) + tuple(
            f"${m[1] or m[2]}" for m in _ENV_REF.finditer(value.text if value else "")
        )
        for child in directive.block or ():
            if child.name == "set" and child.args:
                self.out.append(NginxFlag(child.args[0].text, tested, self.span(child.start)))
        if variable in self.bare and value is not None and operator in ("=", "!="):
            if value.text:
                self._token(value.text, value.start, "if", directive)
            return
        if variable != "$http_authorization" or value is None:
            return
        if operator in ("=", "!="):
            self._bearer(value.text, value.start, "if", directive)
        elif operator.lstrip("!") in ("~", "~*"):
            token = _regex_literal(value.text)
            if token is not None:
                offset = self._raw_offset(value.start, token)
                self._check(TokenText("literal", Value(token)), "if", offset, directive)

    def _bearer(self, text: str, start: int, how: str, directive: Directive) -> None:
        match = _BEARER.match(text)
        if match is None:
            return
        self._token(text[match.end() :], start, how, directive)

    def _token(self, rest: str, start: int, how: str, directive: Directive) -> None:
        """A compared token (the part after `Bearer `), possibly a `set` variable."""
        offset = self._raw_offset(start, rest)
        reference = _reference(rest)
        if reference is not None and reference[0] == "nginx-var" and reference[1] in self.sets:
            set_arg = self.sets[reference[1]]
            token = self._classify(set_arg.text)
            self._check(token, "set", set_arg.start + int(set_arg.quoted), directive)
            return
        self._check(self._classify(rest), how, offset, directive)

    def _check(self, token: TokenText, how: str, offset: int, directive: Directive) -> None:
        if token.kind == "literal" and not (token.value and token.value.text):
            return
        self.out.append(
            BearerCheck(token, how, self.span(offset), self.span(directive.start, directive.end))
        )

    def _auth_header(self, value: Arg) -> None:
        match = _BEARER.match(value.text)
        scheme = "bearer" if match else value.text.split(" ", 1)[0].lower()
        rest = value.text[match.end() :] if match else value.text
        offset = self._raw_offset(value.start, rest)
        self.out.append(AuthHeaderSet(self._classify(rest), scheme, self.span(offset)))

    def _classify(self, token: str, hops: int = 0) -> TokenText:
        reference = _reference(token)
        if reference is None:
            if "$" in token or "{{" in token:
                return TokenText("nginx-var", None, None)
            return TokenText("literal", Value(token))
        kind, name = reference
        if kind == "nginx-var":
            if name in self.sets and hops < _MAX_SET_HOPS:  # `set $a $b; set $b $a;`
                return self._classify(self.sets[name].text, hops + 1)
            if self.template == "envsubst" or name.isupper():
                return TokenText("env-var", None, name)
        return TokenText(kind, None, name)

    def _raw_offset(self, start: int, needle: str) -> int:
        """Where `needle` starts in the raw token at `start` (quotes and escapes included)."""
        line_end = self.text.find("\n", start)
        found = self.text.find(needle, start, None if line_end == -1 else line_end)
        return found if found != -1 else start

    # Locations: what each proxies to, and which checks and header settings apply to it.

    def _locations(
        self,
        block: list[Directive],
        scope: _Scope,
        server_guards: tuple[str, ...],
    ) -> None:
        """Every location in document order, with what it inherits (no recursion: deep
        nesting is cheap)."""
        stack = [(iter(block), scope, server_guards)]
        while stack:
            directives, outer, guards = stack[-1]
            directive = next(directives, None)
            if directive is None:
                stack.pop()
                continue
            if directive.block is None:
                continue
            if directive.name in ("http", "server"):
                level = self._level(directive.block, outer)
                inner = level.guards if directive.name == "server" else ()
                stack.append((iter(directive.block), level, inner))
            elif directive.name == "location":
                level = self._level(directive.block, outer)
                level.guards = guards + level.guards
                self._location(directive, level)
                stack.append((iter(directive.block), level, guards))

    def _level(self, block: list[Directive], outer: _Scope) -> _Scope:
        headers = [
            (d.args[0].text.lower(), d.args[1] if len(d.args) > 1 else None)
            for d in block
            if d.name == "proxy_set_header" and d.args
        ]
        auth_request = outer.auth_request
        for directive in block:
            if directive.name == "auth_request" and directive.args:
                auth_request = directive.args[0].text != "off"
        includes = tuple(d.args[0].text for d in block if d.name == "include" and d.args)
        return _Scope(
            guards=tuple(g for d in block if d.name == "if" for g in _guard(d)),
            headers=headers or outer.headers,
            auth_request=auth_request,
            includes=outer.includes + includes,
            restricted=outer.restricted or any(_restricts(d) for d in block),
        )

    def _location(self, directive: Directive, scope: _Scope) -> None:
        proxy = next((d for d in _own(directive.block) if d.name == "proxy_pass" and d.args), None)
        target = proxy.args[0] if proxy else None
        self.out.append(
            NginxLocation(
                span=self.span(directive.start),
                match=" ".join(a.text for a in directive.args),
                proxy_pass=self._expand(target.text) if target else None,
                proxy_pass_span=self.span(target.start, target.end) if target else None,
                guards=scope.guards,
                auth_request=scope.auth_request,
                auth_header=_auth_header_effect(scope.headers),
                includes=scope.includes,
                restricted=scope.restricted,
            )
        )

    def _expand(self, target: str) -> str:
        """`http://$kumod` with `set $kumod 127.0.0.1:8000;` -> `http://127.0.0.1:8000`."""

        def value(match: re.Match[str]) -> str:
            name = match[1] or match[2]
            return self.sets[name].text if name in self.sets else match[0]

        return _ENV_REF.sub(value, target)

    def _snippet(self, block: list[Directive]) -> None:
        scope = self._level(block, _Scope())
        if not (scope.guards or scope.headers or scope.auth_request or scope.includes):
            return
        proxy = next((d for d in block if d.name == "proxy_pass" and d.args), None)
        self.out.append(
            NginxLocation(
                span=self.span(0),
                match="",
                proxy_pass=proxy.args[0].text if proxy else None,
                proxy_pass_span=self.span(proxy.args[0].start) if proxy else None,
                guards=scope.guards,
                auth_request=scope.auth_request,
                auth_header=_auth_header_effect(scope.headers),
                includes=scope.includes,
                snippet=True,
            )
        )


def _bare_token_variables(root: list[Directive]) -> frozenset[str]:
    """Outputs of `map $http_authorization $x { "~^Bearer (.+)$" $1; }`: the bare token."""
    found = set()
    for directive in walk(root):
        if directive.name != "map" or len(directive.args) != 2:
            continue
        if directive.args[0].text != "$http_authorization":
            continue
        for entry in directive.block or ():
            captures = entry.name.startswith("~") and "(" in entry.name
            if captures and entry.args and re.fullmatch(r"\$\d", entry.args[0].text):
                found.add(directive.args[1].text)
    return frozenset(found)


def _restricts(directive: Directive) -> bool:
    if directive.name == "internal":
        return True
    return directive.name == "deny" and [a.text for a in directive.args] == ["all"]


def _own(block: list[Directive] | None) -> Iterator[Directive]:
    """A location's directives, including those inside its `if` blocks, not nested locations."""
    for directive in block or ():
        yield directive
        if directive.name == "if":
            yield from directive.block or ()


def _condition(args: list[Arg]) -> tuple[str | None, str, Arg | None]:
    """`($var op value)` -> (var, op, value); `($var)` -> (var, "", None)."""
    parts = [a for a in args if a.text != ")"]
    if not parts:
        return None, "", None
    first = parts[0].text.lstrip("(").strip()
    if len(parts) == 1:
        return (first.rstrip(")") or None), "", None
    value = parts[-1]
    if not value.quoted and value.text.endswith(")"):
        value = Arg(value.text[:-1], value.start, value.end - 1, False)
    if len(parts) == 2:
        return first or None, "", None
    return first or None, parts[1].text, value


def _guard(directive: Directive) -> tuple[str, ...]:
    """The variables an `if (…) { return 4xx; }` tests, or () for any other `if`."""
    rejects = any(
        d.name == "return" and d.args and _REJECTING_STATUS.fullmatch(d.args[0].text)
        for d in directive.block or ()
    )
    if not rejects:
        return ()
    variable, operator, value = _condition(directive.args)
    if variable is None:
        return ()
    if (
        variable == "$http_authorization"
        and operator in ("=", "!=")
        and not (value and value.text)
    ):
        return ()  # only tests that some header is present
    return (variable,)


def _auth_header_effect(headers: list[tuple[str, Arg | None]] | None) -> str | None:
    for name, value in reversed(headers or []):
        if name == "authorization":
            return "set" if value is not None and value.text.strip() else "strip"
    return None


def _reference(token: str) -> tuple[str, str] | None:
    """("env-var"|"nginx-var"|"template-var", name) when the whole token is one reference."""
    token = token.strip()
    match = _TEMPLATE_REF.fullmatch(token)
    if match:
        return "template-var", match[1]
    match = _ENV_REF.fullmatch(token)
    if match:
        return ("nginx-var", match[2]) if match[2] else ("nginx-var", match[1])
    return None


def _regex_literal(pattern: str) -> str | None:
    """The token of a `^Bearer\\s+<literal>$` regex, or None when it is not a plain literal."""
    pattern = pattern.strip()
    match = _REGEX_BEARER.match(pattern)
    if match is None:
        return None
    rest = pattern[match.end() :]
    if rest.endswith("$") and not rest.endswith("\\$"):
        rest = rest[:-1]
    if not rest or _REGEX_META.search(rest):
        return None
    return re.sub(r"\\(.)", r"\1", rest)
