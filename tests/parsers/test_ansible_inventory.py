from __future__ import annotations

import pytest

from kumolint.facts.dns import InventoryValue, MtaHost
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.ansible_inventory import parse
from kumolint.scan import parse_bytes

INI = """# production
[kumomta]
mta1 ansible_host=45.33.20.10  ansible_user=deploy
web1.example.com ansible_host=45.33.20.11

[kumoproxy]
proxy1 ansible_host="10.0.5.10" kumoproxy_public_ip=45.33.20.12

[kumoproxy:vars]
kumoproxy_helo = proxy.example.com

[web]
www ansible_host=45.33.20.30

[mail:children]
kumomta
"""


def test_hosts_roles_and_positions() -> None:
    facts = list(parse("inventory/hosts", INI))
    hosts = [f for f in facts if isinstance(f, MtaHost)]
    assert [(h.name, h.address, h.group, h.role) for h in hosts] == [
        ("mta1", "45.33.20.10", "kumomta", "mta"),
        ("web1.example.com", "45.33.20.11", "kumomta", "mta"),
        ("proxy1", "10.0.5.10", "kumoproxy", "proxy"),
    ]
    assert hosts[0].span == Span("inventory/hosts", 3, 19)
    assert hosts[2].span == Span("inventory/hosts", 7, 22)
    values = [f for f in facts if isinstance(f, InventoryValue)]
    assert [
        (v.variable, v.value, v.host, v.group, v.span.line, v.span.column) for v in values
    ] == [
        ("kumoproxy_public_ip", "45.33.20.12", "proxy1", "kumoproxy", 7, 53),
        ("kumoproxy_helo", "proxy.example.com", "", "kumoproxy", 10, 18),
    ]


def test_bad_section_header() -> None:
    facts = list(parse("inventory/hosts", "[kumomta\nmta1 ansible_host=45.33.20.10\n"))
    assert [(type(f).__name__, f.span.line) for f in facts] == [("ParseError", 1), ("MtaHost", 2)]


def test_routing() -> None:
    parsers = load_parsers()
    for path in ("inventory/hosts", "inventories/prod/hosts.ini", "hosts.ini"):
        assert "ansible_inventory" in [p.name for p in parsers_for(path, parsers)]
    assert "ansible_inventory" not in [p.name for p in parsers_for("src/main.py", parsers)]
    # YAML inventories go through the YAML composer instead
    assert list(parse("inventory/hosts.yml", "all:\n  hosts: {}\n")) == []


@pytest.mark.parametrize(
    "data",
    (
        b"",
        b"[kumomta]\nmta1 ansible_host=\xff\n",
        b"\xef\xbb\xbf[kumomta]\nmta1 ansible_host=45.33.20.10\n",
        b"[kumomta]\r\nmta1 ansible_host=45.33.20.10\r\n",
        b"[kumomta]\nmta1 ansible_host=\0\n",
        b"[kumomta]\n" + b"mta ansible_host=45.33.20.10\n" * 300_000,
        b"[kumomta]\nmta1 " + b"a" * 1_000_000 + b"\n",
        b"[kumomta]\nmta1 ansible_host=",
    ),
    ids=("empty", "utf8", "bom", "crlf", "nul", "huge", "long-line", "truncated"),
)
def test_bad_input_never_raises(data: bytes) -> None:
    parser = load_parsers()["ansible_inventory"]
    result = parse_bytes("inventory/hosts", data, [parser], 50_000_000)
    assert result.internal_errors == []
    for fact in result.facts:
        if isinstance(fact, ParseError):
            assert fact.span.line >= 1
