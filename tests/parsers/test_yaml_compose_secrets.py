from __future__ import annotations

import pytest

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers._yaml import compose
from kumolint.parsers.yaml_compose_secrets import extract
from kumolint.parsers.yaml_documents import parse

PATH = "docker-compose.yml"
COMPOSE = """\
services:
  kumod:
    image: ghcr.io/kumocorp/kumomta
    secrets:
{entries}
secrets:
  webhook_token:
    file: ./secrets/webhook_token
  dkim:
    environment: DKIM_KEY
"""


def installed(entries: str) -> list[InstalledFile]:
    text = COMPOSE.format(entries=entries)
    documents, errors = compose(PATH, text)
    assert errors == []
    return [f for f in extract(PATH, documents) if isinstance(f, InstalledFile)]


def test_short_form_is_0444_under_run_secrets() -> None:
    (fact,) = installed("      - webhook_token")
    assert (fact.dest, fact.mode, fact.mode_source) == (
        "/run/secrets/webhook_token",
        0o444,
        "default",
    )
    assert fact.span == Span(PATH, 5, 9, 5, 22)
    assert fact.source == "./secrets/webhook_token"
    assert "bind-mounts" in fact.mode_note  # file secrets keep the host mode in plain compose
    assert fact.secret_hint == "compose secret webhook_token"


@pytest.mark.parametrize(
    ("mode", "expected", "note"),
    (
        ("0400", 0o400, ""),
        ("0o440", 0o440, ""),
        ('"0440"', 0o440, ""),  # compose-go reads a string mode as octal
        ("440", 0o670, "decimal"),
        ("292", 0o444, ""),
        ("${MODE}", None, ""),
    ),
)
def test_long_form_modes(mode: str, expected: int | None, note: str) -> None:
    (fact,) = installed(f"      - source: dkim\n        target: dkim.key\n        mode: {mode}")
    assert fact.mode == expected
    assert fact.dest == "/run/secrets/dkim.key"
    assert note in fact.mode_note if note else fact.mode_note == ""


def test_long_form_absolute_target_uid_gid_and_missing_mode() -> None:
    entries = (
        "      - source: dkim\n        target: /opt/kumomta/etc/dkim/a.key\n        uid: '999'"
    )
    (fact,) = installed(entries)
    assert (fact.dest, fact.mode, fact.mode_source) == (
        "/opt/kumomta/etc/dkim/a.key",
        0o444,
        "default",
    )
    assert fact.owner == "999"
    assert fact.mode_note == ""  # an environment secret is not a bind mount
    assert fact.span == Span(PATH, 5, 17, 5, 21)


def test_not_compose_yields_nothing() -> None:
    documents, _ = compose("x.yml", "secrets:\n  - a\nservices: [a]\n")
    assert list(extract("x.yml", documents)) == []


@pytest.mark.parametrize(
    "text",
    (
        "",
        "services:\n\tkumod: {}\n",
        "services: {a: {secrets: [{source: }]}}\n",
        "services: {a: {secrets: [[1]]}}\n",
    ),
)
def test_bad_input_never_raises(text: str) -> None:
    for fact in parse(PATH, text):
        assert isinstance(fact, (InstalledFile, ParseError))


def test_configs_default_to_0444_at_the_root_and_are_not_secret_by_themselves() -> None:
    text = (
        "services:\n  kumod:\n    configs:\n      - policy\n"
        "      - {source: env, target: /etc/default/kumomta}\n"
        "configs:\n  policy: {file: ./init.lua}\n  env: {file: ./kumomta.env}\n"
    )
    documents, _ = compose(PATH, text)
    found = [f for f in extract(PATH, documents) if isinstance(f, InstalledFile)]
    assert [(f.dest, f.mode, f.tool, f.secret_hint) for f in found] == [
        ("/policy", 0o444, "docker compose config", ""),
        ("/etc/default/kumomta", 0o444, "docker compose config", ""),
    ]
