"""CI shell steps: GitHub Actions `run:` and GitLab CI `script:` lines through the shell model.

The `script:` of an `appleboy/ssh-action` step runs on the server and is read the same way.
Only workflow files are read (`.github/workflows/*.yml`, `.gitlab-ci.yml`, `*.gitlab-ci.yml`).
Each step is its own shell (umask 022, the runner's default). The extractor gets composed
nodes, not the file text, so each step's text is rebuilt at its position: lines are exact;
in block scalars (`run: |`) the column is the key's column plus two, the usual indent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.parsers._shell import Context, ShellModel
from kumolint.parsers._text import LineIndex
from kumolint.parsers._yaml import get, items, scalar, walk, yaml_extractor

_GITLAB_KEYS = frozenset({"script", "before_script", "after_script"})


@yaml_extractor("ci-run")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    name = path.rsplit("/", 1)[-1]
    if "/.github/workflows/" in f"/{path}":
        keys = frozenset({"run"})
    elif name.endswith(".gitlab-ci.yml") or name == ".gitlab-ci.yml":
        keys = _GITLAB_KEYS
    else:
        return
    for document in documents:
        for node in walk(document):
            uses = scalar(get(node, "uses")) or ""
            if "ssh-action" in uses:
                for key, key_node, value in items(get(node, "with")):
                    if key == "script" and isinstance(value, yaml.ScalarNode):
                        yield from _step(path, value, key_node.start_mark.column)
            for key, key_node, value in items(node):
                if key not in keys:
                    continue
                scalars = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for step in scalars:
                    if isinstance(step, yaml.ScalarNode) and step.value.strip():
                        yield from _step(path, step, key_node.start_mark.column)


def _step(path: str, node: yaml.ScalarNode, key_column: int) -> Iterator[Any]:
    mark = node.start_mark
    if node.style in ("|", ">"):
        indent = " " * (key_column + 2)
        body = "\n".join(indent + line for line in node.value.split("\n"))
        text = "\n" * (mark.line + 1) + body
    else:
        text = "\n" * mark.line + " " * mark.column + node.value
    model = ShellModel(path, text, LineIndex(text), Context(prefix="CI run "))
    model.run()
    yield from model.facts()
