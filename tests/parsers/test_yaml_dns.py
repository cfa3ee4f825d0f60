from __future__ import annotations

import pytest

from kumolint.facts.dns import DnsRecord, InventoryValue, MtaHost
from kumolint.model import ParseError
from kumolint.parsers import load_parsers
from kumolint.scan import parse_bytes

parse = load_parsers()["yaml"].parse  # with every YAML extractor registered

OCTODNS = """---
'':
  - type: TXT
    values:
      - v=spf1 ip4:45.33.20.12 -all
      - verification=abc\\;def
  - type: MX
    values:
      - exchange: mx1.example.com.
        preference: 10
mta:
  type: A
  value: 45.33.20.10
"""

TASKS = """- name: SPF at Cloudflare
  community.general.cloudflare_dns:
    zone: example.org
    record: "@"
    type: TXT
    value: "v=spf1 ip4:{{ egress_ip }} -all"
- name: SPF at Route53
  amazon.aws.route53:
    state: present
    zone: example.net
    record: example.net
    type: TXT
    value:
      - '"v=spf1 include:_spf.example.net " "-all"'
- name: removed
  amazon.aws.route53:
    state: absent
    zone: example.net
    record: old.example.net
    type: TXT
    value: '"v=spf1 -all"'
"""

INVENTORY = """all:
  children:
    kumomta:
      hosts:
        mta1:
          ansible_host: 45.33.20.10
    proxies:
      hosts:
        kumoproxy1:
          ansible_host: 10.0.0.5
          kumoproxy_public_ip: 45.33.20.12
      vars:
        kumoproxy_helo: proxy.example.com
    web:
      hosts:
        web1:
          ansible_host: 45.33.20.30
"""


def test_octodns_zone() -> None:
    found = [f for f in parse("dns/example.com.yaml", OCTODNS) if isinstance(f, DnsRecord)]
    assert [(r.owner_fqdn, r.type, r.rdata_text, r.span.line, r.span.column) for r in found] == [
        ("example.com.", "TXT", '"v=spf1 ip4:45.33.20.12 -all"', 5, 9),
        ("example.com.", "TXT", '"verification=abc;def"', 6, 9),
        ("example.com.", "MX", "10 mx1.example.com.", 9, 9),
        ("mta.example.com.", "A", "45.33.20.10", 13, 10),
    ]
    assert found[0].source == "octodns"


def test_ansible_dns_tasks() -> None:
    found = [f for f in parse("deploy/dns.yml", TASKS) if isinstance(f, DnsRecord)]
    assert [(r.owner_fqdn, r.txt, r.exact, r.span.line) for r in found] == [
        ("example.org.", "v=spf1 ip4:{{ egress_ip }} -all", False, 6),
        ("example.net.", "v=spf1 include:_spf.example.net -all", True, 14),
    ]
    assert found[1].strings == ("v=spf1 include:_spf.example.net ", "-all")


def test_yaml_inventory() -> None:
    facts = list(parse("inventory/hosts.yml", INVENTORY))
    hosts = [(f.name, f.address, f.role, f.span.line) for f in facts if isinstance(f, MtaHost)]
    assert sorted(hosts) == [
        ("kumoproxy1", "10.0.0.5", "proxy", 10),
        ("mta1", "45.33.20.10", "mta", 6),
    ]
    values = [
        (f.variable, f.value, f.host, f.group) for f in facts if isinstance(f, InventoryValue)
    ]
    assert sorted(values) == [
        ("kumoproxy_helo", "proxy.example.com", "", "proxies"),
        ("kumoproxy_public_ip", "45.33.20.12", "kumoproxy1", "proxies"),
    ]


def test_host_and_group_vars() -> None:
    host = list(parse("inventory/host_vars/mta1.yml", "ansible_host: 45.33.20.10\n"))
    assert [(f.name, f.address) for f in host if isinstance(f, MtaHost)] == [
        ("mta1", "45.33.20.10")
    ]
    group = list(parse("group_vars/kumoproxy.yml", "kumoproxy_public_ip: 45.33.20.12\nx: 1\n"))
    assert [(f.variable, f.group) for f in group if isinstance(f, InventoryValue)] == [
        ("kumoproxy_public_ip", "kumoproxy")
    ]


def test_octodns_spf_source_synthesises_the_apex_record() -> None:
    config = """providers:
  config:
    class: octodns.provider.yaml.YamlProvider
  spf:
    class: octodns_spf.SpfSource
    ip4_addresses:
      - 45.33.20.12
    includes:
      - _spf.example.net
    a_records:
      - mta.example.com
    soft_fail: true
zones:
  example.com.:
    sources: [config, spf]
  other.com.:
    sources: [config]
"""
    found = [f for f in parse("octodns.yaml", config) if isinstance(f, DnsRecord)]
    assert [(r.owner_fqdn, r.txt, r.span.line) for r in found] == [
        (
            "example.com.",
            "v=spf1 a:mta.example.com ip4:45.33.20.12 include:_spf.example.net ~all",
            5,
        )
    ]


def test_unrelated_yaml_gives_nothing() -> None:
    text = "services:\n  web:\n    image: nginx\n"
    assert [f for f in parse("docker-compose.yml", text) if isinstance(f, DnsRecord)] == []


@pytest.mark.parametrize(
    "data",
    (
        b"",
        b"'':\n  type: TXT\n  value: \xff\n",
        b"\xef\xbb\xbf'':\n  type: TXT\n  value: v=spf1 -all\n",
        b"'':\r\n  type: TXT\r\n  value: v=spf1 -all\r\n",
        b"'':\n  type: TXT\n  value: \0\n",
        b"'':\n  - type: TXT\n    value: v=spf1 -all\n" * 1,
        b"'':\n  type: TXT\n  value: " + b"a" * 1_000_000 + b"\n",
        b"'':\n  type: TXT\n  value: [v=spf1",
    ),
    ids=("empty", "utf8", "bom", "crlf", "nul", "small", "long-line", "truncated"),
)
def test_bad_input_never_raises(data: bytes) -> None:
    parser = load_parsers()["yaml"]
    result = parse_bytes("dns/example.com.yaml", data, [parser], 50_000_000)
    assert result.internal_errors == []
    for fact in result.facts:
        if isinstance(fact, ParseError):
            assert fact.span.line >= 1
