"""Facts from the KumoMTA policy: Lua (`init.lua` and helpers) and the policy helpers' data.

Other rule families read these: the token-role rules read `HttpAuth`, the DNS rules read
`EgressSource` / `EgressPath`. Fields may be added (with defaults); do not rename.
"""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span
from kumolint.model import Value


@dataclass(frozen=True, slots=True)
class Source:
    """Where a policy value comes from, resolved one step.

    kind "literal": `value` is the literal. kind "env": `env_name` is the variable read with
    os.getenv, and `value` is the `or '<literal>'` fallback if there is one. kind
    "expression": anything else (a function call, a table lookup ...), `value` is None.
    """

    kind: str
    span: Span
    value: Value | None = None
    env_name: str | None = None
    # kind "expression" only: the code when it is a plain name or field path, e.g.
    # "config.WEBHOOK_TOKEN" (never the text of a literal)
    expression: str | None = None


@dataclass(frozen=True, slots=True)
class HttpAuth:
    """An auth header an HTTP client in the policy sends (webhooks, usually)."""

    scheme: str  # "bearer" | "basic" | "header" (a custom x-...-token / x-...-key header)
    header: str  # "Authorization" or the custom header's name
    token: Source
    span: Span
    url: Source | None = None  # where the client posts, when the parser can tell


@dataclass(frozen=True, slots=True)
class EgressSource:
    """`kumo.make_egress_source { ... }` or a `[source."name"]` table in helper data."""

    span: Span
    name: str | None = None
    source_address: Source | None = None
    socks5_proxy_server: Source | None = None
    socks5_proxy_source_address: Source | None = None
    ehlo_domain: Source | None = None
    origin: str = "lua"  # "lua" | "helper-data"


@dataclass(frozen=True, slots=True)
class EgressPath:
    """`kumo.make_egress_path { ... }` or a shaping entry with the same fields."""

    span: Span
    ehlo_domain: Source | None = None
    origin: str = "lua"  # "lua" | "helper-data"
    name: str | None = None  # the shaping entry ("default", a domain, "provider.x")


@dataclass(frozen=True, slots=True)
class EnvRead:
    """`os.getenv('NAME')` (or a name checked in a loop / read through a getter function).

    `guard` says what happens when the variable is missing: "assert" (`assert(os.getenv(..))`),
    "error" (`os.getenv(..) or error(..)`), "check" (an `if not X then error(..)` on the
    value or the local it is bound to), "loop" (a loop over required names that errors),
    "function" (a getter function that errors), or "none". `fallback` is the `or <literal>`
    default (`Value("")` for `or ''`), None when there is none.
    """

    name: str
    span: Span
    guard: str = "none"
    fallback: Value | None = None
    fallback_span: Span | None = None
    binding: str | None = None  # the local / field the value is assigned to, if any


@dataclass(frozen=True, slots=True)
class SecretLiteral:
    """A string literal in a place that holds a secret.

    context: "key_data" / "vault_token" (KeySource fields), "local" / "field" (a local,
    global, table field or `t.x = ...` whose name says secret), "header" (an auth header
    value or a bearer/basic credential written as a literal).
    """

    name: str
    value: Value
    span: Span
    context: str


@dataclass(frozen=True, slots=True)
class HttpListener:
    """`kumo.start_http_listener { listen, trusted_hosts }` (or `proxy.start_http_listener`)."""

    span: Span
    api: str
    listen: Source | None = None  # None: not set (KumoMTA's default is 127.0.0.1:8000)
    listen_host: str | None = None  # the literal host part, also from `'0.0.0.0:' .. PORT`
    trusted_hosts: tuple[Source, ...] = ()  # the entries of a table literal
    trusted_hosts_expression: Source | None = None  # set to something that is not a table


@dataclass(frozen=True, slots=True)
class Webhook:
    """A log hook / webhook sender in the policy.

    kind: "new" (`log_hooks:new { constructor = ... }`), "new_json" (`log_hooks:new_json`,
    which cannot send headers), "make.<name>" (a `kumo.on('make.<name>', ...)` constructor),
    or "configure_log_hook". `posts` says the constructor makes an HTTP request; `has_auth`
    that it sends an Authorization / token header (an `HttpAuth` inside it).
    """

    kind: str
    span: Span
    name: str | None = None
    url: Source | None = None
    posts: bool = False
    has_auth: bool = False
