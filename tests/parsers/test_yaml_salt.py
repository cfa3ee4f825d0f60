from __future__ import annotations

import time
from typing import Any

import pytest

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers.yaml_salt import parse

PATH = "salt/kumomta/init.sls"


def facts(text: str) -> list[Any]:
    return list(parse(PATH, text))


def managed(mode: str | None) -> InstalledFile:
    line = f"    - mode: {mode}\n" if mode is not None else ""
    text = f"/etc/default/kumomta:\n  file.managed:\n    - source: salt://kumomta/env\n{line}"
    (fact,) = [f for f in facts(text) if isinstance(f, InstalledFile)]
    return fact


@pytest.mark.parametrize(
    ("mode", "expected", "source"),
    (
        ("644", 0o644, "explicit"),  # octal by Salt's rules, unlike Ansible
        ("0644", 0o644, "explicit"),
        ("'0600'", 0o600, "explicit"),
        ("600", 0o600, "explicit"),
        ("0o640", 0o640, "explicit"),
        ("keep", 0o644, "default"),  # the fileserver's mode: 0644 from git
        ("'{{ mode }}'", None, "unknown"),
        ("{{ mode }}", None, "unknown"),  # unquoted Jinja: blanked, still unknown
        ("rw-r--r--", None, "unknown"),
        (None, 0o644, "default"),  # the minion's umask
    ),
)
def test_modes(mode: str | None, expected: int | None, source: str) -> None:
    fact = managed(mode)
    assert (fact.mode, fact.mode_source) == (expected, source)
    assert fact.dest == "/etc/default/kumomta"
    assert fact.tool == "salt file.managed"
    assert fact.source == "salt://kumomta/env"


def test_positions() -> None:
    assert managed("644").span == Span(PATH, 4, 13, 4, 16)
    missing = managed(None)
    assert missing.span == Span(PATH, 2, 3, 2, 15)
    assert "umask" in missing.default_reason


def test_old_style_declaration_name_argument_and_owner() -> None:
    text = (
        "dkim key:\n  file:\n    - managed\n    - name: /opt/kumomta/etc/dkim/a.key\n"
        "    - user: root\n    - group: kumod\n    - mode: 640\n    - show_changes: False\n"
    )
    (fact,) = facts(text)
    assert (fact.dest, fact.mode, fact.owner, fact.group) == (
        "/opt/kumomta/etc/dkim/a.key",
        0o640,
        "root",
        "kumod",
    )
    assert fact.secret_hint == "show_changes: False"


def test_watch_and_watch_in_notify_the_service() -> None:
    text = """\
/etc/default/kumomta:
  file.managed:
    - contents_pillar: kumomta:env
    - mode: '0600'
    - watch_in:
      - service: kumomta

/opt/kumomta/etc/kumod.env:
  file.managed:
    - mode: '0600'

kumod env:
  file.managed:
    - name: /opt/kumomta/etc/kumo-common.env

kumomta-service:
  service.running:
    - name: kumomta
    - reload: True
    - watch:
      - file: kumod env
"""
    found = facts(text)
    restarts = [f for f in found if isinstance(f, ServiceRestart)]
    assert [(r.unit, r.action, r.handler) for r in restarts] == [
        ("kumomta", "reload", "salt:kumomta-service")
    ]
    files = {f.dest: f for f in found if isinstance(f, InstalledFile)}
    assert files["/etc/default/kumomta"].notifies == ("salt:kumomta-service",)
    assert files["/etc/default/kumomta"].secret_hint == "contents_pillar"
    assert files["/opt/kumomta/etc/kumod.env"].notifies == ()
    assert files["/opt/kumomta/etc/kumo-common.env"].notifies == ("salt:kumomta-service",)


def test_jinja_heavy_sls_keeps_positions_and_raises_nothing() -> None:
    text = """\
{% set env = pillar.get('kumomta', {}) %}
{% for name in ['kumod', 'kumo-common'] %}
/opt/kumomta/etc/{{ name }}.env:
  file.managed:
    - mode: 644
{% endfor %}
{# a comment #}
"""
    (fact,) = facts(text)
    assert fact.dest == "/opt/kumomta/etc/{{ … }}.env"
    assert fact.span == Span(PATH, 5, 13, 5, 16)


def test_template_that_is_not_yaml_is_skipped_quietly_but_plain_yaml_errors() -> None:
    assert facts("{% if x %}\na: [\n{% endif %}\n") == []
    (error,) = facts("a: [\n")
    assert isinstance(error, ParseError)
    assert error.span.line >= 1


def test_other_renderers_are_not_read() -> None:
    assert facts("#!py\ndef run():\n    return {}\n") == []


@pytest.mark.parametrize(
    "text",
    (
        "",
        "/x:\n\tfile.managed: []\n",
        "/x:\n  file.managed:\n    - mode: [1]\n    - user: {a: b}\n",
        "/x: {file.managed: [{mode: 644}, {mode: 600}]}\n",  # a repeated argument: the last wins
        "extend:\n  extend:\n    /x: {file.managed: []}\n",
        pytest.param("{{ " * 10_000, id="unclosed-jinja"),
        "\x00",
    ),
)
def test_bad_input_never_raises(text: str) -> None:
    started = time.perf_counter()
    for fact in parse(PATH, text):
        assert isinstance(fact, (InstalledFile, ServiceRestart, ParseError))
    assert time.perf_counter() - started < 5


def test_directory_with_recursive_file_mode() -> None:
    text = (
        "/opt/kumomta/etc/dkim:\n  file.directory:\n    - user: kumod\n    - group: kumod\n"
        "    - dir_mode: 750\n    - file_mode: 644\n    - recurse:\n      - user\n      - mode\n"
        "/opt/kumomta/etc/other:\n  file.directory:\n    - file_mode: 644\n"
    )
    (fact,) = facts(text)
    assert (fact.dest, fact.mode, fact.owner, fact.writes) == (
        "/opt/kumomta/etc/dkim/*",
        0o644,
        "kumod",
        False,
    )
    assert fact.span == Span(PATH, 6, 18, 6, 21)
