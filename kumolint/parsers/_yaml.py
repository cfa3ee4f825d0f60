"""Safe YAML composition shared by every YAML-reading parser.

We use PyYAML's `compose()` (node trees), never `load()`: a node keeps the raw scalar text, its
tag and its position, where a loaded value lies about file modes (`0644` vs `644`) and loses
where it came from. Aliases stay shared nodes, so an alias bomb costs nothing until someone
walks it; `walk()` visits each node once and never recurses, so deep nesting is safe too.

YAML files are composed once; each extractor registered with `@yaml_extractor` gets the
documents and returns facts (Ansible tasks, Kubernetes objects, compose files ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml

from kumolint.finding import Span
from kumolint.model import ParseError

Extractor = Callable[[str, list[yaml.Node]], Iterable[Any]]

YAML_EXTRACTORS: dict[str, Extractor] = {}


def yaml_extractor(name: str) -> Callable[[Extractor], Extractor]:
    """Register a function that turns composed YAML documents into facts."""

    def register(extract: Extractor) -> Extractor:
        YAML_EXTRACTORS[name] = extract
        return extract

    return register


# Below PyYAML 6.0.4's own flow limit (about 500), far above any real manifest.
MAX_FLOW_DEPTH = 400


def compose(path: str, text: str) -> tuple[list[yaml.Node], list[ParseError]]:
    """All documents of `text` that compose, and a ParseError for the first one that does not."""
    loader_class: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if text.count("[") + text.count("{") > MAX_FLOW_DEPTH:
        deep = _too_deep(path, text, loader_class)
        if deep is not None:
            return [], [deep]
    documents: list[yaml.Node] = []
    loader = loader_class(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                documents.append(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
        span = (
            Span(path, min(mark.line + 1, max(last_line, 1)), mark.column + 1)
            if mark
            else Span(path)
        )
        return documents, [ParseError(f"YAML: {error.problem or 'syntax error'}", span)]
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        return documents, [
            ParseError(f"YAML: cannot compose ({type(error).__name__})", Span(path))
        ]
    finally:
        loader.dispose()
    return documents, []


def _too_deep(path: str, text: str, loader_class: Any) -> ParseError | None:
    """libyaml's composer recurses in C: ~20,000 nested `[` crash the process. Its event
    parser does not, so walk the events first when the text could nest that deep."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader_class):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_FLOW_DEPTH:
                    mark = event.start_mark
                    where = Span(path, mark.line + 1, mark.column + 1) if mark else Span(path)
                    return ParseError(f"YAML: nested deeper than {MAX_FLOW_DEPTH} levels", where)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # compose() reports the syntax error with its position
    return None


_TEMPLATE_OPEN = re.compile(r"\{[{%#]")
_TEMPLATE_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}
# Stands for a template expression ({{ ... }}); no mode, path, key or secret is made of it.
TEMPLATE_FILLER = "\u2422"


def is_templated(text: str) -> bool:
    """Jinja or Go-template markup (Ansible, Salt, Helm): the file is not YAML until rendered."""
    return "{{" in text or "{%" in text or "{#" in text


def blank_templates(text: str) -> str:
    """Template markup blanked without moving anything: expressions become filler, statements,
    comments and lines holding nothing but one action become spaces; newlines stay. Linear
    time: an unclosed tag ends the scan (a regex would retry from every later `{{`)."""
    pieces: list[str] = []
    position = 0
    while True:
        start = _TEMPLATE_OPEN.search(text, position)
        if start is None:
            break
        opener = start[0]
        end = text.find(_TEMPLATE_CLOSE[opener], start.end())
        if end == -1:
            break
        end += 2
        line_start = text.rfind("\n", 0, start.start()) + 1
        line_end = text.find("\n", end)
        alone = (
            not text[line_start : start.start()].strip()
            and not text[end : len(text) if line_end == -1 else line_end].strip()
        )
        filler = TEMPLATE_FILLER if opener == "{{" and not alone else " "
        pieces.append(text[position : start.start()])
        pieces.append(re.sub(r"[^\n]", filler, text[start.start() : end]))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def restore_templates(text: str) -> str:
    """Filler back to a visible template marker, for paths and messages."""
    return re.sub(f"{TEMPLATE_FILLER}+", "{{ … }}", text)


def span_of(path: str, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def walk(root: yaml.Node) -> Iterator[yaml.Node]:
    """Every node under `root` once, depth first, without recursion (alias bombs, deep nests)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node under `key` in a mapping node (None when absent or not a mapping)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value  # type: ignore[no-any-return]
    return None


def items(node: yaml.Node | None) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key text, key node, value node) of a mapping node's scalar keys."""
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(k.value, k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def scalar(node: yaml.Node | None) -> str | None:
    """The raw text of a scalar node (None for anything else)."""
    return node.value if isinstance(node, yaml.ScalarNode) else None
