from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kumolint.facts.env import EnvAssignment, EnvFile
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.envfile import parse, route, tokenize
from kumolint.scan import parse_bytes

# The comparison table of research/libraries.md §2, one line per row.
TABLE = """\
; semicolon comment
export PING8_WEBHOOK_TOKEN="<PING8_WEBHOOK_TOKEN>"
   API_KEY = 'sk_live_xyz'   # trailing comment
INLINE=value # comment
URL=http://example.com/#frag
MULTI="line1
line2"
SQ='it''s'
ESC="a\\nb\\t\\"q\\""
REF=${KUMO_TOKEN}/x
NOEQ
BAD LINE WITH SPACES
CONT=foo\\
bar
"""


def values(text: str, dialect: str) -> dict[str, str]:
    lines, _, _ = tokenize(text, dialect)
    return {line.name: line.value for line in lines}


def facts(path: str, text: str) -> list[Any]:
    return list(parse(path, text))


def assignments(path: str, text: str) -> list[EnvAssignment]:
    return [f for f in facts(path, text) if isinstance(f, EnvAssignment)]


def errors(path: str, text: str) -> list[ParseError]:
    return [f for f in facts(path, text) if isinstance(f, ParseError)]


def test_systemd_dialect_follows_the_man_page_table() -> None:
    assert values(TABLE, "systemd") == {
        "PING8_WEBHOOK_TOKEN": "<PING8_WEBHOOK_TOKEN>",  # kept, but marked ignored (export)
        "API_KEY": "sk_live_xyz# trailing comment",
        "INLINE": "value # comment",
        "URL": "http://example.com/#frag",
        "MULTI": "line1\nline2",
        "SQ": "its",
        "ESC": 'a\\nb\\t"q"',
        "REF": "${KUMO_TOKEN}/x",
        "CONT": "foobar",
    }


def test_dotenv_dialect_follows_python_dotenv() -> None:
    assert values(TABLE, "dotenv") == {
        "PING8_WEBHOOK_TOKEN": "<PING8_WEBHOOK_TOKEN>",
        "API_KEY": "sk_live_xyz",
        "INLINE": "value",
        "URL": "http://example.com/#frag",
        "MULTI": "line1\nline2",
        "SQ": "it",
        "ESC": 'a\nb\t"q"',
        "REF": "${KUMO_TOKEN}/x",
        "CONT": "foo\\",
    }


def test_dotenv_reports_lines_it_cannot_read_with_their_position() -> None:
    found = errors(".env", TABLE)
    assert [(e.span.line, e.span.column, e.message) for e in found] == [
        (1, 1, "dotenv: not a NAME=value line"),
        (8, 8, "dotenv: unexpected text after the closing quote"),
        (12, 1, "dotenv: not a NAME=value line"),
    ]


def test_systemd_export_line_is_ignored_by_systemd_but_kept_as_a_fact() -> None:
    text = "A=1\nexport PING8_WEBHOOK_TOKEN=abc\n"
    (first, exported) = assignments("etc/default/kumomta", text)
    assert not first.ignored
    assert exported.ignored
    assert exported.name == "PING8_WEBHOOK_TOKEN"
    assert exported.name_span == Span("etc/default/kumomta", 2, 8, 2, 27)
    assert exported.span == Span("etc/default/kumomta", 2, 28, 2, 31)
    (error,) = errors("etc/default/kumomta", text)
    assert error.span == Span("etc/default/kumomta", 2, 1)
    assert "export PING8_WEBHOOK_TOKEN" in error.message
    assert "abc" not in error.message


def test_dotenv_export_is_fine() -> None:
    (only,) = assignments(".env", "export API_TOKEN=abc\n")
    assert not only.ignored
    assert errors(".env", "export API_TOKEN=abc\n") == []


def test_positions_of_names_and_values() -> None:
    text = (
        "# comment\n"
        "PING8_WEBHOOK_TOKEN=<PING8_WEBHOOK_TOKEN>\n"
        "  KUMOPROXY_PORT = 5000  \n"
        'MULTI="one\n'
        'two"\n'
        "CONT=ab\\\n"
        "cd\n"
        "EMPTY=\n"
    )
    path = "etc/default/kumomta"
    got = {a.name: (a.name_span, a.span, a.quoted) for a in assignments(path, text)}
    assert got == {
        "PING8_WEBHOOK_TOKEN": (Span(path, 2, 1, 2, 20), Span(path, 2, 21, 2, 42), False),
        "KUMOPROXY_PORT": (Span(path, 3, 3, 3, 17), Span(path, 3, 20, 3, 24), False),
        "MULTI": (Span(path, 4, 1, 4, 6), Span(path, 4, 7, 5, 5), True),
        "CONT": (Span(path, 6, 1, 6, 5), Span(path, 6, 6, 7, 3), False),
        "EMPTY": (Span(path, 8, 1, 8, 6), Span(path, 8, 7, 8, 7), False),
    }


