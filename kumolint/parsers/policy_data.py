"""KumoMTA policy-helper data (sources, shaping, DKIM ... in TOML or JSON), recognised by shape.

The helpers load `sources.toml`, `shaping.toml`, `dkim_data.toml` and friends with
`load_json_or_toml_file`, so the same tables arrive as JSON too, under any file name. A file is
helper data when its tables look like the helpers' records (`[source."name"]` with egress-source
fields, `[pool."name"."source"]`, shaping entries with egress-path fields); anything else
(pyproject.toml, package.json, a `[[source]]` list) gives no facts.

Neither tomllib nor json reports positions, so `_Positions` maps key paths back to lines.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from kumolint.facts.lua import EgressPath, EgressSource, SecretLiteral, Source
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import parser

EGRESS_SOURCE_FIELDS = frozenset(
    {
        "source_address",
        "ehlo_domain",
        "remote_port",
        "ha_proxy_server",
        "ha_proxy_source_address",
        "socks5_proxy_server",
        "socks5_proxy_source_address",
        "socks5_proxy_username",
        "socks5_proxy_password",
        "suspend_when_unplumbed",
        "suspend_when_proxy_unhealthy",
        "ttl",
    }
)
EGRESS_PATH_FIELDS = frozenset(
    {
        "ehlo_domain",
        "connection_limit",
        "max_connection_rate",
        "max_deliveries_per_connection",
        "max_message_rate",
        "smtp_auth_plain_username",
        "smtp_auth_plain_password",
        "enable_tls",
        "mx_rollup",
        "idle_timeout",
        "consecutive_connection_failures_before_delay",
        "additional_connection_limits",
        "source_selection_rate",
    }
)
# Words that make a broken file worth a KL001: it probably is helper data.
_HELPER_HINT = re.compile(
    r"\[\s*(?:source|pool)\s*\.|socks5_proxy_|ehlo_domain|source_address|max_deliveries_per"
    r"|\"source\"\s*:|\"pool\"\s*:"
)
_SECRET_FIELDS = ("key_data", "vault_token")


@parser("policy-data", globs=("*.toml", "*.json"))
def parse(path: str, text: str) -> Iterator[Any]:
    if not text.strip():
        return
    is_json = path.lower().endswith(".json")
    try:
        data = _load(text, is_json)
    except ValueError as error:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        if _HELPER_HINT.search(text):
            line, column = _error_position(error, text)
            yield ParseError(
                f"policy helper data is not valid {'JSON' if is_json else 'TOML'}",
                Span(path, line, column),
            )
        return
    except RecursionError:
        if _HELPER_HINT.search(text):
            yield ParseError("policy helper data is nested too deeply", Span(path))
        return
    if not isinstance(data, dict):
        return
    kind = _shape(data)
    if kind is None:
        return
    positions = _Positions(path, text, is_json)
    facts: list[Any] = []
    if kind == "sources":
        facts.extend(_sources(data, positions))
    else:
        facts.extend(_paths(data, positions))
    facts.extend(_secrets(data, positions))
    facts.sort(key=lambda fact: (fact.span.line, fact.span.column))
    yield from facts


def _load(text: str, is_json: bool) -> Any:
    if is_json:
        return json.loads(text)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    return tomllib.loads(text)


def _error_position(error: ValueError, text: str) -> tuple[int, int]:
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    if isinstance(line, int) and isinstance(column, int):
        return line, column
    found = re.search(r"line (\d+), column (\d+)", str(error))
    return (int(found[1]), int(found[2])) if found else (1, 1)


def _shape(data: Mapping[str, Any]) -> str | None:
    """ "sources", "shaping" / "dkim", or None when this is not KumoMTA helper data."""
    sources = data.get("source")
    records = list(sources.values()) if isinstance(sources, dict) else []
    records = records if all(isinstance(v, dict) for v in records) else []
    if records and (any(EGRESS_SOURCE_FIELDS & set(v) for v in records) or "pool" in data):
        return "sources"
    pools = data.get("pool")
    members = (
        [w for p in pools.values() for w in p.values()]
        if isinstance(pools, dict) and _tables(pools)
        else []
    )
    if any(isinstance(w, dict) and "weight" in w for w in members):
        return "sources"
    entries = [v for v in data.values() if isinstance(v, dict)]
    if any(EGRESS_PATH_FIELDS & set(v) for v in entries):
        return "shaping"
    if isinstance(data.get("domain"), dict) and (
        isinstance(data.get("signature"), dict) or isinstance(data.get("base"), dict)
    ):
        return "dkim"
    return None


def _tables(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())


def _sources(data: Mapping[str, Any], positions: _Positions) -> Iterator[EgressSource]:
    sources = data.get("source")
    if not isinstance(sources, dict):
        return
    for name, record in sources.items():
        if not isinstance(record, dict):
            continue
        where = ("source", name)

        def field(
            key: str, record: dict[str, Any] = record, where: tuple[str, ...] = where
        ) -> Source | None:
            return _source(record.get(key), positions.span((*where, key)))

        yield EgressSource(
            positions.span(where),
            name,
            field("source_address"),
            field("socks5_proxy_server"),
            field("socks5_proxy_source_address"),
            field("ehlo_domain"),
            origin="helper-data",
        )


def _paths(data: Mapping[str, Any], positions: _Positions) -> Iterator[EgressPath]:
    for name, entry in _entries(data):
        if "ehlo_domain" in entry[1]:
            where = entry[0]
            ehlo = _source(entry[1]["ehlo_domain"], positions.span((*where, "ehlo_domain")))
            yield EgressPath(positions.span(where), ehlo, origin="helper-data", name=name)


def _entries(
    data: Mapping[str, Any],
) -> Iterator[tuple[str, tuple[tuple[str, ...], dict[str, Any]]]]:
    """Shaping entries: top-level tables, `provider.x`, and their `sources.y` sub-tables."""
    for key, value in data.items():
        if not isinstance(value, dict):
            continue
        if key == "provider":
            for provider, entry in value.items():
                if isinstance(entry, dict):
                    yield f"provider.{provider}", (("provider", provider), entry)
            continue
        yield key, ((key,), value)
        sources = value.get("sources")
        if isinstance(sources, dict):
            for source, entry in sources.items():
                if isinstance(entry, dict):
                    yield f"{key}.sources.{source}", ((key, "sources", source), entry)


def _secrets(data: Any, positions: _Positions) -> Iterator[SecretLiteral]:
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _SECRET_FIELDS and isinstance(item, str):
                    span = positions.span((*where, key))
                    yield SecretLiteral(key, Value(item), span, key)
                elif isinstance(item, (dict, list)):
                    stack.append(((*where, str(key)), item))
        elif isinstance(value, list):
            stack.extend((where, item) for item in value)


def _source(value: Any, span: Span) -> Source | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return Source("literal", span, Value("true" if value else "false"))
    if isinstance(value, (str, int, float)):
        return Source("literal", span, Value(str(value)))
    return Source("expression", span)


_KEY = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
_TOML_HEADER = re.compile(rf"^[ \t]*\[\[?[ \t]*(?P<keys>{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*)[ \t]*\]")
_TOML_ASSIGN = re.compile(rf"^[ \t]*(?P<keys>{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*)[ \t]*=")
_KEY_PART = re.compile(_KEY)


class _Positions:
    """Key path -> Span, found in the text (tomllib and json give no positions)."""

    def __init__(self, path: str, text: str, is_json: bool) -> None:
        self.path = path
        self.text = text
        self.is_json = is_json
        self.lines = text.split("\n")
        self.found: dict[tuple[str, ...], tuple[int, int]] = {}
        if not is_json:
            self._index_toml()

    def span(self, keys: tuple[str, ...]) -> Span:
        if self.is_json:
            line, column = self._find_json(keys)
        else:
            line, column = self._find_toml(keys)
        return Span(self.path, line, column)

    def _index_toml(self) -> None:
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.lines, start=1):
            header = _TOML_HEADER.match(line)
            if header:
                table = _split_keys(header["keys"])
                self.found.setdefault(table, (number, line.index("[") + 1))
                continue
            assign = _TOML_ASSIGN.match(line)
            if assign:
                keys = (*table, *_split_keys(assign["keys"]))
                value = len(line) - len(line[assign.end() :].lstrip(" \t"))
                self.found.setdefault(keys, (number, value + 1))

    def _find_toml(self, keys: tuple[str, ...]) -> tuple[int, int]:
        for length in range(len(keys), 0, -1):
            if keys[:length] in self.found:
                line, column = self.found[keys[:length]]
                if length < len(keys):  # inside an inline table on that line
                    at = self.lines[line - 1].find(keys[-1], column - 1)
                    column = at + 1 if at != -1 else column
                return line, column
        return 1, 1

    def _find_json(self, keys: tuple[str, ...]) -> tuple[int, int]:
        offset = 0
        for key in keys:
            found = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(self.text, offset)
            if found is None:
                break
            offset = found.end()
            offset += len(self.text[offset:]) - len(self.text[offset:].lstrip())
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1


def _split_keys(keys: str) -> tuple[str, ...]:
    parts = []
    for match in _KEY_PART.finditer(keys):
        part = match[0]
        if part.startswith('"'):
            try:
                part = json.loads(part)
            except ValueError:
                part = part[1:-1]
        elif part.startswith("'"):
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)
