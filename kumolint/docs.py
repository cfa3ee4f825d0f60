"""Rule docstrings as documentation: sections, runnable examples, and the Markdown catalogue."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kumolint.registry import Rule

# Where a doc example's file goes when its fence names only the kind.
DEFAULT_PATHS: Mapping[str, str] = {
    "env": "deploy/kumomta.env",
    "dotenv": ".env",
    "lua": "policy/init.lua",
    "toml": "policy/sources.toml",
    "json": "policy/sources.json",
    "nginx": "nginx/conf.d/kumomta.conf",
    "yaml": "deploy/tasks/main.yml",
    "systemd": "systemd/kumomta.service.d/override.conf",
    "dockerfile": "Dockerfile",
    "spec": "packaging/kumomta.spec",
    "sh": "scripts/deploy.sh",
    "zone": "dns/example.com.zone",
    "hcl": "dns/main.tf",
    "js": "dns/dnsconfig.js",
    "pem": "keys/dkim.key",
    "text": "README.txt",
}
_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)
_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
RUNNABLE_SECTIONS = {"Example": True, "Use instead": False}


@dataclass(frozen=True)
class CodeBlock:
    kind: str
    path: str
    text: str


@dataclass(frozen=True)
class Example:
    """All code blocks of one `## Example` or `## Use instead` section: one tiny repo."""

    should_fire: bool
    blocks: tuple[CodeBlock, ...]


def sections(doc: str) -> dict[str, str]:
    """Heading -> body; the summary and any text before the first heading is under ""."""
    parts = _HEADING.split(doc)
    result = {"": parts[0].strip()}
    for heading, body in zip(parts[1::2], parts[2::2], strict=False):
        result[heading.strip()] = body.strip()
    return result


def code_blocks(body: str) -> tuple[CodeBlock, ...]:
    blocks = []
    for match in _FENCE.finditer(body):
        kind, *attributes = match["info"].split()
        settings = dict(a.split("=", 1) for a in attributes if "=" in a)
        path = settings.get("path") or DEFAULT_PATHS.get(kind, f"example.{kind}")
        blocks.append(CodeBlock(kind, path, match["body"]))
    return tuple(blocks)


def examples(rule: Rule) -> list[Example]:
    found = []
    for heading, body in sections(rule.doc).items():
        if heading in RUNNABLE_SECTIONS:
            found.append(Example(RUNNABLE_SECTIONS[heading], code_blocks(body)))
    return found


def to_markdown(rule: Rule) -> str:
    body = rule.doc.partition("\n")[2].strip()
    header = (
        f"# {rule.id} {rule.name}\n\n"
        f"**{rule.summary}**\n\n"
        f"Default severity: `{rule.severity.value}`. "
        f"Suppress one line with `kumolint: ignore[{rule.id}] -- reason`.\n"
    )
    return f"{header}\n{_strip_fence_attributes(body)}\n"


def index_markdown(rules: Mapping[str, Rule]) -> str:
    rows = [
        f"| [{r.id}]({r.id}.md) | `{r.name}` | {r.severity.value} | {r.summary} |"
        for r in rules.values()
    ]
    return (
        "# kumolint rules\n\n"
        "Generated from the rule modules' docstrings by `kumolint rules --markdown rules/`;\n"
        "do not edit by hand.\n\n"
        "| id | name | severity | what is wrong |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def _strip_fence_attributes(body: str) -> str:
    """```lua path=policy/init.lua -> ```lua, with the path as a caption above the block."""

    def caption(match: re.Match[str]) -> str:
        kind, *attributes = match["info"].split() or [""]
        settings = dict(a.split("=", 1) for a in attributes if "=" in a)
        label = f"`{settings['path']}`:\n\n" if "path" in settings else ""
        return f"{label}```{kind}\n{match['body']}```"

    return _FENCE.sub(caption, body)
