"""Ansible playbooks, task and handler files: files written with modes, and service restarts.

A document is Ansible when it is a list of plays (`hosts:`) or of tasks that use a module we
know; a handlers file is a task list under a `handlers/` directory. Modules that write or
chmod files (`copy`, `template`, `file`, `lineinfile`, `blockinfile`, `assemble`, `get_url`,
`ini_file`; FQCN or short name, free-form `k=v` or a mapping, `args:`, `action:`) become
InstalledFile facts with Ansible's own reading of `mode` (see `_modes_yaml.ansible_mode`),
`module_defaults` from the play, block or task; tasks and handlers that restart or reload a
service (`service`/`systemd` with `state: restarted|reloaded`, `systemctl restart x` in
`command`/`shell`) become ServiceRestart facts. Unit text written with `copy: content:` to a
unit or drop-in path is read as a unit, so its `EnvironmentFile=` counts.

Nothing is rendered: a Jinja `mode` is unknown. Lists and blocks are walked with an explicit
stack and each node once, so aliases and deep nesting cost nothing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import yaml

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.finding import Span
from kumolint.parsers._modes_yaml import (
    INT_TAG,
    NEW_FILE_MODE,
    STR_TAG,
    Mode,
    ansible_mode,
    is_template,
    scalar_locator,
    shell_facts,
)
from kumolint.parsers._yaml import items, scalar, span_of, yaml_extractor

_PREFIXES = ("ansible.builtin.", "ansible.legacy.", "community.general.", "ansible.posix.")
_CREATING = frozenset({"copy", "template", "assemble", "get_url"})
_EDITING = frozenset({"lineinfile", "blockinfile", "ini_file", "replace"})
_FILE_MODULES = _CREATING | _EDITING | {"file"}
_SERVICE_MODULES = frozenset({"service", "systemd", "systemd_service", "sysvinit"})
_COMMAND_MODULES = frozenset({"command", "shell", "raw"})
_MODULES = _FILE_MODULES | _SERVICE_MODULES | _COMMAND_MODULES
_PLAY_LISTS = ("pre_tasks", "tasks", "post_tasks")
_BLOCK_LISTS = ("block", "rescue", "always")
_STATES = {"restarted": "restart", "reloaded": "reload"}
_TRAILING_OPTIONS = re.compile(
    r"(?:\s+(?:chdir|creates|removes|executable|warn|stdin|stdin_add_newline|strip_empty_ends)"
    r"=\S*)+\s*$"
)
_UNIT_DEST = re.compile(r"\.(service|socket)(\.d/[^/]+\.conf)?$")
# Bounded inner lengths keep an unclosed `{{` or quote from costing a rescan per occurrence.
_FREE_FORM_WORD = re.compile(
    r"""(?:\{\{.{0,500}?\}\}|\{%.{0,500}?%\}|"(?:\\.|[^"\\]){0,2000}"|'[^']{0,2000}'|\S)+"""
)
_ITEM = re.compile(r"\{\{\s*item(?:\.([A-Za-z_]\w*)|\[['\"]([A-Za-z_]\w*)['\"]\])?\s*\}\}")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
MAX_LOOP_ITEMS = 256
_LOOP_NOTE = "the mode comes from a loop item, which Ansible templates: quote it ('0640')"
_KEY_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


@dataclass(frozen=True)
class _Arg:
    """One module argument: its node (a synthetic string node for free-form `k=v`)."""

    node: yaml.Node
    given_span: Span | None = None  # free-form `k=v`: the value inside the string
    key_column: int = 0  # 0-based column of the argument's key
    from_loop: bool = False  # filled in from a `loop` element

    def span(self, path: str) -> Span:
        return self.given_span or span_of(path, self.node)


Args = dict[str, _Arg]
Defaults = dict[str, Args]
Variables = dict[str, yaml.Node]


