from __future__ import annotations

import pytest

from kumolint.facts.dns import DnsRecord
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.dnsconfig_js import parse
from kumolint.scan import parse_bytes

CONFIG = """// DNSControl
var REG_NONE = NewRegistrar("none");
var EGRESS_IP = "45.33.20.12";

D("example.com", REG_NONE, DnsProvider(DSP),
    A("mta", "45.33.20.10"),
    MX("@", 10, "mx"),
    TXT("@", "v=spf1 ip4:" + EGRESS_IP + " -all"),
    TXT("split", ["v=spf1 ip4:45.33.20.12 ", "-all"]),
    TXT("dyn", "v=spf1 ip4:" + lookupIp() + " -all"),
    SPF_BUILDER({
        label: "mail",
        parts: [
            "v=spf1",
            "ip4:45.33.20.12", // the proxy
            "include:_spf.example.net",
            "-all"
        ]
    }),
    TXT("_rawspf", "v=spf1 generated copy"),
END);

D_EXTEND("sub.example.com",
    TXT("@", `v=spf1 -all`)
)
"""


def test_records_with_constants_and_positions() -> None:
    found = [f for f in parse("dns/dnsconfig.js", CONFIG) if isinstance(f, DnsRecord)]
    assert [(r.owner_fqdn, r.type, r.txt, r.exact, r.span.line, r.span.column) for r in found] == [
        ("mta.example.com.", "A", None, True, 6, 5),
        ("example.com.", "MX", None, True, 7, 5),
        ("example.com.", "TXT", "v=spf1 ip4:45.33.20.12 -all", True, 8, 5),
        ("split.example.com.", "TXT", "v=spf1 ip4:45.33.20.12 -all", True, 9, 5),
        ("dyn.example.com.", "TXT", "", False, 10, 5),
        (
            "mail.example.com.",
            "TXT",
            "v=spf1 ip4:45.33.20.12 include:_spf.example.net -all",
            True,
            11,
            5,
        ),
        ("sub.example.com.", "TXT", "v=spf1 -all", True, 24, 5),
    ]
    assert found[0].rdata_text == "45.33.20.10"
    assert found[1].rdata_text == "10 mx.example.com."
    assert found[3].strings == ("v=spf1 ip4:45.33.20.12 ", "-all")


def test_records_outside_a_domain_are_ignored() -> None:
    assert list(parse("dnsconfig.js", 'TXT("@", "v=spf1 -all");\n')) == []


def test_routing() -> None:
    parsers = load_parsers()
    assert "dnsconfig_js" in [p.name for p in parsers_for("dns/dnsconfig.js", parsers)]
    assert "dnsconfig_js" not in [p.name for p in parsers_for("web/app.js", parsers)]


@pytest.mark.parametrize(
    "data",
    (
        b"",
        b'\xffD("example.com", TXT("@", "v=spf1 -all"))\n',
        b'\xef\xbb\xbfD("example.com", TXT("@", "v=spf1 -all"))\n',
        b'D("example.com",\r\n TXT("@", "v=spf1 -all"))\r\n',
        b'D("example.com", TXT("@", "\0"))\n',
        b'D("example.com",\n' + b'  TXT("x", ["a", "b"]),\n' * 100_000 + b")\n",
        b'D("example.com", TXT("@", "' + b"a" * 1_000_000 + b'"))\n',
        b'D("example.com", TXT("@", "v=spf1',
        b"D(" * 50_000,
    ),
    ids=("empty", "utf8", "bom", "crlf", "nul", "huge", "long-line", "truncated", "deep"),
)
def test_bad_input_never_raises(data: bytes) -> None:
    parser = load_parsers()["dnsconfig_js"]
    result = parse_bytes("dnsconfig.js", data, [parser], 50_000_000)
    assert result.internal_errors == []
    for fact in result.facts:
        if isinstance(fact, ParseError):
            assert fact.span.line >= 1


def test_unterminated_string_is_reported() -> None:
    facts = list(parse("dnsconfig.js", 'D("example.com",\n  TXT("@", "v=spf1 -all))\n'))
    errors = [f for f in facts if isinstance(f, ParseError)]
    assert [(e.span.line, e.span.column) for e in errors] == [(2, 12)]
