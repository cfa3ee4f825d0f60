from __future__ import annotations

import pytest

from kumolint.facts.dns import DnsRecord, ZoneInclude
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.zonefile import parse
from kumolint.scan import parse_bytes

ZONE = """\
$TTL 300
$ORIGIN example.com.
@   IN SOA ns1 hostmaster ( 2024010101 3600 600
        86400 300 ) ; serial etc.
@ 3600 IN TXT ( "v=spf1 ip4:192.0.2.0/24 " ; first half
                "include:_spf.example.net -all" )
    IN MX 10 mail
mail IN A 192.0.2.10
$ORIGIN sub.example.com.
relay 60 A 192.0.2.11
www IN CNAME example.com
"""


def records(path: str, text: str) -> list[DnsRecord]:
    return [f for f in parse(path, text) if isinstance(f, DnsRecord)]


def errors(path: str, text: str) -> list[ParseError]:
    return [f for f in parse(path, text) if isinstance(f, ParseError)]


def test_owners_types_and_positions() -> None:
    found = records("dns/example.com.zone", ZONE)
    assert [(r.owner_fqdn, r.type, r.span.line) for r in found] == [
        ("example.com.", "SOA", 3),
        ("example.com.", "TXT", 5),
        ("example.com.", "MX", 7),
        ("mail.example.com.", "A", 8),
        ("relay.sub.example.com.", "A", 10),
        ("www.sub.example.com.", "CNAME", 11),
    ]
    txt = found[1]
    assert txt.span == Span("dns/example.com.zone", 5, 1, 6, 50)
    assert txt.txt == "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"
    assert txt.strings == ("v=spf1 ip4:192.0.2.0/24 ", "include:_spf.example.net -all")
    assert (txt.ttl, found[2].ttl, found[4].ttl) == (3600, 300, 60)
    assert found[2].rdata_text == "10 mail.example.com."
    # a name without the trailing dot is relative: the classic zone file bug
    assert found[5].rdata_text == "example.com.sub.example.com."


def test_unquoted_tokens_are_separate_strings() -> None:
    (record,) = records("dns/db.example.com", "@ IN TXT v=spf1 -all\n")
    assert record.strings == ("v=spf1", "-all")
    assert record.txt == "v=spf1-all"


def test_escapes_in_txt() -> None:
    (record,) = records("dns/a.zone", '@ TXT "say \\"hi\\"\\059 \\\\"\n')
    assert record.txt == 'say "hi"; \\'


def test_origin_guessed_from_the_file_name_is_marked() -> None:
    found = records("zones/db.example.org", '@ IN TXT "v=spf1 -all"\nmta IN A 192.0.2.1\n')
    assert [(r.owner_fqdn, r.relative_owner) for r in found] == [
        ("example.org.", "@"),
        ("mta.example.org.", "mta"),
    ]
    explicit = records("zones/db.example.org", "$ORIGIN example.org.\nmta IN A 192.0.2.1\n")
    assert explicit[0].relative_owner is None


def test_bad_record_in_the_middle_keeps_the_others() -> None:
    text = "$ORIGIN example.com.\na IN A 192.0.2.1\nb IN A 192.0.2.999\nc IN A 192.0.2.3\n"
    facts = list(parse("dns/example.com.zone", text))
    assert [r.owner_fqdn for r in facts if isinstance(r, DnsRecord)] == [
        "a.example.com.",
        "c.example.com.",
    ]
    (error,) = [f for f in facts if isinstance(f, ParseError)]
    assert error.span.line == 3
    assert "b.example.com." in error.message


def test_unknown_type_and_missing_data_are_errors() -> None:
    text = "$ORIGIN example.com.\na IN BOGUS x\nb IN A\nc IN A 192.0.2.3\n"
    assert [e.span.line for e in errors("dns/example.com.zone", text)] == [2, 3]
    assert len(records("dns/example.com.zone", text)) == 1


