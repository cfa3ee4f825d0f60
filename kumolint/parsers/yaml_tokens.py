"""Token definitions in deployment YAML: Ansible vars, Helm values, Kubernetes secret refs.

Raw facts only: a variable and its raw value, a `secretKeyRef`, a Secret's key. Which variable
is the injection or the webhook token is configuration, decided by `kumolint.rules._tokens`.
Ansible vars come from `group_vars/`, `host_vars/`, `roles/*/defaults/`, `roles/*/vars/` and
`vars/` (nested keys as dotted names); an inline `!vault` value is marked, never read. Helm
values come from `values*.yaml`. Kubernetes objects are recognised by `apiVersion` + `kind`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.facts.tokens import SecretData, SecretKeyRef, VarDefinition
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
    stack: list[tuple[str, yaml.Node, int]] = [("", document, 0)]
    seen: set[int] = set()
    while stack:
        prefix, node, depth = stack.pop()
        if id(node) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(node))
        for key, _key_node, value in reversed(items(node)):
            name = f"{prefix}{key}"
            if isinstance(value, yaml.ScalarNode):
                vaulted = value.tag == "!vault"
                yield VarDefinition(
                    name, Value(value.value), span_of(path, value), source, vaulted
                )
            elif isinstance(value, yaml.MappingNode):
                stack.append((f"{name}.", value, depth + 1))


def _kubernetes(path: str, document: yaml.Node) -> Iterator[Any]:
    kind = scalar(get(document, "kind"))
    if kind == "Secret":
        secret = scalar(get(get(document, "metadata"), "name")) or ""
        for key, _key_node, value in items(get(document, "stringData")):
            if isinstance(value, yaml.ScalarNode):
                yield SecretData(secret, key, Value(value.value), span_of(path, value))
        for key, _key_node, value in items(get(document, "data")):
            if isinstance(value, yaml.ScalarNode):
                yield SecretData(secret, key, _decode(value.value), span_of(path, value))
        return
    for node in walk(document):
        ref = get(get(node, "valueFrom"), "secretKeyRef")
        env_name = scalar(get(node, "name"))
        secret_name, secret_key = scalar(get(ref, "name")), scalar(get(ref, "key"))
        if env_name and secret_name and secret_key:
            yield SecretKeyRef(env_name, secret_name, secret_key, span_of(path, node))


def _decode(text: str) -> Value | None:
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
        return Value(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        return None
