"""The scope of one Lua policy file: its calls, fields, bindings, and one-step value resolution.

Values are resolved one step (two for `local A = B`): a literal, an `os.getenv` read with its
`or` fallback, a getter function's read, or a local / field bound to one. Scoping is
approximated by "the last binding of that name before the use, else the first one": policy
files rarely shadow names. Every climb and recursion is bounded (`MAX_DEPTH`): `Node.parent`
costs O(depth) in tree-sitter, and hostile files nest deeply.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

from kumolint.facts.lua import Source
from kumolint.finding import Span
from kumolint.model import Value
from kumolint.parsers._lua_tree import LuaSource, nodes_by_kind, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

PASS_THROUGH = frozenset({"tonumber", "tostring", "string.lower", "string.upper"})
MAX_DEPTH = 64  # names, tables and `or` chains deeper than this are not followed
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_INTERESTING_METHODS = frozenset({b"header", b"bearer_auth", b"basic_auth", b"new", b"new_json"})
_PLAIN_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_HEADER_HINT = re.compile(rb"(?i)auth|key|token|secret|sign|pass")
# Every key a field fact can come from has one of these: `is_secret_name` (token, secret,
# passw..., ...key, credential, key_data), `vault_token`, and the auth headers of
# `TOKEN_HEADER` (authorization, api-key, x-...key/token/secret/auth/signature/password).
_CREDENTIAL_HINT = re.compile(rb"(?i)auth|key|token|secret|sign|pass|credential")


class LuaScope:
    """Bindings, calls and values of one Lua file: what the fact extraction builds on."""

    def __init__(self, source: LuaSource) -> None:
        self.s = source
        self.calls: list[Node] = []
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
        self.getters: dict[str, tuple[bool, bool]] = {}
        self.call_starts: list[int] = []
        self._call_names: dict[int, str | None] = {}
        self._methods: dict[int, str | None] = {}
        self._args: dict[int, list[Node]] = {}
        self.method_calls: list[Node] = []
        self._resolved: dict[tuple[int, int], Source | None] = {}
        self._tables: dict[int, dict[str, Node]] = {}
        self.named_calls: list[tuple[Node, str]] = []
        self.field_items: list[tuple[Node, str, Node]] = []
        self.assigned: list[tuple[str, Node]] = []
        self._env_args: tuple[list[int], list[str]] | None = None
        self._getenv_reads: dict[int, tuple[str, Node] | None] = {}
        self._pairs: dict[int, list[tuple[Node, Node]]] = {}

    # -- collection -------------------------------------------------------------------------

    def prepare(self) -> None:
        self._collect(self.s.tree.root_node)
        self._index()
        self.getters = self._getters()

    def _collect(self, root: Node) -> None:
        found = nodes_by_kind(root)
        self.calls = found["function_call"]
        field_names = found["field_name"]
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
        call_names, methods = self._call_names, self._methods
        plain_name = _PLAIN_NAME.fullmatch
        for call in self.calls:
            name_node = call.child_by_field_name("name")
            if name_node is None:
                continue
            kind = name_node.type
            if kind == "method_index_expression":
                call_names[call.id] = None
                method = name_node.child_by_field_name("method")
                if method is None:
                    methods[call.id] = None
                    continue
                raw = data[method.start_byte : method.end_byte]
                # what `method()` gives, known now for every call: later lookups are free
                methods[call.id] = raw.decode("utf-8", "replace")
                if raw in _INTERESTING_METHODS:
                    self.method_calls.append(call)
                continue
            methods[call.id] = None
            raw = data[name_node.start_byte : name_node.end_byte]
            if kind == "identifier":  # plain by construction: no pattern to check
                name: str | None = raw.decode("utf-8", "replace")
            else:
                name = raw.decode() if plain_name(raw) else self.path(name_node)
            call_names[call.id] = name
            if name is not None:
                self.named_calls.append((call, name))
        header_hint = _HEADER_HINT.search
        credential_hint = _CREDENTIAL_HINT.search
        for name_node in field_names:
            raw = data[name_node.start_byte : name_node.end_byte]
            # Fields are read for secrets (a secret-looking key) and auth headers only: a
            # plain ASCII key naming neither is done with (escaped keys are decoded first).
            if not credential_hint(raw) and raw.isascii() and b"\\" not in raw:
                continue
            field = name_node.parent
            value = field.child_by_field_name("value") if field is not None else None
            if field is None or value is None:
                continue
            # Only string values (secrets) and header-ish names (auth) are looked at later.
            if value.type != "string" and not header_hint(raw):
                continue
            key = raw.decode() if name_node.type == "identifier" else self.literal(name_node)
            if key is not None:
                self.field_items.append((field, key, value))

    def _index(self) -> None:
        for statement in self.assignments:
            for target, value in self.pairs(statement):
                key = self.path(target)
                if key is not None:
                    self.assigned.append((key, value))
                    self._bind(key, value)
                    if value.type == "dot_index_expression" and self.path(value) == "os.getenv":
                        self.getenv_names.add(key)  # `local getenv = os.getenv`
        for function in self.functions:
            if function.type == "function_declaration":
                name = function.child_by_field_name("name")
                key = self.path(name) if name is not None else None
                if key is not None:
                    self.bindings.setdefault(key, []).append((function.start_byte, function))
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
        if value.type == "table_constructor" and level < MAX_DEPTH:
            for field_key, field_value in self.named_fields(value).items():
                self._bind(f"{key}.{field_key}", field_value, level + 1)

    # -- node helpers -----------------------------------------------------------------------

    def path(self, node: Node | None) -> str | None:
        """`a`, `a.b.c`, `a['b']` -> "a", "a.b.c", "a.b"; anything else -> None."""
        if node is None:
            return None
        kind = node.type
        if kind == "identifier":  # the common case
            return self.s.text(node)
        parts: list[str] = []
        while kind in ("dot_index_expression", "bracket_index_expression"):
            field = node.child_by_field_name("field")
            if field is None or len(parts) > MAX_DEPTH:
                return None
            name = self.s.text(field) if field.type == "identifier" else self.literal(field)
            if name is None:
                return None
            parts.append(name)
            node = node.child_by_field_name("table")
            if node is None:
                return None
            kind = node.type
        if kind != "identifier":
            return None
        parts.append(self.s.text(node))
        return ".".join(reversed(parts))

    def pairs(self, statement: Node) -> list[tuple[Node, Node]]:
        key = statement.id
        if key not in self._pairs:
            self._pairs[key] = pairs_of(statement)
        return self._pairs[key]

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
        node = strip(node)
        while depth > 0:
            key = self.path(node)
            bound = self.lookup(key, node.start_byte) if key is not None else None
            if bound is None or bound is node:
                break
            node = strip(bound)
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
        return self.s.span_between(first, last)

    def getenv_name(self, call: Node) -> tuple[str, Node] | None:
        key = call.id
        if key not in self._getenv_reads:
            self._getenv_reads[key] = self._getenv_name(call)
        return self._getenv_reads[key]

    def _getenv_name(self, call: Node) -> tuple[str, Node] | None:
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
        kind = node.type
        if kind == "parenthesized_expression":
            node = strip(node)
            kind = node.type
        if level > MAX_DEPTH:  # a pathological `a or b or c ...` chain
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
        if kind == "binary_expression" and operator_of(node) == "or":
            left = self.resolve(node.child_by_field_name("left"), depth, level + 1)
            right_node = node.child_by_field_name("right")
            if left is not None and left.kind == "env" and left.value is None:
                fallback = self.fallback(right_node)
                value = fallback[0] if fallback is not None else None
                return Source("env", left.span, value=value, env_name=left.env_name)
            return left or self.resolve(right_node, depth, level + 1)
        if kind == "function_call" and self.call_name(node) in ("assert", *PASS_THROUGH):
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

    # -- scope ------------------------------------------------------------------------------

    def binding_of(self, expression: Node) -> str | None:
        """The name an expression is stored in: `local X = e`, `t.x = e`, `{ x = e }` in those."""
        keys: list[str] = []
        node = expression
        for _ in range(MAX_DEPTH):
            parent = node.parent
            if parent is None:
                return None
            kind = parent.type
            if kind == "field":
                key = self.field_key(parent)
                table = parent.parent
                if key is None or table is None:
                    return None
                keys.append(key)
                node = table
                continue
            if kind == "expression_list":
                statement = parent.parent
                if statement is not None and statement.type == "assignment_statement":
                    for target, value in self.pairs(statement):
                        owner = self.path(target) if value == node else None
                        if owner is not None:
                            return ".".join([owner, *reversed(keys)])
            break
        return ".".join(reversed(keys)) if keys else None

    def _getters(self) -> dict[str, tuple[bool, bool]]:
        """Functions that read `os.getenv(<parameter>)`: name -> (errors if unset, has default)."""
        getters: dict[str, tuple[bool, bool]] = {}
        for function in self.functions:
            body = function.child_by_field_name("body")
            # most functions read no environment at all: only those that do need their names
            if body is None or not self.reads_env_in(body):
                continue
            parameters = function.child_by_field_name("parameters")
            if parameters is None:
                continue
            names = parameters.children_by_field_name("name")
            if not names or not self.reads_env_of(body, self.s.text(names[0])):
                continue
            key: str | None
            if function.type == "function_declaration":
                key = self.path(function.child_by_field_name("name"))
            else:
                key = self.binding_of(function)
            if key is not None:
                getters[key] = (self.has_error(body), len(names) > 1)
        return getters

    def reads_env_of(self, body: Node, variable: str) -> bool:
        """Does `body` call getenv with `variable` (its whole text) as the only argument?"""
        return variable in self._getenv_texts(body)

    def reads_env_in(self, body: Node) -> bool:
        """Does `body` call getenv with one argument at all?"""
        return bool(self._getenv_texts(body))

    def _getenv_texts(self, body: Node) -> list[str]:
        if self._env_args is None:
            self._env_args = self._getenv_arguments()
        starts, texts = self._env_args
        low = bisect.bisect_left(starts, body.start_byte)
        high = bisect.bisect_left(starts, body.end_byte)
        return texts[low:high]

    def _getenv_arguments(self) -> tuple[list[int], list[str]]:
        """Start and argument text of every one-argument getenv call, in document order
        (found once: every function and loop body is checked against them)."""
        starts: list[int] = []
        texts: list[str] = []
        names = self.getenv_names
        for call, callee in self.named_calls:
            if callee in names:
                args = self.args(call)
                if len(args) == 1:
                    starts.append(call.start_byte)
                    texts.append(self.s.text(args[0]))
        return starts, texts

    def calls_in(self, node: Node) -> list[Node]:
        low = bisect.bisect_left(self.call_starts, node.start_byte)
        high = bisect.bisect_left(self.call_starts, node.end_byte)
        return self.calls[low:high]


def pairs_of(statement: Node) -> list[tuple[Node, Node]]:
    """(target, value) pairs of an assignment statement, matched by position."""
    targets: list[Node] = []
    values: list[Node] = []
    for child in statement.named_children:
        if child.type == "variable_list":
            targets = child.children_by_field_name("name")
        elif child.type == "expression_list":
            values = child.children_by_field_name("value")
    return list(zip(targets, values, strict=False))


def strip(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        node = inner
    return node


def operator_of(node: Node) -> str | None:
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else None
