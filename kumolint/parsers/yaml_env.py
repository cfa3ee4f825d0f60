"""Env-style values in YAML: Kubernetes objects and docker-compose `environment:`.

- `kind: Secret`: `stringData` values as written, `data` values base64-decoded (a value that
  does not decode is a ParseError; a decoded PEM block is a PemBlock at the value).
- `kind: ConfigMap`: `data` values (dialect "k8s-configmap").
- any other Kubernetes object: each container's `env: [{name, value}]` (dialect "k8s-env").
- compose (a top-level `services:` mapping whose services have `image` or `build`): each
  service's `environment:` as a mapping (`KEY: value`) or a list (`- KEY=value`).

Spans point at the value scalar; for the list form, at the text after `=`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.facts.env import EnvAssignment
from kumolint.facts.keys import PemBlock
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers._yaml import get, items, scalar, span_of, walk, yaml_extractor

_BASE64 = re.compile(r"[A-Za-z0-9+/=_-]*")
_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")
_LIST_ITEM = re.compile(r"([^=\s]+)=(.*)", re.DOTALL)
_TEMPLATED = re.compile(r"\{\{|\$\{|\{%")
MAX_MERGED_MAPPINGS = 64


@yaml_extractor("env")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    for document in documents:
        kind = scalar(get(document, "kind"))
        if kind == "Secret":
            yield from _secret(path, document)
        elif kind == "ConfigMap":
            yield from _config_map(path, document)
        elif kind is not None and scalar(get(document, "apiVersion")) is not None:
            yield from _container_env(path, document)
        elif _is_compose(document):
            yield from _compose(path, document)


def _config_map(path: str, document: yaml.Node) -> Iterator[EnvAssignment]:
    """ConfigMap `data` is plain text that `envFrom` turns into environment variables."""
    owner = scalar(get(get(document, "metadata"), "name")) or ""
    for name, key_node, value_node in items(get(document, "data")):
        text = scalar(value_node)
        if text is not None:
            yield _assignment(path, name, text, key_node, value_node, "k8s-configmap", owner)


def _container_env(path: str, document: yaml.Node) -> Iterator[EnvAssignment]:
    """`env: [{name, value}]` of every container in a workload (Deployment, Pod, CronJob ...)."""
    for node in walk(document):
        for key in ("containers", "initContainers"):
            containers = get(node, key)
            if not isinstance(containers, yaml.SequenceNode):
                continue
            for container in containers.value:
                owner = scalar(get(container, "name")) or ""
                image = scalar(get(container, "image")) or ""
                env = get(container, "env")
                for entry in env.value if isinstance(env, yaml.SequenceNode) else ():
                    name_node, value_node = get(entry, "name"), get(entry, "value")
                    name, text = scalar(name_node), scalar(value_node)
                    if name is None or text is None or name_node is None or value_node is None:
                        continue
                    yield _assignment(
                        path, name, text, name_node, value_node, "k8s-env", owner, image
                    )


def _secret(path: str, document: yaml.Node) -> Iterator[Any]:
    owner = scalar(get(get(document, "metadata"), "name")) or ""
    for name, key_node, value_node in items(get(document, "stringData")):
        text = scalar(value_node)
        if text is not None:
            yield _assignment(path, name, text, key_node, value_node, "k8s-secret", owner)
    for name, key_node, value_node in items(get(document, "data")):
        encoded = scalar(value_node)
        if encoded is None:
            continue
        if _TEMPLATED.search(encoded):  # Helm/Jinja renders it later: keep the template text
            yield _assignment(path, name, encoded, key_node, value_node, "k8s-secret", owner)
            continue
        decoded = _decode(encoded)
        if decoded is None:
            yield ParseError(
                f"Secret data {name!r} is not valid base64", span_of(path, value_node)
            )
            continue
        yield _assignment(path, name, decoded, key_node, value_node, "k8s-secret", owner)
        yield from _pem_blocks(path, decoded, value_node)


def _decode(encoded: str) -> str | None:
    compact = "".join(encoded.split())
    if not _BASE64.fullmatch(compact):
        return None
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=b"-_")
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", errors="replace")


def _pem_blocks(path: str, decoded: str, node: yaml.Node) -> Iterator[PemBlock]:
    for match in _PEM_BEGIN.finditer(decoded):
        label = match[1].strip()
        block_end = decoded.find(f"-----END {label}-----", match.end())
        body = decoded[match.end() : block_end if block_end != -1 else None]
        encrypted = "ENCRYPTED" in label or "Proc-Type: 4,ENCRYPTED" in body
        yield PemBlock(label, span_of(path, node), block_end != -1, encrypted)


def _is_compose(document: yaml.Node) -> bool:
    services = get(document, "services")
    return any(
        get(service, "image") is not None or get(service, "build") is not None
        for _, _, service in items(services)
    )


def _compose(path: str, document: yaml.Node) -> Iterator[Any]:
    seen: set[int] = set()  # a value shared through an anchor is one fact, not one per service
    for service_name, _, service in items(get(document, "services")):
        image = scalar(get(service, "image")) or ""
        environment = get(service, "environment")
        if isinstance(environment, yaml.MappingNode):
            for name, key_node, value_node in _merged_items(environment):
                text = scalar(value_node)
                if text is None or value_node.tag.endswith(":null") or id(value_node) in seen:
                    continue
                seen.add(id(value_node))
                yield _assignment(
                    path, name, text, key_node, value_node, "compose", service_name, image
                )
        elif isinstance(environment, yaml.SequenceNode):
            for entry in environment.value:
                yield from _list_entry(path, entry, service_name, image)


def _merged_items(mapping: yaml.MappingNode) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """A mapping's items with YAML merge keys (`<<: *common`) resolved; own keys win."""
    found: dict[str, tuple[str, yaml.Node, yaml.Node]] = {}
    pending: list[yaml.Node] = [mapping]
    visited: set[int] = set()
    while pending and len(visited) < MAX_MERGED_MAPPINGS:
        node = pending.pop(0)
        if id(node) in visited or not isinstance(node, yaml.MappingNode):
            continue
        visited.add(id(node))
        for name, key_node, value_node in items(node):
            if name != "<<":
                found.setdefault(name, (name, key_node, value_node))
            elif isinstance(value_node, yaml.SequenceNode):
                pending.extend(value_node.value)
            else:
                pending.append(value_node)
    return list(found.values())


