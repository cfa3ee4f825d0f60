"""Token definitions in deployment YAML: Ansible vars, Helm values, Kubernetes secret refs.

Raw facts only: a variable and its raw value, a `secretKeyRef`, a Secret's key. Which variable
is the injection or the webhook token is configuration, decided by `kumolint.rules._tokens`.
Ansible vars come from `group_vars/`, `host_vars/`, `roles/*/defaults/`, `roles/*/vars/` and
`vars/` (nested keys as dotted names); an inline `!vault` value is marked, never read. Helm
values come from `values*.yaml`. Kubernetes objects are recognised by `apiVersion` + `kind`;
Secrets' keys are EnvAssignment facts of the env extractor (dialect "k8s-secret").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from kumolint.facts.nginx import NginxLocation
from kumolint.facts.tokens import SecretKeyRef, VarDefinition
from kumolint.model import Value
from kumolint.parsers._text import LineIndex
from kumolint.parsers._yaml import get, items, scalar, span_of, walk, yaml_extractor

_ANSIBLE_VARS = re.compile(
    r"(?:^|/)(?:group_vars|host_vars|vars)/|(?:^|/)roles/[^/]+/(?:defaults|vars)/", re.I
)
_HELM_VALUES = re.compile(r"(?:^|/)values(?:[-.][\w.-]+)?\.ya?ml$", re.I)
_MAX_DEPTH = 8
_INGRESS = "nginx.ingress.kubernetes.io/"


@yaml_extractor("tokens")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    ansible = bool(_ANSIBLE_VARS.search(path))
    helm = not ansible and bool(_HELM_VALUES.search(path))
    for document in documents:
        if ansible or helm:
            yield from _variables(path, document, "ansible" if ansible else "helm")
        elif scalar(get(document, "apiVersion")) and scalar(get(document, "kind")):
            yield from _kubernetes(path, document)


def _variables(path: str, document: yaml.Node, source: str) -> Iterator[VarDefinition]:
    """Scalar leaves in document order; nested keys as dotted names, each mapping once."""
    stack = [("", iter(items(document)))]
    seen = {id(document)}
    while stack:
        prefix, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        key, _key_node, value = entry
        name = f"{prefix}{key}"
        if isinstance(value, yaml.ScalarNode):
            vaulted = value.tag == "!vault"
            yield VarDefinition(name, Value(value.value), span_of(path, value), source, vaulted)
        elif isinstance(value, yaml.MappingNode) and id(value) not in seen:
            seen.add(id(value))
            if len(stack) < _MAX_DEPTH:
                stack.append((f"{name}.", iter(items(value))))


def _kubernetes(path: str, document: yaml.Node) -> Iterator[Any]:
    if scalar(get(document, "kind")) == "Ingress":
        yield from _ingress(path, document)
    for node in walk(document):
        ref = get(get(node, "valueFrom"), "secretKeyRef")
        env_name = scalar(get(node, "name"))
        secret_name, secret_key = scalar(get(ref, "name")), scalar(get(ref, "key"))
        if env_name and secret_name and secret_key:
            yield SecretKeyRef(env_name, secret_name, secret_key, span_of(path, node))


def _ingress(path: str, document: yaml.Node) -> Iterator[Any]:
    """An ingress-nginx Ingress: its snippets' checks, and each path as a location.

    `configuration-snippet` is pasted into every location of the Ingress, `server-snippet`
    into the server; `auth-url` is an `auth_request`; `whitelist-source-range` an allow-list.
    ingress-nginx forwards the client's Authorization header unless a snippet strips it.
    """
    from kumolint.parsers._modes_yaml import scalar_locator
    from kumolint.parsers.nginx import fragment_facts

    annotations = get(get(document, "metadata"), "annotations")
    summaries: list[NginxLocation] = []
    for name in ("configuration-snippet", "server-snippet"):
        for key, key_node, value in items(annotations):
            if key != f"{_INGRESS}{name}" or not isinstance(value, yaml.ScalarNode):
                continue
            index = _LocatedIndex(
                value.value, scalar_locator(value, key_node.start_mark.column + 2)
            )
            for fact in fragment_facts(path, value.value, index):
                if isinstance(fact, NginxLocation):
                    summaries.append(fact)
                else:
                    yield fact
    guards = tuple(g for summary in summaries for g in summary.guards)
    auth_header = next((s.auth_header for s in summaries if s.auth_header), None)
    auth_request = any(k == f"{_INGRESS}auth-url" for k, _, _ in items(annotations))
    restricted = any(k == f"{_INGRESS}whitelist-source-range" for k, _, _ in items(annotations))
    for rule in _sequence(get(get(document, "spec"), "rules")):
        for entry in _sequence(get(get(rule, "http"), "paths")):
            service = get(get(entry, "backend"), "service")
            service_name = scalar(get(service, "name"))
            port = get(service, "port")
            number = scalar(get(port, "number")) or scalar(get(port, "name"))
            if service is None or not service_name:
                continue
            target = f"http://{service_name}:{number}" if number else f"http://{service_name}"
            yield NginxLocation(
                span=span_of(path, entry),
                match=scalar(get(entry, "path")) or "/",
                proxy_pass=target,
                proxy_pass_span=span_of(path, service),
                guards=guards,
                auth_request=auth_request,
                auth_header=auth_header,
                restricted=restricted,
            )


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


class _LocatedIndex(LineIndex):
    """Positions of a fragment's offsets inside the YAML scalar that holds it."""

    def __init__(self, text: str, locate: Callable[[int], tuple[int, int]]) -> None:
        super().__init__(text)
        self._locate = locate

    def position(self, offset: int) -> tuple[int, int]:
        return self._locate(offset)
