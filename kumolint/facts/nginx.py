"""Facts from Nginx configuration: bearer checks, auth headers, and what each location proxies to.

The parser records what is written; which proxy target is the KumoMTA listener, which guard
variable derives from `$http_authorization` across files, and what an `include` brings in are
decided by the rules through the model (the helpers in `kumolint.rules._nginx`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span
from kumolint.model import Value


@dataclass(frozen=True, slots=True)
class TokenText:
    """The token part of a `Bearer <token>` text, classified.

    kind "literal": `value` is the token. "env-var": an envsubst `${NAME}` (a `.template` file)
    or an unresolved `$NAME` that nginx does not define. "template-var": a Jinja/Helm
    `{{ name }}`. "nginx-var": an nginx variable the file does not `set`. `name` is the
    referenced variable for the reference kinds.
    """

    kind: str
    value: Value | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class BearerCheck:
    """A place where nginx compares the client's Authorization header with a bearer token.

    `how`: "map" (exact map key), "map-regex" (a regex key with a literal token), "if" (an `if`
    compare), "set" (a `set $var` later compared; `span` is the `set` value). `span` points at
    the token text; `check_span` at the compare itself.
    """

    token: TokenText
    how: str
    span: Span
    check_span: Span


@dataclass(frozen=True, slots=True)
class AuthHeaderSet:
    """`proxy_set_header Authorization <value>;` with a non-empty value: nginx sends a credential.

    `token` is the part after `Bearer ` (or the whole value for another scheme).
    """

    token: TokenText
    scheme: str
    span: Span


@dataclass(frozen=True, slots=True)
class NginxMap:
    """`map <source> <output> { … }` (http context): `output` derives from `source`."""

    source: str
    output: str
    span: Span


@dataclass(frozen=True, slots=True)
class NginxFlag:
    """`set $flag …` inside an `if` block: the flag derives from the variables tested there."""

    variable: str
    tested: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class NginxUpstream:
    """`upstream <name> { server <address> …; }`."""

    name: str
    servers: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class NginxLocation:
    """A `location` block (or the directives at one level of an included snippet).

    `guards`: variables tested by `if (…) { return 4xx; }` that apply here (this
    location's own and its server's). `auth_header`: the effective `proxy_set_header
    Authorization` after nginx's inheritance: "strip" (empty value), "set" (a credential) or
    None (not set: the client's header is forwarded). `includes`: the `include` arguments that
    apply here (server level and own), resolved by the rules against the repo's files. A file
    whose braces do not balance gives no locations (its nesting would be a guess).
    """

    span: Span
    match: str
    proxy_pass: str | None = None
    proxy_pass_span: Span | None = None
    guards: tuple[str, ...] = ()
    auth_request: bool = False
    auth_header: str | None = None
    includes: tuple[str, ...] = ()
    snippet: bool = False  # the top level of a file that is only an include snippet
    # `internal;` or `deny all;` here or above: clients cannot reach it without the address
    # allow-list or an internal redirect.
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class NginxFile:
    """A file read as Nginx config. `template`: envsubst (`*.template`) or Jinja (`*.j2`)."""

    path: str
    template: str | None
    span: Span
