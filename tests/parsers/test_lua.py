from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kumolint.facts.lua import (
    EgressPath,
    EgressSource,
    EnvRead,
    HttpAuth,
    HttpListener,
    SecretLiteral,
    Source,
    Webhook,
)
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.lua import parse
from kumolint.scan import parse_bytes

PATH = "policy/init.lua"


def facts(text: str) -> list[Any]:
    return list(parse(PATH, text))


def of(kind: type, found: list[Any]) -> list[Any]:
    return [f for f in found if isinstance(f, kind)]


def at(line: int, column: int, end_line: int, end_column: int) -> Span:
    return Span(PATH, line, column, end_line, end_column)


# -- env reads ----------------------------------------------------------------------------


def test_the_three_getenv_call_forms_with_exact_spans() -> None:
    found = of(
        EnvRead,
        facts("local A = os.getenv('A')\nlocal B = os.getenv 'B'\nlocal C = os.getenv(\"C\")\n"),
    )
    assert [(r.name, r.span, r.binding) for r in found] == [
        ("A", at(1, 11, 1, 25), "A"),
        ("B", at(2, 11, 2, 24), "B"),
        ("C", at(3, 11, 3, 25), "C"),
    ]
    assert {r.guard for r in found} == {"none"}


def test_columns_count_characters_not_bytes() -> None:
    (read,) = of(EnvRead, facts("local s = 'héllo€' .. os.getenv('X')\n"))
    # 'héllo€' is 8 characters but 11 bytes: the call starts at character 23.
    assert read.span == at(1, 23, 1, 37)


@pytest.mark.parametrize(
    ("code", "guard"),
    (
        ("local X = assert(os.getenv('X'), 'X must be set')", "assert"),
        ("local X = assert(os.getenv 'X')", "assert"),
        ("local X = os.getenv('X') or error('X must be set')", "error"),
        ("local X = os.getenv('X')\nif not X then error('unset') end", "check"),
        ("local X = os.getenv('X')\nif X == nil or X == '' then\n  error 'unset'\nend", "check"),
        ("if not os.getenv('X') then error('unset') end", "check"),
        ("local X = os.getenv('X')\nassert(X, 'unset')", "assert"),
        ("local X = os.getenv('X')\nif not X then print('unset') end", "none"),
        ("local X = tonumber(os.getenv('X'))", "none"),
    ),
)
def test_guards(code: str, guard: str) -> None:
    (read,) = of(EnvRead, facts(code))
    assert (read.name, read.guard, read.fallback) == ("X", guard, None)


def test_fallbacks_with_values_and_spans() -> None:
    found = of(
        EnvRead,
        facts(
            "local A = os.getenv('A') or 'lit'\n"
            'local B = (os.getenv "B" or "")\n'
            "local C = os.getenv('C') or 25\n"
            "local DEFAULT = 'd'\nlocal D = os.getenv('D') or DEFAULT\n"
            "local E = os.getenv('E') or nil\n"
            "local F = os.getenv('F') or 'a\\x41\\u{48}\\z   b'\n"
        ),
    )
    got = {r.name: (r.fallback, r.fallback_span) for r in found}
    assert got["A"] == (Value("lit"), at(1, 29, 1, 34))
    assert got["B"] == (Value(""), at(2, 29, 2, 31))
    assert got["C"] == (Value("25"), at(3, 29, 3, 31))
    assert got["D"] == (Value("d"), at(4, 17, 4, 20))  # through the local, at its literal
    assert got["E"] == (None, None)
    assert got["F"][0] == Value("aAHb")


def test_loop_over_required_names_and_getter_functions() -> None:
    found = of(
        EnvRead,
        facts(
            "local required = { 'A', 'B' }\n"
            "for _, name in ipairs(required) do\n"
            "  local v = os.getenv(name)\n"
            "  if not v then error(name .. ' is not set') end\n"
            "end\n"
            "local function env(name, default)\n"
            "  return os.getenv(name) or default\n"
            "end\n"
            "local function must(name)\n"
            "  local v = os.getenv(name)\n"
            "  if not v then error(name) end\n"
            "  return v\n"
            "end\n"
            "local C = env('C', 'fallback')\n"
            "local D = must('D')\n"
        ),
    )
    got = [(r.name, r.guard, r.fallback, r.span.line) for r in found]
    assert ("A", "loop", None, 1) in got
    assert ("B", "loop", None, 1) in got
    assert ("C", "none", Value("fallback"), 14) in got
    assert ("D", "function", None, 15) in got
    assert len(got) == 4  # the getenv(name) inside the helpers is not a read of a known name


def test_getenv_alias_and_binding_of_table_fields() -> None:
    found = of(
        EnvRead,
        facts("local getenv = os.getenv\nlocal config = { token = getenv('T') }\n"),
    )
    assert [(r.name, r.binding) for r in found] == [("T", "config.token")]


