"""Lua policy scope -> facts: env reads, secrets, HTTP auth, egress, listeners, hooks."""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kumolint.facts.lua import (
    EgressPath,
    EgressSource,
    EnvRead,
    HttpAuth,
    HttpListener,
    SecretLiteral,
    Source,
    Webhook,
)
from kumolint.finding import Span
from kumolint.model import Value
from kumolint.parsers._lua_scope import (
    MAX_DEPTH,
    PASS_THROUGH,
    LuaScope,
    operator_of,
    strip,
)
from kumolint.parsers._lua_tree import LuaSource
from kumolint.values import is_secret_name

if TYPE_CHECKING:
    from tree_sitter import Node

# KumoMTA fields that take a KeySource: a plain string there is a file path, not a secret.
KEYSOURCE_FIELDS = frozenset(
    {"smtp_auth_plain_password", "socks5_proxy_password", "tls_private_key", "tls_certificate"}
)
REQUEST_METHODS = frozenset({"post", "put", "get", "patch", "delete", "request"})
TOKEN_HEADER = re.compile(
    r"authorization|api-?key|x-[a-z0-9_-]*(?:key|token|secret|auth|signature|password)[a-z0-9_-]*",
    re.IGNORECASE,
)
_SCHEMES = {"bearer": "bearer", "basic": "basic", "token": "bearer"}
_EGRESS_SOURCE_FIELDS = (
    "source_address",
    "socks5_proxy_server",
    "socks5_proxy_source_address",
    "ehlo_domain",
)


def extract(source: LuaSource) -> Iterator[Any]:
    yield from _Extractor(source).run()


