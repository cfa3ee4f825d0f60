"""docker compose secrets and configs: the mode of each file mounted into a service.

A service's `secrets:` entry (short form `- name`, or long form `{source, target, uid, gid,
mode}`) mounts the secret at `/run/secrets/<target or source>` (a relative target is taken
under `/run/secrets/`). Without `mode` the file is **0444**, world-readable in the container.
compose-go reads YAML with Go's library: `0440` and `0o440` are octal, `440` is decimal
(0o670), and a quoted `"0440"` is read as octal. Plain (non-Swarm) compose bind-mounts a
`file:` secret and ignores `mode`, `uid` and `gid`: the host file's mode applies (said in the
fact's note). `configs:` work the same way (target default `/<name>`), but are not secret by
themselves: only a secret destination makes them a finding.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from kumolint.facts.modes import InstalledFile
from kumolint.parsers._modes_yaml import Mode, go_yaml_mode
from kumolint.parsers._yaml import get, items, scalar, span_of, yaml_extractor

SECRETS_DIR = "/run/secrets"
DEFAULT_MODE = 0o444
_BIND_NOTE = (
    "plain docker compose bind-mounts file sources and ignores mode: the host file's mode applies"
)


@yaml_extractor("compose-secrets")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    for document in documents:
        services = get(document, "services")
        if not isinstance(services, yaml.MappingNode):
            continue
        for kind in KINDS:
            files = {
                name: scalar(get(definition, "file"))
                for name, _, definition in items(get(document, kind.section))
            }
            for _, _, service in items(services):
                entries = get(service, kind.section)
                if isinstance(entries, yaml.SequenceNode):
                    for entry in entries.value:
                        yield from _secret(path, entry, files, kind)


@dataclass(frozen=True)
class _Kind:
    section: str  # "secrets" | "configs"
    directory: str  # where a relative target goes
    label: str
    secret: bool


KINDS = (
    _Kind("secrets", SECRETS_DIR, "secret", secret=True),
    _Kind("configs", "/", "config", secret=False),
)


def _secret(
    path: str, entry: yaml.Node, files: dict[str, str | None], kind: _Kind
) -> Iterator[Any]:
    anchor: yaml.Node
    mode_node: yaml.Node | None
    if isinstance(entry, yaml.ScalarNode):
        source, target, mode_node, anchor = entry.value, None, None, entry
        uid = gid = None
    elif isinstance(entry, yaml.MappingNode):
        source_node = get(entry, "source")
        source = scalar(source_node) or ""
        target = scalar(get(entry, "target"))
        mode_node = get(entry, "mode")
        uid, gid = scalar(get(entry, "uid")), scalar(get(entry, "gid"))
        anchor = source_node or entry
    else:
        return
    if not source:
        return
    if mode_node is not None:
        mode = go_yaml_mode(mode_node, "docker compose", strings_are_octal=True)
        span = span_of(path, mode_node)
    else:
        reason = f"docker compose mounts {kind.section} 0444 when mode is not set"
        mode, span = Mode.default(DEFAULT_MODE, reason), span_of(path, anchor)
    file_source = files.get(source)
    notes = [mode.note] if mode.note else []
    if file_source:
        notes.append(_BIND_NOTE)
    yield InstalledFile(
        dest=posixpath.join(kind.directory, target or source),
        mode=mode.value,
        mode_source=mode.source,
        tool=f"docker compose {kind.label}",
        span=span,
        owner=uid or "root",
        group=gid or "root",
        default_reason=mode.reason,
        raw_mode=mode.raw,
        source=file_source,
        mode_note="; ".join(notes),
        secret_hint=f"compose secret {source}" if kind.secret else "",
        writes=False,  # mounted into a container that starts fresh, not written on a host
    )
