"""Ansible inventories -> MtaHost and InventoryValue facts.

INI inventories are read here; YAML inventories, `host_vars/` and `group_vars/` go through the
shared YAML composer (`yaml_dns.py`), using the name rules below. A host counts when it or
its group is named like kumomta/mta/proxy; `ansible_host` is its address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kumolint.facts.dns import EGRESS_VARIABLES, HELO_VARIABLES, InventoryValue, MtaHost
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import parser

MTA_NAME = re.compile(r"kumo|mta|proxy", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)""")
_TOKEN = re.compile(r"""(?:[^\s"'=]+=(?:"[^"]*"|'[^']*'|\S*))|\S+""")


def host_role(host: str, group: str) -> str | None:
    """The role ("proxy" or "mta") of a host named like one, or in a group named like one."""
    names = f"{group} {host}"
    if not MTA_NAME.search(names):
        return None
    return "proxy" if "proxy" in names.lower() else "mta"


def interesting(variable: str) -> bool:
    return variable.lower() in EGRESS_VARIABLES | HELO_VARIABLES


@parser(
    "ansible_inventory",
    globs=(
        "**/inventory",
        "**/inventory/*",
        "**/inventories/**",
        "hosts",
        "hosts.ini",
        "inventory.ini",
        "*.inventory",
    ),
)
def parse(path: str, text: str) -> Iterator[Any]:
    if path.lower().endswith((".yml", ".yaml", ".json")) or "/group_vars/" in f"/{path}":
        return
    if "/host_vars/" in f"/{path}":
        return
    group, section = "ungrouped", "hosts"
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                yield ParseError("inventory: section header without ']'", Span(path, number, 1))
                continue
            group, _, section = stripped[1:-1].strip().partition(":")
            section = section or "hosts"
            continue
        if section == "children":
            continue
        if section == "vars":
            match = _ASSIGNMENT.match(stripped.replace(" = ", "=", 1))
            if match and interesting(match[1]):
                column = line.find(match[2]) + 1 if match[2] else len(line) + 1
                value = match[2].strip("'\"")
                span = Span(path, number, column)
                yield InventoryValue(match[1].lower(), value, "", group, span)
            continue
        yield from _host_line(path, number, line, group)


def _host_line(path: str, number: int, line: str, group: str) -> Iterator[Any]:
    tokens = list(_TOKEN.finditer(line))
    if not tokens:
        return
    host = tokens[0].group()
    role = host_role(host, group)
    for token in tokens[1:]:
        variable, _, raw = token.group().partition("=")
        value = raw.strip("'\"")
        column = token.start() + len(variable) + 2 + (1 if raw[:1] in "'\"" and raw else 0)
        span = Span(path, number, column)
        if variable == "ansible_host" and role is not None and value:
            yield MtaHost(host, value, group, role, span)
        elif interesting(variable) and value:
            yield InventoryValue(variable.lower(), value, host, group, span)
