from __future__ import annotations

import time
from typing import Any

import pytest

from kumolint.facts.env import EnvAssignment
from kumolint.facts.systemd import EnvironmentFileRef, UnitFile, UnitSetting
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers.systemd import parse, unit_name

UNIT = "systemd/kumomta.service"


def facts(text: str, path: str = UNIT) -> list[Any]:
    return list(parse(path, text))


def of(kind: type, found: list[Any]) -> list[Any]:
    return [f for f in found if isinstance(f, kind)]


@pytest.mark.parametrize(
    ("path", "expected"),
    (
        ("systemd/kumomta.service", ("kumomta.service", False)),
        ("etc/systemd/system/kumomta.service.d/override.conf", ("kumomta.service", True)),
        ("roles/kumo/templates/kumomta.service.j2", ("kumomta.service", False)),
        ("kumod@.service", ("kumod@.service", False)),
        ("templates/override.conf.j2", ("", False)),
    ),
)
def test_unit_name_from_path(path: str, expected: tuple[str, bool]) -> None:
    assert unit_name(path) == expected


def test_environment_file_references_with_and_without_dash() -> None:
    found = facts(
        "[Unit]\nDescription=x\n\n[Service]\n"
        "EnvironmentFile=-/opt/kumomta/etc/kumod.env\n"
        "EnvironmentFile = /etc/default/kumomta\n"
        "EnvironmentFile=\n"
    )
    refs = of(EnvironmentFileRef, found)
    assert [(r.path, r.optional) for r in refs] == [
        ("/opt/kumomta/etc/kumod.env", True),
        ("/etc/default/kumomta", False),
    ]
    assert refs[0].span == Span(UNIT, 5, 17, 5, 44)
    assert refs[1].span == Span(UNIT, 6, 19, 6, 39)
    assert all(r.unit == "kumomta.service" for r in refs)
    (unit,) = of(UnitFile, found)
    assert unit.span == Span(UNIT, 1, 1, 1, 7)
    assert not unit.dropin


def test_environment_assignments_quoting_and_positions() -> None:
    line = "Environment=\"PING8_WEBHOOK_TOKEN=a b\" FOO=bar BAZ='q r' bad-name=1 NOEQ\n"
    found = facts("[Service]\n" + line)
    assignments = of(EnvAssignment, found)
    assert [(a.name, a.value.text, a.quoted) for a in assignments] == [
        ("PING8_WEBHOOK_TOKEN", "a b", True),
        ("FOO", "bar", False),
        ("BAZ", "q r", True),
    ]
    token, foo, baz = assignments
    assert token.dialect == "unit-environment"
    assert token.name_span == Span(UNIT, 2, 14, 2, 33)
    assert token.span == Span(UNIT, 2, 34, 2, 37)
    assert foo.name_span == Span(UNIT, 2, 39, 2, 42)
    assert foo.span == Span(UNIT, 2, 43, 2, 46)
    assert baz.span == Span(UNIT, 2, 52, 2, 55)


def test_continuation_lines_map_back_to_their_physical_line() -> None:
    found = facts("[Service]\nEnvironment=A=1 \\\n# a comment inside\n    B=2\n")
    a, b = of(EnvAssignment, found)
    assert a.span == Span(UNIT, 2, 15, 2, 16)
    assert b.name_span == Span(UNIT, 4, 5, 4, 6)
    assert b.value.text == "2"


def test_escapes_in_environment_values() -> None:
    (assignment,) = of(EnvAssignment, facts('[Service]\nEnvironment="X=a\\"b\\\\c"\n'))
    assert assignment.value.text == 'a"b\\c'


def test_comments_and_settings_and_exec_start_marks_kumod() -> None:
    found = facts(
        "; comment\n[Service]\n# EnvironmentFile=/etc/default/kumomta\n"
        "ExecStart=/opt/kumomta/sbin/kumod --policy init.lua --user kumod\n",
        "systemd/mta.service",
    )
    assert of(EnvironmentFileRef, found) == []
    (unit,) = of(UnitFile, found)
    assert unit.runs_kumod
    assert unit.unit == "mta.service"
    (setting,) = of(UnitSetting, found)
    assert (setting.section, setting.key) == ("Service", "ExecStart")


def test_kumoproxy_does_not_count_as_kumod() -> None:
    found = facts("[Service]\nExecStart=/opt/kumomta/sbin/proxy-server --listen 0:5000\n")
    (unit,) = of(UnitFile, found)
    assert not unit.runs_kumod


def test_line_without_equals_is_a_parse_error_in_units_but_not_templates() -> None:
    text = "[Service]\n{% if x %}\nExecStart=/bin/true\n"
    errors = of(ParseError, facts(text))
    assert [e.span.line for e in errors] == [2]
    assert of(ParseError, facts(text, "templates/kumomta.service.j2")) == []


def test_text_without_a_section_is_not_a_unit() -> None:
    assert facts("server { listen 80; }\nfoo=bar\n", "templates/override.conf.j2") == []


@pytest.mark.parametrize(
    "text",
    (
        "",
        "\ufeff[Service]\nEnvironmentFile=/etc/default/kumomta\n",
        "[Service]\r\nEnvironmentFile=/etc/default/kumomta\r\n",
        "[Service]\nEnvironment=A=\x00\n",
        "[Service]\nEnvironment=" + "A=" + "x" * 200_000 + "\n",
        '[Service]\nEnvironment="A=unterminated\n',
        "[Service\nEnvironment=A\\",
        "\\\n" * 1000,
        "\udcff[Service]\n",
    ),
)
def test_bad_input_never_raises(text: str) -> None:
    found = facts(text)
    assert all(not isinstance(f, ParseError) or f.span.line >= 1 for f in found)


def test_large_file_is_bounded() -> None:
    text = "[Service]\n" + "Environment=A=1 B=2\n" * 50_000
    started = time.perf_counter()
    found = facts(text)
    assert time.perf_counter() - started < 10
    assert len(of(EnvAssignment, found)) == 100_000


def test_role_templates_are_units_only_with_a_systemd_section() -> None:
    dropin = "[Service]\nEnvironmentFile=/etc/default/kumomta\n"
    found = facts(dropin, "roles/kumomta/templates/override.conf.j2")
    (ref,) = of(EnvironmentFileRef, found)
    assert (ref.unit, ref.path) == ("", "/etc/default/kumomta")
    other_ini = "[program:kumod]\nEnvironmentFile=/etc/default/kumomta\n"
    assert facts(other_ini, "roles/kumomta/templates/supervisor.conf.j2") == []
    assert facts("server { listen 80; }\n", "roles/nginx/templates/site.conf.j2") == []