def short_name(module: str) -> str:
    for prefix in _PREFIXES:
        if module.startswith(prefix):
            return module[len(prefix) :]
    return module


def fqcn(short: str) -> str:
    return f"community.general.{short}" if short == "ini_file" else f"ansible.builtin.{short}"


@yaml_extractor("ansible")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    in_handlers = "/handlers/" in f"/{path}"
    for document in documents:
        if isinstance(document, yaml.SequenceNode) and _looks_like_ansible(document):
            yield from sorted(_walk(path, document, in_handlers), key=_position)


def _position(fact: Any) -> tuple[int, int]:
    span: Span = fact.span
    return span.line, span.column


def _looks_like_ansible(document: yaml.SequenceNode) -> bool:
    for entry in document.value:
        keys = {key for key, _, _ in items(entry)}
        if keys & {"hosts", "import_playbook", "block", "include_tasks", "import_tasks"}:
            return True
        if any(short_name(key) in _MODULES for key in keys) or "action" in keys:
            return True
    return False


def _walk(path: str, document: yaml.SequenceNode, in_handlers: bool) -> Iterator[Any]:
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, bool, Defaults, Variables]] = [(document, in_handlers, {}, {})]
    while stack:
        node, handler, defaults, variables = stack.pop()
        if not isinstance(node, yaml.SequenceNode) or id(node) in seen:
            continue
        seen.add(id(node))
        for entry in reversed(node.value):
            if not isinstance(entry, yaml.MappingNode) or id(entry) in seen:
                continue
            seen.add(id(entry))
            keys = {key: value for key, _, value in items(entry)}
            scope = _merge_defaults(path, defaults, keys.get("module_defaults"))
            names = _merge_variables(variables, keys.get("vars"))
            if "hosts" in keys:
                stack.append((keys.get("handlers", _EMPTY), True, scope, names))
                stack.extend((keys.get(name, _EMPTY), False, scope, names) for name in _PLAY_LISTS)
            elif any(name in keys for name in _BLOCK_LISTS):
                stack.extend(
                    (keys.get(name, _EMPTY), handler, scope, names) for name in _BLOCK_LISTS
                )
            else:
                yield from _task(path, entry, keys, handler, scope, names)


def _merge_variables(outer: Variables, node: yaml.Node | None) -> Variables:
    """Play, block and task `vars:` (inner wins). Only literal values are of use here."""
    if not isinstance(node, yaml.MappingNode):
        return outer
    return {**outer, **{key: value for key, _, value in items(node)}}


_EMPTY = yaml.SequenceNode("tag:yaml.org,2002:seq", [])


def _merge_defaults(path: str, outer: Defaults, node: yaml.Node | None) -> Defaults:
    if not isinstance(node, yaml.MappingNode):
        return outer
    merged = dict(outer)
    for module, _, args in items(node):
        if isinstance(args, yaml.MappingNode):
            name = short_name(module)
            merged[name] = {**merged.get(name, {}), **_mapping_args(path, args)}
    return merged


def _mapping_args(path: str, node: yaml.Node) -> Args:
    return {
        key: _Arg(value, None, key_node.start_mark.column) for key, key_node, value in items(node)
    }


def _free_form_args(path: str, node: yaml.ScalarNode) -> tuple[Args, str]:
    """`src=a dest=/x mode=0644` -> arguments (all strings, as Ansible reads them) + the rest."""
    text = node.value
    single_line = node.start_mark.line == node.end_mark.line
    shift = 1 if node.style in ("'", '"') else 0
    args: Args = {}
    rest: list[str] = []
    for match in _FREE_FORM_WORD.finditer(text):
        pair = _KEY_VALUE.fullmatch(match[0])
        if not pair:
            rest.append(match[0])
            continue
        value = pair[2]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if single_line:
            line = node.start_mark.line + 1
            column = node.start_mark.column + 1 + shift + match.start() + len(pair[1]) + 1
            span = Span(path, line, column, line, column + len(pair[2]))
        else:
            span = span_of(path, node)
        synthetic = yaml.ScalarNode(STR_TAG, value, node.start_mark, node.end_mark, style='"')
        args[pair[1]] = _Arg(synthetic, span)
    return args, " ".join(rest)


