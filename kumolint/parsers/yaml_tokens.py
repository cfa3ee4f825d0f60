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
from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.facts.tokens import SecretKeyRef, VarDefinition
from kumolint.model import Value
from kumolint.parsers._yaml import get, items, scalar, span_of, walk, yaml_extractor

_ANSIBLE_VARS = re.compile(
    r"(?:^|/)(?:group_vars|host_vars|vars)/|(?:^|/)roles/[^/]+/(?:defaults|vars)/", re.I
)
_HELM_VALUES = re.compile(r"(?:^|/)values(?:[-.][\w.-]+)?\.ya?ml$", re.I)
_MAX_DEPTH = 8


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
    for node in walk(document):
        ref = get(get(node, "valueFrom"), "secretKeyRef")
        env_name = scalar(get(node, "name"))
        secret_name, secret_key = scalar(get(ref, "name")), scalar(get(ref, "key"))
        if env_name and secret_name and secret_key:
            yield SecretKeyRef(env_name, secret_name, secret_key, span_of(path, node))
