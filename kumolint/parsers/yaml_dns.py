"""DNS data and MTA hosts in YAML: octoDNS zones, Ansible DNS tasks, Ansible inventories.

- octoDNS: one file per zone (`example.com.yaml`), keys are labels (`''` is the apex), each
  value one record or a list of records with `type` and `value`/`values`; `\\;` un-escaped.
- Ansible `community.general.cloudflare_dns` (zone, record, type, value) and
  `amazon.aws.route53` (zone, record, type, value as a list, each TXT value in quotes).
- YAML inventories (`all: {hosts, children, vars}`), `host_vars/<host>.yml` and
  `group_vars/<group>.yml`: the facts of `ansible_inventory.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from kumolint.facts.dns import DnsRecord, InventoryValue, MtaHost
from kumolint.parsers._yaml import get, items, scalar, span_of, walk, yaml_extractor
from kumolint.parsers.ansible_inventory import host_role, interesting

CLOUDFLARE_MODULES = frozenset({"community.general.cloudflare_dns", "cloudflare_dns"})
ROUTE53_MODULES = frozenset({"amazon.aws.route53", "community.aws.route53", "route53"})
_GROUP_KEYS = frozenset({"hosts", "children", "vars"})
_PRESENTATION = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)', re.DOTALL)
_ZONE_FILE = re.compile(r"(?P<zone>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)\.ya?ml")


@yaml_extractor("dns")
def extract(path: str, documents: list[yaml.Node]) -> Iterator[Any]:
    name = path.rsplit("/", 1)[-1]
    for document in documents:
        if "/host_vars/" in f"/{path}" or "/group_vars/" in f"/{path}":
            yield from _vars_file(path, document)
            continue
        if _is_inventory(document):
            yield from _inventory(path, document)
            continue
        if isinstance(get(document, "providers"), yaml.MappingNode):
            yield from _spf_sources(path, document)
            continue
        zone = _ZONE_FILE.fullmatch(name)
        if zone is not None and _is_octodns(document):
            yield from _octodns(path, zone["zone"].lower(), document)
            continue
        yield from _ansible_tasks(path, document)


# --- octoDNS ----------------------------------------------------------------------------


def _is_octodns(document: yaml.Node) -> bool:
    entries = items(document)
    if not entries:
        return False
    return all(_records_of(value) for _, _, value in entries)


def _records_of(node: yaml.Node) -> list[yaml.Node]:
    candidates: list[yaml.Node] = (
        list(node.value) if isinstance(node, yaml.SequenceNode) else [node]
    )
    records: list[yaml.Node] = [
        c for c in candidates if isinstance(c, yaml.MappingNode) and get(c, "type")
    ]
    return records if len(records) == len(candidates) else []


def _octodns(path: str, zone: str, document: yaml.Node) -> Iterator[DnsRecord]:
    for label, _, value in items(document):
        owner = f"{label.lower()}.{zone}." if label else f"{zone}."
        for record in _records_of(value):
            rtype = (scalar(get(record, "type")) or "").upper()
            values = get(record, "values") or get(record, "value")
            for node in _list(values):
                yield from _octodns_value(path, owner, rtype, node)


def _octodns_value(path: str, owner: str, rtype: str, node: yaml.Node) -> Iterator[DnsRecord]:
    span = span_of(path, node)
    if rtype in ("TXT", "SPF"):
        text = scalar(node)
        if text is not None:
            text = text.replace("\\;", ";")
            yield _txt(owner, rtype, (text,), span, "octodns", "{{" not in text)
        return
    if rtype == "MX" and isinstance(node, yaml.MappingNode):
        host = scalar(get(node, "exchange")) or scalar(get(node, "value"))
        priority = scalar(get(node, "preference")) or scalar(get(node, "priority")) or "10"
        if host:
            yield DnsRecord(owner, rtype, f"{priority} {host}", span, "octodns")
        return
    text = scalar(node)
    if text is not None:
        yield DnsRecord(owner, rtype, text, span, "octodns")


# The mechanisms octodns_spf.SpfSource writes, in its order.
SPF_SOURCE_KEYS = (
    ("a_records", "a"),
    ("mx_records", "mx"),
    ("ip4_addresses", "ip4"),
    ("ip6_addresses", "ip6"),
    ("includes", "include"),
    ("exists", "exists"),
)


def _spf_sources(path: str, document: yaml.Node) -> Iterator[DnsRecord]:
    """`octodns_spf.SpfSource` providers synthesise the apex SPF of the zones that use them."""
    built: dict[str, tuple[str, bool, Any]] = {}
    for provider, _, config in items(get(document, "providers")):
        class_node = get(config, "class")
        if scalar(class_node) != "octodns_spf.SpfSource" or class_node is None:
            continue
        terms, exact = ["v=spf1"], True
        for key, mechanism in SPF_SOURCE_KEYS:
            for node in _list(get(config, key)):
                value = scalar(node)
                exact = exact and value is not None and "{{" not in value
                terms.append(f"{mechanism}:{value}")
        soft_fail = get(config, "soft_fail")
        fail = scalar(soft_fail) if soft_fail is not None else "false"
        if fail in ("true", "True", "yes"):
            terms.append("~all")
        elif fail in ("false", "False", "no"):
            terms.append("-all")
        built[provider] = (" ".join(terms), exact, span_of(path, class_node))
    if not built:
        return
    for zone, _, settings in items(get(document, "zones")):
        if "*" in zone or "{{" in zone:
            continue
        for source in _list(get(settings, "sources")):
            found = built.get(scalar(source) or "")
            if found is not None:
                owner = zone.lower().rstrip(".") + "."
                yield _txt(owner, "TXT", (found[0],), found[2], "octodns", found[1])


# --- Ansible tasks ----------------------------------------------------------------------


def _ansible_tasks(path: str, document: yaml.Node) -> Iterator[DnsRecord]:
    for node in walk(document):
        for key, _, args in items(node):
            if key in CLOUDFLARE_MODULES:
                yield from _cloudflare_task(path, args)
            elif key in ROUTE53_MODULES:
                yield from _route53_task(path, args)


def _absent(args: yaml.Node) -> bool:
    state = (scalar(get(args, "state")) or scalar(get(args, "command")) or "").lower()
    return state in ("absent", "delete")


def _cloudflare_task(path: str, args: yaml.Node) -> Iterator[DnsRecord]:
    zone = scalar(get(args, "zone"))
    rtype = (scalar(get(args, "type")) or "").upper()
    value_node = get(args, "value") or get(args, "content")
    value = scalar(value_node)
    if not zone or not rtype or value is None or value_node is None or _absent(args):
        return
    owner, exact = _owner(scalar(get(args, "record")) or "@", zone)
    span = span_of(path, value_node)
    exact = exact and "{{" not in value
    if rtype in ("TXT", "SPF"):
        strings = _presentation(value) if value.startswith('"') else (value,)
        yield _txt(owner, rtype, strings, span, "ansible", exact)
    else:
        yield DnsRecord(owner, rtype, value, span, "ansible", exact=exact)


def _route53_task(path: str, args: yaml.Node) -> Iterator[DnsRecord]:
    zone = scalar(get(args, "zone")) or ""
    record = scalar(get(args, "record"))
    rtype = (scalar(get(args, "type")) or "").upper()
    if not record or not rtype or _absent(args):
        return
    owner, exact_owner = _owner(record, zone or None)
    value_node = get(args, "value") or get(args, "values")
    nodes = _list(value_node)
    if isinstance(value_node, yaml.ScalarNode) and rtype not in ("TXT", "SPF"):
        nodes = [value_node]  # a plain string is one value here; Ansible splits on commas
    for node in nodes:
        text = scalar(node)
        if text is None:
            continue
        exact = exact_owner and "{{" not in text
        span = span_of(path, node)
        if rtype in ("TXT", "SPF"):
            yield _txt(owner, rtype, _presentation(text), span, "ansible", exact)
        else:
            yield DnsRecord(owner, rtype, text, span, "ansible", exact=exact)


def _owner(record: str, zone: str | None) -> tuple[str, bool]:
    name = record.strip().lower().rstrip(".")
    exact = "{{" not in name and "{{" not in (zone or "")
    if zone is None:
        return name + ".", exact
    zone = zone.strip().lower().rstrip(".")
    if name in ("@", "", zone):
        return zone + ".", exact
    if name.endswith("." + zone):
        return name + ".", exact
    return f"{name}.{zone}.", exact


def _presentation(text: str) -> tuple[str, ...]:
    strings = tuple(m[1] if m[1] is not None else m[2] for m in _PRESENTATION.finditer(text))
    return strings or ("",)


def _txt(
    owner: str, rtype: str, strings: tuple[str, ...], span: Any, source: str, exact: bool
) -> DnsRecord:
    rdata = " ".join(f'"{s}"' for s in strings)
    joined = "".join(strings)
    return DnsRecord(owner, rtype, rdata, span, source, txt=joined, strings=strings, exact=exact)


def _list(node: yaml.Node | None) -> list[yaml.Node]:
    if node is None:
        return []
    return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]


# --- Ansible inventories ----------------------------------------------------------------


def _is_inventory(document: yaml.Node) -> bool:
    entries = items(document)
    if not entries:
        return False
    return all(
        isinstance(value, yaml.MappingNode)
        and bool(items(value))
        and all(key in _GROUP_KEYS for key, _, _ in items(value))
        for _, _, value in entries
    )


def _inventory(path: str, document: yaml.Node) -> Iterator[Any]:
    stack = [(group, value) for group, _, value in items(document)]
    seen: set[int] = set()
    while stack:
        group, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for host, _, host_vars in items(get(node, "hosts")):
            yield from _host_vars(path, host, group, host_vars)
        for name, _, value in items(get(node, "vars")):
            if interesting(name) and scalar(value):
                span = span_of(path, value)
                yield InventoryValue(name.lower(), scalar(value) or "", "", group, span)
        stack.extend((child, value) for child, _, value in items(get(node, "children")))


def _host_vars(path: str, host: str, group: str, node: yaml.Node) -> Iterator[Any]:
    role = host_role(host, group)
    for name, _, value in items(node):
        text = scalar(value)
        if not text:
            continue
        if name == "ansible_host" and role is not None:
            yield MtaHost(host, text, group, role, span_of(path, value))
        elif interesting(name):
            yield InventoryValue(name.lower(), text, host, group, span_of(path, value))


def _vars_file(path: str, document: yaml.Node) -> Iterator[Any]:
    parts = path.split("/")
    stem = re.sub(r"\.ya?ml$", "", parts[-1]) if len(parts) >= 2 else ""
    if parts[-2:-1] not in (["host_vars"], ["group_vars"]):
        stem = parts[-2] if len(parts) >= 2 else stem  # host_vars/<host>/main.yml
    if "/host_vars/" in f"/{path}":
        yield from _host_vars(path, stem, "", document)
    else:
        for name, _, value in items(document):
            if interesting(name) and scalar(value):
                span = span_of(path, value)
                yield InventoryValue(name.lower(), scalar(value) or "", "", stem, span)