# -- secrets ------------------------------------------------------------------------------


def test_secret_literals_and_keysource_paths() -> None:
    found = of(
        SecretLiteral,
        facts(
            "local API_TOKEN <const> = 'abc123xyz'\n"
            "constants.webhook_secret = [==[\nlong]==]\n"
            "local t = { key_data = 'k', vault_token = 'v', password = 'p' }\n"
            "local s = { smtp_auth_plain_password = '/etc/pw', tls_private_key = '/k.pem' }\n"
            "local TOKEN_HEADER = 'x-api-token'\n"
            "local plain = 'not a secret name'\n"
        ),
    )
    got = [(s.name, s.value, s.context, s.span.line, s.span.column) for s in found]
    assert got == [
        ("API_TOKEN", Value("abc123xyz"), "local", 1, 27),
        ("webhook_secret", Value("long"), "local", 2, 28),
        ("key_data", Value("k"), "key_data", 4, 24),
        ("vault_token", Value("v"), "vault_token", 4, 43),
        ("password", Value("p"), "field", 4, 59),
    ]


# -- HTTP auth ----------------------------------------------------------------------------


def test_bearer_header_resolves_a_local_to_the_env_read() -> None:
    found = facts(
        "local TOKEN = assert(os.getenv('PING8_WEBHOOK_TOKEN'), 'unset')\n"
        "local URL = os.getenv('PING8_WEBHOOK_URL') or error('unset')\n"
        "client:post(URL):header('Authorization', 'Bearer ' .. TOKEN):send()\n"
    )
    (auth,) = of(HttpAuth, found)
    assert auth.scheme == "bearer"
    assert auth.header == "Authorization"
    assert auth.token == Source("env", at(1, 22, 1, 53), env_name="PING8_WEBHOOK_TOKEN")
    assert auth.span == at(3, 18, 3, 61)
    assert auth.url is not None
    assert auth.url.env_name == "PING8_WEBHOOK_URL"


def test_auth_forms() -> None:
    found = of(
        HttpAuth,
        facts(
            "r:bearer_auth('lit-token')\n"
            "r:basic_auth('api', os.getenv('API_PASS') or 'pw')\n"
            "r:header('x-kumomta-key', constants.kumomta_key)\n"
            "r:header('Content-Type', 'application/json')\n"
            "local h = { headers = { ['Authorization'] = 'Bearer abc', ['x-api-key'] = K } }\n"
            "local other = { ['x-api-key'] = 'not in a headers table' }\n"
            "r:headers { Authorization = 'Basic dXNlcjpwYXNz' }\n"
        ),
    )
    got = [(a.scheme, a.header, a.token.kind, a.span.line) for a in found]
    assert got == [
        ("bearer", "Authorization", "literal", 1),
        ("basic", "Authorization", "env", 2),
        ("header", "x-kumomta-key", "expression", 3),
        ("bearer", "Authorization", "literal", 5),
        ("header", "x-api-key", "expression", 5),
        ("basic", "Authorization", "literal", 7),
    ]
    assert found[0].token.value == Value("lit-token")
    assert found[1].token.env_name == "API_PASS"
    assert found[1].token.value == Value("pw")
    assert found[2].token.expression == "constants.kumomta_key"
    assert found[3].token.value == Value("abc")


# -- API calls ----------------------------------------------------------------------------


def test_egress_source_and_path() -> None:
    found = facts(
        "local IP = os.getenv('KUMOPROXY_PUBLIC_IP')\n"
        "kumo.make_egress_source {\n"
        "  name = 'ip-1',\n"
        "  socks5_proxy_server = '127.0.0.1:5000',\n"
        "  socks5_proxy_source_address = IP,\n"
        "  ehlo_domain = 'mta1.example.com',\n"
        "}\n"
        "local params = { socks5_proxy_server = 'p:1' }\n"
        "kumo.make_egress_source(params)\n"
        "kumo.make_egress_path { ehlo_domain = os.getenv('HELO') or 'x.example.com' }\n"
    )
    first, second = of(EgressSource, found)
    assert first.span == at(2, 1, 7, 2)
    assert first.name == "ip-1"
    assert first.socks5_proxy_server == Source(
        "literal", at(4, 25, 4, 41), Value("127.0.0.1:5000")
    )
    assert first.socks5_proxy_source_address is not None
    assert first.socks5_proxy_source_address.env_name == "KUMOPROXY_PUBLIC_IP"
    assert first.ehlo_domain is not None
    assert first.ehlo_domain.value == Value("mta1.example.com")
    assert first.source_address is None
    assert first.origin == "lua"
    assert second.socks5_proxy_server is not None
    assert second.socks5_proxy_server.span.line == 8
    (path,) = of(EgressPath, found)
    assert path.ehlo_domain is not None
    assert (path.ehlo_domain.env_name, path.ehlo_domain.value) == ("HELO", Value("x.example.com"))


