"""cloud-init `write_files`: the mode of each file cloud-init writes on first boot.

cloud-init's `decode_perms` takes an int as-is (PyYAML: `0600` is 384, `600` is decimal, mode
0o1130), parses anything else with `int(str, 8)`, and for a value it cannot read only logs a
warning and writes **0644** — the same as when `permissions` is missing. `owner` defaults to
`root:root`. Cloud-config often lives in extensionless `user-data` files or Terraform
templates (`cloud-config.yml.tpl`); those are read here when they start with `#cloud-config`.
Unit text written to a unit or drop-in path is read as a unit.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.facts.modes import InstalledFile
from kumolint.parsers import parser
from kumolint.parsers._modes_yaml import Mode, cloudinit_mode, scalar_locator, shell_facts
from kumolint.parsers._yaml import compose, get, scalar, span_of, yaml_extractor

_HEADER = re.compile(r"\A\s*#cloud-config\b")
_TEMPLATE_MARKS = ("${", "%{", "{{", "{%")
_UNIT_PATH = re.compile(r"\.(service|socket)(\.d/[^/]+\.conf)?$")


@parser(
    "cloud-init",
    globs=(
        "user-data",
        "user-data.txt",
        "user_data",
        "userdata",
        "cloud-config",
        "cloud-config.txt",
        "cloud-init",
        "cloud-init.cfg",
        "cloud.cfg",
        "**/cloud.cfg.d/*.cfg",
        "*.yml.tpl",
        "*.yaml.tpl",
        "*.yml.tftpl",
        "*.yaml.tftpl",
        "cloud-config*.tpl",
        "cloud-init*.tpl",
        "user-data*.tpl",
    ),
)
def parse(path: str, text: str) -> Iterator[Any]:
    """Cloud-config outside `*.yml`/`*.yaml` (those reach `extract` through the YAML parser)."""
    if not _HEADER.match(text):
        return  # a shell user-data script, a MIME bundle, or another template
    documents, errors = compose(path, text)
    if not any(mark in text for mark in _TEMPLATE_MARKS):
        yield from errors  # a template may be invalid YAML until it is rendered
    yield from extract(path, documents)


@yaml_extractor("cloud-init")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    for document in documents:
        entries = get(document, "write_files")
        if isinstance(entries, yaml.SequenceNode):
            for entry in entries.value:
                if isinstance(entry, yaml.MappingNode):
                    yield from _write_file(path, entry)
        yield from _runcmd(path, document)


def _write_file(path: str, entry: yaml.MappingNode) -> Iterator[Any]:
    target_node = get(entry, "path")
    target = scalar(target_node)
    if not target or target_node is None:
        return
    permissions = get(entry, "permissions")
    mode = cloudinit_mode(permissions) if permissions is not None else _missing()
    span = span_of(path, permissions if permissions is not None else target_node)
    owner_text = scalar(get(entry, "owner")) or "root:root"
    owner, _, group = owner_text.partition(":")
    yield InstalledFile(
        dest=target,
        mode=mode.value,
        mode_source=mode.source,
        tool="cloud-init write_files",
        span=span,
        owner=owner or None,
        group=group or None,
        default_reason=mode.reason,
        raw_mode=mode.raw,
        mode_note=mode.note,
        writes=False,  # written on first boot, before any service it configures starts
    )
    content = get(entry, "content")
    if isinstance(content, yaml.ScalarNode) and _UNIT_PATH.search(target):
        yield from _embedded_unit(path, target, entry, content)


def _runcmd(path: str, document: yaml.Node) -> Iterator[Any]:
    """`runcmd` string entries run as one shell script on first boot: the shell model reads
    their chmod/install/redirections. (List entries are argv vectors: not followed.)"""
    commands = get(document, "runcmd")
    if not isinstance(commands, yaml.SequenceNode) or not isinstance(document, yaml.MappingNode):
        return
    key_column = next(k.start_mark.column for k, v in document.value if v is commands)
    pieces = [
        (entry, key_column + 4)
        for entry in commands.value
        if isinstance(entry, yaml.ScalarNode) and not _templated(entry.value)
    ]
    if pieces:
        yield from shell_facts(path, pieces, "cloud-init runcmd ")


def _templated(text: str) -> bool:
    return any(mark in text for mark in _TEMPLATE_MARKS)


def _missing() -> Mode:
    return Mode.default(0o644, "cloud-init writes files without permissions as 0644")


def _embedded_unit(
    path: str, target: str, entry: yaml.MappingNode, content: yaml.ScalarNode
) -> Iterator[Any]:
    from kumolint.parsers.systemd import unit_facts, unit_name

    text = content.value
    locate = scalar_locator(content, _key_column(entry, content) + 2)
    encoding = (scalar(get(entry, "encoding")) or "").strip().lower()
    if encoding in ("b64", "base64"):
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return
        start = (content.start_mark.line + 1, content.start_mark.column + 1)
        locate = lambda offset: start  # noqa: E731 - decoded text has no place in the file
    elif encoding:
        return  # gzip: not worth unpacking for a unit
    unit, dropin = unit_name(target)
    yield from unit_facts(path, text, unit, dropin, locate, strict=False, target=target)


def _key_column(entry: yaml.MappingNode, value: yaml.Node) -> int:
    for key, item in entry.value:
        if item is value:
            return int(key.start_mark.column)
    return 0
