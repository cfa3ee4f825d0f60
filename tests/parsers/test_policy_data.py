from __future__ import annotations

from typing import Any

import pytest

from kumolint.facts.lua import EgressPath, EgressSource, SecretLiteral, Source
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.policy_data import parse
from kumolint.scan import parse_bytes

SOURCES = """\
# egress sources
[source."ip-1"]
source_address = "10.0.0.1"
ehlo_domain = 'mta1.example.com'
socks5_proxy_server = "127.0.0.1:5000"
socks5_proxy_source_address = "203.0.113.20"

[source.'ip-2']
socks5_proxy_server   =   "127.0.0.1:5000"
socks5_proxy_password = { key_data = "inline-proxy-password" }

[pool."pool-1"."ip-1"]
weight = 2
"""


def facts(path: str, text: str) -> list[Any]:
    return list(parse(path, text))


def of(kind: type, found: list[Any]) -> list[Any]:
    return [f for f in found if isinstance(f, kind)]


def test_sources_toml_gives_egress_sources_with_value_positions() -> None:
    path = "policy/sources.toml"
    first, second = of(EgressSource, facts(path, SOURCES))
    assert (first.name, first.span, first.origin) == ("ip-1", Span(path, 2, 1), "helper-data")
    assert first.source_address == Source("literal", Span(path, 3, 18), Value("10.0.0.1"))
    assert first.ehlo_domain == Source("literal", Span(path, 4, 15), Value("mta1.example.com"))
    assert first.socks5_proxy_source_address == Source(
        "literal", Span(path, 6, 31), Value("203.0.113.20")
    )
    assert second.name == "ip-2"
    assert second.socks5_proxy_server == Source(
        "literal", Span(path, 9, 27), Value("127.0.0.1:5000")
    )
    assert second.socks5_proxy_source_address is None


def test_inline_keysource_secret_in_helper_data() -> None:
    (secret,) = of(SecretLiteral, facts("x/anything.toml", SOURCES))
    assert secret == SecretLiteral(
        "key_data", Value("inline-proxy-password"), Span("x/anything.toml", 10, 27), "key_data"
    )


def test_shaping_toml_gives_egress_paths_and_vault_tokens() -> None:
    text = (
        '["default"]\nconnection_limit = 10\nehlo_domain = "mta.example.com"\n\n'
        '["gmail.com".sources."ip-1"]\nehlo_domain = "ip1.example.com"\n\n'
        "[provider.yahoo]\nmax_deliveries_per_connection = 20\n"
        'smtp_auth_plain_password = { vault_mount = "secret", vault_token = "hvs.x" }\n'
    )
    found = facts("policy/shaping.toml", text)
    assert [
        (p.name, p.span.line, p.ehlo_domain and p.ehlo_domain.value) for p in of(EgressPath, found)
    ] == [
        ("default", 1, Value("mta.example.com")),
        ("gmail.com.sources.ip-1", 5, Value("ip1.example.com")),
    ]
    (token,) = of(SecretLiteral, found)
    assert (token.name, token.context, token.span.line) == ("vault_token", "vault_token", 10)


def test_json_helper_data_by_shape_with_positions() -> None:
    text = (
        '{\n  "source": {\n    "a": {\n'
        '      "socks5_proxy_server": "127.0.0.1:5000"\n    }\n  }\n}\n'
    )
    (source,) = of(EgressSource, facts("data/whatever.json", text))
    assert source.name == "a"
    assert source.socks5_proxy_server is not None
    assert source.socks5_proxy_server.span == Span("data/whatever.json", 4, 30)


@pytest.mark.parametrize(
    ("path", "text"),
    (
        ("pyproject.toml", '[project]\nname = "x"\n[tool.ruff]\nline-length = 99\n'),
        ("policy/sources.toml", '[[source]]\nname = "feed"\nurl = "https://example.com"\n'),
        ("package.json", '{"name": "x", "dependencies": {"a": "1"}}'),
        ("policy/listener_domains.toml", '["example.com"]\nrelay_to = false\n'),
        ("data.json", "[1, 2, 3]"),
        ("source.toml", "source = 5\n"),
    ),
)
def test_other_toml_and_json_give_nothing(path: str, text: str) -> None:
    assert facts(path, text) == []


def test_broken_helper_data_is_located() -> None:
    (error,) = facts("policy/sources.toml", '[source."a"]\nsocks5_proxy_server = = 1\n')
    assert isinstance(error, ParseError)
    assert (error.span.line, error.span.column) == (2, 23)
    (error,) = facts("policy/sources.json", '{"source": {"a": {"socks5_proxy_server": }}}')
    assert isinstance(error, ParseError)
    assert error.span.line == 1


def test_broken_unrelated_toml_is_not_our_business() -> None:
    assert facts("Cargo.toml", "[package\nname = 1\n") == []


def run_bytes(path: str, data: bytes) -> list[Any]:
    parsers = load_parsers()
    result = parse_bytes(path, data, parsers_for(path, parsers), 20 * 1024 * 1024)
    assert result.internal_errors == []
    return result.facts


def test_bad_input_set() -> None:
    path = "policy/sources.toml"
    assert run_bytes(path, b"") == []
    bom_crlf = b'\xef\xbb\xbf[source."a"]\r\nsocks5_proxy_server = "127.0.0.1:5000"\r\n'
    (source,) = of(EgressSource, run_bytes(path, bom_crlf))
    assert source.socks5_proxy_server is not None
    assert source.socks5_proxy_server.span == Span(path, 2, 23)
    invalid = run_bytes(path, b'[source."a"]\nehlo_domain = "\xff"\n')
    assert [type(f) for f in invalid].count(ParseError) == 1
    assert len(of(EgressSource, invalid)) == 1
    deep = "a = " + "[" * 5000 + "]" * 5000 + "\n"
    assert facts(path, deep) == []
    long_line = '[source."a"]\nehlo_domain = "' + "x" * 500_000 + '"\n'
    assert len(of(EgressSource, facts(path, long_line))) == 1
    truncated = '[source."a"]\nsocks5_proxy_server = "127.0.0.1:5000\n'
    assert [type(f) for f in facts(path, truncated)] == [ParseError]