def _task(
    path: str,
    task: yaml.MappingNode,
    keys: dict[str, yaml.Node],
    handler: bool,
    scope: Defaults,
    variables: Variables,
) -> Iterator[Any]:
    found = _module_of(path, task, keys)
    if found is None:
        return
    module, key_node, args, _ = found
    if isinstance(keys.get("args"), yaml.MappingNode):
        args = {**_mapping_args(path, keys["args"]), **args}
    local_defaults = _merge_defaults(path, scope, keys.get("module_defaults"))
    key_span = span_of(path, key_node)
    if module in _FILE_MODULES:
        names = _merge_variables(variables, keys.get("vars"))
        for variant in _loop_variants(path, args, keys):
            resolved = {name: _resolve(path, arg, names) for name, arg in variant.items()}
            yield from _installed_file(path, module, key_span, resolved, keys, local_defaults)
    elif module in _SERVICE_MODULES:
        yield from _service_restart(path, module, key_span, args, keys, handler)
    elif module in _COMMAND_MODULES:
        yield from _command(path, module, key_node, args, keys, handler)


def _module_of(
    path: str, task: yaml.MappingNode, keys: dict[str, yaml.Node]
) -> tuple[str, yaml.Node, Args, str] | None:
    for key, key_node, value in items(task):
        name = short_name(key)
        if key == "action":
            return _action(path, key_node, value)
        if name in _MODULES:
            if isinstance(value, yaml.ScalarNode):
                args, rest = _free_form_args(path, value)
                return name, key_node, args, rest
            return name, key_node, _mapping_args(path, value), ""
    return None


def _action(
    path: str, key_node: yaml.Node, value: yaml.Node
) -> tuple[str, yaml.Node, Args, str] | None:
    if isinstance(value, yaml.MappingNode):
        args = _mapping_args(path, value)
        module = args.pop("module", None)
        name = short_name(scalar(module.node) or "") if module else ""
        return (name, key_node, args, "") if name in _MODULES else None
    if isinstance(value, yaml.ScalarNode):
        name, _, _ = value.value.strip().partition(" ")
        name = short_name(name)
        if name in _MODULES:
            args, rest = _free_form_args(path, value)
            return name, key_node, args, rest.partition(" ")[2]
    return None


def _loop_variants(path: str, args: Args, keys: dict[str, yaml.Node]) -> list[Args]:
    """One argument set per literal `loop`/`with_items` element, `{{ item }}` filled in.

    `{{ item.mode }}` as the whole value takes the element's own node, so its YAML typing
    (quoted or not) is what Ansible gets; inside a longer string the scalar text is spliced in.
    """
    loop = keys.get("loop") or keys.get("with_items") or keys.get("with_list")
    if not isinstance(loop, yaml.SequenceNode) or not any(
        "item" in (scalar(arg.node) or "") for arg in args.values()
    ):
        return [args]
    variants: list[Args] = []
    for element in loop.value[:MAX_LOOP_ITEMS]:
        if isinstance(element, yaml.ScalarNode):
            fields: dict[str | None, yaml.Node] = {None: element}
        elif isinstance(element, yaml.MappingNode):
            fields = {key: value for key, _, value in items(element)}
        else:
            continue
        variants.append({name: _fill(path, arg, fields) for name, arg in args.items()})
    return variants or [args]


