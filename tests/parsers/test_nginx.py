"""The Nginx parser: exact positions of checks and locations, templates, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kumolint.facts.nginx import (
    AuthHeaderSet,
    BearerCheck,
    NginxFile,
    NginxFlag,
    NginxLocation,
    NginxMap,
    NginxUpstream,
)
from kumolint.finding import Span
from kumolint.model import ParseError, Value
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.nginx import parse
from kumolint.scan import parse_bytes

PATH = "nginx/conf.d/kumomta.conf"
CONF = """\
map $http_authorization $auth_ok {
    default 0;
    "Bearer tok-exact-4f9a2c" 1;
    "~^Bearer\\s+tok-regex-7d1e$" 1;
    ~^Bearer\\s(.+)$ 1;
}
upstream kumod { server 127.0.0.1:8000; }
server {
    listen 443 ssl;
    set $api_token "tok-set-3b8c";
    if ($http_authorization != "Bearer $api_token") { return 401; }
    location = /api/inject/v1 {
        if ($auth_ok = 0) { return 403; }
        proxy_set_header Authorization "";
        proxy_pass http://127.0.0.1:8000;
    }
    location /api/ {
        include snippets/kumo-auth.conf;
        proxy_set_header Authorization "Bearer tok-upstream-9e2f";
        proxy_pass http://kumod;
    }
}
"""


def facts_of(kind: type[Any], text: str, path: str = PATH) -> list[Any]:
    return [f for f in parse(path, text) if isinstance(f, kind)]


def test_bearer_checks_have_exact_positions() -> None:
    checks = facts_of(BearerCheck, CONF)
    found = [(c.how, c.token.kind, c.span.line, c.span.column) for c in checks]
    assert found == [
        ("map", "literal", 3, 13),
        ("map-regex", "literal", 4, 17),
        ("set", "literal", 10, 21),
    ]
    assert [c.token.value for c in checks] == [
        Value("tok-exact-4f9a2c"),
        Value("tok-regex-7d1e"),
        Value("tok-set-3b8c"),
    ]
    assert checks[0].check_span == Span(PATH, 3, 5, 3, 33)
    assert checks[2].check_span.line == 11  # the compare that uses the `set` variable


def test_maps_upstreams_and_auth_headers() -> None:
    assert facts_of(NginxMap, CONF) == [NginxMap("$http_authorization", "$auth_ok", Span(PATH))]
    upstream = facts_of(NginxUpstream, CONF)
    assert upstream == [NginxUpstream("kumod", ("127.0.0.1:8000",), Span(PATH, 7, 1))]
    (header,) = facts_of(AuthHeaderSet, CONF)
    assert header.scheme == "bearer"
    assert header.token.value == Value("tok-upstream-9e2f")
    assert (header.span.line, header.span.column) == (19, 48)


def test_locations_carry_guards_headers_and_includes() -> None:
    inject, api = facts_of(NginxLocation, CONF)
    assert inject.match == "= /api/inject/v1"
    assert inject.span == Span(PATH, 12, 5)
    assert inject.proxy_pass == "http://127.0.0.1:8000"
    assert inject.proxy_pass_span == Span(PATH, 15, 20, 15, 41)
    assert inject.guards == ("$http_authorization", "$auth_ok")
    assert inject.auth_header == "strip"
    assert api.guards == ("$http_authorization",)  # the server-level check only
    assert api.auth_header == "set"
    assert api.includes == ("snippets/kumo-auth.conf",)


def test_header_inheritance_follows_nginx() -> None:
    text = """\