def test_systemd_inline_hash_is_part_of_the_value_and_dotenv_strips_it() -> None:
    text = "KUMO_TOKEN=<KUMO_TOKEN> # fill in\n"
    (systemd,) = assignments("etc/default/kumomta", text)
    (dotenv,) = assignments(".env", text)
    assert systemd.value.text == "<KUMO_TOKEN> # fill in"
    assert systemd.span == Span("etc/default/kumomta", 1, 12, 1, 33)
    assert dotenv.value.text == "<KUMO_TOKEN>"
    assert dotenv.span == Span(".env", 1, 12, 1, 24)


@pytest.mark.parametrize(
    ("path", "dialect", "sniff", "template"),
    (
        (".env", "dotenv", False, False),
        ("app/.env.production", "dotenv", False, False),
        ("app/.env.example", "dotenv", False, True),
        ("deploy/app.env", "dotenv", False, False),
        ("deploy/kumomta.env", "systemd", False, False),
        ("opt/kumomta/etc/kumod.env", "systemd", False, False),
        ("deploy/kumomta.env.j2", "systemd", False, True),
        ("deploy/kumomta.env.sample", "systemd", False, True),
        ("etc/default/kumomta", "systemd", False, False),
        ("roles/kumo/files/default/kumomta.dist", "systemd", False, True),
        ("etc/default/grub", "systemd", True, False),
        ("debian/kumomta.default", "systemd", False, False),
        ("deploy/kumomta", "systemd", True, False),
        ("files/kumomta.conf", "systemd", True, False),
        ("files/kumomta.template", "systemd", True, True),
    ),
)
def test_route_by_path(path: str, dialect: str, sniff: bool, template: bool) -> None:
    how = route(path)
    assert how is not None
    assert (how.dialect, how.sniff, how.template) == (dialect, sniff, template)


@pytest.mark.parametrize(
    "path",
    (".envrc", "kumomta.service", "policy/init.lua", "deploy/environment.yml", "kumomta.spec"),
)
def test_route_rejects_other_files(path: str) -> None:
    assert route(path) is None


def test_every_routed_name_reaches_the_parser() -> None:
    parsers = load_parsers()
    for path in ("etc/default/kumomta", ".env", "a/b/.env.local", "x/kumod.env.j2", "y/kumomta"):
        assert parsers["envfile"] in parsers_for(path, parsers), path


@pytest.mark.parametrize(
    "path", ("static/default/logo.png", "docs/kumomta.png", "kumomta.service", "x/kumo.lua")
)
def test_other_names_are_never_opened_for_this_parser(path: str) -> None:
    parsers = load_parsers()
    assert parsers["envfile"] not in parsers_for(path, parsers)


def test_content_decides_for_generous_names() -> None:
    env = "KUMOPROXY_HOST=proxy.yourdomain.com\nKUMOPROXY_PORT=5000\n"
    nginx = "server {\n  listen 443 ssl;\n  proxy_pass http://127.0.0.1:8000;\n}\n"
    other_env = "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=quiet\n"
    assert [f.name for f in assignments("deploy/kumomta", env)] == [
        "KUMOPROXY_HOST",
        "KUMOPROXY_PORT",
    ]
    assert facts("files/kumomta.conf", nginx) == []
    assert facts("etc/default/grub", other_env) == []
    assert assignments("etc/default/kumomta", other_env) != []  # named for sure


def test_env_file_fact_names_the_dialect_and_template() -> None:
    (file,) = [f for f in facts("deploy/kumomta.env.j2", "A=1\n") if isinstance(f, EnvFile)]
    assert file == EnvFile(
        "deploy/kumomta.env.j2",
        "systemd",
        Span("deploy/kumomta.env.j2", 1, 1),
        "kumomta.env",
        True,
    )


def test_jinja_control_lines_in_templates_are_skipped() -> None:
    text = "{% if proxy %}\nKUMOPROXY_HOST={{ proxy_host }}\n{% endif %}\n"
    assert errors("deploy/kumomta.env.j2", text) == []
    assert errors(".env.j2", text) == []
    (only,) = assignments(".env.j2", text)
    assert only.value.text == "{{ proxy_host }}"


def test_invalid_systemd_name_is_reported_without_echoing_the_line() -> None:
    text = "my password is hunter2=yes\nOK=1\n"
    (error,) = errors("etc/default/kumomta", text)
    assert error.span == Span("etc/default/kumomta", 1, 1)
    assert "hunter2" not in error.message
    assert [a.name for a in assignments("etc/default/kumomta", text)] == ["OK"]


