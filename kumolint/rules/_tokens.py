"""The role model of tokens: which places define or use the injection and the webhook token.

Every env assignment, policy auth header, Nginx bearer check, Ansible/Helm variable and
Kubernetes secret reference becomes graph nodes joined by what the files say: `NAME=value`
joins `env:NAME` and the value, `x: "{{ vault_x }}"` joins `var:x` and `var:vault_x`, a
`secretKeyRef` joins `env:NAME` and `secret:name/key`. Values are nodes keyed by their digest
(placeholders and trivial values are not nodes), so equal tokens meet in one node however many
files hold them: one breadth-first search from the injection places is linear, never a
pairwise compare. A webhook-token place connected to an injection-token place is a reuse.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kumolint.config import Config
from kumolint.facts.env import EnvAssignment
from kumolint.facts.lua import HttpAuth
from kumolint.facts.nginx import BearerCheck, TokenText
from kumolint.facts.tokens import SecretKeyRef, TokenRef, VarDefinition
from kumolint.finding import Span
from kumolint.model import RepoModel, Value
from kumolint.values import is_placeholder, is_trivial

INJECTION = "injection-token"
WEBHOOK = "webhook-token"
ROLES = (INJECTION, WEBHOOK)

_ENV_REF = re.compile(r"\$\{(\w+)(?:[:?-][^}]*)?\}|\$(\w+)")
_TEMPLATE_REF = re.compile(r"\{\{-?\s*([A-Za-z_][\w.]*)[^}]*\}\}")


@dataclass
class TokenGraph:
    """Nodes joined by what the files say; each role place is attached to one node."""

    edges: dict[str, list[str]] = field(default_factory=dict)
    places: list[tuple[TokenRef, str]] = field(default_factory=list)
    value_nodes: dict[str, str | None] = field(default_factory=dict, repr=False)

    def join(self, a: str, b: str) -> None:
        self.edges.setdefault(a, []).append(b)
        self.edges.setdefault(b, []).append(a)

    def value_node(self, value: Value | None) -> str | None:
        """`value_node`, judged and hashed once per distinct text in this graph."""
        if value is None:
            return None
        if value.text not in self.value_nodes:
            self.value_nodes[value.text] = value_node(value)
        return self.value_nodes[value.text]

    def place(self, ref: TokenRef, node: str) -> None:
        self.edges.setdefault(node, [])
        self.places.append((ref, node))

    def nearest(self, role: str) -> dict[str, TokenRef]:
        """For every node connected to a place of `role`, the nearest such place.

        One breadth-first search from all those places at once (ties go to the first place
        in path order): linear in nodes and edges however many files share a token.
        """
        nearest: dict[str, TokenRef] = {}
        queue: deque[str] = deque()
        for ref, node in sorted(self.places, key=lambda p: p[0].span):
            if ref.role == role and node not in nearest:
                nearest[node] = ref
                queue.append(node)
        while queue:
            node = queue.popleft()
            for neighbour in self.edges.get(node, ()):
                if neighbour not in nearest:
                    nearest[neighbour] = nearest[node]
                    queue.append(neighbour)
        return nearest


def role_of(name: str, config: Config) -> str | None:
    """The token role a variable plays, by the configured names (any case, `_`/`-`/`.` free)."""
    wanted = _normal(name)
    for role in ROLES:
        if any(_normal(n) == wanted for n in config.role_names(role)):
            return role
    return None


def value_node(value: Value | None) -> str | None:
    """The node of a literal that could be a token; placeholders and trivia are no token."""
    if value is None or is_placeholder(value.text) or is_trivial(value.text):
        return None
    return f"value:{value.digest}"


def reference_of(text: str) -> tuple[str, str, str] | None:
    """(kind, name, node) when `text` is just one `${ENV}` or `{{ var }}` reference."""
    stripped = text.strip().strip("'\"")
    match = _ENV_REF.fullmatch(stripped)
    if match:
        name = match[1] or match[2]
        return "env-var", name, f"env:{name}"
    match = _TEMPLATE_REF.fullmatch(stripped)
    if match:
        name = match[1].removeprefix(".Values.")
        kind = "vault-var" if name.startswith("vault_") else "template-var"
        return kind, name, f"var:{name}"
    return None


def build_graph(model: RepoModel) -> TokenGraph:
    graph = TokenGraph()
    config = model.config
    for assignment in model.of(EnvAssignment):
        _define(graph, config, f"env:{assignment.name}", assignment.name, assignment)
        if assignment.dialect == "k8s-secret" and assignment.owner:
            graph.join(f"secret:{assignment.owner}/{assignment.name}", f"env:{assignment.name}")
    for variable in model.of(VarDefinition):
        _define(graph, config, f"var:{variable.name}", variable.name, variable)
    for key_ref in model.of(SecretKeyRef):
        node = f"env:{key_ref.env_name}"
        name = f"{key_ref.secret}/{key_ref.key}"
        graph.join(node, f"secret:{name}")
        role = role_of(key_ref.env_name, config)
        if role:
            ref = TokenRef(role, "secret-ref", name, None, key_ref.span, key_ref.env_name)
            graph.place(ref, node)
    for auth in model.of(HttpAuth):
        for ref, node in _policy_places(graph, auth):
            graph.place(ref, node)
            if ref.kind == "env-var" and ref.name and role_of(ref.name, config) == INJECTION:
                _named_reference(graph, config, ref.kind, ref.name, node, ref.span)
    for check in model.of(BearerCheck):
        placed = _nginx_place(graph, check)
        if placed is not None:
            graph.place(*placed)
    return graph


def reuses(model: RepoModel) -> Iterator[tuple[TokenRef, TokenRef]]:
    """(webhook place, nearest injection place) for every webhook place sharing a token."""
    graph = build_graph(model)
    nearest = graph.nearest(INJECTION)
    seen: set[Span] = set()  # one finding per place (`os.getenv(X) or 'literal'` is one)
    for ref, node in graph.places:
        if ref.role == WEBHOOK and node in nearest and ref.span not in seen:
            seen.add(ref.span)
            yield ref, nearest[node]


def token_refs(model: RepoModel) -> list[TokenRef]:
    """Every role place in the repo, in path order (for `kumolint` users and tests)."""
    return sorted((ref for ref, _ in build_graph(model).places), key=lambda r: r.span)


def _define(
    graph: TokenGraph,
    config: Config,
    node: str,
    name: str,
    fact: EnvAssignment | VarDefinition,
) -> None:
    """`name = value`: join the name's node with what the value is or refers to."""
    value = fact.value
    vaulted = isinstance(fact, VarDefinition) and fact.vaulted
    reference = reference_of(value.text) if value is not None and not vaulted else None
    kind, ref_name = "literal", None
    if reference is not None:
        kind, ref_name, target = reference
        graph.join(node, target)
        _named_reference(graph, config, kind, ref_name, target, fact.span)
    elif vaulted:
        kind, ref_name = "vault-var", name
    else:
        target_value = graph.value_node(value)
        if target_value is not None:
            graph.join(node, target_value)
    role = role_of(name, config) or role_of(name.rpartition(".")[2], config)
    if role:
        literal = value if kind == "literal" else None
        graph.place(TokenRef(role, kind, ref_name, literal, fact.span, name), node)


