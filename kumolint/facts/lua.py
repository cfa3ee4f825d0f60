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


@dataclass(frozen=True, slots=True)
class EgressPath:
    """`kumo.make_egress_path { ... }` or a shaping entry with the same fields."""

    span: Span
    ehlo_domain: Source | None = None