def _fill(path: str, arg: _Arg, fields: dict[str | None, yaml.Node]) -> _Arg:
    text = scalar(arg.node)
    if text is None or "item" not in text:
        return arg
    whole = _ITEM.fullmatch(text.strip())
    if whole:
        node = fields.get(whole[1] or whole[2])
        if node is not None:
            return _Arg(node, None, arg.key_column, from_loop=True)

    def splice(match: re.Match[str]) -> str:
        value = scalar(fields.get(match[1] or match[2]))
        return value if value is not None else match[0]

    filled = _ITEM.sub(splice, text)
    if filled == text:
        return arg
    node = yaml.ScalarNode(STR_TAG, filled, arg.node.start_mark, arg.node.end_mark, style='"')
    return _Arg(node, arg.span(path), arg.key_column, from_loop=True)


def _resolve(path: str, arg: _Arg, variables: Variables) -> _Arg:
    """`{{ name }}` of a literal variable from the same file: its node (whole value) or text."""
    text = scalar(arg.node)
    if not variables or text is None or "{{" not in text:
        return arg
    whole = _VARIABLE.fullmatch(text.strip())
    if whole and isinstance(variables.get(whole[1]), yaml.ScalarNode):
        value = variables[whole[1]]
        if not is_template(scalar(value) or ""):
            return _Arg(value, None, arg.key_column, from_loop=arg.from_loop)

    def splice(match: re.Match[str]) -> str:
        value = scalar(variables.get(match[1]))
        return value if value is not None and not is_template(value) else match[0]

    filled = _VARIABLE.sub(splice, text)
    if filled == text:
        return arg
    node = yaml.ScalarNode(STR_TAG, filled, arg.node.start_mark, arg.node.end_mark, style='"')
    return _Arg(node, arg.span(path), arg.key_column, from_loop=arg.from_loop)


def _text(arg: _Arg | None) -> str | None:
    return scalar(arg.node) if arg else None


def _notifies(keys: dict[str, yaml.Node]) -> tuple[str, ...]:
    node = keys.get("notify")
    if isinstance(node, yaml.ScalarNode):
        return (node.value,)
    if isinstance(node, yaml.SequenceNode):
        return tuple(n.value for n in node.value if isinstance(n, yaml.ScalarNode))
    return ()


def _node(arg: _Arg | None) -> yaml.Node | None:
    return arg.node if arg else None


def _truthy(node: yaml.Node | None) -> bool:
    text = scalar(node)
    return text is not None and text.strip().lower() in ("yes", "true", "on", "1")


def _installed_file(
    path: str,
    module: str,
    key_span: Span,
    args: Args,
    keys: dict[str, yaml.Node],
    scope: Defaults,
) -> Iterator[Any]:
    dest_arg = args.get("dest") or args.get("path") or args.get("name")
    dest = _text(dest_arg)
    if not dest:
        return
    state = (_text(args.get("state")) or "").strip()
    if module == "file" and state == "directory" and _truthy(_node(args.get("recurse"))):
        dest = posixpath.join(dest, "*")  # `recurse` applies mode and owner to every file
    elif module == "file" and state not in ("", "file", "touch"):
        return  # directories, links, absent: nothing is written
    mode_arg = args.get("mode") or scope.get(module, {}).get("mode")
    if mode_arg is not None:
        mode = ansible_mode(mode_arg.node, module)
        span = mode_arg.span(path)
        if mode_arg.from_loop and mode.value is not None and _is_unquoted_number(mode_arg.node):
            mode = replace(mode, note="; ".join(filter(None, (mode.note, _LOOP_NOTE))))
    else:
        mode = _missing_mode(module, state, args)
        span = key_span
    owner, group = _text(args.get("owner")), _text(args.get("group"))
    source = _text(args.get("src"))
    yield InstalledFile(
        dest=dest,
        mode=mode.value,
        mode_source=mode.source,
        tool=fqcn(module),
        span=span,
        owner=None if owner is None or is_template(owner) else owner,
        group=None if group is None or is_template(group) else group,
        default_reason=mode.reason,
        raw_mode=mode.raw,
        source=source,
        notifies=_notifies(keys),
        mode_note=mode.note,
        secret_hint="no_log: true" if _truthy(keys.get("no_log")) else "",
        known_bits=mode.known_bits,
        writes=module != "file" or state == "touch",  # `file` only sets mode and owner
    )
    content = args.get("content")
    if module == "copy" and content is not None and _UNIT_DEST.search(dest):
        indent = content.key_column + 2
        yield from _embedded_unit(path, dest, content.node, indent)