def _named_reference(
    graph: TokenGraph, config: Config, kind: str, name: str, node: str, span: Span
) -> None:
    """A reference to a variable named for a role is a place of that role, defined or not.

    `ping8_webhook_token: "{{ ping8_injection_token }}"` reuses the injection token even when
    the repository never defines `ping8_injection_token` itself.
    """
    role = role_of(name, config)
    if role:
        graph.place(TokenRef(role, kind, name, None, span, name), node)


def _policy_places(graph: TokenGraph, auth: HttpAuth) -> Iterable[tuple[TokenRef, str]]:
    token = auth.token
    if token.kind == "env" and token.env_name:
        name = token.env_name
        yield TokenRef(WEBHOOK, "env-var", name, None, token.span, name), f"env:{name}"
        fallback = graph.value_node(token.value)
        if fallback is not None:
            label = f"{name} fallback"
            yield TokenRef(WEBHOOK, "literal", None, token.value, token.span, label), fallback
    elif token.kind == "literal":
        node = graph.value_node(token.value)
        if node is not None:
            label = f"webhook {auth.header} header"
            yield TokenRef(WEBHOOK, "literal", None, token.value, token.span, label), node


def _nginx_place(graph: TokenGraph, check: BearerCheck) -> tuple[TokenRef, str] | None:
    token: TokenText = check.token
    if token.kind == "literal":
        node = graph.value_node(token.value)
        if node is None:
            return None
        ref = TokenRef(INJECTION, "literal", None, token.value, check.span, "Nginx bearer check")
        return ref, node
    if token.kind == "env-var" and token.name:
        ref = TokenRef(INJECTION, "env-var", token.name, None, check.span, token.name)
        return ref, f"env:{token.name}"
    if token.kind == "template-var" and token.name:
        name = token.name.removeprefix(".Values.")
        kind = "vault-var" if name.startswith("vault_") else "template-var"
        return TokenRef(INJECTION, kind, name, None, check.span, name), f"var:{name}"
    return None


def _normal(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())