def _list_entry(path: str, entry: yaml.Node, owner: str, image: str) -> Iterator[EnvAssignment]:
    text = scalar(entry)
    match = _LIST_ITEM.fullmatch(text) if text is not None else None
    if match is None:
        return  # `- NAME` alone takes the value from the environment
    name, value = match[1], match[2]
    start, end = entry.start_mark, entry.end_mark
    quote = 1 if getattr(entry, "style", None) in ("'", '"') else 0
    # Exact columns only when the source text is the value itself (no escapes, one line).
    if start.line == end.line and end.index - start.index == len(match[0]) + 2 * quote:
        column = start.column + 1 + quote
        line = start.line + 1
        value_column = column + len(name) + 1
        name_span = Span(path, line, column, line, value_column - 1)
        value_span = Span(path, line, value_column, line, value_column + len(value))
    else:
        name_span = value_span = span_of(path, entry)
    yield EnvAssignment(
        name=name,
        value=Value(value),
        span=value_span,
        name_span=name_span,
        dialect="compose",
        quoted=bool(quote),
        owner=owner,
        image=image,
    )


def _assignment(
    path: str,
    name: str,
    text: str,
    key_node: yaml.Node,
    value_node: yaml.Node,
    dialect: str,
    owner: str,
    image: str = "",
) -> EnvAssignment:
    return EnvAssignment(
        name=name,
        value=Value(text),
        span=span_of(path, value_node),
        name_span=span_of(path, key_node),
        dialect=dialect,
        quoted=getattr(value_node, "style", None) in ("'", '"'),
        owner=owner,
        image=image,
    )