def _is_unquoted_number(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == INT_TAG


def _missing_mode(module: str, state: str, args: Args) -> Mode:
    creates = module in _CREATING or (module == "file" and state == "touch")
    if module in ("lineinfile", "blockinfile"):
        creates = _truthy(args["create"].node) if "create" in args else False
    if module == "ini_file":
        creates = _truthy(args["create"].node) if "create" in args else True
    if not creates:
        return Mode.unknown(None, f"{module} without mode keeps the existing file's mode")
    return Mode.default(
        NEW_FILE_MODE,
        f"{fqcn(module)} without mode creates the file with 0666 & ~umask (0644 under 022)",
    )


def _service_restart(
    path: str,
    module: str,
    key_span: Span,
    args: Args,
    keys: dict[str, yaml.Node],
    handler: bool,
) -> Iterator[ServiceRestart]:
    unit = _text(args.get("name")) or _text(args.get("unit"))
    state = args.get("state")
    action = _STATES.get((_text(state) or "").strip())
    if not unit or action is None or state is None:
        return
    for name in _handler_names(keys, handler):
        yield ServiceRestart(unit, action, state.span(path), handler=name)


def _command(
    path: str,
    module: str,
    key_node: yaml.Node,
    args: Args,
    keys: dict[str, yaml.Node],
    handler: bool,
) -> Iterator[Any]:
    """`shell`/`command` text through the shell model (chmod, install, redirections, restarts)."""
    value = keys.get(key_node.value)
    if isinstance(value, yaml.ScalarNode):
        node, indent = _without_trailing_options(value), key_node.start_mark.column + 2
    elif "cmd" in args and isinstance(args["cmd"].node, yaml.ScalarNode):
        node, indent = args["cmd"].node, args["cmd"].key_column + 2
    else:
        return  # `argv:` lists and `action:` strings: no shell text to follow
    names = _handler_names(keys, handler)
    for fact in shell_facts(path, [(node, indent)], f"{fqcn(module)} "):
        if isinstance(fact, ServiceRestart):
            yield from (replace(fact, handler=name) for name in names)
        else:
            yield fact


def _without_trailing_options(node: yaml.ScalarNode) -> yaml.ScalarNode:
    """`chmod 600 /x creates=/y` -> `chmod 600 /x`: Ansible's own options are not shell words."""
    text = _TRAILING_OPTIONS.sub("", node.value)
    if text == node.value:
        return node
    return yaml.ScalarNode(node.tag, text, node.start_mark, node.end_mark, style=node.style)


def _handler_names(keys: dict[str, yaml.Node], handler: bool) -> list[str | None]:
    """A handler answers to its name and to each `listen:` topic; a plain task to nothing."""
    if not handler:
        return [None]
    names: list[str | None] = []
    name = scalar(keys.get("name"))
    if name:
        names.append(name)
    listen = keys.get("listen")
    if isinstance(listen, yaml.ScalarNode):
        names.append(listen.value)
    elif isinstance(listen, yaml.SequenceNode):
        names.extend(n.value for n in listen.value if isinstance(n, yaml.ScalarNode))
    return names or [None]


def _embedded_unit(path: str, dest: str, node: yaml.Node, indent: int) -> Iterator[Any]:
    from kumolint.parsers.systemd import unit_facts, unit_name

    if not isinstance(node, yaml.ScalarNode):
        return
    unit, dropin = unit_name(dest)
    locate = scalar_locator(node, indent)
    yield from unit_facts(path, node.value, unit, dropin, locate, strict=False, target=dest)
