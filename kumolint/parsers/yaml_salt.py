"""SaltStack states (`*.sls`): files managed with a mode, and services that watch them.

SLS is Jinja first and YAML second. Nothing is rendered: Jinja statements and comments are
blanked and `{{ … }}` expressions replaced by same-length filler (so positions stay true); a
mode written with Jinja is unknown. A template that still is not YAML is skipped quietly; plain
YAML that does not compose is a KL001.

Salt reads every digit string as an octal mode: its loader drops the leading zeros of ints and
`normalize_mode` pads the digits back, so `644`, `0644` and `'0644'` all mean 0644 (unlike
Ansible). `mode: keep` copies the source file's mode (0644 from git). Without `mode`, a new file
gets the minion's umask (0644 under 022). `file.managed`, `file.copy`, `file.serialize` and
`file.decode` become InstalledFile facts; `service.running` states become ServiceRestart
facts (handler `salt:<state id>`), and a file state watched by one (`watch`, `listen`,
`onchanges`, or `watch_in`/`listen_in`/`onchanges_in` on the file) notifies it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.parsers import parser
from kumolint.parsers._modes_yaml import Mode, is_template, salt_mode
from kumolint.parsers._yaml import (
    TEMPLATE_FILLER,
    blank_templates,
    compose,
    is_templated,
    items,
    restore_templates,
    scalar,
    span_of,
)

_FILE_FUNCTIONS = frozenset({"managed", "copy", "serialize", "decode"})
_WATCH = ("watch", "listen", "onchanges")
_WATCH_IN = ("watch_in", "listen_in", "onchanges_in")


@dataclass
class _State:
    id: str
    module: str
    function: str
    key_node: yaml.Node
    args: dict[str, yaml.Node] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        return scalar(self.args.get(name))

    @property
    def name(self) -> str:
        return self.text("name") or self.id

    def requisites(self, keys: tuple[str, ...]) -> list[tuple[str, str]]:
        """(module, id or name) pairs of requisite lists like `- watch: [{file: x}]`."""
        found: list[tuple[str, str]] = []
        for key in keys:
            for entry in _sequence(self.args.get(key)):
                found.extend((module, scalar(ref) or "") for module, _, ref in items(entry))
        return found


@parser("salt", globs=("*.sls",))
def parse(path: str, text: str) -> Iterator[Any]:
    first = text.lstrip().partition("\n")[0]
    if first.startswith("#!") and "yaml" not in first:
        return  # a Python, pyobjects or other renderer: not YAML
    templated = is_templated(text)
    source = blank_templates(text) if templated else text
    documents, errors = compose(path, source)
    if not templated:
        yield from errors
    states = [s for document in documents for s in _states(document)]
    yield from sorted(_facts(path, states), key=lambda fact: (fact.span.line, fact.span.column))


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _states(document: yaml.Node, top: bool = True) -> Iterator[_State]:
    for state_id, _, body in items(document):
        if state_id == "extend" and top:
            yield from _states(body, top=False)
            continue
        for declaration, key_node, value in items(body):
            module, _, function = declaration.partition(".")
            state = _State(state_id, module, function, key_node)
            for entry in _sequence(value):
                if isinstance(entry, yaml.ScalarNode) and not state.function:
                    state.function = entry.value
                for arg, _, arg_value in items(entry):
                    state.args[arg] = arg_value
            if state.function:
                yield state


def _facts(path: str, states: list[_State]) -> Iterator[Any]:
    services = [s for s in states if s.module == "service" and s.function == "running"]
    watchers: dict[tuple[str, str], list[str]] = {}
    for service in services:
        for module, ref in service.requisites(_WATCH):
            watchers.setdefault((module, ref), []).append(f"salt:{service.id}")
        action = "reload" if (service.text("reload") or "").lower() == "true" else "restart"
        yield ServiceRestart(
            service.name, action, span_of(path, service.key_node), handler=f"salt:{service.id}"
        )
    for state in states:
        if state.module == "file" and state.function in _FILE_FUNCTIONS:
            notifies = [*watchers.get(("file", state.id), ())]
            if state.name != state.id:
                notifies.extend(watchers.get(("file", state.name), ()))
            for module, ref in state.requisites(_WATCH_IN):
                target = next((s for s in services if ref in (s.id, s.name)), None)
                if module == "service":
                    notifies.append(f"salt:{target.id if target else ref}")
            yield _installed(path, state, tuple(dict.fromkeys(notifies)))
        elif state.module == "file" and state.function == "directory":
            yield from _directory_files(path, state)


def _directory_files(path: str, state: _State) -> Iterator[InstalledFile]:
    """`file.directory` with `file_mode` and `recurse: [mode]` chmods every file inside."""
    file_mode = state.args.get("file_mode")
    recurse = {scalar(n) for n in _sequence(state.args.get("recurse"))}
    if file_mode is None or "mode" not in recurse:
        return
    text = scalar(file_mode) or ""
    mode = (
        Mode.unknown(restore_templates(text)) if TEMPLATE_FILLER in text else salt_mode(file_mode)
    )
    yield InstalledFile(
        dest=posixpath.join(restore_templates(state.name), "*"),
        mode=mode.value,
        mode_source=mode.source,
        tool="salt file.directory",
        span=span_of(path, file_mode),
        owner=_plain(state.text("user")),
        group=_plain(state.text("group")),
        raw_mode=mode.raw,
        mode_note=mode.note,
        writes=False,
    )


def _plain(text: str | None) -> str | None:
    return text if text and TEMPLATE_FILLER not in text and not is_template(text) else None


def _installed(path: str, state: _State, notifies: tuple[str, ...]) -> InstalledFile:
    mode_node = state.args.get("mode")
    if mode_node is not None and TEMPLATE_FILLER in (scalar(mode_node) or ""):
        mode, span = (
            Mode.unknown(restore_templates(scalar(mode_node) or "")),
            span_of(path, mode_node),
        )
    elif mode_node is not None:
        mode, span = salt_mode(mode_node), span_of(path, mode_node)
    else:
        reason = "Salt creates a new file with the minion's umask (0644 under 022)"
        mode, span = Mode.default(0o644, reason), span_of(path, state.key_node)
    hint = ""
    if "contents_pillar" in state.args:
        hint = "contents_pillar"
    elif (state.text("show_changes") or "").lower() == "false":
        hint = "show_changes: False"
    owner, group = state.text("user"), state.text("group")
    return InstalledFile(
        dest=restore_templates(state.name),
        mode=mode.value,
        mode_source=mode.source,
        tool=f"salt file.{state.function}",
        span=span,
        owner=_plain(owner),
        group=_plain(group),
        default_reason=mode.reason,
        raw_mode=mode.raw,
        source=restore_templates(state.text("source") or "") or None,
        notifies=notifies,
        mode_note=mode.note,
        secret_hint=hint,
    )