class _Extractor(LuaScope):
    def __init__(self, source: LuaSource) -> None:
        super().__init__(source)
        self.auth: list[tuple[int, HttpAuth]] = []
        self.hook_bodies: list[tuple[int, int, Source]] = []
        self.auth_starts: list[int] = []

    def run(self) -> Iterator[Any]:
        self.prepare()
        facts: list[Any] = []
        facts.extend(self._env_reads())
        facts.extend(self._secret_literals())
        auth = list(self._http_auth())
        self.auth_starts = sorted(start for start, _ in self.auth)
        facts.extend(self._calls())
        facts.extend(self._with_hook_urls(auth))
        return iter(facts)

    def _with_hook_urls(self, auth: list[HttpAuth]) -> Iterator[HttpAuth]:
        """An auth header set in a webhook constructor (`headers = {...}`) posts to its URL."""
        for (start, _), fact in zip(self.auth, auth, strict=True):
            if fact.url is None:
                url = next((u for a, b, u in self.hook_bodies if a <= start < b), None)
                if url is not None:
                    fact = dataclasses.replace(fact, url=url)
            yield fact

    # -- env reads --------------------------------------------------------------------------

    def _env_reads(self) -> Iterator[EnvRead]:
        getters = self.getters
        for call, callee in self.named_calls:
            if callee not in self.getenv_names and callee not in getters:
                continue
            read = self.getenv_name(call)
            if read is not None:
                yield self._env_read(read[0], call)
                continue
            getter = getters.get(self.call_name(call) or "")
            args = self.args(call)
            if getter is None or not args or self.literal(args[0]) is None:
                continue
            guarded, takes_default = getter
            fallback = self.fallback(args[1]) if takes_default and len(args) > 1 else None
            yield EnvRead(
                self.literal(args[0]) or "",
                self.s.span(call),
                "function" if guarded else "none",
                fallback[0] if fallback else None,
                self.s.span(fallback[1]) if fallback else None,
                self.binding_of(call),
            )
        yield from self._loop_reads()

    def _env_read(self, name: str, call: Node) -> EnvRead:
        guard = "none"
        fallback: tuple[Value, Node] | None = None
        outer = call
        for _ in range(MAX_DEPTH):  # Node.parent costs O(depth): never climb far
            parent = outer.parent
            if parent is None:
                break
            kind = parent.type
            if kind == "parenthesized_expression":
                outer = parent
                continue
            if kind == "arguments":
                holder = parent.parent
                if holder is None:
                    break
                name_of_call = self.call_name(holder)
                first = self.args(holder)[:1] == [outer]
                if first and name_of_call == "assert":
                    guard = "assert"
                    outer = holder
                    continue
                if first and name_of_call in PASS_THROUGH:
                    outer = holder
                    continue
                break
            if kind == "binary_expression" and operator_of(parent) == "or":
                if parent.child_by_field_name("left") != outer:
                    break
                right = strip(parent.child_by_field_name("right") or parent)
                if right.type == "function_call" and self.call_name(right) == "error":
                    guard = "error"
                elif fallback is None and guard == "none":
                    fallback = self.fallback(right)
                outer = parent
                continue
            break
        binding = self.binding_of(outer)
        if guard == "none" and fallback is None:
            inside_check = any(a <= call.start_byte < b for a, b in self.check_ranges)
            if inside_check or (binding is not None and binding in self.checked):
                guard = "check"
            elif binding is not None and binding in self.asserted:
                guard = "assert"
        return EnvRead(
            name,
            self.s.span(call),
            guard,
            fallback[0] if fallback else None,
            self.s.span(fallback[1]) if fallback else None,
            binding,
        )

    def _loop_reads(self) -> Iterator[EnvRead]:
        for loop in self.loops:
            clause = next((c for c in loop.named_children if c.type == "for_generic_clause"), None)
            body = loop.child_by_field_name("body")
            if clause is None or body is None:
                continue
            variables = [c for c in clause.named_children if c.type == "variable_list"]
            values = [c for c in clause.named_children if c.type == "expression_list"]
            if not variables or not values or not values[0].named_children:
                continue
            iterator = strip(values[0].named_children[0])
            if iterator.type != "function_call" or self.call_name(iterator) not in (
                "ipairs",
                "pairs",
            ):
                continue
            names = [self.s.text(v) for v in variables[0].named_children]
            if not any(self.reads_env_of(body, n) for n in names):
                continue
            args = self.args(iterator)
            table = self.deref(args[0]) if args else None
            if table is None or table.type != "table_constructor":
                continue
            guard = "loop" if self.has_error(body) else "none"
            listed = self.positional(table) if names[-1] != names[0] else []
            if not listed:  # `for name, _ in pairs { NAME = true }`
                listed = [f.child_by_field_name("name") or f for f in table.named_children]
            for entry in listed:
                name = self.literal(entry) or (
                    self.s.text(entry) if entry.type == "identifier" else None
                )
                if name:
                    yield EnvRead(name, self.s.span(entry), guard)

    # -- secrets ----------------------------------------------------------------------------

    def _secret_literals(self) -> Iterator[SecretLiteral]:
        for _, key, value in self.field_items:
            if value.type == "string":
                yield from self._secret(key, value, "field")
        for key, value in self.assigned:
            if value.type == "string":
                yield from self._secret(key.rpartition(".")[2], value, "local")

    def _secret(self, name: str, value: Node, context: str) -> Iterator[SecretLiteral]:
        special = name in ("key_data", "vault_token")
        if not special and (name in KEYSOURCE_FIELDS or not is_secret_name(name)):
            return
        text = self.literal(value)
        if text is None:
            return
        yield SecretLiteral(name, Value(text), self.s.span(value), name if special else context)

    # -- HTTP auth --------------------------------------------------------------------------

    def _http_auth(self) -> Iterator[HttpAuth]:
        for call in self.method_calls:
            method = self.method(call)
            if method not in ("header", "bearer_auth", "basic_auth"):
                continue
            args = self.args(call)
            header = None
            if method == "header":
                # most headers are not credentials: decide that before finding span and URL
                header = self.literal(args[0]) if len(args) >= 2 else None
                if header is None or not TOKEN_HEADER.fullmatch(header):
                    continue
            elif not args:
                continue
            name_node = call.child_by_field_name("name")
            method_node = name_node.child_by_field_name("method") if name_node else None
            span = self.span_from(method_node or call, call)
            url = self._request_url(call)
            if header is not None:
                auth = self._auth(header, args[1], span, url)
                self.auth.append((call.start_byte, auth))
                yield auth
            elif method == "bearer_auth":
                token = self.resolve(args[0])
                if token is not None:
                    auth = HttpAuth("bearer", "Authorization", token, span, url)
                    self.auth.append((call.start_byte, auth))
                    yield auth
            elif method == "basic_auth" and args:
                token = self.resolve(args[1] if len(args) > 1 else args[0])
                if token is not None:
                    auth = HttpAuth("basic", "Authorization", token, span, url)
                    self.auth.append((call.start_byte, auth))
                    yield auth
        for field, header, value in self.field_items:
            if not TOKEN_HEADER.fullmatch(header):
                continue
            if header.lower() != "authorization" and not self._in_headers_table(field):
                continue
            auth = self._auth(header, value, self.s.span(field), None)
            self.auth.append((field.start_byte, auth))
            yield auth

    def _auth(self, header: str, value: Node, span: Span, url: Source | None) -> HttpAuth:
        default_scheme = "bearer" if header.lower() == "authorization" else "header"
        node = self.deref(value, 1)
        if node.type == "binary_expression" and operator_of(node) == "..":
            prefix = self.literal(node.child_by_field_name("left"))
            scheme = _SCHEMES.get((prefix or "").strip().lower())
            if scheme is not None:
                token = self.resolve(node.child_by_field_name("right"))
                if token is not None:
                    return HttpAuth(scheme, header, token, span, url)
        text = self.literal(node)
        if text is not None:
            word, _, rest = text.strip().partition(" ")
            scheme = _SCHEMES.get(word.lower())
            if scheme is not None and rest.strip():
                token = Source("literal", self.s.span(node), Value(rest.strip()))
                return HttpAuth(scheme, header, token, span, url)
        token = self.resolve(value) or Source("expression", self.s.span(value))
        return HttpAuth(default_scheme, header, token, span, url)

    def _in_headers_table(self, field: Node) -> bool:
        table = field.parent
        holder = table.parent if table is not None else None
        if holder is None:
            return False
        if holder.type == "field":
            return (self.field_key(holder) or "").lower() == "headers"
        if holder.type == "arguments" and holder.parent is not None:
            return self.method(holder.parent) == "headers"
        return False

    def _request_url(self, call: Node) -> Source | None:
        node: Node | None = call
        for _ in range(12):
            if node is None:
                return None
            node = self.deref(node, 1)
            if node.type != "function_call":
                return None
            method = self.method(node)
            if method in REQUEST_METHODS:
                args = self.args(node)
                return self.resolve(args[0]) if args else None
            name = node.child_by_field_name("name")
            if method is None or name is None:
                return None
            node = name.child_by_field_name("table")
        return None

    # -- API calls: egress, listeners, webhooks ---------------------------------------------

    def _calls(self) -> Iterator[Any]:
        for call, name in self.named_calls:
            last = name.rpartition(".")[2]
            if last == "make_egress_source":
                yield from self._egress_source(call)
            elif last == "make_egress_path":
                yield from self._egress_path(call)
            elif last == "start_http_listener":
                yield from self._listener(call, name)
            elif last == "configure_log_hook":
                table = self.table_arg(call)
                fields = self.named_fields(table) if table is not None else {}
                hook_name = self.literal(fields.get("name"))
                yield Webhook("configure_log_hook", self.s.span(call), hook_name)
            elif name == "kumo.on":
                yield from self._event_constructor(call)
        for call in self.method_calls:
            method = self.method(call)
            if method in ("new", "new_json"):
                yield from self._log_hook(call, method)

    def _egress_source(self, call: Node) -> Iterator[EgressSource]:
        table = self.table_arg(call)
        if table is None:
            return
        fields = self.named_fields(table)
        resolved = {k: self.resolve(fields.get(k)) for k in _EGRESS_SOURCE_FIELDS}
        yield EgressSource(
            self.s.span(call),
            self.literal(fields.get("name")),
            resolved["source_address"],
            resolved["socks5_proxy_server"],
            resolved["socks5_proxy_source_address"],
            resolved["ehlo_domain"],
        )

    def _egress_path(self, call: Node) -> Iterator[EgressPath]:
        table = self.table_arg(call)
        if table is None:
            return
        fields = self.named_fields(table)
        yield EgressPath(self.s.span(call), self.resolve(fields.get("ehlo_domain")))

    def _listener(self, call: Node, name: str) -> Iterator[HttpListener]:
        table = self.table_arg(call)
        if table is None:
            return
        fields = self.named_fields(table)
        listen_node = fields.get("listen")
        listen = self.resolve(listen_node)
        host = None
        if listen is not None and listen.kind == "literal" and listen.value is not None:
            host = _host_part(listen.value.text)
        elif listen_node is not None:
            node = self.deref(listen_node, 1)
            if node.type == "binary_expression" and operator_of(node) == "..":
                prefix = self.literal(node.child_by_field_name("left"))
                host = _host_part(prefix) if prefix else None
        trusted = fields.get("trusted_hosts")
        entries: tuple[Source, ...] = ()
        expression = None
        if trusted is not None:
            target = self.deref(trusted, 1)
            if target.type == "table_constructor":
                resolved = (self.resolve(v) for v in self.positional(target))
                entries = tuple(s for s in resolved if s is not None)
            else:
                expression = self.resolve(trusted)
                entries = self._split_fallback(target)
        yield HttpListener(self.s.span(call), name, listen, host, entries, expression)

    def _split_fallback(self, node: Node) -> tuple[Source, ...]:
        """`kumo.string.split(os.getenv('X') or 'a,b', ',')`: the fallback's entries."""
        if node.type != "function_call" or not (self.call_name(node) or "").endswith("split"):
            return ()
        args = self.args(node)
        source = self.resolve(args[0]) if args else None
        separator = self.literal(args[1]) if len(args) > 1 else None
        if source is None or source.kind != "env" or source.value is None or not separator:
            return ()
        parts = (part.strip() for part in source.value.text.split(separator))
        return tuple(Source("literal", source.span, Value(part)) for part in parts if part)

    def _event_constructor(self, call: Node) -> Iterator[Webhook]:
        args = self.args(call)
        if len(args) < 2:
            return
        head = self.s.data[args[0].start_byte : args[0].start_byte + 2]
        if head[:1] in (b"'", b'"') and head[1:] not in (b"m", b"\\"):
            return  # a quoted event name that cannot start with "make." (most are not)
        event = self.literal(args[0])
        if not event or not event.startswith("make."):
            return
        yield self._webhook(event, call, None, None, args[1])

    def _log_hook(self, call: Node, method: str) -> Iterator[Webhook]:
        table = self.table_arg(call)
        if table is None:
            return
        fields = self.named_fields(table)
        name = self.literal(fields.get("name"))
        if method == "new_json":
            if "url" in fields:
                url = self.resolve(fields["url"])
                yield Webhook("new_json", self.s.span(call), name, url, posts=True)
            return
        constructor = fields.get("constructor")
        if constructor is not None:
            yield self._webhook("new", call, name, None, constructor)

    def _webhook(
        self, kind: str, call: Node, name: str | None, url: Source | None, function: Node
    ) -> Webhook:
        body = self.deref(function, 1)
        if body.type not in ("function_definition", "function_declaration"):
            return Webhook(kind, self.s.span(call), name, url)
        requests = [
            c
            for c in self.calls_in(body)
            if self.method(c) in REQUEST_METHODS and self.method(c) != "get" and self.args(c)
        ]
        if url is None and requests:
            url = self.resolve(self.args(requests[0])[0])
        starts = self.auth_starts
        first = bisect.bisect_left(starts, body.start_byte)
        has_auth = first < len(starts) and starts[first] < body.end_byte
        if url is not None:
            self.hook_bodies.append((body.start_byte, body.end_byte, url))
        return Webhook(kind, self.s.span(call), name, url, bool(requests), has_auth)


def _host_part(address: str) -> str:
    """'0.0.0.0:8000' -> '0.0.0.0'; '[::1]:8000' -> '::1'; '::1' -> '::1'."""
    address = address.strip()
    if address.startswith("["):
        return address[1:].partition("]")[0]
    if address.count(":") == 1:
        return address.partition(":")[0]
    return address