server {
    proxy_set_header Authorization "";
    location /a { proxy_pass http://127.0.0.1:8000; }
    location /b { proxy_set_header Host $host; proxy_pass http://127.0.0.1:8000; }
    location /c { location /c/d { proxy_pass http://127.0.0.1:8000; } }
}
"""
    headers = {loc.match: loc.auth_header for loc in facts_of(NginxLocation, text)}
    assert headers == {"/a": "strip", "/b": None, "/c": "strip", "/c/d": "strip"}


def test_nested_location_does_not_inherit_the_parents_if() -> None:
    text = """\
server {
    location /api/ {
        if ($http_authorization != "Bearer ${TOKEN}") { return 401; }
        location /api/open/ { proxy_pass http://127.0.0.1:8000; }
    }
}
"""
    outer, inner = facts_of(NginxLocation, text)
    assert outer.guards == ("$http_authorization",)
    assert inner.guards == ()


def test_auth_request_is_inherited_until_switched_off() -> None:
    text = """\
server {
    auth_request /_auth;
    location /a { proxy_pass http://127.0.0.1:8000; }
    location /b { auth_request off; proxy_pass http://127.0.0.1:8000; }
}
"""
    found = {loc.match: loc.auth_request for loc in facts_of(NginxLocation, text)}
    assert found == {"/a": True, "/b": False}


def test_internal_and_deny_all_restrict_a_location() -> None:
    text = """\
server {
    location /a { internal; }
    location /b { allow 10.0.0.0/8; deny all; location /b/c { } }
    location /d { deny 10.0.0.1; }
}
"""
    found = {loc.match: loc.restricted for loc in facts_of(NginxLocation, text)}
    assert found == {"/a": True, "/b": True, "/b/c": True, "/d": False}


def test_flag_set_inside_an_if_is_recorded() -> None:
    text = """\
server {
    set $valid 0;
    if ($http_authorization = "Bearer ${PING8_INJECTION_TOKEN}") { set $valid 1; }
    if ($valid = 0) { return 401; }
    location / { proxy_pass http://127.0.0.1:8000; }
}
"""
    (flag,) = facts_of(NginxFlag, text)
    assert flag.variable == "$valid"
    assert "$http_authorization" in flag.tested
    (location,) = facts_of(NginxLocation, text)
    assert location.guards == ("$valid",)


def test_any_4xx_return_is_a_guard_and_a_redirect_is_not() -> None:
    text = """\
server {
    location /a { if ($auth_ok = 0) { return 404; } }
    location /b { if ($auth_ok = 0) { return 302 /login; } }
}
"""
    found = {loc.match: loc.guards for loc in facts_of(NginxLocation, text)}
    assert found == {"/a": ("$auth_ok",), "/b": ()}


def test_presence_only_if_is_no_guard() -> None:
    text = 'server { if ($http_authorization = "") { return 401; } location / { } }\n'
    (location,) = facts_of(NginxLocation, text)
    assert location.guards == ()


@pytest.mark.parametrize(
    ("path", "text", "kind", "name"),
    (
        (
            "nginx/templates/kumomta.conf.template",
            'if ($http_authorization != "Bearer ${PING8_INJECTION_TOKEN}") { return 401; }\n',
            "env-var",
            "PING8_INJECTION_TOKEN",
        ),
        (
            "roles/nginx/templates/kumomta.conf.j2",
            'if ($http_authorization != "Bearer {{ ping8_injection_token }}") { return 401; }\n',
            "template-var",
            "ping8_injection_token",
        ),
        (
            PATH,
            'if ($http_authorization != "Bearer $from_a_map") { return 401; }\n',
            "nginx-var",
            "from_a_map",
        ),
    ),
)
def test_references_are_not_literals(path: str, text: str, kind: str, name: str) -> None:
    (check,) = facts_of(BearerCheck, text, path)
    assert check.token.kind == kind
    assert check.token.name == name
    assert check.token.value is None


def test_template_kind_is_recorded() -> None:
    (file,) = facts_of(NginxFile, "server { listen 80; }\n", "nginx/templates/x.conf.template")
    assert file.template == "envsubst"
    (file,) = facts_of(NginxFile, "server { listen {{ port }}; }\n", "nginx/x.conf.j2")
    assert file.template == "jinja"


def test_jinja_statements_do_not_break_the_structure() -> None:
    text = """\
map $http_authorization $auth_ok {
    default 0;
{% for token in nginx_tokens %}
    "Bearer {{ token }}" 1;
{% endfor %}
}
server { location / { if ($auth_ok = 0) { return 401; } proxy_pass http://127.0.0.1:8000; } }
"""
    facts = list(parse("roles/nginx/templates/kumomta.conf.j2", text))
    assert not [f for f in facts if isinstance(f, ParseError)]
    (location,) = [f for f in facts if isinstance(f, NginxLocation)]
    assert location.guards == ("$auth_ok",)


def test_snippet_file_is_summarised_for_includes() -> None:
    text = 'if ($http_authorization != "Bearer ${T}") { return 401; }\n'
    text += 'proxy_set_header Authorization "";\n'
    (snippet,) = facts_of(NginxLocation, text, "nginx/snippets/kumo-auth.conf")
    assert snippet.snippet
    assert snippet.guards == ("$http_authorization",)
    assert snippet.auth_header == "strip"


def test_a_captured_bare_token_compared_later() -> None:
    text = """\
map $http_authorization $bearer {
    default "";
    "~^Bearer (.+)$" $1;
}
map $bearer $auth_ok {
    default 0;
    tok-bare-5c7d 1;
}
server { if ($bearer != "tok-bare-if-8e1f") { return 401; } }
"""
    checks = facts_of(BearerCheck, text)
    assert [(c.how, c.token.value, c.span.line, c.span.column) for c in checks] == [
        ("map", Value("tok-bare-5c7d"), 7, 5),
        ("if", Value("tok-bare-if-8e1f"), 9, 26),
    ]


def test_a_file_included_inside_a_map_holds_bare_entries() -> None:
    text = '# include tokens.map; inside the map block\n"Bearer tok-map-file-4a4a" 1;\n'
    text += '"~^Bearer\\s+tok-map-file-re$" 1;\n'
    checks = facts_of(BearerCheck, text, "nginx/tokens.map")
    assert [(c.how, c.token.value, c.span.line, c.span.column) for c in checks] == [
        ("map", Value("tok-map-file-4a4a"), 2, 9),
        ("map-regex", Value("tok-map-file-re"), 3, 13),
    ]


def test_proxy_pass_through_a_set_variable() -> None:
    text = "server {\n    set $kumod 127.0.0.1:8000;\n"
    text += "    location / { proxy_pass http://$kumod; }\n}\n"
    (location,) = facts_of(NginxLocation, text)
    assert location.proxy_pass == "http://127.0.0.1:8000"


def test_lowercase_bearer_is_still_a_check() -> None:
    (check,) = facts_of(BearerCheck, 'if ($http_authorization != "bearer abc123xyz") {}\n')
    assert check.token.value == Value("abc123xyz")


# Bad input: a ParseError with a position, the intact parts kept, never an exception.


def test_unbalanced_braces_give_a_positioned_error_and_keep_tokens() -> None:
    text = """\
server {
    location / {
        if ($http_authorization != "Bearer tok-kept-1a2b") { return 401; }
        proxy_pass http://127.0.0.1:8000;
}
"""
    facts = list(parse(PATH, text))
    errors = [f for f in facts if isinstance(f, ParseError)]
    assert errors == [ParseError('nginx: "{" of "server" is never closed', Span(PATH, 1, 1))]
    assert [c.token.value for c in facts if isinstance(c, BearerCheck)] == [Value("tok-kept-1a2b")]
    assert not [f for f in facts if isinstance(f, NginxLocation)]  # nesting is a guess


def test_extra_closing_brace() -> None:
    errors = facts_of(ParseError, "server { listen 80; }\n}\n")
    assert errors == [ParseError('nginx: unexpected "}"', Span(PATH, 2, 1))]


def test_missing_semicolon_before_a_directive_on_the_next_line() -> None:
    text = "server {\n    listen 80\n    server_name a.example.com;\n}\n"
    errors = facts_of(ParseError, text)
    assert errors == [ParseError('nginx: missing ";" before "server_name"', Span(PATH, 2, 14))]


def test_missing_semicolon_before_closing_brace() -> None:
    errors = facts_of(ParseError, "server {\n    listen 80\n}\n")
    assert errors == [ParseError('nginx: missing ";" before "}"', Span(PATH, 2, 14))]


def test_multi_line_arguments_are_not_a_missing_semicolon() -> None:
    text = "http {\n    log_format main '$remote_addr'\n        '$status';\n}\n"
    assert facts_of(ParseError, text) == []


def test_unterminated_quote() -> None:
    errors = facts_of(ParseError, 'server {\n    set $t "abc;\n}\n')
    assert errors[0] == ParseError("nginx: unterminated quoted string", Span(PATH, 2, 12))


def test_truncated_file() -> None:
    errors = facts_of(ParseError, "server {\n    listen")
    assert {e.span.line for e in errors} == {1, 2}


@pytest.mark.parametrize(
    "text",
    ("", "\n\n", "# only a comment\n", "[Service]\nEnvironment=A=1\n", "A=1\nB=2;\n"),
)
def test_not_nginx_gives_nothing(text: str) -> None:
    assert list(parse(PATH, text)) == []


def test_nul_byte_in_text_does_not_raise() -> None:
    facts = list(parse(PATH, "server {\n listen 80;\0 }\n"))
    assert isinstance(facts[0], NginxFile)


@pytest.mark.parametrize(
    "data",
    (
        b"\xef\xbb\xbfserver { listen 80; }\n",
        b"server {\r\n    listen 80;\r\n}\r\n",
        b"server { listen \xff80; }\n",
        b"server { listen 80; }\0",
    ),
    ids=["bom", "crlf", "invalid-utf8", "nul"],
)
def test_bytes_through_the_scanner(data: bytes) -> None:
    parsers = parsers_for(PATH, load_parsers())
    result = parse_bytes(PATH, data, parsers, 10 * 1024 * 1024)
    assert result.internal_errors == []
    errors = [f for f in result.facts if isinstance(f, ParseError)]
    assert all(e.span.line >= 1 for e in errors)
    if data.startswith(b"\xef\xbb\xbf") or b"\r\n" in data:
        assert errors == []


def test_deep_nesting_and_set_cycles() -> None:
    deep = "server {\n" + "location /x {\n" * 5000 + "}\n" * 5001
    assert len(facts_of(NginxLocation, deep)) == 5000
    cycle = 'set $a $b;\nset $b $a;\nif ($http_authorization != "Bearer $a") { return 401; }\n'
    (check,) = facts_of(BearerCheck, cycle)
    assert check.token.kind == "nginx-var"


def test_huge_file_and_long_line_finish() -> None:
    body = "    add_header X-Frame-Options DENY;\n" * (10 * 1024 * 1024 // 37)
    facts = list(parse(PATH, "server {\n" + body + "}\n"))
    assert [type(f) for f in facts] == [NginxFile]
    long_line = "server { server_name " + "a" * 1_000_000 + "; }\n"
    assert [type(f) for f in parse(PATH, long_line)] == [NginxFile]


@pytest.mark.parametrize(
    ("path", "wanted"),
    (
        ("nginx/conf.d/kumomta.conf", True),
        ("deploy/nginx/sites-available/kumomta", True),
        ("etc/nginx/nginx.conf", True),
        ("docker/templates/kumomta.conf.template", True),
        ("roles/nginx/templates/kumomta.conf.j2", True),
        ("roles/kumomta/templates/nginx-kumomta.conf.j2", True),
        ("roles/proxy/templates/kumomta.conf.j2", True),
        ("deploy/nginx/snippets/kumo-auth.inc", True),
        ("deploy/nginx/tokens.map", True),
        ("roles/nginx/tasks/main.yml", False),
        ("nginx/README.md", False),
        ("systemd/kumomta.service.d/override.conf", False),
    ),
)
def test_routing(path: str, wanted: bool) -> None:
    parsers = parsers_for(path, load_parsers())
    assert ("nginx" in [p.name for p in parsers]) is wanted


_PIECES = [*"{};\"'\\$#()~^ \n\tab=!", "if ", "map ", "location ", "Bearer ", "{{", "}}"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=80).map("".join))
def test_never_raises_and_positions_are_inside(fragment: str) -> None:
    text = "server { listen 80; }\nhttp {\n" + fragment  # passes the content sniff
    lines = text.split("\n")
    facts = list(parse(PATH, text))
    assert facts  # read as nginx, not skipped
    for fact in facts:
        span = getattr(fact, "span", None)
        if isinstance(span, Span):
            assert 1 <= span.line <= len(lines)
            assert 1 <= span.column <= len(lines[span.line - 1]) + 1