def test_http_listener() -> None:
    found = of(
        HttpListener,
        facts(
            "kumo.start_http_listener { listen = '0.0.0.0:' .. PORT, trusted_hosts = { '::1' } }\n"
            "proxy.start_http_listener { listen = '[::1]:8000',"
            " trusted_hosts = kumo.string.split(x, ',') }\n"
        ),
    )
    first, second = found
    assert (first.api, first.listen_host, first.listen and first.listen.kind) == (
        "kumo.start_http_listener",
        "0.0.0.0",
        "expression",
    )
    assert [t.value for t in first.trusted_hosts] == [Value("::1")]
    assert (second.api, second.listen_host) == ("proxy.start_http_listener", "::1")
    assert second.trusted_hosts == ()
    assert second.trusted_hosts_expression is not None


def test_webhooks() -> None:
    found = of(
        Webhook,
        facts(
            "log_hooks:new_json { name = 'j', url = 'http://h/x' }\n"
            "log_hooks:new { name = 'n', constructor = function()\n"
            "  return client:post(URL):bearer_auth(T):send()\n"
            "end }\n"
            "kumo.on('make.hook', function() client:put(URL):send() end)\n"
            "kumo.on('init', function() end)\n"
            "kumo.configure_log_hook { name = 'c' }\n"
            "thing:new { name = 'not a hook' }\n"
        ),
    )
    got = [(w.kind, w.name, w.posts, w.has_auth, w.span.line) for w in found]
    assert got == [
        ("new_json", "j", True, False, 1),
        ("new", "n", True, True, 2),
        ("make.hook", None, True, False, 5),
        ("configure_log_hook", "c", False, False, 7),
    ]
    assert found[1].url is not None
    assert found[1].url.expression == "URL"


# -- bad input ----------------------------------------------------------------------------


def run_bytes(data: bytes, max_size: int = 20 * 1024 * 1024) -> list[Any]:
    parsers = load_parsers()
    result = parse_bytes(PATH, data, parsers_for(PATH, parsers), max_size)
    assert result.internal_errors == []
    assert result.skipped is None
    return result.facts


def test_empty_and_blank_files() -> None:
    assert facts("") == []
    assert facts("\n  \n") == []


def test_invalid_utf8_is_located_and_the_rest_is_read() -> None:
    found = run_bytes(b"local A = '\xff'\nlocal B = os.getenv('B')\n")
    (error,) = of(ParseError, found)
    assert (error.span.line, error.span.column) == (1, 12)
    assert [r.name for r in of(EnvRead, found)] == ["B"]


def test_bom_and_crlf() -> None:
    found = run_bytes(b"\xef\xbb\xbflocal A = os.getenv('A')\r\nlocal B = os.getenv('B')\r\n")
    assert [(r.name, r.span) for r in of(EnvRead, found)] == [
        ("A", at(1, 11, 1, 25)),
        ("B", at(2, 11, 2, 25)),
    ]


def test_nul_byte_file_is_skipped_as_binary() -> None:
    parsers = load_parsers()
    result = parse_bytes(PATH, b"local A = 1\0\n", parsers_for(PATH, parsers), 1024)
    assert result.skipped == "binary"


def test_ten_megabyte_file_is_skipped_by_size_and_a_large_one_parses() -> None:
    line = "local T%d = os.getenv('T') or 'fallback-value-for-the-benchmark-0123456789'\n"
    big = "".join(line % i for i in range(130_000)).encode()  # ~10 MB
    parsers = load_parsers()
    result = parse_bytes(PATH, big, parsers_for(PATH, parsers), 5 * 1024 * 1024)
    assert result.skipped is not None
    assert "max-file-size" in result.skipped
    found = facts("".join(line % i for i in range(5_000)))
    assert len(of(EnvRead, found)) == 5_000


def test_very_long_line() -> None:
    prefix = "local t = {" + "'é'," * 25_000 + "} local X = "  # 100,000 characters
    (read,) = of(EnvRead, facts(prefix + "os.getenv('X')\n"))
    assert read.span.column == len(prefix) + 1


