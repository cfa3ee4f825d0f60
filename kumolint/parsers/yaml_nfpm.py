"""nfpm package contents (`nfpm.yaml`, or `nfpms:` in `.goreleaser.yaml`): packaged file modes.

Each `contents[]` entry installs `src` at `dst` with `file_info.mode`; without it nfpm keeps
the source file's mode minus the config's `umask` (default 0o002), and a file from git is
0644, so an env file ships world-readable. nfpm reads YAML with Go's yaml.v3: `0640` and
`0o640` are octal, `640` is decimal (0o1200), and a quoted mode does not decode. Directories,
symlinks and ghosts install no content and are skipped; a `tree` entry's files keep their modes.
Legacy `files:` / `config_files:` maps (src: dst) have no mode at all.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Span
from kumolint.parsers._modes_yaml import GIT_FILE_MODE, Mode, go_yaml_mode
from kumolint.parsers._yaml import get, items, scalar, span_of, yaml_extractor

DEFAULT_UMASK = 0o002
_NO_CONTENT = frozenset({"dir", "symlink", "ghost"})


@yaml_extractor("nfpm")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    for document in documents:
        configs = get(document, "nfpms")
        if isinstance(configs, yaml.SequenceNode):
            for config in configs.value:
                yield from _config(path, config)
        elif _looks_like_nfpm(document):
            yield from _config(path, document)


def _looks_like_nfpm(document: yaml.Node) -> bool:
    contents = get(document, "contents")
    if isinstance(contents, yaml.SequenceNode):
        return any(get(entry, "dst") is not None for entry in contents.value)
    return get(document, "config_files") is not None and get(document, "maintainer") is not None


def _config(path: str, config: yaml.Node) -> Iterator[InstalledFile]:
    umask = DEFAULT_UMASK
    umask_node = get(config, "umask")
    if umask_node is not None:
        read = go_yaml_mode(umask_node, "nfpm", strings_are_octal=False)
        umask = read.value if read.value is not None else DEFAULT_UMASK
    contents = get(config, "contents")
    for entry in contents.value if isinstance(contents, yaml.SequenceNode) else ():
        yield from _entry(path, entry, umask)
    for section in ("files", "config_files"):
        for source, key_node, dest_node in items(get(config, section)):
            dest = scalar(dest_node)
            if dest:
                mode = _inherited(umask)
                yield _installed(dest, mode, span_of(path, key_node), source, None, None)


def _entry(path: str, entry: yaml.Node, umask: int) -> Iterator[InstalledFile]:
    dest_node = get(entry, "dst")
    dest = scalar(dest_node)
    if not dest or dest_node is None:
        return
    kind = (scalar(get(entry, "type")) or "").strip()
    if kind in _NO_CONTENT:
        return
    info = get(entry, "file_info")
    mode_node = get(info, "mode")
    if kind == "tree":
        dest, mode_node = posixpath.join(dest, "*"), None
    if mode_node is not None:
        mode, span = go_yaml_mode(mode_node, "nfpm", strings_are_octal=False), mode_node
    else:
        mode, span = _inherited(umask), dest_node
    yield _installed(
        dest,
        mode,
        span_of(path, span),
        scalar(get(entry, "src")),
        scalar(get(info, "owner")),
        scalar(get(info, "group")),
    )


def _inherited(umask: int) -> Mode:
    value = GIT_FILE_MODE & ~umask
    reason = f"nfpm keeps the source file's mode (0644 from git) minus umask 0o{umask:03o}"
    return Mode.default(value, reason)


def _installed(
    dest: str,
    mode: Mode,
    span: Span,
    source: str | None,
    owner: str | None,
    group: str | None,
) -> InstalledFile:
    return InstalledFile(
        dest=dest,
        mode=mode.value,
        mode_source=mode.source,
        tool="nfpm",
        span=span,
        owner=owner or "root",
        group=group or "root",
        default_reason=mode.reason,
        raw_mode=mode.raw,
        source=source,
        mode_note=mode.note,
    )
