"""Kubernetes and Helm secret volumes: the mode each projected key file gets in the pod.

`volumes[].secret` (and `configMap`, and the `secret`/`configMap` sources of a `projected`
volume) project keys as files under the volume's `mountPath`. Their mode is `items[].mode`,
else `defaultMode`, else **0644** (420): world-readable inside the container. Kubernetes reads
YAML with Go's YAML library, so `0400` and `0o400` are octal, `256` is decimal (0400), `400`
is decimal (0o620), a value above 0777 is rejected by the API server, and a quoted mode does
not decode at all. Volumes and mounts are found anywhere in a document (a Pod, a Deployment's
template, a Helm `values.yaml` with `volumes:`/`extraVolumeMounts:`), matched by name within
the document; the keys of a Secret defined in the same file name the files.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Span
from kumolint.parsers._modes_yaml import Mode, go_yaml_mode
from kumolint.parsers._yaml import get, items, scalar, span_of, yaml_extractor

DEFAULT_MODE = 0o644
_SOURCES = (("secret", "secretName", "Secret"), ("configMap", "name", "ConfigMap"))


@yaml_extractor("k8s-volumes")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    secret_keys = _secret_keys(documents)
    for document in documents:
        yield from _document(path, document, secret_keys)


def _secret_keys(documents: list[yaml.Node]) -> dict[str, list[str]]:
    """Secret or ConfigMap name -> its data keys, for the objects defined in this file."""
    found: dict[str, list[str]] = {}
    for document in documents:
        if scalar(get(document, "kind")) not in ("Secret", "ConfigMap"):
            continue
        name = scalar(get(get(document, "metadata"), "name"))
        if name:
            keys = [
                k
                for section in ("data", "stringData")
                for k, _, _ in items(get(document, section))
            ]
            found[name] = keys
    return found


def _document(path: str, document: yaml.Node, secret_keys: dict[str, list[str]]) -> Iterator[Any]:
    volumes: list[yaml.MappingNode] = []
    mounts: dict[str, list[tuple[str, str]]] = {}
    for key, value in _keyed_sequences(document):
        if key.endswith("olumes"):
            volumes.extend(v for v in value.value if isinstance(v, yaml.MappingNode))
        elif key.endswith("olumeMounts"):
            for mount in value.value:
                name, mount_path = scalar(get(mount, "name")), scalar(get(mount, "mountPath"))
                if name and mount_path:
                    sub_path = scalar(get(mount, "subPath")) or ""
                    mounts.setdefault(name, []).append((mount_path, sub_path))
    for volume in volumes:
        name = scalar(get(volume, "name")) or ""
        targets = mounts.get(name) or [(f"<volume {name} is not mounted in this file>", "")]
        yield from _volume(path, volume, targets, secret_keys)


def _keyed_sequences(root: yaml.Node) -> Iterator[tuple[str, yaml.SequenceNode]]:
    """(key, list) pairs anywhere under `root`: each collection once, scalars never pushed."""
    seen: set[int] = set()
    stack = [root]
    collections = (yaml.MappingNode, yaml.SequenceNode)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(value, collections):
                    stack.append(value)
                    if isinstance(value, yaml.SequenceNode) and isinstance(key, yaml.ScalarNode):
                        yield key.value, value
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(v for v in node.value if isinstance(v, collections))


def _volume(
    path: str,
    volume: yaml.MappingNode,
    targets: list[tuple[str, str]],
    secret_keys: dict[str, list[str]],
) -> Iterator[InstalledFile]:
    for kind, name_key, label in _SOURCES:
        source = get(volume, kind)
        if isinstance(source, yaml.MappingNode):
            key_node = next(k for k, v in volume.value if v is source)
            default = _default_mode(path, get(source, "defaultMode"), key_node, kind)
            yield from _projection(path, source, name_key, label, default, targets, secret_keys)
    projected = get(volume, "projected")
    if isinstance(projected, yaml.MappingNode):
        key_node = next(k for k, v in volume.value if v is projected)
        default = _default_mode(path, get(projected, "defaultMode"), key_node, "projected")
        sources = get(projected, "sources")
        for entry in sources.value if isinstance(sources, yaml.SequenceNode) else ():
            for kind, _, label in _SOURCES:
                source = get(entry, kind)
                if isinstance(source, yaml.MappingNode):
                    yield from _projection(
                        path, source, "name", label, default, targets, secret_keys
                    )


def _default_mode(
    path: str, node: yaml.Node | None, key_node: yaml.Node, kind: str
) -> tuple[Mode, Span]:
    if node is None:
        reason = f"Kubernetes {kind} volumes default to defaultMode 0644 (420)"
        return Mode.default(DEFAULT_MODE, reason), span_of(path, key_node)
    return _checked(go_yaml_mode(node, "Kubernetes", strings_are_octal=False)), span_of(path, node)


def _checked(mode: Mode) -> Mode:
    if mode.value is not None and mode.value > 0o777:
        note = f"{mode.raw} is outside 0-0777 (0-511): the API server rejects it"
        return Mode.unknown(mode.raw, note)
    return mode


def _projection(
    path: str,
    source: yaml.MappingNode,
    name_key: str,
    label: str,
    default: tuple[Mode, Span],
    targets: list[tuple[str, str]],
    secret_keys: dict[str, list[str]],
) -> Iterator[InstalledFile]:
    object_name = scalar(get(source, name_key)) or ""
    hint = f"Kubernetes Secret {object_name}" if label == "Secret" else ""
    tool = f"kubernetes {label[0].lower()}{label[1:]} volume"
    files: list[tuple[str, str, tuple[Mode, Span]]] = []
    listed = get(source, "items")
    if isinstance(listed, yaml.SequenceNode):
        for item in listed.value:
            key, file_path = scalar(get(item, "key")), scalar(get(item, "path"))
            mode_node = get(item, "mode")
            chosen = default
            if mode_node is not None:
                read = go_yaml_mode(mode_node, "Kubernetes", strings_are_octal=False)
                chosen = (_checked(read), span_of(path, mode_node))
            files.append((file_path or key or "*", key or "", chosen))
    else:
        keys = secret_keys.get(object_name) or ["*"]
        files.extend((key, key, default) for key in keys)
    for mount_path, sub_path in targets:
        for file_path, key, (mode, span) in files:
            if sub_path and sub_path != file_path:
                continue
            dest = mount_path if sub_path else posixpath.join(mount_path, file_path)
            yield InstalledFile(
                dest=dest,
                mode=mode.value,
                mode_source=mode.source,
                tool=tool,
                span=span,
                owner="root",
                group="root",
                default_reason=mode.reason,
                raw_mode=mode.raw,
                source=f"{object_name}:{key}" if key and key != "*" else object_name or None,
                mode_note=mode.note,
                secret_hint=hint,
                writes=False,  # mounted into a container that starts fresh, not written on a host
            )