def test_many_bad_lines_are_capped() -> None:
    text = "not an assignment\n" * 50
    found = errors(".env", text)
    assert len(found) == 11
    assert "40 more" in found[-1].message


# The bad-input set: each gives no finding or a located ParseError, never an exception.


def run_bytes(path: str, data: bytes) -> list[Any]:
    parsers = load_parsers()
    result = parse_bytes(path, data, parsers_for(path, parsers), 20 * 1024 * 1024)
    assert result.internal_errors == []
    return result.facts


@pytest.mark.parametrize("path", ("etc/default/kumomta", ".env"))
def test_empty_file(path: str) -> None:
    found = run_bytes(path, b"")
    assert [type(f) for f in found] == [EnvFile]


@pytest.mark.parametrize("path", ("etc/default/kumomta", ".env"))
def test_invalid_utf8_is_located_and_the_rest_is_read(path: str) -> None:
    found = run_bytes(path, b"A=1\nB=\xff\xfe\nC=3\n")
    (error,) = [f for f in found if isinstance(f, ParseError)]
    assert (error.span.line, error.span.column) == (2, 3)
    assert [f.name for f in found if isinstance(f, EnvAssignment)] == ["A", "B", "C"]


def test_bom_and_crlf() -> None:
    found = run_bytes("etc/default/kumomta", b"\xef\xbb\xbfA=1\r\nB='x'\r\n")
    got = [(f.name, f.value.text, f.span) for f in found if isinstance(f, EnvAssignment)]
    path = "etc/default/kumomta"
    assert got == [("A", "1", Span(path, 1, 3, 1, 4)), ("B", "x", Span(path, 2, 3, 2, 6))]


def test_nul_byte_file_is_skipped_as_binary() -> None:
    parsers = load_parsers()
    result = parse_bytes(".env", b"A=1\0\n", parsers_for(".env", parsers), 1024)
    assert result.skipped == "binary"


@pytest.mark.parametrize("dialect", ("systemd", "dotenv"))
def test_nul_character_in_text_does_not_break_the_tokenizer(dialect: str) -> None:
    lines, _, _ = tokenize("A=1\0x\nB=2\n", dialect)
    assert [line.name for line in lines] == ["A", "B"]


@pytest.mark.parametrize("path", ("etc/default/kumomta", ".env"))
def test_ten_megabyte_file(path: str) -> None:
    line = "KUMO_VAR_NAME=" + "some-value-0123456789" * 48 + " # c\n"  # 1 KiB
    text = line * (10 * 1024)
    found = [f for f in facts(path, text) if isinstance(f, EnvAssignment)]
    assert len(found) == 10 * 1024
    assert found[-1].span.line == 10 * 1024


@pytest.mark.parametrize("path", ("etc/default/kumomta", ".env"))
def test_very_long_line(path: str) -> None:
    text = "KUMO_LONG=" + "x\\y" * 400_000 + "\nB=1\n"
    found = assignments(path, text)
    assert [a.name for a in found] == ["KUMO_LONG", "B"]
    assert found[1].span.line == 2


@pytest.mark.parametrize(
    ("path", "text", "line", "column"),
    (
        ("etc/default/kumomta", "A='never closed\nB=2\n", 1, 3),
        ("etc/default/kumomta", 'A="never closed\\"\nB=2\n', 1, 3),
        (".env", 'A="never closed\nB=2\n', 1, 3),
        (".env", "A='never closed\nB=2\n", 1, 3),
    ),
)
def test_truncated_quote_is_located_and_later_lines_survive(
    path: str, text: str, line: int, column: int
) -> None:
    (error,) = errors(path, text)
    assert "unterminated" in error.message
    assert (error.span.line, error.span.column) == (line, column)
    found = assignments(path, text)
    assert [a.name for a in found] == ["A", "B"]
    assert found[0].value.text == "never closed" + ('\\"' if "\\" in text else "")


def test_trailing_backslash_at_end_of_file() -> None:
    (only,) = assignments("etc/default/kumomta", "A=abc\\")
    assert only.value.text == "abc"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="AB_=#;'\"\\ \t\n$x{}%.-\r", max_size=80))
def test_tokenizer_never_raises_and_offsets_fit(text: str) -> None:
    for dialect in ("systemd", "dotenv"):
        lines, problems, _ = tokenize(text, dialect)
        for line in lines:
            assert text[line.name_start : line.name_end] == line.name
            assert line.name_end < line.value_start <= line.value_end <= len(text)
        for _, offset in problems:
            assert 0 <= offset <= len(text)
