from __future__ import annotations

import pytest

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers._yaml import compose
from kumolint.parsers.yaml_documents import parse
from kumolint.parsers.yaml_nfpm import extract

PATH = "packaging/nfpm.yaml"


def installed(text: str, path: str = PATH) -> list[InstalledFile]:
    documents, errors = compose(path, text)
    assert errors == []
    return [f for f in extract(path, documents) if isinstance(f, InstalledFile)]


def entry(mode: str | None) -> str:
    info = f"    file_info:\n      mode: {mode}\n" if mode is not None else ""
    return (
        "name: kumo-config\nversion: 1.0.0\ncontents:\n"
        "  - src: ./kumomta.env\n    dst: /etc/default/kumomta\n    type: config|noreplace\n"
        + info
    )


@pytest.mark.parametrize(
    ("mode", "expected", "source", "note"),
    (
        ("0640", 0o640, "explicit", ""),  # yaml.v3: leading 0 is octal
        ("0o600", 0o600, "explicit", ""),  # yaml.v3 reads 0o too (PyYAML would not)
        ("640", 0o1200, "explicit", "decimal"),  # the docs' warning: 0644, not 644
        ("416", 0o640, "explicit", ""),
        ('"0640"', None, "unknown", "quoted"),  # a string does not decode into FileMode
        ("'{{ .Env.MODE }}'", None, "unknown", ""),
        (None, 0o644, "default", ""),  # git's 0644 minus umask 0o002
    ),
)
def test_modes(mode: str | None, expected: int | None, source: str, note: str) -> None:
    (fact,) = installed(entry(mode))
    assert (fact.mode, fact.mode_source) == (expected, source)
    assert note in fact.mode_note if note else fact.mode_note == ""
    assert (fact.dest, fact.source, fact.tool) == ("/etc/default/kumomta", "./kumomta.env", "nfpm")


def test_positions_and_owner() -> None:
    (explicit,) = installed(entry("0640") + "      owner: root\n      group: kumod\n")
    assert explicit.span == Span(PATH, 8, 13, 8, 17)
    assert (explicit.owner, explicit.group) == ("root", "kumod")
    (default,) = installed(entry(None))
    assert default.span == Span(PATH, 5, 10, 5, 30)
    assert "umask 0o002" in default.default_reason
    assert (default.owner, default.group) == ("root", "root")


def test_umask_and_skipped_entry_types() -> None:
    text = entry(None).replace("contents:", "umask: 0o027\ncontents:") + (
        "  - dst: /opt/kumomta/etc/dkim\n    type: dir\n"
        "  - src: /usr/bin/kumod\n    dst: /usr/local/bin/kumod\n    type: symlink\n"
        "  - src: ./keys\n    dst: /opt/kumomta/etc/keys\n    type: tree\n"
    )
    found = installed(text)
    assert [(f.dest, f.mode) for f in found] == [
        ("/etc/default/kumomta", 0o640),
        ("/opt/kumomta/etc/keys/*", 0o640),
    ]


def test_goreleaser_nfpms_and_legacy_maps() -> None:
    text = """\
nfpms:
  - id: kumo
    maintainer: x
    contents:
      - {src: a.env, dst: /opt/kumomta/etc/kumod.env, file_info: {mode: 0600}}
    config_files:
      ./kumomta.env: /etc/default/kumomta
"""
    found = installed(text, ".goreleaser.yaml")
    assert [(f.dest, f.mode, f.mode_source) for f in found] == [
        ("/opt/kumomta/etc/kumod.env", 0o600, "explicit"),
        ("/etc/default/kumomta", 0o644, "default"),
    ]


def test_other_yaml_with_contents_is_not_nfpm() -> None:
    assert installed("contents:\n  - title: a\n    body: b\n") == []


@pytest.mark.parametrize(
    "text",
    (
        "",
        "contents:\n\t- dst: /x\n",
        "contents: [{dst: /x, file_info: {mode: 0640\n",
        "contents: [{dst: [1]}]\n",
    ),
)
def test_bad_input_never_raises(text: str) -> None:
    for fact in parse(PATH, text):
        assert isinstance(fact, (InstalledFile, ParseError))
