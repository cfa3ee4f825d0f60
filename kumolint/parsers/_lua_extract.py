"""Lua policy syntax tree -> facts: env reads, secrets, HTTP auth, egress, listeners, hooks.

Values are resolved one step (two for `local A = B`): a literal, an `os.getenv` read with its
`or` fallback, or a local / field bound to one. Scoping is approximated by "the last binding
of that name before the use, else the first one": policy files rarely shadow names.
"""

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
from kumolint.parsers._lua_tree import LuaSource, nodes_by_kind, string_value
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
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PASS_THROUGH = frozenset({"tonumber", "tostring", "string.lower", "string.upper"})
_INTERESTING_METHODS = frozenset({b"header", b"bearer_auth", b"basic_auth", b"new", b"new_json"})
_PLAIN_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_HEADER_HINT = re.compile(rb"(?i)auth|key|token|secret|sign|pass")
_MAX_DEPTH = 64  # names, tables and `or` chains deeper than this are not followed
_EGRESS_SOURCE_FIELDS = (
    "source_address",
    "socks5_proxy_server",
    "socks5_proxy_source_address",
    "ehlo_domain",
)


def extract(source: LuaSource) -> Iterator[Any]:
    yield from _Extractor(source).run()


class _Extractor:
    def __init__(self, source: LuaSource) -> None:
        self.s = source
        self.calls: list[Node] = []
        self.fields: list[Node] = []
        self.assignments: list[Node] = []
        self.conditionals: list[Node] = []
        self.loops: list[Node] = []
        self.functions: list[Node] = []
        self.bindings: dict[str, list[tuple[int, Node]]] = {}
        self.error_calls: list[int] = []
        self.asserted: set[str] = set()
        self.checked: set[str] = set()
        self.check_ranges: list[tuple[int, int]] = []
        self.getenv_names: set[str] = {"os.getenv"}
        self.auth: list[tuple[int, HttpAuth]] = []
        self.getters: dict[str, tuple[bool, bool]] = {}
        self.call_starts: list[int] = []
        self._call_names: dict[int, str | None] = {}
        self._methods: dict[int, str | None] = {}
        self._args: dict[int, list[Node]] = {}
        self.method_calls: list[Node] = []
        self.hook_bodies: list[tuple[int, int, Source]] = []
        self._resolved: dict[tuple[int, int], Source | None] = {}
        self._tables: dict[int, dict[str, Node]] = {}
        self.named_calls: list[tuple[Node, str]] = []
        self.field_items: list[tuple[Node, str, Node]] = []
        self.assigned: list[tuple[str, Node]] = []

    # -- collection -------------------------------------------------------------------------

    def run(self) -> Iterator[Any]:
        self._collect(self.s.tree.root_node)
        self._index()
        self.getters = self._getters()
        facts: list[Any] = []
        facts.extend(self._env_reads())
        facts.extend(self._secret_literals())
        auth = list(self._http_auth())
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

    def _collect(self, root: Node) -> None:
        found = nodes_by_kind(root)
        self.calls = found["function_call"]
        self.fields = found["field"]
        self.assignments = found["assignment_statement"]
        self.conditionals = sorted(
            found["if_statement"] + found["elseif_statement"], key=lambda n: n.start_byte
        )
        self.loops = found["for_statement"]
        self.functions = sorted(
            found["function_declaration"] + found["function_definition"],
            key=lambda n: n.start_byte,
        )
        self.call_starts = [c.start_byte for c in self.calls]
        data = self.s.data
        for call in self.calls:
            name_node = call.child_by_field_name("name")
            if name_node is None:
                continue
            if name_node.type == "method_index_expression":
                self._call_names[call.id] = None
                method = name_node.child_by_field_name("method")
                raw = data[method.start_byte : method.end_byte] if method is not None else b""
                if raw in _INTERESTING_METHODS:
                    self._methods[call.id] = raw.decode()
                    self.method_calls.append(call)
                continue
            raw = data[name_node.start_byte : name_node.end_byte]
            name = raw.decode() if _PLAIN_NAME.fullmatch(raw) else self.path(name_node)
            self._call_names[call.id] = name
            if name is not None:
                self.named_calls.append((call, name))
        for field in self.fields:
            name_node = field.child_by_field_name("name")
            value = field.child_by_field_name("value")
            if name_node is None or value is None:
                continue
            raw = data[name_node.start_byte : name_node.end_byte]
            # Only string values (secrets) and header-ish names (auth) are looked at later.
            if value.type != "string" and not _HEADER_HINT.search(raw):
                continue
            key = raw.decode() if name_node.type == "identifier" else self.literal(name_node)
            if key is not None:
                self.field_items.append((field, key, value))

    def _index(self) -> None:
        for statement in self.assignments:
            for target, value in _pairs(statement):
                key = self.path(target)
                if key is not None:
                    self.assigned.append((key, value))
                    self._bind(key, value)
        for function in self.functions:
            if function.type == "function_declaration":
                name = function.child_by_field_name("name")
                key = self.path(name) if name is not None else None
                if key is not None:
                    self.bindings.setdefault(key, []).append((function.start_byte, function))
        for key, bound in self.bindings.items():
            if any(
                value.type == "dot_index_expression" and self.path(value) == "os.getenv"
                for _, value in bound
            ):
                self.getenv_names.add(key)
        for call, callee in self.named_calls:
            if callee == "error":
                self.error_calls.append(call.start_byte)
            elif callee == "assert":
                args = self.args(call)
                key = self.path(args[0]) if args else None
                if key is not None:
                    self.asserted.add(key)
        for conditional in self.conditionals:
            condition = conditional.child_by_field_name("condition")
            consequence = conditional.child_by_field_name("consequence")
            if condition is None or consequence is None or not self.has_error(consequence):
                continue
            self.check_ranges.append((condition.start_byte, condition.end_byte))
            self.checked.update(_NAME.findall(self.s.text(condition)))

    def _bind(self, key: str, value: Node, level: int = 0) -> None:
        self.bindings.setdefault(key, []).append((value.start_byte, value))
        if value.type == "table_constructor" and level < _MAX_DEPTH:
            for field_key, field_value in self.named_fields(value).items():
                self._bind(f"{key}.{field_key}", field_value, level + 1)

    # -- node helpers -----------------------------------------------------------------------

    def path(self, node: Node | None) -> str | None:
        """`a`, `a.b.c`, `a['b']` -> "a", "a.b.c", "a.b"; anything else -> None."""
        parts: list[str] = []
        while node is not None and node.type in (
            "dot_index_expression",
            "bracket_index_expression",
        ):
            field = node.child_by_field_name("field")
            if field is None or len(parts) > _MAX_DEPTH:
                return None
            name = self.s.text(field) if field.type == "identifier" else self.literal(field)
            if name is None:
                return None
            parts.append(name)
            node = node.child_by_field_name("table")
        if node is None or node.type != "identifier":
            return None
        parts.append(self.s.text(node))
        return ".".join(reversed(parts))

    def literal(self, node: Node | None) -> str | None:
        return string_value(self.s, node) if node is not None else None

    def call_name(self, call: Node) -> str | None:
        key = call.id
        if key not in self._call_names:
            self._call_names[key] = self.path(call.child_by_field_name("name"))
        return self._call_names[key]

    def method(self, call: Node) -> str | None:
        key = call.id
        if key not in self._methods:
            self._methods[key] = self._method(call)
        return self._methods[key]

    def _method(self, call: Node) -> str | None:
        name = call.child_by_field_name("name")
        if name is None or name.type != "method_index_expression":
            return None
        method = name.child_by_field_name("method")
        return self.s.text(method) if method is not None else None

    def args(self, call: Node) -> list[Node]:
        key = call.id
        if key not in self._args:
            arguments = call.child_by_field_name("arguments")
            children = arguments.named_children if arguments is not None else []
            self._args[key] = [c for c in children if c.type != "comment"]
        return self._args[key]

    def field_key(self, field: Node) -> str | None:
        name = field.child_by_field_name("name")
        if name is None:
            return None
        return self.s.text(name) if name.type == "identifier" else self.literal(name)

    def named_fields(self, table: Node) -> dict[str, Node]:
        key = table.id
        if key not in self._tables:
            self._tables[key] = self._named_fields(table)
        return self._tables[key]

    def _named_fields(self, table: Node) -> dict[str, Node]:
        result: dict[str, Node] = {}
        for field in table.named_children:
            if field.type != "field":
                continue
            key = self.field_key(field)
            value = field.child_by_field_name("value")
            if key is not None and value is not None:
                result[key] = value
        return result

    def positional(self, table: Node) -> list[Node]:
        result = []
        for field in table.named_children:
            if field.type == "field" and field.child_by_field_name("name") is None:
                value = field.child_by_field_name("value")
                if value is not None:
                    result.append(value)
        return result

    def lookup(self, key: str, before: int) -> Node | None:
        bound = self.bindings.get(key)
        if not bound:
            return None
        earlier = [node for start, node in bound if start < before]
        return earlier[-1] if earlier else bound[0][1]

    def deref(self, node: Node, depth: int = 2) -> Node:
        """Follow a name to the expression bound to it, up to `depth` steps."""
        node = _strip(node)
        while depth > 0:
            key = self.path(node)
            bound = self.lookup(key, node.start_byte) if key is not None else None
            if bound is None or bound is node:
                break
            node = _strip(bound)
            depth -= 1
        return node

    def table_arg(self, call: Node) -> Node | None:
        args = self.args(call)
        if not args:
            return None
        table = self.deref(args[0])
        return table if table.type == "table_constructor" else None

    def has_error(self, node: Node) -> bool:
        index = bisect.bisect_left(self.error_calls, node.start_byte)
        return index < len(self.error_calls) and self.error_calls[index] < node.end_byte

    def span_from(self, first: Node, last: Node) -> Span:
        start = self.s.span(first)
        end = self.s.span(last)
        return Span(start.path, start.line, start.column, end.end_line, end.end_column)

    def getenv_name(self, call: Node) -> tuple[str, Node] | None:
        if call.type != "function_call" or self.call_name(call) not in self.getenv_names:
            return None
        args = self.args(call)
        if len(args) != 1:
            return None
        name = self.literal(args[0])
        return (name, args[0]) if name else None

    # -- values -----------------------------------------------------------------------------

    def resolve(self, node: Node | None, depth: int = 2, level: int = 0) -> Source | None:
        """Where a value comes from, resolved one step; None for `nil` / nothing."""
        if node is None:
            return None
        if level == 0:  # the same URL or token is resolved from many places
            key = (node.id, depth)
            if key not in self._resolved:
                self._resolved[key] = self._resolve(node, depth, 0)
            return self._resolved[key]
        return self._resolve(node, depth, level)

    def _resolve(self, node: Node, depth: int, level: int) -> Source | None:
        node = _strip(node)
        kind = node.type
        if level > _MAX_DEPTH:  # a pathological `a or b or c ...` chain
            return Source("expression", self.s.span(node))
        if kind == "string":
            return Source("literal", self.s.span(node), Value(self.literal(node) or ""))
        if kind in ("number", "true", "false"):
            return Source("literal", self.s.span(node), Value(self.s.text(node)))
        if kind == "nil":
            return None
        read = self.getenv_name(node)
        if read is not None:
            return Source("env", self.s.span(node), env_name=read[0])
        if kind == "function_call" and self.call_name(node) in self.getters:
            args = self.args(node)
            name = self.literal(args[0]) if args else None
            if name:
                _, takes_default = self.getters[self.call_name(node) or ""]
                fallback = self.fallback(args[1]) if takes_default and len(args) > 1 else None
                return Source(
                    "env", self.s.span(node), fallback[0] if fallback else None, env_name=name
                )
        if kind == "binary_expression" and _operator(node) == "or":
            left = self.resolve(node.child_by_field_name("left"), depth, level + 1)
            right_node = node.child_by_field_name("right")
            if left is not None and left.kind == "env" and left.value is None:
                fallback = self.fallback(right_node)
                value = fallback[0] if fallback is not None else None
                return Source("env", left.span, value=value, env_name=left.env_name)
            return left or self.resolve(right_node, depth, level + 1)
        if kind == "function_call" and self.call_name(node) in ("assert", *_PASS_THROUGH):
            args = self.args(node)
            return self.resolve(args[0], depth, level + 1) if args else None
        key = self.path(node)
        if key is not None:
            bound = self.lookup(key, node.start_byte) if depth > 0 else None
            if bound is not None and bound.type not in ("function_declaration",):
                resolved = self.resolve(bound, depth - 1, level + 1)
                if resolved is not None:
                    return resolved
            return Source("expression", self.s.span(node), expression=key)
        return Source("expression", self.s.span(node))

    def fallback(self, node: Node | None) -> tuple[Value, Node] | None:
        """The literal default on the right of `or` (also through one local)."""
        if node is None:
            return None
        target = self.deref(node, 1)
        if target.type == "string":
            return Value(self.literal(target) or ""), target
        if target.type in ("number", "true"):
            return Value(self.s.text(target)), target
        return None

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
                self._binding_of(call),
            )
        yield from self._loop_reads()

    def _env_read(self, name: str, call: Node) -> EnvRead:
        guard = "none"
        fallback: tuple[Value, Node] | None = None
        outer = call
        for _ in range(_MAX_DEPTH):  # Node.parent costs O(depth): never climb far
            parent = outer.parent
            if parent is None:
                break
            if parent.type == "parenthesized_expression":
                outer = parent
                continue
            if parent.type == "arguments" and parent.parent is not None:
                name_of_call = self.call_name(parent.parent)
                first = self.args(parent.parent)[:1] == [outer]
                if first and name_of_call == "assert":
                    guard = "assert"
                    outer = parent.parent
                    continue
                if first and name_of_call in _PASS_THROUGH:
                    outer = parent.parent
                    continue
                break
            if parent.type == "binary_expression" and _operator(parent) == "or":
                if parent.child_by_field_name("left") != outer:
                    break
                right = _strip(parent.child_by_field_name("right") or parent)
                if right.type == "function_call" and self.call_name(right) == "error":
                    guard = "error"
                elif fallback is None and guard == "none":
                    fallback = self.fallback(right)
                outer = parent
                continue
            break
        binding = self._binding_of(outer)
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

    def _binding_of(self, expression: Node) -> str | None:
        """The name an expression is stored in: `local X = e`, `t.x = e`, `{ x = e }` in those."""
        keys: list[str] = []
        node = expression
        for _ in range(_MAX_DEPTH):
            parent = node.parent
            if parent is None:
                return None
            if parent.type == "field":
                key = self.field_key(parent)
                table = parent.parent
                if key is None or table is None:
                    return None
                keys.append(key)
                node = table
                continue
            if parent.type == "expression_list" and parent.parent is not None:
                statement = parent.parent
                if statement.type == "assignment_statement":
                    for target, value in _pairs(statement):
                        owner = self.path(target) if value == node else None
                        if owner is not None:
                            return ".".join([owner, *reversed(keys)])
            break
        return ".".join(reversed(keys)) if keys else None

    def _getters(self) -> dict[str, tuple[bool, bool]]:
        """Functions that read `os.getenv(<parameter>)`: name -> (errors if unset, has default)."""
        getters: dict[str, tuple[bool, bool]] = {}
        for function in self.functions:
            parameters = function.child_by_field_name("parameters")
            body = function.child_by_field_name("body")
            if parameters is None or body is None:
                continue
            names = [self.s.text(p) for p in parameters.children_by_field_name("name")]
            if not names or not self._reads_env_of(body, names[0]):
                continue
            key: str | None
            if function.type == "function_declaration":
                key = self.path(function.child_by_field_name("name"))
            else:
                key = self._binding_of(function)
            if key is not None:
                getters[key] = (self.has_error(body), len(names) > 1)
        return getters

    def _reads_env_of(self, body: Node, variable: str) -> bool:
        for call in self._calls_in(body):
            if self.call_name(call) in self.getenv_names:
                args = self.args(call)
                if len(args) == 1 and self.s.text(args[0]) == variable:
                    return True
        return False

    def _calls_in(self, node: Node) -> list[Node]:
        low = bisect.bisect_left(self.call_starts, node.start_byte)
        high = bisect.bisect_left(self.call_starts, node.end_byte)
        return self.calls[low:high]

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
            iterator = _strip(values[0].named_children[0])
            if iterator.type != "function_call" or self.call_name(iterator) not in (
                "ipairs",
                "pairs",
            ):
                continue
            names = [self.s.text(v) for v in variables[0].named_children]
            if not any(self._reads_env_of(body, n) for n in names):
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
        if name not in ("key_data", "vault_token") and (
            name in KEYSOURCE_FIELDS or not is_secret_name(name)
        ):
            return
        text = self.literal(value)
        if text is None:
            return
        if name in ("key_data", "vault_token"):
            context = name
        elif name in KEYSOURCE_FIELDS or not is_secret_name(name):
            return
        yield SecretLiteral(name, Value(text), self.s.span(value), context)

    # -- HTTP auth --------------------------------------------------------------------------

    def _http_auth(self) -> Iterator[HttpAuth]:
        for call in self.method_calls:
            method = self.method(call)
            if method not in ("header", "bearer_auth", "basic_auth"):
                continue
            args = self.args(call)
            name_node = call.child_by_field_name("name")
            method_node = name_node.child_by_field_name("method") if name_node else None
            span = self.span_from(method_node or call, call)
            url = self._request_url(call)
            if method == "header" and len(args) >= 2:
                header = self.literal(args[0])
                if header is not None and TOKEN_HEADER.fullmatch(header):
                    auth = self._auth(header, args[1], span, url)
                    self.auth.append((call.start_byte, auth))
                    yield auth
            elif method == "bearer_auth" and args:
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
        if node.type == "binary_expression" and _operator(node) == "..":
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
            if node.type == "binary_expression" and _operator(node) == "..":
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
        event = self.literal(args[0]) if args else None
        if not event or not event.startswith("make.") or len(args) < 2:
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
            for c in self._calls_in(body)
            if self.method(c) in REQUEST_METHODS and self.method(c) != "get" and self.args(c)
        ]
        if url is None and requests:
            url = self.resolve(self.args(requests[0])[0])
        starts = sorted(start for start, _ in self.auth)
        first = bisect.bisect_left(starts, body.start_byte)
        has_auth = first < len(starts) and starts[first] < body.end_byte
        if url is not None:
            self.hook_bodies.append((body.start_byte, body.end_byte, url))
        return Webhook(kind, self.s.span(call), name, url, bool(requests), has_auth)


def _pairs(statement: Node) -> list[tuple[Node, Node]]:
    """(target, value) pairs of an assignment statement, matched by position."""
    targets: list[Node] = []
    values: list[Node] = []
    for child in statement.named_children:
        if child.type == "variable_list":
            targets = child.children_by_field_name("name")
        elif child.type == "expression_list":
            values = child.children_by_field_name("value")
    return list(zip(targets, values, strict=False))


def _strip(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        node = inner
    return node


def _operator(node: Node) -> str | None:
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else None


def _host_part(address: str) -> str:
    """'0.0.0.0:8000' -> '0.0.0.0'; '[::1]:8000' -> '::1'; '::1' -> '::1'."""
    address = address.strip()
    if address.startswith("["):
        return address[1:].partition("]")[0]
    if address.count(":") == 1:
        return address.partition(":")[0]
    return address