def test_include_becomes_a_fact() -> None:
    text = "$ORIGIN example.com.\n$INCLUDE extra.zone\n$INCLUDE other.zone sub.example.com.\n"
    includes = [f for f in parse("dns/example.com.zone", text) if isinstance(f, ZoneInclude)]
    assert [(i.filename, i.origin, i.span.line) for i in includes] == [
        ("extra.zone", "example.com.", 2),
        ("other.zone", "sub.example.com.", 3),
    ]


def test_unbalanced_parentheses_and_quotes() -> None:
    unclosed = errors("dns/a.zone", 'a IN A 192.0.2.1\n@ IN TXT ( "v=spf1"\n')
    assert [(e.span.line, e.span.column) for e in unclosed] == [(2, 10)]
    stray = errors("dns/a.zone", "a IN A 192.0.2.1 )\n")
    assert [(e.span.line, e.span.column) for e in stray] == [(1, 18)]
    quote = errors("dns/a.zone", '@ IN TXT "v=spf1\nb IN A 192.0.2.1\n')
    assert [(e.span.line, e.span.column) for e in quote] == [(1, 10)]


def test_long_txt_string_is_an_error() -> None:
    text = f'@ IN TXT "{"a" * 256}"\n'
    assert len(errors("dns/a.zone", text)) == 1


def test_routing() -> None:
    parsers = load_parsers()
    for path in ("dns/example.com.zone", "named/db.example.com", "zones/example.com.db"):
        assert "zonefile" in [p.name for p in parsers_for(path, parsers)]
    for path in ("app/db.py", "src/db.sqlite"):
        assert "zonefile" not in [p.name for p in parsers_for(path, parsers)]
    # named.conf under named/ is routed but is not a zone
    assert list(parse("named/named.conf", 'zone "x" { type master; };\n')) == []


@pytest.mark.parametrize(
    "data",
    (
        b"",
        b"\xff\xfe@ IN A 192.0.2.1\n",
        b"\xef\xbb\xbf@ IN A 192.0.2.1\n",
        b'@ IN A 192.0.2.1\r\n@ IN TXT "v=spf1 -all"\r\n',
        b"@ IN A 192.0.2.1\n\0\n",
        b"@ IN TXT (\n" + b'"x" ' * 200_000,
        b"@ IN TXT " + b"a" * 1_000_000 + b"\n",
        b'$ORIGIN example.com.\n@ IN SOA ns1 host ( 1 2\n@ IN TXT "v=spf1',
    ),
    ids=("empty", "utf8", "bom", "crlf", "nul", "huge", "long-line", "truncated"),
)
def test_bad_input_never_raises(data: bytes) -> None:
    parser = load_parsers()["zonefile"]
    result = parse_bytes("dns/example.com.zone", data, [parser], 50_000_000)
    assert result.internal_errors == []
    for fact in result.facts:
        if isinstance(fact, ParseError):
            assert fact.span.line >= 1


def test_crlf_and_bom_read_like_plain_text() -> None:
    parser = load_parsers()["zonefile"]
    data = b"\xef\xbb\xbf@ IN A 192.0.2.1\r\nmx IN A 192.0.2.2\r\n"
    result = parse_bytes("dns/example.com.zone", data, [parser], 1000)
    found = [f for f in result.facts if isinstance(f, DnsRecord)]
    assert [(r.owner_fqdn, r.rdata_text, r.span.line) for r in found] == [
        ("example.com.", "192.0.2.1", 1),
        ("mx.example.com.", "192.0.2.2", 2),
    ]


def test_unknown_directive_message_never_quotes_arbitrary_text() -> None:
    from kumolint.model import ParseError
    from kumolint.parsers.zonefile import parse

    text = "$ORIGIN example.com.\n$FOO bar\n$s3cr3t-Tok3n=x\n"
    messages = [f.message for f in parse("z.zone", text) if isinstance(f, ParseError)]
    assert messages == ["zone file: unknown directive $FOO", "zone file: unknown directive"]