@pytest.mark.parametrize(
    ("text", "line", "column"),
    (
        ("local A = os.getenv('A')\nlocal s = 'unclosed\n", 2, 11),
        ("local A = os.getenv('A')\nkumo.on('init', function()\n  x = 1\n", 1, 1),
        ("local A = os.getenv('A')\nlocal = = 2\n", 2, 1),
        ("local A = os.getenv('A')\nlocal t = { a = 1,\n", 2, 9),
    ),
)
def test_truncated_syntax_gives_one_located_error_and_keeps_facts(
    text: str, line: int, column: int
) -> None:
    found = facts(text)
    (error,) = of(ParseError, found)
    assert (error.span.line, error.span.column) == (line, column)
    assert "Lua syntax error" in error.message
    assert [r.name for r in of(EnvRead, found)] == ["A"]


def test_lua_54_syntax_is_not_an_error() -> None:
    found = facts(
        "local A <const> = os.getenv('A')\n"
        "local f <close> = nil\n"
        "goto done\n::done::\n"
        "local q = 7 // 2 | 1 << 3\n"
        "local k = { key_data = [==[\n-----BEGIN X-----\n]] still inside\n]==] }\n"
        "--[==[ a long\ncomment ]==]\n"
    )
    assert of(ParseError, found) == []
    assert [r.name for r in of(EnvRead, found)] == ["A"]
    (secret,) = of(SecretLiteral, found)
    assert secret.value == Value("-----BEGIN X-----\n]] still inside\n")


@pytest.mark.parametrize(
    "text",
    (
        "x = " + "(" * 5000 + "1" + ")" * 5000,
        "local A = os.getenv('A')" + " or b" * 5000,
        "local t = " + "{a=" * 3000 + "1" + "}" * 3000,
        "x = a" + ".b" * 5000,
        "x = " + "f(" * 3000 + ")" * 3000,
    ),
    ids=("parentheses", "or-chain", "tables", "field-path", "calls"),
)
def test_deep_nesting_never_raises(text: str) -> None:
    found = facts(text)
    assert all(isinstance(f, (EnvRead, ParseError)) for f in found)


def test_captured_nodes_come_in_document_order() -> None:
    from kumolint.parsers._lua_tree import LuaSource, nodes_by_kind

    source = LuaSource(PATH, "f(g(h()), {a = {b = 1}})\nlocal x = k(m())\nfunction z() n() end\n")
    found = nodes_by_kind(source.tree.root_node)
    for nodes in found.values():
        starts = [n.start_byte for n in nodes]
        assert starts == sorted(starts)
    assert [source.text(c).split("(")[0] for c in found["function_call"]] == [
        "f",
        "g",
        "h",
        "k",
        "m",
        "n",
    ]


@pytest.mark.parametrize(
    ("literal", "value"),
    (
        ("''", ""),
        ("'a\\\\'", "a\\"),
        ("'\\''", "'"),
        ('"it\'s"', "it's"),
        ("'\\65\\066\\x43\\u{20AC}'", "ABC€"),
        ("'a\\z\n     b'", "ab"),
        ("[[\nx]]", "x"),
        ("[=[a]]b]=]", "a]]b"),
        ("[[]]", ""),
    ),
)
def test_string_values(literal: str, value: str) -> None:
    (read,) = of(EnvRead, facts(f"local A = os.getenv('A') or {literal}\n"))
    assert read.fallback == Value(value)


_TOKENS = (
    "local ", "X", " = ", "os.getenv", "('A')", " 'B' ", " or ", "''", "assert(", ")", "(",
    "{", "}", "[", "]", "key_data", "vault_token", ":header", ":bearer_auth", "'Bearer '",
    " .. ", "kumo.make_egress_source", "kumo.start_http_listener", "listen", "trusted_hosts",
    "log_hooks:new_json", "kumo.on", "'make.x'", "function", " end ", "if ", " then ",
    "error('e')", "for _, n in ipairs", " do ", "\n", ",", "[==[", "]==]", "--", "é", "<const>",
    "goto x", "::x::", "//", "\"", "'", "\\",
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=60))
def test_any_token_soup_never_raises_and_spans_stay_in_the_file(tokens: list[str]) -> None:
    text = "".join(tokens)
    lines = text.split("\n")
    for fact in facts(text):
        assert 1 <= fact.span.line <= len(lines)
        assert 1 <= fact.span.column <= len(lines[fact.span.line - 1]) + 1


def test_headers_table_auth_inside_a_constructor_gets_the_constructor_url() -> None:
    found = facts(
        "kumo.on('make.hook', function(domain, tenant, campaign)\n"
        "  local request = client:post(os.getenv('HOOK_URL') or error('unset'))\n"
        "  request:headers { ['Authorization'] = 'Bearer ' .. TOKEN }\n"
        "end)\n"
        "local elsewhere = { headers = { Authorization = 'Basic x' } }\n"
    )
    inside, outside = of(HttpAuth, found)
    assert inside.url is not None
    assert (inside.url.kind, inside.url.env_name, inside.span.line) == ("env", "HOOK_URL", 3)
    assert outside.url is None
